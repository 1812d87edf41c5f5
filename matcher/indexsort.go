package matcher

import "github.com/audiencematch/audiencematch/internal/hugemem"

// The order of an index table, by a parallel radix sort.
//
// A table (E, D or M keys) is its items (phone rows or email entries)
// ordered by bucket (the top b bits of the digest's first four bytes),
// then by the 9 stored bytes (digest bytes 4 to 12), then by input order.
// The digests are SHA-256 bytes, uniform, so a most-significant-digit
// radix sort splits them evenly:
//
//  1. Each worker counts its share of the items (a contiguous range, in
//     input order) by partition, the top P bits of the bucket; prefix
//     sums give each worker, in each partition, a place after the
//     workers before it, so the partitions keep input order.
//  2. Each worker moves its items into their partitions as 16-byte
//     records: the stored bytes, the bucket's bits below the partition's,
//     and the item. The table is then read from the records alone, in
//     address order, never from the digests again.
//  3. The workers take partitions one at a time (a partition is about
//     16k items: it stays in the core's cache), sort each by its bucket
//     bits (a counting sort, stable, which also gives the directory),
//     then each bucket, 8 items on average, by stored bytes (an insertion
//     sort, stable).
//
// Memory: 16 bytes an item, plus a partition of scratch a worker.

import (
	"context"
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
)

// tableRec is an item of a table as the sort moves it.
type tableRec struct {
	key  uint64 // digest bytes 4 to 11, big-endian
	tail uint32 // the bucket's bits below the partition's, then digest byte 12
	item uint32 // the row or entry
}

// stored appends the record's 9 stored bytes (digest bytes 4 to 12) to dst.
func (r *tableRec) stored(dst []byte) []byte {
	return append(binary.BigEndian.AppendUint64(dst, r.key), byte(r.tail))
}

// sameStored reports whether two records of one bucket hold the same digest.
func sameStored(a, b *tableRec) bool { return a.key == b.key && byte(a.tail) == byte(b.tail) }

// lessStored reports whether a's stored bytes sort before b's, in one bucket.
func lessStored(a, b *tableRec) bool {
	return a.key < b.key || a.key == b.key && byte(a.tail) < byte(b.tail)
}

// partitionItems is about the number of items of a partition: 16 bytes
// each, 256 KiB, so that sorting one stays in a core's cache.
const partitionItems = 1 << 14

// maxSubBits is the most bucket bits a record holds below the
// partition's: 24, beside the stored byte in tail.
const maxSubBits = 24

// partitionBits returns P, the bucket bits that make a partition, for n
// items and b bucket bits: about n/partitionItems partitions, at most
// 2^12 (a worker writes to each at once while it moves items), never
// more than b, and at least b−maxSubBits.
func partitionBits(n, b int) int {
	p := min(bits.Len(uint(n/partitionItems)), 12, b)
	return max(p, b-maxSubBits)
}

// tableInput is the items of a table: n items (rows or entries), the
// digestPrefix first bytes of their digests in blocks of blockRows, and
// which of them the table holds (nil for all).
type tableInput struct {
	n       int
	digests [][]byte
	include []bool
}

func (in *tableInput) digest(i int) []byte {
	b, o := i/blockRows, i%blockRows*digestPrefix
	return in.digests[b][o : o+digestPrefix]
}

// sortTable returns the records of a table's items in the table's order,
// the table's directory (bucket i's records are recs[dir[i]:dir[i+1]])
// and its number of distinct keys, sorted on up to workers goroutines
// for b bucket bits. If ctx is done first, it returns ctx's error.
func sortTable(ctx context.Context, in *tableInput, b, workers int) (recs []tableRec, dir []uint32, keys int64, err error) {
	p := partitionBits(in.n, b)
	sub := b - p // bucket bits in a record
	parts := 1 << p
	workers = max(1, min(workers, in.n/blockRows+1))
	// Each worker's range of items, cut at block boundaries.
	per := (in.n/blockRows + workers) / workers * blockRows
	span := func(w int) (int, int) { return min(w*per, in.n), min((w+1)*per, in.n) }
	partOf := func(d []byte) int {
		if b == 0 {
			return 0
		}
		return int(binary.BigEndian.Uint32(d) >> (32 - b) >> sub)
	}

	// 1. Count by partition.
	counts := make([][]int, workers)
	run(workers, func(w int) {
		c := make([]int, parts)
		lo, hi := span(w)
		for i := lo; i < hi; i++ {
			if in.include == nil || in.include[i] {
				c[partOf(in.digest(i))]++
			}
		}
		counts[w] = c
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, err
	}
	start := make([]int, parts+1) // partition q is recs[start[q]:start[q+1]]
	for q := range parts {
		start[q+1] = start[q]
		for w := range workers {
			c := counts[w][q]
			counts[w][q] = start[q+1] // now the worker's next place in q
			start[q+1] += c
		}
	}
	total := start[parts]
	recs = make([]tableRec, total)
	hugemem.Advise(recs)

	// 2. Move each item into its partition.
	run(workers, func(w int) {
		next := counts[w]
		lo, hi := span(w)
		for i := lo; i < hi; i++ {
			if i%checkEvery == 0 && ctx.Err() != nil {
				return
			}
			if in.include != nil && !in.include[i] {
				continue
			}
			d := in.digest(i)
			var bucket uint32
			if b > 0 {
				bucket = binary.BigEndian.Uint32(d) >> (32 - b)
			}
			q := int(bucket >> sub)
			recs[next[q]] = tableRec{
				key:  binary.BigEndian.Uint64(d[4:12]),
				tail: (bucket&(1<<sub-1))<<8 | uint32(d[12]),
				item: uint32(i),
			}
			next[q]++
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, err
	}

	// 3. Sort each partition.
	dir = make([]uint32, 1<<b+1)
	dir[1<<b] = uint32(total)
	var nextPart atomic.Int64
	found := make([]int64, workers)
	run(workers, func(w int) {
		var scratch []tableRec
		count := make([]uint32, 1<<sub+1)
		for {
			q := int(nextPart.Add(1) - 1)
			if q >= parts || ctx.Err() != nil {
				return
			}
			part := recs[start[q]:start[q+1]]
			scratch = append(scratch[:0], part...)
			clear(count)
			for i := range scratch {
				count[scratch[i].tail>>8+1]++
			}
			for j := 1; j < len(count); j++ {
				count[j] += count[j-1]
			}
			base := q << sub
			for j := range 1 << sub {
				dir[base+j] = uint32(start[q]) + count[j]
			}
			for i := range scratch {
				r := &scratch[i]
				k := r.tail >> 8
				part[count[k]] = *r
				count[k]++
			}
			found[w] += sortBuckets(part, dir[base:base+1<<sub], uint32(start[q]), uint32(start[q+1]))
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, err
	}
	for _, k := range found {
		keys += k
	}
	return recs, dir, keys, nil
}

// sortBuckets sorts each bucket of part, whose buckets start at the
// records dir (offsets from part's first record, at, to end), by stored
// bytes, keeping the order of equal ones, and returns the number of
// distinct keys.
func sortBuckets(part []tableRec, dir []uint32, at, end uint32) (keys int64) {
	for j, lo := range dir {
		hi := end
		if j+1 < len(dir) {
			hi = dir[j+1]
		}
		g := part[lo-at : hi-at]
		if len(g) > 16 {
			// A crowded bucket (a phone of many users): a merge sort.
			slices.SortStableFunc(g, compareRecs)
		} else {
			// Insertion sort: stable, and quick on a bucket's few records.
			for i := 1; i < len(g); i++ {
				r := g[i]
				k := i
				for ; k > 0 && lessStored(&r, &g[k-1]); k-- {
					g[k] = g[k-1]
				}
				g[k] = r
			}
		}
		for i := range g {
			if i == 0 || !sameStored(&g[i-1], &g[i]) {
				keys++
			}
		}
	}
	return keys
}

// compareRecs compares two records of one bucket by stored bytes.
func compareRecs(a, b tableRec) int {
	switch {
	case lessStored(&a, &b):
		return -1
	case lessStored(&b, &a):
		return 1
	}
	return 0
}

// run calls fn(0) to fn(workers−1) on their own goroutines and waits for
// them.
func run(workers int, fn func(w int)) {
	if workers == 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { fn(w) })
	}
	wg.Wait()
}
