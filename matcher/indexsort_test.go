package matcher

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// serialOrder is a table's order as the format defines it, by a plain
// stable sort: the included items by bucket, then stored bytes, then
// input order.
func serialOrder(in *tableInput, b int) []uint32 {
	var items []uint32
	for i := range in.n {
		if in.include == nil || in.include[i] {
			items = append(items, uint32(i))
		}
	}
	slices.SortStableFunc(items, func(x, y uint32) int {
		dx, dy := in.digest(int(x)), in.digest(int(y))
		if c := cmp.Compare(bucketOf(dx, b), bucketOf(dy, b)); c != 0 {
			return c
		}
		return bytes.Compare(dx[4:digestPrefix], dy[4:digestPrefix])
	})
	return items
}

// testDigests returns a tableInput of n digests for b bucket bits, drawn
// as kind says, with every third item left out if sparse.
func testDigests(rng *rand.Rand, n, b int, kind string, sparse bool) *tableInput {
	in := &tableInput{n: n}
	pool := make([][digestPrefix]byte, max(1, n/4))
	for i := range pool {
		for j := range pool[i] {
			pool[i][j] = byte(rng.Uint32())
		}
	}
	for i := range n {
		if i%blockRows == 0 {
			in.digests = append(in.digests, make([]byte, 0, blockRows*digestPrefix))
		}
		var d [digestPrefix]byte
		for j := range d {
			d[j] = byte(rng.Uint32())
		}
		switch kind {
		case "repeats": // a quarter as many digests as items
			d = pool[rng.IntN(len(pool))]
		case "crowded": // a few buckets, some holding one digest many times
			p := pool[rng.IntN(min(len(pool), 3))]
			copy(d[:4], p[:4])
			if rng.IntN(2) == 0 {
				d = p
			}
		case "near": // the same stored bytes but for byte 12, or but for
			// the digest's bits below the bucket's (which do not count)
			p := pool[rng.IntN(min(len(pool), 5))]
			switch rng.IntN(3) {
			case 0:
				d = p
				d[12] = byte(rng.IntN(4))
			case 1:
				d = p
				mask := byte(0xff)
				if b > 24 {
					mask = byte(1<<(32-b) - 1)
				}
				d[3] ^= byte(rng.IntN(256)) & mask
			}
		}
		k := len(in.digests) - 1
		in.digests[k] = append(in.digests[k], d[:]...)
	}
	if sparse {
		in.include = make([]bool, n)
		for i := range n {
			in.include[i] = i%3 != 1
		}
	}
	return in
}

// TestSortTable_SerialOrder: the parallel radix sort gives the serial
// sort's order, directory and key count, with repeated digests, crowded
// buckets, ties on the stored bytes, items left out, tiny and empty
// inputs, inputs of several blocks, and any number of workers.
func TestSortTable_SerialOrder(t *testing.T) {
	cases := []struct {
		name    string
		n, b    int
		kind    string
		sparse  bool
		workers []int
	}{
		{"empty", 0, 0, "random", false, []int{1, 2}},
		{"one", 1, 0, "random", false, []int{1, 2}},
		{"tiny", 3, 1, "repeats", false, []int{1, 2, 8}},
		{"small random", 1000, bucketBitsFor(1000), "random", false, []int{1, 2}},
		{"small, more buckets", 1000, 12, "random", true, []int{2}},
		{"repeats", 5000, bucketBitsFor(5000), "repeats", false, []int{1, 2, 3}},
		{"crowded", 5000, bucketBitsFor(5000), "crowded", false, []int{1, 2}},
		{"near ties", 5000, bucketBitsFor(5000), "near", false, []int{1, 2}},
		{"near ties, no bucket bits", 500, 0, "near", false, []int{2}},
		{"blocks", 3*blockRows + 17, bucketBitsFor(3*blockRows + 17), "random", true, []int{1, 2, 3, 4}},
		{"blocks, repeats", 2*blockRows + 1, bucketBitsFor(2*blockRows + 1), "repeats", false, []int{2, 5}},
		{"partitions", 600_000, bucketBitsFor(600_000), "repeats", false, []int{2}},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range cases {
		in := testDigests(rng, tc.n, tc.b, tc.kind, tc.sparse)
		want := serialOrder(in, tc.b)
		wantDir := make([]uint32, 1<<tc.b+1)
		var wantKeys int64
		for i, x := range want {
			wantDir[bucketOf(in.digest(int(x)), tc.b)+1]++
			if i == 0 || bucketOf(in.digest(int(want[i-1])), tc.b) != bucketOf(in.digest(int(x)), tc.b) ||
				!bytes.Equal(in.digest(int(want[i-1]))[4:], in.digest(int(x))[4:]) {
				wantKeys++
			}
		}
		for i := 1; i < len(wantDir); i++ {
			wantDir[i] += wantDir[i-1]
		}
		for _, workers := range tc.workers {
			t.Run(fmt.Sprintf("%s/workers=%d", tc.name, workers), func(t *testing.T) {
				recs, dir, keys, err := sortTable(context.Background(), in, tc.b, workers)
				if err != nil {
					t.Fatal(err)
				}
				got := make([]uint32, len(recs))
				for i := range recs {
					got[i] = recs[i].item
					if s := recs[i].stored(nil); !bytes.Equal(s, in.digest(int(recs[i].item))[4:]) {
						t.Fatalf("record %d: stored bytes %x, want %x", i, s, in.digest(int(recs[i].item))[4:])
					}
				}
				if i := firstDiff(got, want); i >= 0 {
					t.Fatalf("%d items; order differs from the serial sort's at %d (of %d): got %v, want %v",
						len(got), i, len(want), got[i:min(i+5, len(got))], want[i:min(i+5, len(want))])
				}
				if i := firstDiff(dir, wantDir); i >= 0 {
					t.Errorf("directory differs at bucket %d: got %d, want %d", i, dir[i], wantDir[i])
				}
				if keys != wantKeys {
					t.Errorf("keys %d, want %d", keys, wantKeys)
				}
			})
		}
	}
}

// firstDiff returns the first index where a and b differ, or -1.
func firstDiff(a, b []uint32) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestPartitionBits: a partition is a run of whole buckets, and a record
// has room for the bucket bits below the partition's, for every size up
// to the largest index.
func TestPartitionBits(t *testing.T) {
	for _, n := range []int{0, 1, 1000, 1 << 20, 100_000_000, maxIndexRows} {
		for b := range 33 {
			p := partitionBits(n, b)
			if p < 0 || p > b || b-p > maxSubBits {
				t.Errorf("partitionBits(%d, %d) = %d: want 0 ≤ P ≤ b and b−P ≤ %d", n, b, p, maxSubBits)
			}
		}
	}
}

// TestSortTable_Canceled: a canceled sort returns the context's error.
func TestSortTable_Canceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := testDigests(rand.New(rand.NewPCG(5, 6)), 10_000, bucketBitsFor(10_000), "random", false)
	if _, _, _, err := sortTable(ctx, in, bucketBitsFor(10_000), 2); err != context.Canceled {
		t.Errorf("err %v, want %v", err, context.Canceled)
	}
}
