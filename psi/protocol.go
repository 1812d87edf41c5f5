package psi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"

	"github.com/audiencematch/audiencematch/matcher"
)

// WriteUsers is step 1, the platform's: it writes to w the users' file of
// header h (Kind KindUsers; Counts[0] the number of ids) holding
// H_f(id)^k for each identifier of ids, in order, f its family, one of
// h.Families. ids must be distinct (a repeated identifier would show the
// advertiser that two users share it).
func WriteUsers(ctx context.Context, w io.Writer, k *Key, h *Header, ids iter.Seq[Identifier], workers int) error {
	if h.Kind != KindUsers {
		return fmt.Errorf("psi: WriteUsers: %w: %v", ErrKind, h.Kind)
	}
	h.KeyCheck = k.Check()
	fw, err := NewWriter(w, h)
	if err != nil {
		return err
	}
	if err := HashBlind(ctx, k, ids, workers, fw.Write); err != nil {
		return err
	}
	return fw.Close()
}

// BlindList is the first half of step 2, the advertiser's: H_f(x)^k for
// each identifier x of ids (every accepted identifier of every accepted
// list row, f its family, of the users' file's Families), sorted by their
// encoding. Sorting shuffles them: the order of the list is lost, and
// with it which identifiers shared a row; the elements are all the
// platform may see of the list. It holds 32 bytes an identifier.
func BlindList(ctx context.Context, k *Key, ids iter.Seq[Identifier], workers int) ([]Element, error) {
	var d []Element
	err := HashBlind(ctx, k, ids, workers, func(ps []Element) error {
		d = append(d, ps...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(d, func(a, b Element) int { return bytes.Compare(a[:], b[:]) })
	return d, nil
}

// WriteReply is the second half of step 2: it writes to w the reply to
// the users' file users, the list's elements d (from BlindList, under the
// same key k) and the users' elements raised to k, in their order, with
// the advertiser's figures of its list: its kind (ListPhone or ListKeys)
// and, of st, as matcher counts them, the rows read, accepted and
// refused by reason, and the phones and emails accepted (their sum is
// len(d)) and refused by reason. It reads users to its end: an error
// wrapping ErrCorrupt means the users' file is damaged, and what was
// written to w must be dropped.
func WriteReply(ctx context.Context, w io.Writer, k *Key, users *Reader, d []Element, listKind string, st matcher.Stats, workers int) error {
	uh := users.Header()
	if uh.Kind != KindUsers {
		return fmt.Errorf("%w: a %v file where a users' file is wanted", ErrKind, uh.Kind)
	}
	h := uh
	h.Kind, h.Counts = KindReply, [2]int64{int64(len(d)), uh.Counts[0]}
	h.ListKind = listKind
	h.List = matcher.Stats{Rows: st.Rows, Accepted: st.Accepted, Rejected: st.Rejected, RejectedBy: st.RejectedBy,
		Phone: matcher.KindStats{Accepted: st.Phone.Accepted, Rejected: st.Phone.Rejected, RejectedBy: st.Phone.RejectedBy},
		Email: matcher.KindStats{Accepted: st.Email.Accepted, Rejected: st.Email.Rejected, RejectedBy: st.Email.RejectedBy}}
	fw, err := NewWriter(w, &h)
	if err != nil {
		return err
	}
	if err := fw.Write(d); err != nil {
		return err
	}
	err = Blind(ctx, k, users.Section(1), workers, fw.Write)
	if err == nil {
		err = users.Err()
	}
	if err == nil {
		err = users.End()
	}
	if err != nil {
		return err
	}
	return fw.Close()
}

// Count is a list element that matched no user, doubly blinded, and the
// number of list identifiers that gave it.
type Count struct {
	Element Element
	Rows    int64
}

// Intersection is what step 3 finds: which identifiers of the users'
// file are on the list, and nothing of the rest of the list but how many
// identifiers it had and which of them were equal.
type Intersection struct {
	// Users maps the position in the users' file (from 0) of each user
	// identifier on the list to the number of list identifiers equal to
	// it.
	Users map[int64]int64

	// Others are the list's elements that are no user's, raised to both
	// keys, sorted, each with its number of list identifiers: the same
	// list under the same two keys gives the same Others.
	Others []Count

	// Header is the reply's header: the advertiser's figures of its list,
	// and the users' digest and session it carries.
	Header Header
}

// Intersect is step 3, the platform's: it raises the list's elements of
// the reply to the platform's key k and finds them among the users'
// elements, which the advertiser raised to its key. It reads the reply to
// its end. The reply must have been made from a users' file blinded with
// k: otherwise the error wraps ErrKey. It holds about 50 bytes a list
// identifier.
func Intersect(ctx context.Context, k *Key, reply *Reader, workers int) (*Intersection, error) {
	h := reply.Header()
	switch {
	case h.Kind != KindReply:
		return nil, fmt.Errorf("%w: a %v file where a reply is wanted", ErrKind, h.Kind)
	case h.KeyCheck != k.Check():
		return nil, fmt.Errorf("%w: the reply answers a users' file blinded with another key", ErrKey)
	}
	rows := make(map[Element]int64, min(h.Counts[0], 1<<20)) // a count is a claim, not an allocation
	err := Blind(ctx, k, reply.Section(1), workers, func(ps []Element) error {
		for _, p := range ps {
			rows[p]++
		}
		return nil
	})
	if err == nil {
		err = reply.Err()
	}
	if err != nil {
		return nil, err
	}
	in := &Intersection{Users: make(map[int64]int64), Header: h}
	var i int64
	for c := range reply.Section(2) {
		if n, ok := rows[c]; ok {
			in.Users[i] = n
			delete(rows, c)
		}
		i++
		if i&0xfff == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if err := reply.Err(); err != nil {
		return nil, err
	}
	if err := reply.End(); err != nil {
		return nil, err
	}
	for _, p := range slices.SortedFunc(maps.Keys(rows), func(a, b Element) int { return bytes.Compare(a[:], b[:]) }) {
		in.Others = append(in.Others, Count{p, rows[p]})
	}
	return in, nil
}
