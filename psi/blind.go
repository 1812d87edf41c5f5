package psi

import (
	"context"
	"fmt"
	"iter"

	"github.com/cloudflare/circl/group"

	"github.com/audiencematch/audiencematch/internal/parallel"
)

// Element is a group element in its canonical 32-byte encoding (RFC 9496,
// section 4.3.2): what the files hold and what parties compare.
type Element = [32]byte

// Identifier is one identifier to hash to the group: its family and the
// bytes hashed, the SHA-256 digest of its normal form in that family
// (matcher.Digester gives it).
type Identifier struct {
	Family Family
	Digest [32]byte
}

// item is one element in flight: its input (an identifier, or an element),
// and the element it becomes.
type item struct {
	id  Identifier // the identifier, for HashBlind
	p   Element    // the input element (Blind), then the result
	bad bool       // p did not decode (Blind), or id's family is unknown (HashBlind)
}

// HashBlind hashes each identifier of ids to the group under its family's
// tag and raises it to k: H_f(id)^k. It calls sink with the results, in
// the order of ids, a batch at a time; the slice is valid for the call
// only. The work runs on workers goroutines (0: GOMAXPROCS), through the
// ordered pipeline of internal/parallel; every goroutine has finished
// when HashBlind returns. It returns the first error of sink or ctx; an
// identifier of a family that is none of the constants fails the call
// with an error wrapping ErrVersion that gives its position.
func HashBlind(ctx context.Context, k *Key, ids iter.Seq[Identifier], workers int, sink func([]Element) error) error {
	dsts := map[Family][]byte{}
	for _, f := range []Family{PhoneE164, Email, EmailUID2} {
		dsts[f] = f.DST()
	}
	src := func(yield func(item) bool) {
		for id := range ids {
			if !yield(item{id: id}) {
				return
			}
		}
	}
	g := group.Ristretto255
	work := func(items []item) {
		for i := range items {
			dst, ok := dsts[items[i].id.Family]
			if !ok {
				items[i].bad = true
				continue
			}
			e := g.HashToElement(items[i].id.Digest[:], dst)
			e.Mul(e, k.s)
			encode(&items[i].p, e)
		}
	}
	return run(ctx, workers, src, work, 0, sink, ErrVersion)
}

// Blind raises each element of points to k, in order, as HashBlind does
// for identifiers. An element that is not the canonical encoding of a
// ristretto255 element, or is the identity, fails the call with an error
// wrapping ErrPoint that gives its position among points (counting from
// 0); the results before it have been passed to sink.
func Blind(ctx context.Context, k *Key, points iter.Seq[Element], workers int, sink func([]Element) error) error {
	src := func(yield func(item) bool) {
		for p := range points {
			if !yield(item{p: p}) {
				return
			}
		}
	}
	g := group.Ristretto255
	work := func(items []item) {
		e := g.NewElement()
		for i := range items {
			if e.UnmarshalBinary(items[i].p[:]) != nil || e.IsIdentity() {
				items[i].bad = true
				continue
			}
			e.Mul(e, k.s)
			encode(&items[i].p, e)
		}
	}
	return run(ctx, workers, src, work, 0, sink, ErrPoint)
}

// run runs work over src on the ordered pipeline and hands sink the
// results; first is the position of src's first item, and bad the error
// of an item work marks bad, for errors.
func run(ctx context.Context, workers int, src iter.Seq[item], work func([]item), first int64, sink func([]Element) error, bad error) error {
	var out []Element
	n := first
	return parallel.Ordered(ctx, workers, src, work, func(items []item) error {
		out = out[:0]
		for i := range items {
			if items[i].bad {
				if err := sink(out); err != nil {
					return err
				}
				return fmt.Errorf("element %d: %w", n+int64(i), bad)
			}
			out = append(out, items[i].p)
		}
		n += int64(len(items))
		return sink(out)
	})
}

// encode writes e's canonical encoding to p.
func encode(p *Element, e group.Element) {
	b, err := e.MarshalBinaryCompress()
	if err != nil || len(b) != len(p) {
		panic("psi: ristretto255 encoding failed") // cannot happen: every element encodes to 32 bytes
	}
	copy(p[:], b)
}
