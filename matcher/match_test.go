package matcher

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/audiencematch/audiencematch/normalize"
)

func users(rows ...string) func(func(User) bool) {
	return func(yield func(User) bool) {
		for i := 0; i+1 < len(rows); i += 2 {
			if !yield(User{Line: int64(i/2 + 2), ID: rows[i], Phone: rows[i+1]}) {
				return
			}
		}
	}
}

func phones(ps ...string) func(func(Entry) bool) {
	return func(yield func(Entry) bool) {
		for i, p := range ps {
			if !yield(Entry{Line: int64(i + 2), Phone: p}) {
				return
			}
		}
	}
}

func build(t *testing.T, u func(func(User) bool), o *Options) *Base {
	t.Helper()
	b, err := BuildBase(context.Background(), u, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func matchIDs(t *testing.T, b *Base, list func(func(Entry) bool), excl *Exclusions) ([]string, Stats, []Reject) {
	t.Helper()
	var ids []string
	var rej []Reject
	st, err := b.Match(context.Background(), list, excl, func(m Match) error {
		ids = append(ids, m.UserID)
		return nil
	}, func(r Reject) { rej = append(rej, r) })
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != st.Matched+st.Unmatched+st.Rejected || st.Accepted != st.Matched+st.Unmatched {
		t.Errorf("row accounting broken: %+v", st)
	}
	if st.Audience != int64(len(ids)) {
		t.Errorf("Audience = %d, yielded %d", st.Audience, len(ids))
	}
	return ids, st, rej
}

// listMatchIDs matches with the table on the list side.
func listMatchIDs(t *testing.T, u func(func(User) bool), list func(func(Entry) bool), excl *Exclusions) ([]string, Stats) {
	t.Helper()
	l, err := BuildList(context.Background(), list, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	st, err := l.Match(context.Background(), u, excl, func(m Match) error {
		ids = append(ids, m.UserID)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ids, st
}

func TestBase_Match(t *testing.T) {
	base := users(
		"alice", "+16502530000",
		"bob", "(212) 555-0143",
		"carol", "+16502530000", // shares alice's phone
		"dave", "+442071838750",
		"dave", "+4930123456", // a second phone of dave's
		"erin", "nonsense",
	)
	tests := []struct {
		name      string
		list      []string
		excl      []string
		want      []string
		matched   int64
		unmatched int64
		rejected  int64
	}{
		{"none", []string{"+1 415 555 0100"}, nil, nil, 0, 1, 0},
		{"shared phone gives both users in base order", []string{"650-253-0000"}, nil, []string{"alice", "carol"}, 1, 0, 0},
		{"each user once", []string{"650 253 0000", "+16502530000", "(650) 253-0000"}, nil, []string{"alice", "carol"}, 3, 0, 0},
		{"user with two phones once", []string{"+44 20 7183 8750", "+49 30 123456"}, nil, []string{"dave"}, 2, 0, 0},
		{"list order", []string{"+49 30 123456", "212-555-0143"}, nil, []string{"dave", "bob"}, 2, 0, 0},
		{"opted out dropped", []string{"650-253-0000"}, []string{"alice"}, []string{"carol"}, 1, 0, 0},
		{"row of only opted-out users is unmatched", []string{"650-253-0000", "212-555-0143"}, []string{"alice", "carol"}, []string{"bob"}, 1, 1, 0},
		{"rejects counted", []string{"", "abc", "12", "212-555-0143"}, nil, []string{"bob"}, 1, 0, 3},
	}
	for _, pf := range []Prefilter{PrefilterNone, PrefilterBloom} {
		b := build(t, base, &Options{Prefilter: pf})
		if b.Len() != 4 {
			t.Fatalf("Len = %d, want 4 (erin's phone is refused)", b.Len())
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/prefilter=%d", tt.name, pf), func(t *testing.T) {
				excl := NewExclusions(slices.Values(tt.excl))
				got, st, _ := matchIDs(t, b, phones(tt.list...), excl)
				if !slices.Equal(got, tt.want) {
					t.Errorf("audience = %q, want %q", got, tt.want)
				}
				lgot, lst := listMatchIDs(t, base, phones(tt.list...), excl)
				if !slices.Equal(lgot, got) || !reflect.DeepEqual(lst, st) {
					t.Errorf("List.Match = %q %+v, Base.Match = %q %+v", lgot, lst, got, st)
				}
				if st.Matched != tt.matched || st.Unmatched != tt.unmatched || st.Rejected != tt.rejected {
					t.Errorf("matched/unmatched/rejected = %d/%d/%d, want %d/%d/%d",
						st.Matched, st.Unmatched, st.Rejected, tt.matched, tt.unmatched, tt.rejected)
				}
			})
		}
	}
}

func TestBase_Match_Rejects(t *testing.T) {
	b := build(t, users("alice", "+16502530000"), nil)
	bad := errors.New("wrong number of fields")
	list := func(yield func(Entry) bool) {
		_ = yield(Entry{Line: 2, Phone: ""}) &&
			yield(Entry{Line: 3, Err: fmt.Errorf("csv: %w", bad)}) &&
			yield(Entry{Line: 4, Phone: "+1"}) &&
			yield(Entry{Line: 5, Hash: "zz"}) &&
			yield(Entry{Line: 6, Phone: "call me"}) &&
			yield(Entry{Line: 7, Phone: "0123", Region: "QQ"})
	}
	_, st, rej := matchIDs(t, b, list, nil)
	want := []string{"line 2: empty", "line 3: wrong number of fields", "line 4: not a phone number",
		"line 5: not a valid hash", "line 6: not a phone number", "line 7: unknown region"}
	var got []string
	for _, r := range rej {
		got = append(got, r.Error())
	}
	if !slices.Equal(got, want) {
		t.Errorf("rejects:\n got %q\nwant %q", got, want)
	}
	if st.RejectedBy["not a phone number"] != 2 || st.Rejected != 6 {
		t.Errorf("RejectedBy = %v", st.RejectedBy)
	}
}

func TestBase_Match_HashedList(t *testing.T) {
	d := func(f normalize.Format) string { return normalize.Encode(normalize.Sum([]byte("+16502530000"), f), f) }
	for _, f := range []normalize.Format{normalize.E164Hex, normalize.Digits, normalize.UID2} {
		t.Run(f.String(), func(t *testing.T) {
			b := build(t, users("alice", "650 253 0000", "bob", "+442071838750"), &Options{Format: f})
			list := func(yield func(Entry) bool) {
				_ = yield(Entry{Line: 2, Hash: d(f)}) && yield(Entry{Line: 3, Phone: "+44 20 7183 8750"})
			}
			got, _, _ := matchIDs(t, b, list, nil)
			if want := []string{"alice", "bob"}; !slices.Equal(got, want) {
				t.Errorf("audience = %q, want %q", got, want)
			}
			// A list hashed in the other family does not match.
			other := normalize.Digits
			if f == normalize.Digits {
				other = normalize.E164Hex
			}
			got, _, _ = matchIDs(t, b, func(yield func(Entry) bool) {
				yield(Entry{Line: 2, Hash: normalize.Encode(normalize.Sum([]byte("+16502530000"), other), normalize.E164Hex)[:len(d(f))]})
			}, nil)
			if f != normalize.UID2 && len(got) != 0 {
				t.Errorf("a %v hash matched a %v base: %q", other, f, got)
			}
		})
	}
}

func TestBase_Match_YieldError(t *testing.T) {
	b := build(t, users("alice", "+16502530000", "bob", "+12125550143"), nil)
	stop := errors.New("stop")
	n := 0
	_, err := b.Match(context.Background(), phones("+16502530000", "+12125550143"), nil, func(Match) error {
		n++
		return stop
	}, nil)
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err = %v after %d yields, want stop after 1", err, n)
	}
}

func TestBase_Match_Cancelled(t *testing.T) {
	b := build(t, users("alice", "+16502530000"), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	endless := func(yield func(Entry) bool) {
		for yield(Entry{Phone: "+16502530000"}) {
		}
	}
	if _, err := b.Match(ctx, endless, nil, func(Match) error { return nil }, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestBuildBase_BadOptions(t *testing.T) {
	if _, err := BuildBase(context.Background(), users(), &Options{Region: "XX"}, nil); !errors.Is(err, normalize.ErrUnknownRegion) {
		t.Errorf("region XX: err = %v", err)
	}
	if _, err := BuildBase(context.Background(), users(), &Options{Format: 9}, nil); !errors.Is(err, normalize.ErrUnknownFormat) {
		t.Errorf("format 9: err = %v", err)
	}
}

// TestMatch_Property checks on random bases, opt-out sets and lists that
// the audience is exactly a plain map join minus the opt-outs, in the
// documented order, with or without the bloom filter.
func TestMatch_Property(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		nUsers, nList := rng.IntN(300), rng.IntN(400)
		pool := 1 + rng.IntN(200) // few distinct phones: many shared and repeated
		phone := func() string { return fmt.Sprintf("+1650%07d", 2530000+rng.IntN(pool)) }

		type u struct{ id, phone string }
		var base []u
		for i := range nUsers {
			base = append(base, u{fmt.Sprintf("u%d", rng.IntN(nUsers+1)+i%3), phone()})
		}
		optout := map[string]bool{}
		for _, x := range base {
			if rng.IntN(4) == 0 {
				optout[x.id] = true
			}
		}
		var list []string
		for range nList {
			list = append(list, phone())
		}

		// The plain join, in the documented order.
		var want []string
		seen := map[string]bool{}
		for _, p := range list {
			for _, x := range base {
				if x.phone == p && !optout[x.id] && !seen[x.id] {
					seen[x.id] = true
					want = append(want, x.id)
				}
			}
		}
		ul := func(yield func(User) bool) {
			for i, x := range base {
				if !yield(User{Line: int64(i + 2), ID: x.id, Phone: x.phone}) {
					return
				}
			}
		}
		excl := NewExclusions(func(yield func(string) bool) {
			for id := range optout {
				if !yield(id) {
					return
				}
			}
		})
		// A size hint, none, too small or too large, changes nothing.
		hint := []int{0, 1, 2 * len(list), len(base)}[seed%4]
		for _, pf := range []Prefilter{PrefilterNone, PrefilterBloom} {
			b := build(t, ul, &Options{Prefilter: pf, Workers: 1 + int(seed%3), SizeHint: hint})
			got, st, _ := matchIDs(t, b, phones(list...), excl)
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d prefilter %d:\n got %q\nwant %q", seed, pf, got, want)
			}
			// The table on the list side gives the same answer.
			l, err := BuildList(context.Background(), phones(list...), &Options{Workers: 1 + int(seed%2), SizeHint: hint}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var lgot []string
			lst, err := l.Match(context.Background(), ul, excl, func(m Match) error {
				lgot = append(lgot, m.UserID)
				return nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(lgot, got) || !reflect.DeepEqual(lst, st) {
				t.Fatalf("seed %d: List.Match differs from Base.Match:\n got %q %+v\nwant %q %+v", seed, lgot, lst, got, st)
			}
			for _, id := range got {
				if optout[id] {
					t.Fatalf("seed %d: opted-out user %s in audience", seed, id)
				}
			}
			var matchedRows int64
			for _, p := range list {
				for _, x := range base {
					if x.phone == p && !optout[x.id] {
						matchedRows++
						break
					}
				}
			}
			if st.Matched != matchedRows {
				t.Fatalf("seed %d: Matched = %d, want %d", seed, st.Matched, matchedRows)
			}
		}
	}
}

// TestBase_Match_Concurrent backs the doc's claim: one Base serves many
// Match calls at once (run under -race by make test), each with the answer
// it would get alone.
func TestBase_Match_Concurrent(t *testing.T) {
	var base []string
	var list []string
	for i := range 400 {
		base = append(base, fmt.Sprintf("u%d", i), fmt.Sprintf("+1650%07d", 2530000+i))
		if i%3 == 0 {
			list = append(list, fmt.Sprintf("(650) %03d-%04d", (2530000+i)/10000, (2530000+i)%10000))
		}
	}
	b := build(t, users(base...), &Options{Workers: 2})
	want, _, _ := matchIDs(t, b, phones(list...), nil)
	if len(want) != 134 {
		t.Fatalf("alone: %d users, want 134", len(want))
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			var got []string
			excl := NewExclusions(slices.Values([]string{fmt.Sprintf("u%d", 3*g)}))
			_, err := b.Match(context.Background(), phones(list...), excl, func(m Match) error {
				got = append(got, m.UserID)
				return nil
			}, nil)
			wantG := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return id == fmt.Sprintf("u%d", 3*g) })
			if err == nil && !slices.Equal(got, wantG) {
				err = fmt.Errorf("goroutine %d: %d users, want %d", g, len(got), len(wantG))
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestExclusions_Canonical: ids compare as the consent model compares
// them, without surrounding blanks, on either side; a blank id excludes
// no one.
func TestExclusions_Canonical(t *testing.T) {
	e := NewExclusions(slices.Values([]string{" u1", "u2 ", "\tu3\t", " ", ""}))
	for id, want := range map[string]bool{"u1": true, " u2": true, "u3": true, "u 1": false, "": false, " ": false, "u4": false} {
		if got := e.Excludes(id); got != want {
			t.Errorf("Excludes(%q) = %v, want %v", id, got, want)
		}
	}
	if e.Len() != 3 {
		t.Errorf("Len = %d, want 3", e.Len())
	}
}

// TestOptions_OnAccept: every accepted list row's digest reaches OnAccept,
// in list order, and the same digests whichever way the list is matched:
// a Base, a List or an Index.
func TestOptions_OnAccept(t *testing.T) {
	ctx := context.Background()
	u := users("u1", "+16502530001", "u2", "+442079460000")
	list := phones("+1 650 253 0001", "not a phone", "+1 650 253 0099", "(650) 253-0001", "")
	want := []string{"+16502530001", "+16502530099", "+16502530001"}
	var got [][32]byte
	o := &Options{Workers: 3, OnAccept: func(d *[32]byte) { got = append(got, *d) }}
	check := func(name string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d digests, want %d", name, len(got), len(want))
		}
		for i, e := range want {
			if got[i] != sha256.Sum256([]byte(e)) {
				t.Errorf("%s: digest %d is not that of %s", name, i, e)
			}
		}
		got = nil
	}
	b := build(t, u, o)
	if _, err := b.Match(ctx, list, nil, func(Match) error { return nil }, nil); err != nil {
		t.Fatal(err)
	}
	check("Base")
	l, err := BuildList(ctx, list, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("List")
	if _, err := l.Match(ctx, u, nil, func(Match) error { return nil }, nil); err != nil {
		t.Fatal(err)
	}
	var base []User
	u(func(x User) bool { base = append(base, x); return true })
	ix, err := OpenIndex(writeIndex(t, base, &Options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, err := ix.Match(ctx, list, o, nil, func(Match) error { return nil }, nil); err != nil {
		t.Fatal(err)
	}
	check("Index")
	// A keyed index looks up keyed digests; OnAccept still sees the
	// plain ones, so the list's sketch is the same whatever the base.
	key := bytes.Repeat([]byte{7}, MinKeyLen)
	kx, err := OpenKeyedIndex(writeIndex(t, base, &Options{Key: key}), key)
	if err != nil {
		t.Fatal(err)
	}
	defer kx.Close()
	var ids []string
	if _, err := kx.Match(ctx, list, o, nil, func(m Match) error { ids = append(ids, m.UserID); return nil }, nil); err != nil {
		t.Fatal(err)
	}
	check("keyed Index")
	if !slices.Equal(ids, []string{"u1"}) {
		t.Errorf("keyed Index matched %q, want [u1]", ids)
	}
}
