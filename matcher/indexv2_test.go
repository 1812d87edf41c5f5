package matcher

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/audiencematch/audiencematch/normalize"
)

// testdata/v1.idx is a version 1 index, written on 2026-12-02 by the
// match command of commit 5bf439c (the last before emails were indexed)
// from these users:
var v1Users = []User{
	{Line: 2, ID: "u1", Phone: "+16505550101", Region: "US"},
	{Line: 3, ID: "u2", Phone: "+16505550102", Region: "US"},
	{Line: 4, ID: "u2", Phone: "020 7183 8750", Region: "GB"},
	{Line: 5, ID: "u3", Phone: "+16505550101", Region: "US"},
	{Line: 6, ID: "u4", Phone: "not a phone", Region: "US"},
}

// TestIndex_Version1 opens a version 1 index: it matches phone lists as a
// Base of the same users does, raw and hashed in every format, and
// refuses a list with an email with ErrNoEmailKeys, whose message says to
// build the index again.
func TestIndex_Version1(t *testing.T) {
	ctx := context.Background()
	ix, err := OpenIndex("testdata/v1.idx")
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if info := ix.Info(); info.Version != 1 || info.Rows != 4 || info.PhoneRows != 4 || info.Users != 3 || len(info.Sections) != numSectionsV1 {
		t.Fatalf("Info = %+v", info)
	}
	if err := ix.Verify(); err != nil {
		t.Fatal(err)
	}
	raw := []Entry{{Line: 2, Phone: "(650) 555-0101"}, {Line: 3, Phone: "+44 20 7183 8750"}, {Line: 4, Phone: "12"}, {Line: 5, Phone: "+16505550199"}}
	for _, f := range []normalize.Format{normalize.E164Hex, normalize.Digits, normalize.UID2} {
		o := &Options{Format: f}
		b, err := BuildBase(ctx, slices.Values(v1Users), o, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, list := range [][]Entry{raw, hashed(raw, f)} {
			want := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
				return b.Match(ctx, slices.Values(list), nil, y, r)
			})
			got := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
				return ix.Match(ctx, slices.Values(list), o, nil, y, r)
			})
			if !reflect.DeepEqual(got, want) || len(got.IDs) != 3 {
				t.Errorf("%v: version 1 index gives %+v; Base %+v", f, got, want)
			}
		}
	}
	list := []Entry{{Line: 2, Phone: "+16505550101", Keys: []Key{emailKey("email", "jane@example.com")}}}
	_, err = ix.Match(ctx, slices.Values(list), nil, nil, func(Match) error { return nil }, nil)
	if !errors.Is(err, ErrNoEmailKeys) {
		t.Errorf("an email against a version 1 index: %v; want ErrNoEmailKeys", err)
	}
}

// TestIndex_Size measures an index's bytes a user, 10-character ids: with
// one phone and one address, at most 60 when the address has one form
// (every address outside gmail.com); a gmail.com address with dots or a
// tag has two entries, one a form, and costs 14 bytes more (the file
// format's header gives the figures).
func TestIndex_Size(t *testing.T) {
	const n = 100_000
	for _, tc := range []struct {
		name  string
		email func(i int) string
		max   float64
	}{
		{"phone", func(int) string { return "" }, 38},
		{"phone+email", func(i int) string { return fmt.Sprintf("customer%d@example.com", i) }, 54},
		{"phone+gmail_dots", func(i int) string { return fmt.Sprintf("cus.tomer%d@gmail.com", i) }, 72},
	} {
		t.Run(tc.name, func(t *testing.T) {
			users := func(yield func(User) bool) {
				for i := range n {
					if !yield(User{ID: fmt.Sprintf("u%09d", i), Phone: fmt.Sprintf("+1650%07d", i), Email: tc.email(i)}) {
						return
					}
				}
			}
			info, err := WriteIndex(context.Background(), t.TempDir()+"/x.idx", users, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			per := float64(info.Size) / n
			t.Logf("%s: %.1f bytes a user", tc.name, per)
			if per > tc.max {
				t.Errorf("%.1f bytes a user; want at most %.0f", per, tc.max)
			}
		})
	}
}
