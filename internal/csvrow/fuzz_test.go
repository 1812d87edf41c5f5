package csvrow

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReader checks, for any input, that the Reader never panics, accounts
// for every physical line exactly once with the right number, and agrees
// with encoding/csv on every line both can read; and, for CSV written by
// encoding/csv from fields taken out of the input, that it reads back the
// same fields.
//
// The seed corpus is in testdata/fuzz/FuzzReader. For the round trip the
// input is cut into records at "\n" and into fields at "|".
func FuzzReader(f *testing.F) {
	// Lines longer than MaxLineLen are left to TestReader: seeds that large
	// make the fuzzer spend its time minimizing.
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLines(t, data)
		checkChunks(t, data)
		checkRoundTrip(t, data, false)
		checkRoundTrip(t, data, true)
	})
}

// physicalLines cuts data into lines without their "\n"; a final segment
// after the last "\n" is a line only if it is not empty.
func physicalLines(data []byte) [][]byte {
	lines := bytes.Split(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func checkLines(t *testing.T, data []byte) {
	lines := physicalLines(data)
	r := NewReader(bytes.NewReader(data))
	header, herr := r.Header()
	var le *LineError
	switch {
	case len(data) == 0:
		if herr != ErrNoHeader {
			t.Fatalf("Header of empty input: %q, %v; want ErrNoHeader", header, herr)
		}
		return
	case herr == nil:
		if len(header) == 0 {
			t.Fatalf("Header: no names and no error")
		}
		checkHeader(t, lines[0], header)
	case errors.As(herr, &le):
		if le.Line != 1 {
			t.Fatalf("Header error %v, want line 1", herr)
		}
		if !errors.Is(herr, ErrQuote) && !errors.Is(herr, ErrFieldTooLong) && !errors.Is(herr, ErrDuplicateColumn) {
			t.Fatalf("Header error %v, want one of the sentinels", herr)
		}
	default:
		t.Fatalf("Header: %v, want a *LineError", herr)
	}

	// Next returns lines 2, 3, … one for each physical line, then io.EOF.
	want := int64(len(lines))
	for n := int64(2); ; n++ {
		line, fields, err := r.Next()
		if err == io.EOF {
			if n-1 != want {
				t.Fatalf("io.EOF after line %d, want after line %d", n-1, want)
			}
			break
		}
		if n > want {
			t.Fatalf("Next returned line %d (%q, %v) past the last line %d", line, fields, err, want)
		}
		if line != n {
			t.Fatalf("Next returned line %d, want %d", line, n)
		}
		if err != nil {
			if !errors.As(err, &le) {
				t.Fatalf("line %d: %v, want a *LineError", n, err)
			}
			if le.Line != line || fields != nil {
				t.Fatalf("line %d: %v with fields %q", n, err, fields)
			}
		} else {
			if herr == nil && len(fields) != len(header) {
				t.Fatalf("line %d: %d fields, header has %d", n, len(fields), len(header))
			}
			for _, f := range fields {
				if len(f) > MaxFieldLen || bytes.IndexByte(f, '\n') >= 0 || !utf8.Valid(f) {
					t.Fatalf("line %d: bad field %q", n, f)
				}
			}
		}
		checkLine(t, n, lines[n-1], len(header), fields, err)
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after io.EOF: %v", err)
	}
}

// comparable reports whether encoding/csv reads raw the way Reader should:
// one line, with no "\r" (which encoding/csv drops in places), no blanks
// only (which encoding/csv skips or keeps), and valid UTF-8.
func comparable(raw []byte) bool {
	return bytes.IndexByte(raw, '\r') < 0 && len(bytes.TrimSpace(raw)) > 0 &&
		utf8.Valid(raw) && len(raw) <= MaxLineLen
}

func readCSV(raw []byte) ([]string, error) {
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	return cr.Read()
}

// checkHeader compares a header Reader accepted with encoding/csv.
func checkHeader(t *testing.T, raw []byte, header []string) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if !comparable(raw) {
		return
	}
	rec, err := readCSV(raw)
	if err != nil {
		t.Fatalf("header %q: Reader accepts it, encoding/csv says %v", raw, err)
	}
	for i := range rec {
		rec[i] = strings.ToLower(strings.TrimSpace(rec[i]))
	}
	if !slices.Equal(rec, header) {
		t.Fatalf("header %q: Reader reads %q, encoding/csv %q", raw, header, rec)
	}
}

// checkLine compares Reader's result for one line with encoding/csv's.
func checkLine(t *testing.T, n int64, raw []byte, ncol int, fields [][]byte, err error) {
	if !comparable(raw) {
		return
	}
	rec, cerr := readCSV(raw)
	tooLong := slices.ContainsFunc(rec, func(f string) bool { return len(f) > MaxFieldLen })
	switch {
	case cerr != nil:
		// Reader refuses the line for its quoting, unless it saw a long
		// field before the bad quote.
		if !errors.Is(err, ErrQuote) && !errors.Is(err, ErrFieldTooLong) {
			t.Fatalf("line %d %q: encoding/csv says %v, Reader %q, %v", n, raw, cerr, fields, err)
		}
	case tooLong:
		if !errors.Is(err, ErrFieldTooLong) {
			t.Fatalf("line %d %q: a field is too long, Reader %q, %v", n, raw, fields, err)
		}
	case ncol > 0 && len(rec) != ncol:
		if !errors.Is(err, ErrFieldCount) {
			t.Fatalf("line %d %q: %d fields for %d columns, Reader %q, %v", n, raw, len(rec), ncol, fields, err)
		}
	default:
		got := make([]string, len(fields))
		for i, f := range fields {
			got[i] = string(f)
		}
		if err != nil || !slices.Equal(got, rec) {
			t.Fatalf("line %d %q: Reader %q, %v; encoding/csv %q", n, raw, got, err, rec)
		}
	}
}

// checkRoundTrip writes records taken from data with encoding/csv and reads
// them back.
func checkRoundTrip(t *testing.T, data []byte, crlf bool) {
	s := strings.ToValidUTF8(string(data), "\uFFFD")
	if crlf {
		s = strings.ReplaceAll(s, "\r", "") // the Writer drops them
	}
	rows := strings.Split(s, "\n")
	ncol := strings.Count(rows[0], "|") + 1
	if ncol*len(rows) > 1<<16 {
		return // padding every row to ncol fields would take too long
	}
	hdr, names := cols(ncol)

	var in bytes.Buffer
	in.WriteString(hdr + "\n")
	want := make([]row, len(rows))
	for i, r := range rows {
		rec := make([]string, ncol) // cut, or pad with empty fields
		copy(rec, strings.Split(r, "|"))
		var one bytes.Buffer
		w := csv.NewWriter(&one)
		w.UseCRLF = crlf
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if err := w.Error(); err != nil {
			t.Fatal(err)
		}
		line := int64(i + 2)
		encoded := strings.TrimRight(one.String(), "\r\n")
		switch {
		case ncol == 1 && rec[0] == "":
			want[i] = bad(line, ErrBlank) // the Writer writes an empty line
		case len(encoded) > MaxLineLen || slices.ContainsFunc(rec, func(f string) bool { return len(f) > MaxFieldLen }):
			want[i] = bad(line, ErrFieldTooLong)
		default:
			want[i] = good(line, rec...)
		}
		in.Write(one.Bytes())
	}

	got := readAll(t, bytes.NewReader(in.Bytes()))
	if w := (readout{Header: names, Rows: want}); !equal(got, w) {
		t.Fatalf("crlf=%v, CSV %q:\ngot  %s\nwant %s", crlf, clip(in.String()), clip(got.String()), clip(w.String()))
	}
}

// TestPhysicalLines pins down how the fuzz test counts lines.
func TestPhysicalLines(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0}, {"\n", 1}, {"a", 1}, {"a\n", 1}, {"a\nb", 2}, {"a\n\n", 2}, {"\r\n\r", 2},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			if got := len(physicalLines([]byte(tc.in))); got != tc.want {
				t.Errorf("physicalLines(%q) has %d lines, want %d", tc.in, got, tc.want)
			}
		})
	}
}
