package csvrow

import (
	"fmt"
	"strings"
)

// Messages about a header show no data.
//
// When a file's header line is missing, its first data row is read as the
// header, and phones, emails or their digests become column names. So a
// message about a header names the columns its caller wants, counts the
// header's columns, and shows only the names that LooksLikeName; the others
// are counted, never shown.

// MissingColumnError is a header without a column its caller requires. Its
// message names the column, or the alternatives, and describes the header
// as DescribeHeader does. It wraps ErrMissingColumn.
type MissingColumnError struct {
	Want   []string // the column required, or alternatives of which one is
	Header []string // the header, as Header returned it
}

func (e *MissingColumnError) Error() string {
	var b strings.Builder
	b.WriteString("missing column ")
	for i, w := range e.Want {
		if i > 0 {
			b.WriteString(" or ")
		}
		fmt.Fprintf(&b, "%q", w)
	}
	b.WriteString("; ")
	b.WriteString(DescribeHeader(e.Header))
	return b.String()
}

func (e *MissingColumnError) Unwrap() error { return ErrMissingColumn }

// DescribeHeader says what header holds without showing its data: how
// many columns, and the names of those that LooksLikeName, quoted. For
// example: `the header has 2 columns: "id" and "phone"`; `the header has 2
// columns: "u1" and 1 not shown (not like a column name): is the header
// line missing?`; `the header has 2 columns, none like a column name (not
// shown): is the header line missing?`.
func DescribeHeader(header []string) string {
	var shown []string
	for _, h := range header {
		if LooksLikeName(h) {
			shown = append(shown, fmt.Sprintf("%q", h))
		}
	}
	n, hidden := len(header), len(header)-len(shown)
	columns := "columns"
	if n == 1 {
		columns = "column"
	}
	switch {
	case len(shown) == 0 && n == 1:
		return "the header has 1 column, not like a column name (not shown): is the header line missing?"
	case len(shown) == 0:
		return fmt.Sprintf("the header has %d columns, none like a column name (not shown): is the header line missing?", n)
	case hidden == 0 && n == 1:
		return fmt.Sprintf("the header has 1 column: %s", shown[0])
	case hidden == 0:
		return fmt.Sprintf("the header has %d columns: %s and %s", n, strings.Join(shown[:len(shown)-1], ", "), shown[len(shown)-1])
	}
	return fmt.Sprintf("the header has %d %s: %s and %d not shown (not like a column name): is the header line missing?", n, columns, strings.Join(shown, ", "), hidden)
}

// Bounds of LooksLikeName.
const (
	maxNameLen    = 32 // bytes; a SHA-256 digest is 44 (base64) or 64 (hex)
	maxNameDigits = 6  // in a row; a phone's subscriber part has 7
	minHexData    = 16 // hex digits that make an id or digest, not a name
)

// LooksLikeName reports whether s looks like a column name rather than
// data, and so may be shown in a message: 1 to 32 bytes of ASCII letters,
// digits, '_' and '-', starting with a letter or '_', with no run of more
// than 6 digits (a phone has at least 7), and not 16 or more hex digits
// once '-' and '_' are dropped (a digest, a device id). A phone, an email,
// a digest in hex or base64 never looks like a name.
func LooksLikeName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen {
		return false
	}
	if c := s[0]; !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
		return false
	}
	run, hex, allHex := 0, 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		isDigit := '0' <= c && c <= '9'
		isLetter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		switch {
		case isDigit:
			if run++; run > maxNameDigits {
				return false
			}
			hex++
			continue
		case isLetter:
			if 'a' <= c|0x20 && c|0x20 <= 'f' {
				hex++
			} else {
				allHex = false
			}
		case c == '_' || c == '-':
		default:
			return false
		}
		run = 0
	}
	return !(allHex && hex >= minHexData)
}

// duplicateError is the error of a header whose columns i and j, from 0,
// have the same name: the name shown only if it LooksLikeName.
func duplicateError(name string, i, j int) error {
	if LooksLikeName(name) {
		return fmt.Errorf("%w %q (columns %d and %d)", ErrDuplicateColumn, name, i+1, j+1)
	}
	return fmt.Errorf("%w (columns %d and %d)", ErrDuplicateColumn, i+1, j+1)
}
