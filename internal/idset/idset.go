// Package idset is a set of user ids made once and then asked about by
// many goroutines: the opted-out users of a match, or a consent snapshot's.
//
// It holds millions of ids (a platform's opt-outs) in a few flat arrays
// and no pointers: the ids' bytes one after another, an open-addressing
// table of offsets into them, and a filter in front. A Go map of strings
// held the same set in twice the memory; reading 5M opt-outs into it took
// 3.8 s, before a 100M-user match could start, and left the garbage
// collector five million strings to scan on every cycle of the match.
package idset

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"sync/atomic"

	"github.com/audiencematch/audiencematch/internal/hugemem"
)

// Builder gathers the ids of a Set. The zero Builder is ready to use.
type Builder struct {
	data []byte // each id added: its length (uvarint), then its bytes
	n    int    // ids added, repeats included
}

// Add adds id to the set being built. The Builder copies it.
func (b *Builder) Add(id string) { add(b, id) }

// AddBytes adds id to the set being built. The Builder copies it.
func (b *Builder) AddBytes(id []byte) { add(b, id) }

func add[T string | []byte](b *Builder, id T) {
	if cap(b.data)-len(b.data) < binary.MaxVarintLen64+len(id) {
		// Grown in huge pages: 5M ids are 50 MB and more.
		d := hugemem.Make[byte](max(2*cap(b.data), 64<<10, 2*(binary.MaxVarintLen64+len(id))))
		b.data = append(d, b.data...)
	}
	b.data = binary.AppendUvarint(b.data, uint64(len(id)))
	b.data = append(b.data, id...)
	b.n++
}

// Set is an immutable set of strings, safe for concurrent use. The zero
// Set and the nil *Set are empty.
type Set struct {
	seed maphash.Seed
	data []byte // the Builder's
	n    int    // distinct ids

	// slots is a table of linear probing: a slot is 0 (empty) or an id's
	// offset in data, plus one, in its low offsetBits bits and 24 bits of
	// the id's hash, its tag, above them, so that a probe compares bytes
	// only for an id that is very likely the one looked for.
	slots []uint64
	shift uint // 64 - log2(len(slots)): see start

	// filter is a blocked bloom filter in front of the table, 16 bits an
	// id, four of them in one word an id: most ids asked about are not in
	// the set, and the filter's words stay in the cache where the table's
	// slots are a miss each.
	filter []uint64
}

const (
	offsetBits = 40 // data up to 1 TiB
	offsetMask = 1<<offsetBits - 1
	mix        = 0x9e3779b97f4a7c15 // 2^64 / the golden ratio: spreads h's bits to the top
)

// Set returns the set of the ids added, each once. The Builder is empty
// afterwards.
func (b *Builder) Set() *Set {
	s, added := &Set{seed: maphash.MakeSeed(), data: b.data}, b.n
	*b = Builder{}
	if len(s.data) > offsetMask {
		panic("idset: more than 1 TiB of ids")
	}
	words := 1
	for words*4 < added {
		words <<= 1
	}
	s.filter = hugemem.Make[uint64](words)[:words]
	// At most 5 slots in 8 taken: a probe for an id not in the set reads
	// about 3 slots on average, most in one cache line.
	logSlots := 3
	for 1<<logSlots*5 < added*8 {
		logSlots++
	}
	s.slots = hugemem.Make[uint64](1 << logSlots)[:1<<logSlots]
	s.shift = uint(64 - logSlots)
	for off := 0; off < len(s.data); {
		n, k := binary.Uvarint(s.data[off:])
		id := s.data[off+k : off+k+int(n)]
		h := maphash.Bytes(s.seed, id)
		if i, found := s.find(h, string(id)); !found {
			s.slots[i] = tag(h)<<offsetBits | uint64(off+1)
			w, fb := s.bits(h)
			s.filter[w] |= fb
			s.n++
		}
		off += k + int(n)
	}
	return s
}

// tag returns the 24 bits of h a slot keeps: an id that is not the slot's
// has its tag by chance once in 16M comparisons.
func tag(h uint64) uint64 { return h >> 8 & (1<<24 - 1) }

// bits returns the filter's word for hash h and the four bits of it that
// h sets.
func (s *Set) bits(h uint64) (word int, bits uint64) {
	bits = 1<<(h>>40&63) | 1<<(h>>46&63) | 1<<(h>>52&63) | 1<<(h>>58)
	return int(h & uint64(len(s.filter)-1)), bits
}

// find returns the slot of id, whose hash is h, and true; or the empty
// slot where it would go, and false.
func (s *Set) find(h uint64, id string) (int, bool) {
	mask := len(s.slots) - 1
	t := tag(h)
	for i := s.start(h); ; i = (i + 1) & mask {
		v := s.slots[i]
		if v == 0 {
			return i, false
		}
		if v>>offsetBits == t && string(s.at(v)) == id {
			return i, true
		}
	}
}

// start returns the first slot a probe for hash h reads: the top bits of
// a product of all of h's bits (the filter takes the low and the top bits
// of h itself).
func (s *Set) start(h uint64) int { return int(bits.RotateLeft64(h, 32) * mix >> s.shift) }

// at returns the bytes of the id of a slot's value.
func (s *Set) at(v uint64) []byte {
	off := int(v&offsetMask) - 1
	n, k := binary.Uvarint(s.data[off:])
	return s.data[off+k : off+k+int(n)]
}

// Has reports whether id is in the set.
func (s *Set) Has(id string) bool {
	if s == nil || len(s.filter) == 0 || s.n == 0 {
		return false
	}
	h := maphash.String(s.seed, id)
	if w, fb := s.bits(h); s.filter[w]&fb != fb {
		return false
	}
	_, found := s.find(h, id)
	return found
}

// HasEach sets has[i] to whether id(i) is in the set, for i from 0 to
// len(has)-1, as Has would, but faster for many ids: it reads the filter
// words of a group of ids, then the first slots of those the filter lets
// through, before it compares any, so that the group's cache misses
// overlap instead of waiting one after another.
func (s *Set) HasEach(has []bool, id func(i int) string) {
	if s == nil || len(s.filter) == 0 || s.n == 0 {
		clear(has)
		return
	}
	if len(s.filter) <= smallFilter {
		// The filter stays in the cache: the passes would cost more than
		// they save (100k ids: 39 ns an id one at a time, 55 in passes).
		for i := range has {
			has[i] = s.Has(id(i))
		}
		return
	}
	const group = 64
	var hs [group]uint64
	var touched uint64
	for g := 0; g < len(has); g += group {
		n := min(group, len(has)-g)
		for i := range n {
			hs[i] = maphash.String(s.seed, id(g+i))
		}
		// A loop of loads and little else, so that the processor has many
		// of them in flight at once.
		for i := range n {
			w, _ := s.bits(hs[i])
			touched += s.filter[w]
		}
		for i := range n {
			w, fb := s.bits(hs[i])
			has[g+i] = s.filter[w]&fb == fb
			if has[g+i] {
				touched += s.slots[s.start(hs[i])]
			}
		}
		for i := range n {
			if has[g+i] {
				_, has[g+i] = s.find(hs[i], id(g+i))
			}
		}
	}
	sink.Add(touched)
}

// smallFilter is the most words of a filter HasEach reads one id at a
// time: 256 KiB, about the per-core cache of the machines measured.
const smallFilter = 1 << 15

// sink keeps HasEach's first reads from being optimized away.
var sink atomic.Uint64

// Len returns the number of distinct ids in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}
