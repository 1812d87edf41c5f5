package matcher

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// optOutFixture returns n opted-out ids and, for lookups, 20 times as many
// users' ids of which one in twenty is opted out: the shape of a user base
// with 5% opt-outs.
func optOutFixture(n int) (out, users []string) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 20 * n {
		id := fmt.Sprintf("u%09d", rng.IntN(1_000_000_000))
		users = append(users, id)
		if i%20 == 0 {
			out = append(out, id)
		}
	}
	return out, users
}

// TestExclusions_Every: every id of a large set is excluded, whatever
// blanks surround it, and an id that is not in it is not: the filter in
// front of the map never turns an opted-out user away from it.
func TestExclusions_Every(t *testing.T) {
	out, users := optOutFixture(50_000)
	e := NewExclusions(slices.Values(out))
	in := make(map[string]bool, len(out))
	for _, id := range out {
		in[id] = true
		for _, v := range []string{id, " " + id, id + "\t"} {
			if !e.Excludes(v) {
				t.Fatalf("Excludes(%q) = false for an opted-out id", v)
			}
		}
	}
	for _, id := range users {
		if got := e.Excludes(id); got != in[id] {
			t.Fatalf("Excludes(%q) = %v, want %v", id, got, in[id])
		}
	}
	if e.Len() != len(in) {
		t.Fatalf("Len() = %d, want %d", e.Len(), len(in))
	}
	probes := append(slices.Clone(users), " "+out[0], out[1]+"\t")
	got := make([]bool, len(probes))
	e.ExcludesEach(probes, got)
	for i, id := range probes {
		if want := e.Excludes(id); got[i] != want {
			t.Fatalf("ExcludesEach: %q: %v, Excludes says %v", id, got[i], want)
		}
	}
}

// BenchmarkExcludes asks a set of opted-out ids about 2M users, 5% of
// them opted out, as match run does for every user row: one at a time
// (Excludes) and in batches of 1024 (ExcludesEach, as a match does), with
// 100k opt-outs (a filter that fits in the cache) and 5M (the 100M-user
// scale run's):
//
//	go test -run '^$' -bench '^BenchmarkExcludes$' -count 3 ./matcher
func BenchmarkExcludes(b *testing.B) {
	const lookups = 2_000_000
	for _, n := range []int{100_000, 5_000_000} {
		rng := rand.New(rand.NewPCG(3, 4))
		id := func() string { return fmt.Sprintf("u%09d", rng.IntN(1_000_000_000)) }
		out := make([]string, n)
		for i := range out {
			out[i] = id()
		}
		users := make([]string, lookups)
		for i := range users {
			if i%20 == 0 {
				users[i] = out[rng.IntN(n)]
			} else {
				users[i] = id()
			}
		}
		e := NewExclusions(slices.Values(out))
		b.Run(fmt.Sprintf("optouts=%d/one", n), func(b *testing.B) {
			k := 0
			for b.Loop() {
				for _, u := range users {
					if e.Excludes(u) {
						k++
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lookups), "ns/lookup")
		})
		b.Run(fmt.Sprintf("optouts=%d/batch", n), func(b *testing.B) {
			ex := make([]bool, 1024)
			for b.Loop() {
				for i := 0; i < lookups; i += len(ex) {
					end := min(i+len(ex), lookups)
					e.ExcludesEach(users[i:end], ex[:end-i])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lookups), "ns/lookup")
		})
	}
}

// TestExclusions_Zero: the zero Exclusions, like the nil one, excludes no
// one.
func TestExclusions_Zero(t *testing.T) {
	var zero Exclusions
	var none *Exclusions
	if zero.Excludes("u1") || none.Excludes("u1") || zero.Len() != 0 || none.Len() != 0 {
		t.Fatal("the zero or nil Exclusions excludes someone")
	}
}
