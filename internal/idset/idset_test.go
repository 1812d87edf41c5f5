package idset

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSet_Map: against a Go map, on ids of every length from 0 to 300
// bytes (the length's uvarint takes two bytes from 128 on), with
// repeats, and on as many ids that are not in the set, among them
// prefixes and extensions of ids that are.
func TestSet_Map(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000, 100_000, 300_000} { // 300k: a filter past smallFilter
		rng := rand.New(rand.NewPCG(uint64(n), 9))
		want := make(map[string]bool)
		var b Builder
		var probes []string
		for i := range n {
			id := fmt.Sprintf("u%d", rng.Uint64())
			if i%50 == 0 {
				id = string(make([]byte, i%300)) // zero bytes, of every length
			}
			b.Add(id)
			want[id] = true
			if i%3 == 0 {
				b.Add(id) // a repeat
			}
			probes = append(probes, id, id+"x", id[:len(id)/2], fmt.Sprintf("v%d", rng.Uint64()))
		}
		s := b.Set()
		if s.Len() != len(want) {
			t.Fatalf("%d ids: Len() = %d, want %d", n, s.Len(), len(want))
		}
		for _, id := range probes {
			if got := s.Has(id); got != want[id] {
				t.Fatalf("%d ids: Has(%q) = %v, want %v", n, id, got, want[id])
			}
		}
		has := make([]bool, len(probes))
		s.HasEach(has, func(i int) string { return probes[i] })
		for i, id := range probes {
			if has[i] != want[id] {
				t.Fatalf("%d ids: HasEach: %q: %v, want %v", n, id, has[i], want[id])
			}
		}
		if b.n != 0 || len(b.data) != 0 {
			t.Fatalf("the Builder is not empty after Set")
		}
	}
}

// TestSet_Zero: the zero Set, the nil *Set and a Set of nothing hold no
// id, not even "".
func TestSet_Zero(t *testing.T) {
	var zero Set
	var none *Set
	var b Builder
	empty := b.Set()
	for _, s := range []*Set{&zero, none, empty} {
		has := []bool{true, true}
		s.HasEach(has, func(i int) string { return []string{"", "u1"}[i] })
		if s.Has("") || s.Has("u1") || s.Len() != 0 || has[0] || has[1] {
			t.Fatalf("an empty set holds something")
		}
	}
}

// TestSet_NoAllocs: Has allocates nothing.
func TestSet_NoAllocs(t *testing.T) {
	var b Builder
	for i := range 1000 {
		b.Add(fmt.Sprintf("u%d", i))
	}
	s := b.Set()
	if a := testing.AllocsPerRun(100, func() { s.Has("u500"); s.Has("v500") }); a != 0 {
		t.Fatalf("Has allocates %v times", a)
	}
}

// BenchmarkSet builds a set of 1M ids and asks it about 2M users, one in
// twenty of them in the set: a user base with 5% opt-outs.
func BenchmarkSet(b *testing.B) {
	const n = 1_000_000
	ids := make([]string, 20*n)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%09d", i*7919%1_000_000_007)
	}
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			var bd Builder
			for i := 0; i < len(ids); i += 20 {
				bd.Add(ids[i])
			}
			bd.Set()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/id")
	})
	var bd Builder
	for i := 0; i < len(ids); i += 20 {
		bd.Add(ids[i])
	}
	s := bd.Set()
	b.Run("has", func(b *testing.B) {
		k := 0
		for b.Loop() {
			for _, id := range ids {
				if s.Has(id) {
					k++
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/lookup")
	})
}
