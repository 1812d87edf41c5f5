package matcher

import "encoding/binary"

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
	return table{slots: make([]uint64, size), mask: uint64(size - 1)}
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
			if keys[idx] == *d {
				return idx
			}
		}
	}
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
