package privacy

import (
	"container/heap"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"
)

// SketchSize is k of the bottom-k sketches: an audience of up to k users is
// kept whole (as hashes), so differences among small audiences, where
// differencing attacks work, are exact; above k, the difference is
// estimated from the k smallest hashes of the union (error below).
const SketchSize = 4096

// Sketch is a bottom-k sketch of a set of user ids: the SketchSize smallest
// of their salted 64-bit hashes. The zero Sketch is not usable; make one
// with History.NewSketch. A Sketch is not safe for concurrent use.
type Sketch struct {
	salt [32]byte
	h    maxHeap // while adding: the k smallest so far, largest on top
	n    int64   // ids added
	fp   [4]uint64
	buf  []byte

	// For a ListSketch: the values in h, so that a repeated item is
	// kept once, and the number of distinct items while h is not full.
	in map[uint64]struct{}
}

// Add adds a user id. The ids of one Sketch are distinct (an audience's
// users).
func (s *Sketch) Add(id string) {
	s.n++
	s.buf = append(append(s.buf[:0], s.salt[:]...), id...)
	s.add(sha256.Sum256(s.buf))
}

// add adds the salted hash of one item: to the bottom-k values, and to the
// fingerprint, the sum of the items' hashes in four 64-bit lanes, which
// depends on the multiset of items and not on their order.
func (s *Sketch) add(sum [32]byte) {
	for i := range s.fp {
		s.fp[i] += binary.LittleEndian.Uint64(sum[8*i:])
	}
	v := binary.LittleEndian.Uint64(sum[:8])
	if s.in != nil {
		if _, dup := s.in[v]; dup {
			return
		}
	}
	switch {
	case len(s.h) < SketchSize:
		heap.Push(&s.h, v)
	case v < s.h[0]:
		if s.in != nil {
			delete(s.in, s.h[0])
		}
		s.h[0] = v
		heap.Fix(&s.h, 0)
	default:
		return
	}
	if s.in != nil {
		s.in[v] = struct{}{}
	}
}

// Len returns the number of ids added.
func (s *Sketch) Len() int64 { return s.n }

// Fingerprint returns a digest of the multiset of items added, whatever
// their order: the same items give the same fingerprint, and without the
// salt no one can make two multisets that share one.
func (s *Sketch) Fingerprint() [32]byte {
	var b [40]byte
	for i, x := range s.fp {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
	binary.LittleEndian.PutUint64(b[32:], uint64(s.n))
	return sha256.Sum256(b[:])
}

// ListSketch is the Sketch of a contact list: of the digests of its
// accepted rows, a row repeated counted once in Distinct. Make one with
// History.NewListSketch. It is not safe for concurrent use.
type ListSketch struct{ s Sketch }

// Add adds the digest of an accepted list row.
func (l *ListSketch) Add(d *[32]byte) {
	l.s.n++
	l.s.buf = append(append(l.s.buf[:0], l.s.salt[:]...), d[:]...)
	l.s.add(sha256.Sum256(l.s.buf))
}

// Distinct returns the number of distinct digests added: exact up to
// SketchSize, estimated above it from the k-th smallest hash, (k-1)/v_k,
// with a relative error of about 1/sqrt(k-2), 1.6%.
func (l *ListSketch) Distinct() int64 {
	if len(l.s.h) < SketchSize {
		return int64(len(l.s.h))
	}
	kth := float64(l.s.h[0]) / math.Exp2(64)
	return int64(float64(SketchSize-1)/kth + 0.5)
}

// values returns the sketch's hashes, sorted.
func (s *Sketch) values() []uint64 {
	v := slices.Clone([]uint64(s.h))
	slices.Sort(v)
	return slices.Compact(v)
}

type maxHeap []uint64

func (h maxHeap) Len() int           { return len(h) }
func (h maxHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h maxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxHeap) Push(x any)        { *h = append(*h, x.(uint64)) }
func (h *maxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// difference estimates how many users are in one of two audiences and not
// the other, from their sorted sketch values and exact sizes. Both whole
// (sizes up to SketchSize): exact. Otherwise, with U the k smallest values
// of the union, J the share of U in both, it is (nA+nB)(1-J)/(1+J); J's
// standard error is about sqrt(J(1-J)/k). The result is never less than
// the difference of the sizes, which is exact.
func difference(a []uint64, nA int64, b []uint64, nB int64) int64 {
	sizeGap := nA - nB
	if sizeGap < 0 {
		sizeGap = -sizeGap
	}
	if nA <= SketchSize && nB <= SketchSize {
		var d int64
		i, j := 0, 0
		for i < len(a) || j < len(b) {
			switch {
			case j == len(b) || (i < len(a) && a[i] < b[j]):
				d, i = d+1, i+1
			case i == len(a) || b[j] < a[i]:
				d, j = d+1, j+1
			default:
				i, j = i+1, j+1
			}
		}
		return max(d, sizeGap)
	}
	var both, union int
	i, j := 0, 0
	for union < SketchSize && (i < len(a) || j < len(b)) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			i++
		case i == len(a) || b[j] < a[i]:
			j++
		default:
			both, i, j = both+1, i+1, j+1
		}
		union++
	}
	if union == 0 {
		return sizeGap
	}
	jac := float64(both) / float64(union)
	est := int64(float64(nA+nB)*(1-jac)/(1+jac) + 0.5)
	return max(est, sizeGap)
}
