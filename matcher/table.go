package matcher

import (
	"encoding/binary"
	"slices"
	"sync"

	"github.com/audiencematch/audiencematch/internal/hugemem"
)

// table is an open-addressing hash set of SHA-256 digests. The digests are
// uniformly distributed already, so their bytes are used as the hash: bytes
// 16..24 pick the slot, bytes 24..28 are a tag kept in the slot so that most
// probes that miss are settled without touching the key array. (Bytes 0..16
// feed the bloom filter, so the two are independent.)
//
// A slot holds tag<<32 | (index+1); zero is an empty slot. The table is at
// most half full, so a probe inspects about 1.5 slots on a hit and 2.5 on a
// miss, in adjacent memory.
type table struct {
	slots []uint64
	mask  uint64
}

func newTable(n int) table {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	slots := make([]uint64, size)
	hugemem.Advise(slots)
	return table{slots: slots, mask: uint64(size - 1)}
}

func slotOf(d *[32]byte) (pos uint64, tag uint64) {
	return binary.LittleEndian.Uint64(d[16:24]), uint64(binary.LittleEndian.Uint32(d[24:28]))
}

// find returns the index in keys of the digest d, or -1.
func (t *table) find(d *[32]byte, keys [][32]byte) int32 {
	pos, tag := slotOf(d)
	for i := pos & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			return -1
		}
		if s>>32 == tag {
			idx := int32(s&0xffffffff) - 1
			if sameDigest(&keys[idx], d) {
				return idx
			}
		}
	}
}

// slot returns the first slot a probe of d reads: a load to bring it
// into cache ahead of an add.
func (t *table) slot(d *[32]byte) uint64 {
	pos, _ := slotOf(d)
	return t.slots[pos&t.mask]
}

// insert adds index idx of keys, whose digest d is not yet in the table.
func (t *table) insert(d *[32]byte, idx int32) {
	pos, tag := slotOf(d)
	for i := pos & t.mask; ; i = (i + 1) & t.mask {
		if t.slots[i] == 0 {
			t.slots[i] = tag<<32 | uint64(idx+1)
			return
		}
	}
}

// reserve makes room for n keys, rehashing keys into a larger table when n
// would fill the table more than half.
func (t *table) reserve(n int, keys [][32]byte) {
	if 2*n <= len(t.slots) {
		return
	}
	nt := newTable(2 * n)
	for i := range keys {
		nt.insert(&keys[i], int32(i))
	}
	*t = nt
}

// add returns the index in *keys of the digest d, appending it to *keys and
// the table if it is new.
func (t *table) add(d *[32]byte, keys *[][32]byte) (idx int32, added bool) {
	if k := t.find(d, *keys); k >= 0 {
		return k, false
	}
	idx = int32(len(*keys))
	t.reserve(len(*keys)+1, *keys)
	*keys = append(*keys, *d)
	t.insert(d, idx)
	return idx, true
}

// sameDigest reports whether a and b are the same digest, comparing words:
// == on two [32]byte is a call to runtime.memequal, which cost the table
// a third of a probe that hits.
func sameDigest(a, b *[32]byte) bool {
	le := binary.LittleEndian
	return le.Uint64(a[0:])^le.Uint64(b[0:])|le.Uint64(a[8:])^le.Uint64(b[8:])|
		le.Uint64(a[16:])^le.Uint64(b[16:])|le.Uint64(a[24:])^le.Uint64(b[24:]) == 0
}

// probeGroup is how many probes findEach has in flight: enough misses at
// once to overlap their memory latencies, few enough for its arrays to
// stay in registers and L1.
const probeGroup = 16

// findEach sets out[i] to the index in keys of ds[i], or -1, as find does
// one at a time. A probe of a large table is two cache misses in a row,
// its slot and then its key; findEach reads the slots of a group of
// probes first and then their keys, loads that do not wait for each
// other, so that their misses overlap instead of adding up.
func (t *table) findEach(ds [][32]byte, keys [][32]byte, out []int32) {
	out = out[:len(ds)]
	for g := 0; g < len(ds); g += probeGroup {
		n := min(probeGroup, len(ds)-g)
		var first [probeGroup]uint64 // each probe's first slot
		for i := range n {
			pos, _ := slotOf(&ds[g+i])
			first[i] = t.slots[pos&t.mask]
		}
		for i := range n {
			d := &ds[g+i]
			pos, tag := slotOf(d)
			i0 := pos & t.mask
			s := first[i]
			out[g+i] = -1
			for s != 0 { // the slots after the first are mostly in its cache line
				if s>>32 == tag {
					out[g+i] = int32(s&0xffffffff) - 1 // a candidate: its key is read below
					break
				}
				i0 = (i0 + 1) & t.mask
				s = t.slots[i0]
			}
		}
		for i := range n {
			if k := out[g+i]; k >= 0 && !sameDigest(&keys[k], &ds[g+i]) {
				out[g+i] = t.find(&ds[g+i], keys) // a tag shared by another key: 1 in 2^32
			}
		}
	}
}

// probeBuf is the scratch of a batch of findEach probes: the digests and
// what was found of them, kept from batch to batch in probes.
type probeBuf struct {
	ds       [][32]byte
	found    []int32
	ids      []string // a batch's user ids, asked about consent together
	excluded []bool
}

var probes = sync.Pool{New: func() any { return new(probeBuf) }}

// find looks up p.ds in t (findEach) and returns their keys, valid until
// p is used again.
func (p *probeBuf) find(t *table, keys [][32]byte) []int32 {
	p.found = slices.Grow(p.found[:0], len(p.ds))[:len(p.ds)]
	t.findEach(p.ds, keys, p.found)
	return p.found
}
