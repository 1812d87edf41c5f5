package matcher

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/audiencematch/audiencematch/normalize"
)

// Batched probing
//
// A lookup in the index is a chain of dependent reads: the bucket's
// directory entry, then its keys; a matched key's holders are its row's
// id index entry, then its id data. Each read is a cache miss on a file
// of gigabytes, and, on a file not in the page cache, a page fault that
// reads one page from the disk. One probe after another, the misses and
// the faults wait one at a time.
//
// So Index.Match looks up a batch of digests at once, in passes: a pass
// reads one step of every probe of the batch (every directory entry, then
// every bucket's keys, ...), so that the batch's cache misses are
// independent loads the processor overlaps. Before a pass touches its
// memory, it asks the kernel (madvise MADV_WILLNEED) for the chunks of
// the file it is about to read that this process has not read yet, all
// of them at once: the disk then reads them side by side, instead of one
// fault at a time. Then the lookups and the holders are resolved by the
// ordinary code, in row order, on memory that is now at hand; the passes
// only read, so they change no result.

// adviseChunk is the number of pages the kernel is asked for at once: a
// chunk of the file around a page a pass needs. (A variable for the
// benchmarks.)
var adviseChunk int64 = 16

// lookupGroup is the most probes a pass reads.
var lookupGroup = 1024

// touch turns the passes' reads off, for the benchmarks; willNeed they
// still ask.
var touch = true

// pending is the key of a probe that lookups has yet to look up.
const pending = -2

// touched keeps the bytes the passes read, so that the reads are not
// optimized away.
var touched atomic.Uint32

// pass is one pass of a batch over the index: the chunks of the file it
// is about to read that the kernel has not been asked for.
type pass struct {
	ix     *Index
	chunks []int64
}

// need notes that the pass will read n bytes at file offset off.
func (p *pass) need(off, n int64) {
	ix := p.ix
	if n <= 0 || off < pageSize || off+n > int64(len(ix.data)) {
		return
	}
	for pg := (off - pageSize) / pageSize; pg <= (off+n-1-pageSize)/pageSize; pg++ {
		if ix.verified[pg/64].Load()&(1<<(pg%64)) != 0 {
			continue // read and checked: in memory
		}
		c := pg / adviseChunk
		w, bit := &ix.requested[c/64], uint64(1)<<(c%64)
		if w.Load()&bit != 0 || w.Or(bit)&bit != 0 {
			continue // asked for already
		}
		p.chunks = append(p.chunks, c)
	}
}

// ask asks the kernel for the chunks noted, and forgets them.
func (p *pass) ask() {
	if len(p.chunks) == 0 {
		return
	}
	slices.Sort(p.chunks)
	ix := p.ix
	for i := 0; i < len(p.chunks); {
		j := i + 1
		for j < len(p.chunks) && p.chunks[j] == p.chunks[j-1]+1 {
			j++
		}
		start := pageSize + p.chunks[i]*adviseChunk*pageSize
		end := min(pageSize+(p.chunks[j-1]+1)*adviseChunk*pageSize, int64(len(ix.data)))
		ix.ahead(ix.data[start:end])
		i = j
	}
	p.chunks = p.chunks[:0]
}

// lookups looks up each probe as lookup does, in passes over the batch.
func (ks *indexKeyset) lookups(ps []probe, prefilter bool) {
	ix := ks.ix
	for i := range ps {
		p := &ps[i]
		p.key, p.err = -1, nil
		if p.f.Kind() == normalize.KindEmail && !ix.emails {
			p.err = fmt.Errorf("%s: %w", ix.path, ErrNoEmailKeys)
			continue
		}
		if ix.keys != nil {
			*p.d = keyedDigest(ix.keys.family(p.f), p.d)
		}
		if prefilter {
			f, err := ix.bloomFilter()
			if err != nil {
				p.err = err
				continue
			}
			var locs [16]uint64
			if !f.TestLocations(bloomLocations(p.d[:digestPrefix], uint(ix.info.BloomK), &locs)) {
				continue
			}
		}
		p.key = pending
	}
	for g := 0; g < len(ps); g += lookupGroup {
		ks.resolve(ps[g:min(g+lookupGroup, len(ps))])
	}
}

func (ks *indexKeyset) resolve(ps []probe) {
	if touch {
		ks.touchBuckets(ps)
	}
	for i := range ps {
		p := &ps[i]
		if p.key != pending {
			continue
		}
		v := ks.view(p.f)
		k, err := v.lookup(p.d)
		switch {
		case err != nil:
			p.key, p.err = -1, err
		case k < 0:
			p.key = -1
		default:
			p.key = v.first + k
		}
	}
}

// dirEntry returns the file offset of the directory entry of bucket b in
// view v, and the entry's bounds as the file has them, unchecked.
func (v *indexView) dirEntry(b uint32) (off int64, lo, hi int64, ok bool) {
	ix := v.ix
	s := ix.sec[v.dir]
	if int64(4*b)+8 > s.Length {
		return 0, 0, 0, false
	}
	off = s.Offset + 4*int64(b)
	lo = int64(binary.LittleEndian.Uint32(ix.data[off:]))
	hi = int64(binary.LittleEndian.Uint32(ix.data[off+4:]))
	return off, lo, hi, lo <= hi && hi <= int64(v.n)
}

// touchBuckets reads the directory entry of each pending probe, then its
// bucket's keys, a pass each.
func (ks *indexKeyset) touchBuckets(ps []probe) {
	ix := ks.ix
	p := pass{ix: ix}
	var t byte
	for i := range ps {
		if ps[i].key == pending {
			v := ks.view(ps[i].f)
			s := ix.sec[v.dir]
			p.need(s.Offset+4*int64(bucketOf(ps[i].d[:], ix.bits)), 8)
		}
	}
	p.ask()
	for i := range ps {
		if ps[i].key == pending {
			v := ks.view(ps[i].f)
			s := ix.sec[v.dir]
			if off := s.Offset + 4*int64(bucketOf(ps[i].d[:], ix.bits)); off+8 <= s.Offset+s.Length {
				t += ix.data[off] + ix.data[off+7]
			}
		}
	}
	for i := range ps {
		if ps[i].key == pending {
			v := ks.view(ps[i].f)
			if _, lo, hi, ok := v.dirEntry(bucketOf(ps[i].d[:], ix.bits)); ok && hi > lo && hi-lo <= lookupScan {
				p.need(ix.sec[v.keys].Offset+lo*keyBytes, (hi-lo)*keyBytes)
			}
		}
	}
	p.ask()
	for i := range ps {
		if ps[i].key == pending {
			v := ks.view(ps[i].f)
			if _, lo, hi, ok := v.dirEntry(bucketOf(ps[i].d[:], ix.bits)); ok && hi > lo && hi-lo <= lookupScan {
				s := ix.sec[v.keys]
				if hi*keyBytes <= s.Length {
					t += ix.data[s.Offset+lo*keyBytes] + ix.data[s.Offset+hi*keyBytes-1]
				}
			}
		}
	}
	touched.Add(uint32(t))
}

// readyHolders reads, for the key of each probe, the memory its first
// holder's row number and id lie in: a pass for the D and M rows, one for
// the id index, one for the id data.
func (ks *indexKeyset) readyHolders(ps []probe) {
	if !touch {
		return
	}
	ix := ks.ix
	p := pass{ix: ix}
	var t byte
	for round := range 2 {
		for i := range ps {
			v, k := ks.holderView(ps[i].key)
			if v == nil || v.rowsSec == 0 {
				continue
			}
			s := ix.sec[v.rowsSec]
			if round == 0 {
				p.need(s.Offset+4*k, 4)
				if v.email {
					p.need(ix.sec[secMFlags].Offset+k, 1)
				}
			} else if 4*k+4 <= s.Length {
				t += ix.data[s.Offset+4*k]
				if v.email && k < ix.sec[secMFlags].Length {
					t += ix.data[ix.sec[secMFlags].Offset+k]
				}
			}
		}
		p.ask()
	}
	idx := ix.sec[secIDIndex]
	for round := range 2 {
		for i := range ps {
			row := ks.firstRow(ps[i].key)
			if row < 0 || row/idStride*8+8 > idx.Length {
				continue
			}
			off := idx.Offset + row/idStride*8
			if round == 0 {
				p.need(off, 16)
			} else {
				t += ix.data[off]
			}
		}
		p.ask()
	}
	data := ix.sec[secIDData]
	for round := range 2 {
		for i := range ps {
			row := ks.firstRow(ps[i].key)
			if row < 0 || row/idStride*8+8 > idx.Length {
				continue
			}
			off := idx.Offset + row/idStride*8
			start, end := int64(binary.LittleEndian.Uint64(ix.data[off:])), data.Length
			if off+16 <= idx.Offset+idx.Length {
				end = int64(binary.LittleEndian.Uint64(ix.data[off+8:]))
			}
			if start < 0 || start >= end || end > data.Length {
				continue
			}
			if round == 0 {
				p.need(data.Offset+start, end-start)
				continue
			}
			// The row's id is somewhere in the stride: touch each line
			// of it, a few hundred bytes.
			for o := data.Offset + start; o < data.Offset+end; o += 64 {
				t += ix.data[o]
			}
		}
		p.ask()
	}
	touched.Add(uint32(t))
}

// holderView returns the view of key k and the key's position in it.
func (ks *indexKeyset) holderView(k int) (*indexView, int64) {
	if k < 0 {
		return nil, 0
	}
	for i := len(ks.views) - 1; i >= 0; i-- {
		if v := &ks.views[i]; k >= v.first {
			if k-v.first >= v.n {
				return nil, 0
			}
			return v, int64(k - v.first)
		}
	}
	return nil, 0
}

// firstRow returns the row of key k's first entry as the file has it,
// unchecked, or -1.
func (ks *indexKeyset) firstRow(k int) int64 {
	v, i := ks.holderView(k)
	if v == nil {
		return -1
	}
	if v.rowsSec == 0 {
		return i
	}
	s := ks.ix.sec[v.rowsSec]
	if 4*i+4 > s.Length {
		return -1
	}
	row := int64(binary.LittleEndian.Uint32(ks.ix.data[s.Offset+4*i:]))
	if row >= int64(ks.ix.rows) {
		return -1
	}
	return row
}
