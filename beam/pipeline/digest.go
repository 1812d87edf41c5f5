package pipeline

import (
	"context"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

// The join key of both sides is the 32-byte SHA-256 digest of a phone's
// E.164 form in the Config's format family (normalize.Format.Family), as
// the matcher keys its tables: a raw phone is normalized with
// normalize.AppendE164 and hashed with normalize.Sum (a normalize.Hasher), a hash is decoded
// with normalize.Decode.

// hit is a user row on the users side of the join.
type hit struct {
	ID   string
	Line int64 // the user row
}

// reject is a refused list row.
type reject struct {
	Line   int64
	Reason string
}

// hasher turns a raw phone into its digest. It is not safe for concurrent
// use: each DoFn instance has its own.
type hasher struct {
	Region string // of phones without a region
	Format normalize.Format
	buf    []byte
	sum    *normalize.Hasher // made on first use
}

func (h *hasher) digest(phone, region string) ([32]byte, error) {
	if region == "" {
		region = h.Region
	}
	var err error
	h.buf, err = normalize.AppendE164(h.buf[:0], phone, region)
	if err != nil {
		return [32]byte{}, err
	}
	if h.sum == nil {
		h.sum = normalize.NewHasher()
	}
	return h.sum.Sum(h.buf, h.Format.Family()), nil
}

// digestUsersFn keys each user row by its phone's digest. A row whose
// phone is refused is counted and dropped, as match run drops it.
type digestUsersFn struct {
	Hasher hasher
}

func (fn *digestUsersFn) ProcessElement(ctx context.Context, u userRow, emit func([]byte, hit)) {
	d, err := fn.Hasher.digest(u.Phone, u.Region)
	if err != nil {
		usersRejected.Inc(ctx, 1)
		return
	}
	usersIn.Inc(ctx, 1)
	emit(d[:], hit{ID: u.ID, Line: u.Line})
}

// digestListFn keys each accepted list row by its digest, and sends each
// refused row, with its reason, to the second output.
type digestListFn struct {
	Hasher hasher
}

func (fn *digestListFn) ProcessElement(ctx context.Context, r listRow, emit func([]byte, int64), refused func(reject)) {
	if r.Reason != "" {
		refused(reject{Line: r.Line, Reason: r.Reason})
		return
	}
	var d [32]byte
	var err error
	if r.Hash != "" {
		d, err = normalize.Decode(r.Hash, fn.Hasher.Format)
	} else {
		d, err = fn.Hasher.digest(r.Phone, r.Region)
	}
	if err != nil {
		refused(reject{Line: r.Line, Reason: matcher.Reason(err)})
		return
	}
	listIn.Inc(ctx, 1)
	emit(d[:], r.Line)
}
