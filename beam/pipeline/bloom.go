package pipeline

import (
	"context"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/bits-and-blooms/bloom/v3"
)

// The bloom filter is a semi-join reduction: a filter of the build side's
// digests goes to every worker as a side input, and a row of the other
// (probe) side whose digest the filter certainly lacks is dropped before
// the join's shuffle. The answer is the same with it or without it; only
// the rows shuffled change (counters CounterProbeIn, CounterProbePassed,
// CounterShuffled).
//
// The filter is built in bloomShards pieces, one per value of a digest's
// first byte: the build side's digests are grouped by that byte and each
// group makes one filter, sized from its own count for bloomFPR. So no
// count pass is needed, no worker holds more than its group's digests
// while building, and the pieces together are no larger than one filter
// of the whole side. (Merging per-bundle filters instead would make every
// bundle send a filter the size of the whole.) A probe row is tested
// against the piece of its first byte.

const (
	bloomShards = 256  // pieces of the filter: one per first byte of a digest
	bloomFPR    = 0.01 // target false-positive rate of each piece
)

// bloomShard is one piece of the filter: the bloom/v3 filter of the build
// side's digests whose first byte is Shard, in its MarshalBinary form.
type bloomShard struct {
	Shard  int
	Filter []byte
}

// bloomFilter returns the filter of build's digests (the keys of a
// PCollection<KV<[]byte, X>>), as a PCollection<bloomShard> to be read as a
// side input.
func bloomFilter(s beam.Scope, build beam.PCollection) beam.PCollection {
	s = s.Scope("BloomFilter")
	keyed := beam.ParDo(s, shardOf, build)
	return beam.ParDo(s, buildShard, beam.GroupByKey(s, keyed))
}

// shardOf keys a digest by the piece of the filter it goes into.
func shardOf(d []byte, _ beam.X) (int, []byte) { return int(d[0]), d }

// buildShard makes one piece of the filter from its digests.
func buildShard(shard int, digests func(*[]byte) bool) (bloomShard, error) {
	var all [][32]byte
	var d []byte
	for digests(&d) {
		if len(d) != 32 {
			return bloomShard{}, fmt.Errorf("bloom filter: a digest of %d bytes", len(d))
		}
		all = append(all, [32]byte(d))
	}
	f := bloom.NewWithEstimates(uint(max(len(all), 1)), bloomFPR)
	for i := range all {
		f.Add(all[i][:])
	}
	b, err := f.MarshalBinary()
	return bloomShard{Shard: shard, Filter: b}, err
}

// filterFn passes on the rows of the probe side whose digest may be on the
// build side. If the filter says no, the digest is certainly not there.
type filterFn struct {
	pieces []*bloom.BloomFilter // by first byte; nil: no build digest starts with it
}

func (fn *filterFn) ProcessElement(ctx context.Context, d []byte, v beam.Y, shards func(*bloomShard) bool, emit func([]byte, beam.Y)) error {
	if fn.pieces == nil {
		if err := fn.load(shards); err != nil {
			return err
		}
	}
	probeIn.Inc(ctx, 1)
	if f := fn.pieces[d[0]]; f == nil || !f.Test(d) {
		return nil
	}
	probePassed.Inc(ctx, 1)
	emit(d, v)
	return nil
}

// load reads the pieces of the filter from the side input, once per DoFn
// instance: the pipeline has one global window, so the side input is the
// same for every element.
func (fn *filterFn) load(shards func(*bloomShard) bool) error {
	pieces := make([]*bloom.BloomFilter, bloomShards)
	var sh bloomShard
	for shards(&sh) {
		if sh.Shard < 0 || sh.Shard >= bloomShards {
			return fmt.Errorf("bloom filter: piece %d out of range", sh.Shard)
		}
		f := new(bloom.BloomFilter)
		if err := f.UnmarshalBinary(sh.Filter); err != nil {
			return fmt.Errorf("bloom filter: piece %d: %w", sh.Shard, err)
		}
		pieces[sh.Shard] = f
	}
	fn.pieces = pieces
	return nil
}

// countShuffledFn passes its input on, counting the rows that enter the
// join's shuffle.
type countShuffledFn struct{}

func (countShuffledFn) ProcessElement(ctx context.Context, d []byte, v beam.Y, emit func([]byte, beam.Y)) {
	shuffled.Inc(ctx, 1)
	emit(d, v)
}
