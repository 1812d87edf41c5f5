package normalize

import (
	"fmt"
	"sort"
	"testing"
)

func TestDebugFallback(t *testing.T) {
	rows := mixedCorpus(20000)
	kinds := map[string]int{}
	ex := map[string]string{}
	for _, r := range rows {
		if _, handled, _ := fastAppendE164(nil, r.raw, r.region); !handled {
			k := "other"
			for _, c := range r.raw {
				if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
					k = "letters"
					break
				}
				if c == '#' || c > 127 {
					k = "special"
				}
			}
			k = k + "/" + r.region
			kinds[k]++
			ex[k] = r.raw
		}
	}
	var ks []string
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return kinds[ks[i]] > kinds[ks[j]] })
	for _, k := range ks[:min(40, len(ks))] {
		fmt.Println(kinds[k], k, ex[k])
	}
}
