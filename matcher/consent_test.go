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

// BenchmarkExcludes asks a set of 100k opted-out ids about 2M users, 5%
// of them opted out, as match run does for every user row.
func BenchmarkExcludes(b *testing.B) {
	out, users := optOutFixture(100_000)
	e := NewExclusions(slices.Values(out))
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, id := range users {
			if e.Excludes(id) {
				n++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(users)), "ns/lookup")
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
