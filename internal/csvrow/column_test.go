package csvrow

import (
	"errors"
	"strings"
	"testing"
)

func TestLooksLikeName(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"phone", true},
		{"user_id", true},
		{"country", true},
		{"phone_e164_sha256", true},
		{"phone-2", true},
		{"_id", true},
		{"u1", true},
		{"deadbeef", true}, // hex, but short
		{"abcdefghijklmnopqrstuvwxyz_abcdef", false}, // 33 bytes
		{"", false},
		{"+16505551234", false},
		{"6505551234", false},
		{"tel6505551234", false}, // 10 digits in a row
		{"(650) 555-1234", false},
		{"650-555-1234", false},
		{"alice@example.com", false},
		{"user id", false},
		{"téléphone", false},
		{"a2996076d3ad4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805ee0", false}, // SHA-256 hex
		{"ea2996076d3ad4af", false},                             // 16 hex digits
		{"6d92078a-8246-4ba4-ae5b-76104861e7dc", false},         // a device id
		{"qpk1ovyzwt8dvujphyfajgtyytgpk7sd3dfc8+0kzlk=", false}, // SHA-256 base64
	} {
		if got := LooksLikeName(tc.s); got != tc.want {
			t.Errorf("LooksLikeName(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// TestMissingColumnError checks that the message names the columns wanted
// and the header's names, and counts the rest without showing them.
func TestMissingColumnError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		want   []string
		header []string
		msg    string
	}{
		{"one", []string{"phone"}, []string{"telephone"}, `missing column "phone"; the header has 1 column: "telephone"`},
		{"names", []string{"user_id"}, []string{"id", "phone"}, `missing column "user_id"; the header has 2 columns: "id" and "phone"`},
		{"alternatives", []string{"phone", "hash"}, []string{"number", "country", "x"}, `missing column "phone" or "hash"; the header has 3 columns: "number", "country" and "x"`},
		{"a row", []string{"user_id"}, []string{"u1", "+16505551234"}, `missing column "user_id"; the header has 2 columns: "u1" and 1 not shown (not like a column name): is the header line missing?`},
		{"data only", []string{"phone"}, []string{"+16505551234"}, `missing column "phone"; the header has 1 column, not like a column name (not shown): is the header line missing?`},
		{"data only, columns", []string{"phone"}, []string{"6505551234", "alice@example.com"}, `missing column "phone"; the header has 2 columns, none like a column name (not shown): is the header line missing?`},
		{"empty name", []string{"phone"}, []string{"id", ""}, `missing column "phone"; the header has 2 columns: "id" and 1 not shown (not like a column name): is the header line missing?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := error(&MissingColumnError{Want: tc.want, Header: tc.header})
			if got := err.Error(); got != tc.msg {
				t.Errorf("got  %s\nwant %s", got, tc.msg)
			}
			if !errors.Is(err, ErrMissingColumn) {
				t.Errorf("%v is not ErrMissingColumn", err)
			}
		})
	}
}

// TestHeader_DuplicateMessage checks that a duplicate column is named only
// when its name looks like one, and located by its columns either way.
func TestHeader_DuplicateMessage(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"phone,email,Phone\n", `line 1: duplicate column "phone" (columns 1 and 3)`},
		{"+16505551234,x,+16505551234\n", `line 1: duplicate column (columns 1 and 3)`},
		{"a@example.com,a@example.com\n", `line 1: duplicate column (columns 1 and 2)`},
	} {
		_, err := NewReader(strings.NewReader(tc.in)).Header()
		if !errors.Is(err, ErrDuplicateColumn) || err.Error() != tc.msg {
			t.Errorf("Header(%q): %v, want %s", tc.in, err, tc.msg)
		}
	}
}
