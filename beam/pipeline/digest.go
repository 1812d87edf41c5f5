package pipeline

import (
	"context"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

// The join key of both sides is the 32-byte SHA-256 digest of an
// identifier, as the matcher keys its tables and computes it
// (matcher.Digester): a phone's E.164 form in the Config's format family,
// an email address's canonical form in its email format's; a hash is
// decoded. A phone digest and an email digest never meet, so both kinds
// share the join.

// hit is a user row on the users side of the join.
type hit struct {
	ID   string
	Line int64 // the user row
}

// listKey is an identifier of a list row on the list's side of the join.
type listKey struct {
	Line int64 // the list row
	Pos  int   // the identifier's place in its row
	Kind uint8 // a normalize.Kind
}

// reject is a refused list row: Reason counts it in the report, Detail
// writes it in the rejects file (matcher.Reason and matcher.Detail).
type reject struct {
	Line   int64
	Reason string
	Detail string
}

// keyStat is an identifier of the list, counted by kind: accepted (Reason
// "") or refused with Reason.
type keyStat struct {
	Kind   uint8
	Reason string
}

// digester turns rows into digests as a match does. It is not safe for
// concurrent use: each DoFn instance has its own.
type digester struct {
	Region              string // of phones without a region
	Format, EmailFormat normalize.Format
	d                   *matcher.Digester // made on first use
	buf                 []matcher.KeyDigest
}

func (g *digester) get() (*matcher.Digester, error) {
	if g.d == nil {
		d, err := matcher.NewDigester(&matcher.Options{Region: g.Region, Format: g.Format, EmailFormat: g.EmailFormat})
		if err != nil {
			return nil, err
		}
		g.d = d
	}
	return g.d, nil
}

// digestUsersFn keys each user row by the digests of its phone and
// address. A row with neither valid is counted and dropped, as match run
// drops it.
type digestUsersFn struct {
	Digester digester
}

func (fn *digestUsersFn) ProcessElement(ctx context.Context, u userRow, emit func([]byte, hit)) error {
	d, err := fn.Digester.get()
	if err != nil {
		return err
	}
	mu := matcher.User{Line: u.Line, ID: u.ID, Phone: u.Phone, Email: u.Email, Region: u.Region}
	ds, err := d.User(&mu, fn.Digester.buf[:0])
	fn.Digester.buf = ds[:0]
	if err != nil {
		usersRejected.Inc(ctx, 1)
		return nil
	}
	usersIn.Inc(ctx, 1)
	for _, k := range ds {
		emit(k.Digest[:], hit{ID: u.ID, Line: u.Line})
	}
	return nil
}

// digestListFn keys each valid identifier of a list row by its digest,
// sends each refused row, with its reason, to the second output, counts
// every identifier by kind in the third, and gives the line of every
// accepted row to the fourth.
type digestListFn struct {
	Digester digester
}

func (fn *digestListFn) ProcessElement(ctx context.Context, r listRow, emit func([]byte, listKey), refused func(reject), counted func(keyStat), accepted func(int64)) error {
	if r.Reason != "" {
		refused(reject{Line: r.Line, Reason: r.Reason, Detail: r.Reason})
		return nil
	}
	d, err := fn.Digester.get()
	if err != nil {
		return err
	}
	e := r.entry()
	ks, rowErr := d.Entry(&e, fn.Digester.buf[:0])
	fn.Digester.buf = ks[:0]
	for _, k := range ks {
		counted(keyStat{Kind: uint8(k.Kind), Reason: matcher.Reason(k.Err)})
	}
	if rowErr != nil {
		refused(reject{Line: r.Line, Reason: matcher.Reason(rowErr), Detail: matcher.Detail(rowErr)})
		return nil
	}
	listIn.Inc(ctx, 1)
	accepted(r.Line)
	for i, k := range ks {
		if k.Err == nil {
			emit(k.Digest[:], listKey{Line: r.Line, Pos: i, Kind: uint8(k.Kind)})
		}
	}
	return nil
}
