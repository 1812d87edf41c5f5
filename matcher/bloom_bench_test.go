package matcher

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
)

// probeFixture builds a base of n random digests and a probe list in which
// rate of the digests are in the base.
func probeFixture(n int, rate float64, pf Prefilter) (*Base, [][32]byte) {
	keys := make([][32]byte, n)
	tab := newTable(n)
	var pairs []pair
	for i := range keys {
		var seed [8]byte
		binary.LittleEndian.PutUint64(seed[:], uint64(i))
		keys[i] = sha256.Sum256(seed[:])
		tab.insert(&keys[i], int32(i))
		pairs = append(pairs, pair{int32(i), int32(i)})
	}
	ids := make([]string, n)
	b, _ := newBase(context.Background(), Options{Prefilter: pf}, ids, keys, pairs, tab)
	probes := make([][32]byte, 1<<20)
	hit := int(rate * 1000)
	for i := range probes {
		if i%1000 < hit {
			probes[i] = keys[(i*7919)%n]
		} else {
			var seed [8]byte
			binary.LittleEndian.PutUint64(seed[:], uint64(n+i))
			probes[i] = sha256.Sum256(seed[:])
		}
	}
	return b, probes
}

// BenchmarkProbe is the paired benchmark that decides Prefilter's default:
// the same probes with and without the bloom filter, for bases that fit in
// cache and bases that do not, at realistic match rates.
func BenchmarkProbe(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000, 10_000_000} {
		for _, rate := range []float64{0.3, 0.5, 0.7} {
			for _, pf := range []struct {
				name string
				p    Prefilter
			}{{"bloom", PrefilterBloom}, {"none", PrefilterNone}} {
				base, probes := probeFixture(n, rate, pf.p)
				b.Run(fmt.Sprintf("keys=%d/match=%.0f%%/prefilter=%s", n, rate*100, pf.name), func(b *testing.B) {
					b.ReportAllocs()
					hits := 0
					i := 0
					for b.Loop() {
						if k, _ := base.lookup(&probes[i&(len(probes)-1)], 0, false); k >= 0 {
							hits++
						}
						i++
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "probes/s")
				})
			}
		}
	}
}
