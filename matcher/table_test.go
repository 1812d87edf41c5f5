package matcher

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestTable_FindEach: findEach answers what find answers, probe by probe,
// for digests in the table, digests not in it, and digests that share a
// key's slot and tag but not its other bytes (the collisions findEach
// settles by a second look), in groups of every length around probeGroup.
func TestTable_FindEach(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func() (d [32]byte) {
		for i := range d {
			d[i] = byte(rng.IntN(256))
		}
		return d
	}
	for _, n := range []int{0, 1, 7, 100, 5000} {
		var keys [][32]byte
		tab := newTable(0)
		for range n {
			d := random()
			tab.add(&d, &keys)
		}
		var probes [][32]byte
		for i, k := range keys {
			probes = append(probes, k, random())
			if i%3 == 0 {
				c := k // the same slot and tag, another digest
				c[0] ^= 1
				probes = append(probes, c)
			}
			if i%5 == 0 {
				c := k // the same slot, another tag
				c[25] ^= 1
				probes = append(probes, c)
			}
		}
		// A tag collision inside the table too: two keys alike but for
		// their first byte.
		if n > 0 {
			c := keys[0]
			c[0] ^= 2
			tab.add(&c, &keys)
			probes = append(probes, c, keys[0])
		}
		for _, m := range []int{0, 1, probeGroup - 1, probeGroup, probeGroup + 1, len(probes)} {
			ds := probes[:min(m, len(probes))]
			got := make([]int32, len(ds))
			tab.findEach(ds, keys, got)
			for i := range ds {
				if want := tab.find(&ds[i], keys); got[i] != want {
					t.Fatalf("n=%d, %d probes: probe %d: findEach %d, find %d", n, len(ds), i, got[i], want)
				}
			}
		}
	}
}

// TestHitIndex checks the index of List.Match's hits against a map, over
// enough users to make it grow several times, each user met several
// times with earlier and later keys, as the sink meets them.
func TestHitIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	x := newHitIndex()
	var hits []listHit
	want := map[string]int{} // user -> its hit
	for range 20_000 {
		n := rng.IntN(6000)
		id := fmt.Sprintf("u%d", n)
		key := int32(rng.IntN(1000))
		h := x.hash(id)
		if n%50 == 0 {
			h = 42 // ids whose hashes collide, all in one chain
		}
		j := x.find(h, id, hits)
		if w, ok := want[id]; !ok && j != -1 || ok && j != w {
			t.Fatalf("find(%q) = %d, want %d (in the map: %v)", id, j, w, ok)
		}
		if j >= 0 {
			if key >= hits[j].key {
				continue
			}
			hits[j].key = -1
		}
		hits = append(hits, listHit{id: id, key: key, h: h})
		x.set(h, j, int32(len(hits)-1), hits)
		want[id] = len(hits) - 1
	}
	if len(x.slots) < 8192 {
		t.Fatalf("%d slots: the table never grew past its first sizes", len(x.slots))
	}
	for id, w := range want {
		if j := x.find(hits[w].h, id, hits); j != w {
			t.Errorf("find(%q) = %d, want %d", id, j, w)
		}
	}
}
