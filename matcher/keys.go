package matcher

import (
	"errors"
	"strings"

	"github.com/audiencematch/audiencematch/normalize"
)

// Several identifiers a row
//
// A user row holds a phone, an email address or both (User.Phone,
// User.Email), and a user may have any number of rows. A list row holds
// its first phone in Entry.Phone or Entry.Hash, as ever, and any further
// identifiers, phones and emails, raw or hashed, in Entry.Keys.
//
// Every identifier is a key of its own: phones in the digest family of
// Options.Format, emails in that of Options.EmailFormat. The two kinds
// share one table (and, in an index, one section per family pair): a
// phone's digest and an email's are SHA-256 of strings without and with
// an "@", so they never meet (see normalize's email.go), and a lookup
// needs no mark of the kind.
//
// A list row matches every user any of its identifiers matches; a user is
// yielded once, at the first row that matches them, and a row counts once
// in Stats.Matched however many of its identifiers match. An identifier
// that is blank is absent. A row with no identifier present is refused as
// normalize.ErrEmpty; a row whose identifiers are all refused is refused
// with the reason of its one identifier, or, with several, a KeysError
// (Reason "no valid identifier") naming each column and its reason. An identifier refused beside a valid
// one leaves the row accepted; Stats.Phone and Stats.Email count it.
//
// A user row is read the same way: refused (and passed to onReject) only
// if neither its phone nor its address is valid; an invalid one beside a
// valid one is left out.

// Key is an identifier of a list row beyond its first phone (Entry.Phone
// or Entry.Hash).
type Key struct {
	Kind   normalize.Kind // normalize.KindPhone or normalize.KindEmail
	Value  string         // the raw phone or address, or, if Hashed, its digest encoded in the Options' format for Kind
	Hashed bool           // Value is a digest, not a raw identifier
	Column string         // the column Value came from, for reject reasons; "" means Kind's name
}

func (k *Key) column() string {
	if k.Column != "" {
		return k.Column
	}
	return k.Kind.String()
}

// KeyError is the reason one identifier of a row is refused.
type KeyError struct {
	Column string // the column, such as "phone2" or "email"
	Err    error  // a sentinel of package normalize
}

// KeysError is the reason a row with several identifiers, none of them
// valid, is refused: each identifier's column and reason, in row order.
// It wraps ErrNoValidKey, so the row's Reason, a key of
// Stats.RejectedBy, is "no valid identifier" whatever the identifiers;
// its message, which Detail gives for a rejects file, names each: "no
// valid identifier: phone: not a phone number; email: not an email".
type KeysError []KeyError

// ErrNoValidKey is the Reason of a row of several identifiers none of
// which is valid (see KeysError).
var ErrNoValidKey = errors.New("no valid identifier")

// Unwrap returns ErrNoValidKey.
func (e KeysError) Unwrap() error { return ErrNoValidKey }

func (e KeysError) Error() string {
	var b strings.Builder
	b.WriteString(ErrNoValidKey.Error())
	for i, k := range e {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(k.Column)
		b.WriteString(": ")
		b.WriteString(Reason(k.Err))
	}
	return b.String()
}

// Detail returns the reason of a refused row as a rejects file shows it:
// Reason(err), or, for a KeysError, its message, which names each
// identifier's column and reason.
func Detail(err error) string {
	if ke, ok := errors.AsType[KeysError](err); ok {
		return ke.Error()
	}
	return Reason(err)
}

// KindStats are the figures of one kind of identifier in a Match call,
// counted by identifier, not by row: a row of two phones counts twice.
type KindStats struct {
	Accepted   int64            `json:"accepted"`              // identifiers that gave a digest
	Rejected   int64            `json:"rejected"`              // identifiers present and refused, in accepted and refused rows
	RejectedBy map[string]int64 `json:"rejected_by,omitempty"` // Rejected by reason
	Matched    int64            `json:"matched"`               // accepted identifiers whose digest matched a user of the audience
}

func (k *KindStats) reject(err error) {
	k.Rejected++
	if k.RejectedBy == nil {
		k.RejectedBy = make(map[string]int64)
	}
	k.RejectedBy[Reason(err)]++
}

// kind returns the figures of kind k.
func (s *Stats) kind(k normalize.Kind) *KindStats {
	if k == normalize.KindEmail {
		return &s.Email
	}
	return &s.Phone
}

// ident is one identifier of a row as a match works it: its digest, its
// key in the keyset, and, on the row whose worker claimed the key, the
// key's holders.
type ident struct {
	d [32]byte // the digest, as OnAccept sees it
	// k is what the keyset looks up and reads holders by: d, or in a
	// keyed index d keyed with the index's secret.
	k       [32]byte
	key     int
	kind    normalize.Kind
	col     int   // its index in Entry.Keys, or -1 for the lead phone
	err     error // the identifier is refused
	claimed bool
	hs      []holder
}

// leadKey returns e's first phone, raw or hashed, if it is present: the
// identifier a row has before its Keys. (By value: a Key made here and
// passed by pointer to a function value was an allocation per row.)
func leadKey(e *Entry) (Key, bool) {
	switch {
	case e.Hash != "":
		return Key{Kind: normalize.KindPhone, Value: e.Hash, Hashed: true, Column: "hash"}, true
	case e.Phone != "" && (len(e.Keys) == 0 || !blank(e.Phone)):
		// A lone phone that is blank is present, and refused as
		// empty, as it always was.
		return Key{Kind: normalize.KindPhone, Value: e.Phone, Column: "phone"}, true
	}
	return Key{}, false
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// rowErr returns why a row whose identifiers are all refused is refused:
// ErrEmpty if it has none, the one's reason, or a KeysError of them all.
func rowErr(errs KeysError) error {
	switch len(errs) {
	case 0:
		return normalize.ErrEmpty
	case 1:
		return errs[0].Err
	}
	return errs
}

// key returns the digest of one identifier of a list row whose phones
// have region (raw phones; "" means o.Region), or why it is refused.
func (g *digester) key(k *Key, region string) (d [32]byte, err error) {
	switch {
	case k.Kind == normalize.KindEmail && k.Hashed:
		return normalize.Decode(k.Value, g.o.EmailFormat)
	case k.Kind == normalize.KindEmail:
		return g.email(k.Value)
	case k.Hashed:
		return normalize.Decode(k.Value, g.o.Format)
	}
	return g.phone(k.Value, region)
}

// email normalizes a raw address in o.EmailFormat and hashes it.
func (g *digester) email(raw string) (d [32]byte, err error) {
	g.buf, err = normalize.AppendEmail(g.buf[:0], raw, g.o.EmailFormat)
	if err == nil {
		d = g.h.Sum(g.buf, g.o.EmailFormat)
	}
	return d, err
}

// family returns the digest family of identifiers of kind k.
func (o *Options) family(k normalize.Kind) normalize.Format {
	if k == normalize.KindEmail {
		return o.EmailFormat.Family()
	}
	return o.Format.Family()
}

// entryIdents fills x with the digests of e's identifiers, and returns
// the row's error if none is valid.
func (g *digester) entryIdents(e *Entry, x *idents) error {
	x.n, x.more = 0, x.more[:0]
	if e.Err != nil {
		return e.Err
	}
	var errs KeysError
	valid := 0
	// Each identifier that is present: the lead phone, then Keys, in order.
	add := func(k *Key, col int) {
		id := &x.one
		if x.n > 0 {
			x.more = append(x.more, ident{})
			id = &x.more[len(x.more)-1]
		}
		x.n++
		id.kind, id.col = k.Kind, col
		id.key = -1
		if id.d, id.err = g.key(k, e.Region); id.err != nil {
			errs = append(errs, KeyError{Column: k.column(), Err: id.err})
			return
		}
		valid++
	}
	if k, ok := leadKey(e); ok {
		add(&k, -1)
	}
	for i := range e.Keys {
		if !blank(e.Keys[i].Value) {
			add(&e.Keys[i], i)
		}
	}
	if valid == 0 {
		return rowErr(errs)
	}
	return nil
}

// userDigests returns the digests of a user row's phone and address,
// valid ones only, or why the row is refused: ErrEmptyUserID, ErrEmpty if
// it has neither, or the reasons of those it has.
func (g *digester) userDigests(u *User) (ds [2][32]byte, kinds [2]normalize.Kind, n int, err error) {
	if u.Err != nil {
		return ds, kinds, 0, u.Err
	}
	if u.ID == "" {
		return ds, kinds, 0, ErrEmptyUserID
	}
	var errs KeysError
	if !blank(u.Phone) || blank(u.Email) {
		// A row without an address is its phone's, blank or not, as it
		// always was.
		if d, err := g.phone(u.Phone, u.Region); err != nil {
			errs = append(errs, KeyError{Column: "phone", Err: err})
		} else {
			ds[n], kinds[n] = d, normalize.KindPhone
			n++
		}
	}
	if !blank(u.Email) {
		if d, err := g.email(u.Email); err != nil {
			errs = append(errs, KeyError{Column: "email", Err: err})
		} else {
			ds[n], kinds[n] = d, normalize.KindEmail
			n++
		}
	}
	if n == 0 {
		return ds, kinds, 0, rowErr(errs)
	}
	return ds, kinds, n, nil
}

// idents are the identifiers of a list row: the first inline, the others
// in a slice, so that a row of one costs no allocation.
type idents struct {
	one  ident
	more []ident
	n    int // identifiers present
}

// at returns identifier i of x.
func (x *idents) at(i int) *ident {
	if i == 0 {
		return &x.one
	}
	return &x.more[i-1]
}

// A Digester gives the digests of user rows and list entries exactly as a
// match computes them, for a pipeline that joins them itself (the Beam
// pipeline): the same normalization, families, absent and refused
// identifiers, and reasons. It is not safe for concurrent use: make one
// per goroutine.
type Digester struct {
	o Options
	g *digester
	x idents // Entry's, reused from row to row
}

// KeyDigest is one identifier of a row: its kind and digest, or why it is
// refused.
type KeyDigest struct {
	Kind   normalize.Kind
	Key    int // which of the row's identifiers: its index in Entry.Keys, or -1 for the lead phone (Phone or Hash)
	Digest [32]byte
	Err    error // the identifier is refused
}

// NewDigester returns a Digester for opts (nil: every default), or an
// error wrapping ErrBadOptions.
func NewDigester(opts *Options) (*Digester, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	d := &Digester{o: o}
	d.g = d.o.digester()
	return d, nil
}

// User appends to dst the digests of u's valid phone and address, in that
// order, and returns the extended slice; if neither is valid, the error
// is why the row is refused (as BuildBase refuses it).
func (d *Digester) User(u *User, dst []KeyDigest) ([]KeyDigest, error) {
	ds, kinds, n, err := d.g.userDigests(u)
	if err != nil {
		return dst, err
	}
	for i := range n {
		dst = append(dst, KeyDigest{Kind: kinds[i], Digest: ds[i]})
	}
	return dst, nil
}

// Entry appends to dst each present identifier of e, in row order, with
// its digest or its error, and returns the extended slice; the error is
// the row's if none is valid (as Match refuses it: see keys.go). A
// refused row's identifiers are still appended, to be counted by kind.
func (d *Digester) Entry(e *Entry, dst []KeyDigest) ([]KeyDigest, error) {
	x := &d.x
	err := d.g.entryIdents(e, x)
	for i := range x.n {
		id := x.at(i)
		dst = append(dst, KeyDigest{Kind: id.kind, Key: id.col, Digest: id.d, Err: id.err})
	}
	return dst, err
}

// RejectKey counts a refused identifier of kind k in s, as Match counts
// it: in Phone or Email, Rejected and RejectedBy[Reason(err)].
func (s *Stats) RejectKey(k normalize.Kind, err error) { s.kind(k).reject(err) }

// Count counts a list row in s as Match counts it, short of matching it:
// ks and rowErr are what Digester.Entry returned for the row. It adds to
// Rows, then to Rejected and RejectedBy[Reason(rowErr)] if the row is
// refused, else to Accepted; and each identifier of ks to its kind's
// Accepted, or Rejected and RejectedBy. Matched and Unmatched, which
// need a match, are left alone. For a caller that matches the row
// another way (package psi), so that its figures of the list are
// Match's, rule for rule.
func (s *Stats) Count(ks []KeyDigest, rowErr error) {
	s.Rows++
	if rowErr != nil {
		s.reject(Reject{Err: rowErr}, nil)
	} else {
		s.Accepted++
	}
	for _, k := range ks {
		if k.Err != nil {
			s.kind(k.Kind).reject(k.Err)
		} else if rowErr == nil {
			s.kind(k.Kind).Accepted++
		}
	}
}
