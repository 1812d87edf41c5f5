package matcher

import (
	"encoding/binary"

	"github.com/bits-and-blooms/bloom/v3"
)

// Prefilter chooses what is asked before the hash table.
type Prefilter uint8

const (
	// PrefilterAuto is the zero value: the default chosen by the paired
	// benchmark BenchmarkProbe (see bench/RESULTS.md), currently defaultPrefilter.
	PrefilterAuto Prefilter = iota
	// PrefilterBloom asks a bloom filter first: a "no" from it is certain and
	// skips the table.
	PrefilterBloom
	// PrefilterNone goes straight to the hash table.
	PrefilterNone
)

// defaultPrefilter is what PrefilterAuto means. The table keeps a 32-bit tag
// in each slot, so a miss usually costs one cache line there, the same as a
// bloom probe; measured in bench/RESULTS.md.
const defaultPrefilter = PrefilterNone

// bloomFPR is the bloom filter's target false-positive rate.
const bloomFPR = 0.01

// digestBloom is a bloom/v3 filter whose bit locations come from the
// SHA-256 digest itself (double hashing on bytes 0..16) instead of hashing
// the digest again with murmur: the digest is already uniform, and this
// saves most of the cost of a test.
type digestBloom struct {
	f *bloom.BloomFilter
	m uint64
	k uint
}

func newDigestBloom(n int) *digestBloom {
	m, k := bloom.EstimateParameters(uint(max(n, 1)), bloomFPR)
	f := bloom.New(m, k)
	return &digestBloom{f: f, m: uint64(f.Cap()), k: f.K()}
}

func (b *digestBloom) locations(d *[32]byte, locs *[16]uint64) []uint64 {
	h1 := binary.LittleEndian.Uint64(d[0:8])
	h2 := binary.LittleEndian.Uint64(d[8:16]) | 1
	k := min(b.k, uint(len(locs)))
	for i := range k {
		locs[i] = h1 + uint64(i)*h2
	}
	return locs[:k]
}

func (b *digestBloom) add(d *[32]byte) {
	var buf [16]uint64
	bits := b.f.BitSet()
	for _, l := range b.locations(d, &buf) {
		bits.Set(uint(l % b.m))
	}
}

// test reports whether d may be in the set. If false, it is certainly not.
func (b *digestBloom) test(d *[32]byte) bool {
	var buf [16]uint64
	return b.f.TestLocations(b.locations(d, &buf))
}
