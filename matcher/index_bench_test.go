package matcher

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/audiencematch/audiencematch/normalize"
)

// indexFixture writes an index of n users with phones +1 650 253 0000 on,
// and returns its path and probe digests of which rate are users'.
func indexFixture(b *testing.B, n int, rate float64) (string, [][32]byte) {
	path := filepath.Join(os.TempDir(), "audiencematch-bench-"+strconv.Itoa(n)+".idx")
	phone := func(i int) string { return fmt.Sprintf("+1%03d%07d", 201+i/10_000_000, i%10_000_000) }
	if _, err := os.Stat(path); err != nil {
		users := func(yield func(User) bool) {
			for i := range n {
				if !yield(User{ID: "u" + strconv.Itoa(i), Phone: phone(i)}) {
					return
				}
			}
		}
		if _, err := WriteIndex(context.Background(), path, users, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	probes := make([][32]byte, 1<<16)
	hit := int(rate * 1000)
	for i := range probes {
		j := (i * 7919) % n
		if i%1000 >= hit {
			j += n // not a user's
		}
		probes[i] = normalize.Sum([]byte(phone(j)), normalize.E164Hex)
	}
	return path, probes
}

// evict drops the index's pages from this process and from the page
// cache, and forgets which pages were checked: the index is as it is just
// after an open on a machine that has not read it lately.
func evict(b *testing.B, ix *Index) {
	if err := unix.Madvise(ix.data, unix.MADV_DONTNEED); err != nil {
		b.Fatal(err)
	}
	if err := unix.Fadvise(int(ix.f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		b.Fatal(err)
	}
	for i := range ix.verified {
		ix.verified[i].Store(0)
	}
	for i := range ix.requested {
		ix.requested[i].Store(0)
	}
	// The bloom filter's section stays checked: a match checks it once,
	// and a list of millions of rows pays for that once.
}

// BenchmarkIndexLookup is the paired benchmark that decides the index's
// default prefilter: the same probes with and without its bloom filter, on
// a warm index (pages in memory and checked) and on a cold one (evicted
// before each batch of 4096 probes, so each batch pays for page faults and
// checksums). An op is one probe.
func BenchmarkIndexLookup(b *testing.B) {
	n := 2_000_000
	if s := os.Getenv("INDEX_BENCH_USERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, rate := range []float64{0.3, 0.5, 0.7} {
		path, probes := indexFixture(b, n, rate)
		for _, temp := range []string{"warm", "cold"} {
			for _, pf := range []bool{true, false} {
				name := map[bool]string{true: "bloom", false: "none"}[pf]
				b.Run(fmt.Sprintf("users=%d/match=%.0f%%/%s/prefilter=%s", n, rate*100, temp, name), func(b *testing.B) {
					ix, err := OpenIndex(path)
					if err != nil {
						b.Fatal(err)
					}
					defer ix.Close()
					v := newIndexKeyset(ix, normalize.EmailHex)
					if temp == "warm" {
						for i := range probes {
							v.lookup(&probes[i], 0, pf)
						}
					}
					hits, i := 0, 0
					for b.Loop() {
						if temp == "cold" && i%4096 == 0 {
							b.StopTimer()
							evict(b, ix)
							b.StartTimer()
						}
						k, err := v.lookup(&probes[i&(len(probes)-1)], 0, pf)
						if err != nil {
							b.Fatal(err)
						}
						if k >= 0 {
							hits++
						}
						i++
					}
					b.ReportMetric(float64(hits)/float64(b.N), "hit-rate")
				})
			}
		}
	}
}

// BenchmarkIndexMatch is the pair that decides batched probing: Index.Match
// of a hashed list, half of its rows users' phones, looking up a batch
// of digests at once (as it does) and one digest after another (as it did),
// on a warm index and a cold one (evicted before each match, as evict
// does). An op is one match of the whole list.
func BenchmarkIndexMatch(b *testing.B) {
	n := 2_000_000
	if s := os.Getenv("INDEX_BENCH_USERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	rows := 1 << 18
	if s := os.Getenv("INDEX_BENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	path, _ := indexFixture(b, n, 0)
	list := make([]Entry, rows)
	for i := range list {
		j := int((uint64(i) * 0x9E3779B97F4A7C15 >> 20) % uint64(n))
		if i%2 == 1 {
			j += n // not a user's
		}
		p := fmt.Sprintf("+1%03d%07d", 201+j/10_000_000, j%10_000_000)
		list[i] = Entry{Line: int64(i + 2), Hash: normalize.Encode(normalize.Sum([]byte(p), normalize.E164Hex), normalize.E164Hex)}
	}
	ix, err := OpenIndex(path)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	o, err := (*Options)(nil).withDefaults()
	if err != nil {
		b.Fatal(err)
	}
	o.Prefilter = PrefilterNone
	for _, temp := range []string{"warm", "cold"} {
		for _, batch := range []bool{true, false} {
			b.Run(fmt.Sprintf("users=%d/rows=%d/%s/batch=%v", n, rows, temp, batch), func(b *testing.B) {
				var ks keyset = newIndexKeyset(ix, o.EmailFormat)
				if !batch {
					ks = struct{ keyset }{ks} // without lookups and readyHolders
				}
				run := func() {
					st, err := match(context.Background(), ks, &o, slices.Values(list), nil, func(Match) error { return nil }, nil)
					if err != nil || st.Audience == 0 {
						b.Fatal(st, err)
					}
				}
				if temp == "warm" {
					run()
				}
				for b.Loop() {
					if temp == "cold" {
						b.StopTimer()
						evict(b, ix)
						b.StartTimer()
					}
					run()
				}
				b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
