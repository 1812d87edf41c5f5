package csvrow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// row is one result of Next: the fields of a good line, or the sentinel a
// *LineError wraps.
type row struct {
	Line   int64
	Fields []string
	Err    error
}

func (r row) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%d:<%v>", r.Line, r.Err)
	}
	return fmt.Sprintf("%d:%q", r.Line, short(r.Fields))
}

// short abbreviates long fields for printing.
func short(fields []string) []string {
	s := make([]string, len(fields))
	for i, f := range fields {
		s[i] = f
		if len(f) > 40 {
			s[i] = fmt.Sprintf("%s…(%d bytes)", f[:20], len(f))
		}
	}
	return s
}

func good(line int64, fields ...string) row { return row{Line: line, Fields: fields} }
func bad(line int64, err error) row         { return row{Line: line, Err: err} }

// readout is everything a Reader returns for one input.
type readout struct {
	Header    []string
	HeaderErr error // as returned
	Rows      []row
	Err       error // the error that ended reading, nil for io.EOF
}

func (o readout) String() string {
	return fmt.Sprintf("header=%q headerErr=%v rows=%v err=%v", short(o.Header), o.HeaderErr, o.Rows, o.Err)
}

// readAll reads r to the end, checking the invariants every result must keep
// whatever the input: a *LineError names the line Next returned and comes
// with nil fields.
func readAll(t *testing.T, r io.Reader) readout {
	t.Helper()
	cr := NewReader(r)
	var out readout
	out.Header, out.HeaderErr = cr.Header()
	if out.HeaderErr != nil {
		return out
	}
	for {
		line, fields, err := cr.Next()
		if err == io.EOF {
			if fields != nil {
				t.Errorf("Next at EOF: fields = %q, want nil", fields)
			}
			if _, _, err := cr.Next(); err != io.EOF {
				t.Errorf("Next after EOF: err = %v, want io.EOF", err)
			}
			return out
		}
		var le *LineError
		switch {
		case errors.As(err, &le):
			if le.Line != line {
				t.Errorf("Next returned line %d with %v", line, le)
			}
			if fields != nil {
				t.Errorf("line %d: refused (%v) but fields = %q", line, err, fields)
			}
			out.Rows = append(out.Rows, bad(line, le.Err))
		case err != nil:
			out.Err = err
			return out
		default:
			s := make([]string, len(fields))
			for i, f := range fields {
				s[i] = string(f)
			}
			out.Rows = append(out.Rows, good(line, s...))
		}
		if len(out.Rows) > 1e6 {
			t.Fatal("Next does not reach EOF")
		}
	}
}

// sameErr reports whether got is want: the same sentinel, possibly wrapped.
func sameErr(got, want error) bool {
	if want == nil {
		return got == nil
	}
	return errors.Is(got, want)
}

func equal(got, want readout) bool {
	if !reflect.DeepEqual(got.Header, want.Header) || !sameErr(got.HeaderErr, want.HeaderErr) ||
		!sameErr(got.Err, want.Err) || len(got.Rows) != len(want.Rows) {
		return false
	}
	for i, g := range got.Rows {
		w := want.Rows[i]
		if g.Line != w.Line || !reflect.DeepEqual(g.Fields, w.Fields) || !sameErr(g.Err, w.Err) {
			return false
		}
	}
	return true
}

// cols returns the header line "c0,c1,…" and its names.
func cols(n int) (string, []string) {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	return strings.Join(names, ","), names
}

// wide returns ncol distinct unquoted fields, none longer than MaxFieldLen,
// that make a line of exactly n bytes.
func wide(ncol, n int) (string, []string) {
	body := n - (ncol - 1)
	fields := make([]string, ncol)
	for i := range fields {
		k := body / ncol
		if i < body%ncol {
			k++
		}
		id := fmt.Sprint(i)
		if k > MaxFieldLen || k < len(id) {
			panic("wide: no such line")
		}
		fields[i] = id + strings.Repeat(string(rune('a'+i%26)), k-len(id))
	}
	return strings.Join(fields, ","), fields
}

// readers wrap the input so that the Reader sees it in different chunks.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"OneByte", iotest.OneByteReader},
	{"Half", iotest.HalfReader},
	{"DataErr", iotest.DataErrReader},
}

func TestReader(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	x := strings.Repeat
	hdr64, names64 := cols(64)
	atMax, atMaxFields := wide(64, MaxLineLen)
	overMax, _ := wide(64, MaxLineLen+1)
	huge := x("h", 300<<10) // longer than the Reader's buffer

	tests := []struct {
		name string
		in   string
		want readout
	}{
		{
			name: "simple",
			in:   "phone,email\n+15550100,a@example.com\n",
			want: readout{Header: []string{"phone", "email"}, Rows: []row{good(2, "+15550100", "a@example.com")}},
		},
		{
			name: "bom",
			in:   bom + "Phone,Email\n1,2\n",
			want: readout{Header: []string{"phone", "email"}, Rows: []row{good(2, "1", "2")}},
		},
		{
			name: "bom_quoted_header",
			in:   bom + "\"Phone\",email\n1,2\n",
			want: readout{Header: []string{"phone", "email"}, Rows: []row{good(2, "1", "2")}},
		},
		{
			name: "bom_only_in_header",
			in:   "a\n" + bom + "1\n",
			want: readout{Header: []string{"a"}, Rows: []row{good(2, bom+"1")}},
		},
		{
			name: "crlf",
			in:   "a,b\r\n1,2\r\n3,4\r\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", "2"), good(3, "3", "4")}},
		},
		{
			name: "mixed_line_endings",
			in:   "a,b\r\n1,2\n3,4\r\n5,6",
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", "2"), good(3, "3", "4"), good(4, "5", "6")}},
		},
		{
			name: "crlf_quoted_last_field",
			in:   "a,b\r\n1,\"2\"\r\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", "2")}},
		},
		{
			name: "header_case_and_blanks",
			in:   " Phone ,EMAIL\t,\tUser_ID ,\" Hash \"\n1,2,3,4\n",
			want: readout{Header: []string{"phone", "email", "user_id", "hash"}, Rows: []row{good(2, "1", "2", "3", "4")}},
		},
		{
			name: "header_quoted_names",
			in:   "\"Phone\",\"E,\"\"Mail\"\"\"\n1,2\n",
			want: readout{Header: []string{"phone", "e,\"mail\""}, Rows: []row{good(2, "1", "2")}},
		},
		{
			name: "header_empty_names_are_not_duplicates",
			in:   "a,,\n1,2,3\n",
			want: readout{Header: []string{"a", "", ""}, Rows: []row{good(2, "1", "2", "3")}},
		},
		{
			name: "duplicate_column",
			in:   "phone,email,phone\n1,2,3\n",
			want: readout{HeaderErr: ErrDuplicateColumn},
		},
		{
			name: "duplicate_column_after_case_and_trim",
			in:   "Phone, PHONE \n1,2\n",
			want: readout{HeaderErr: ErrDuplicateColumn},
		},
		{
			name: "header_bad_quote",
			in:   "a,\"b\n1,2\n",
			want: readout{HeaderErr: ErrQuote},
		},
		{
			// Every name is short, but the line is one byte too long.
			name: "header_line_too_long",
			in:   overMax + "\n1\n",
			want: readout{HeaderErr: ErrFieldTooLong},
		},
		{
			name: "header_longer_than_buffer",
			in:   huge + "\n1\n",
			want: readout{HeaderErr: ErrFieldTooLong},
		},
		{
			name: "empty_input",
			in:   "",
			want: readout{HeaderErr: ErrNoHeader},
		},
		{
			name: "header_only",
			in:   "a,b\n",
			want: readout{Header: []string{"a", "b"}},
		},
		{
			name: "header_only_no_newline",
			in:   "a,b",
			want: readout{Header: []string{"a", "b"}},
		},
		{
			name: "header_only_crlf",
			in:   "a,b\r\n",
			want: readout{Header: []string{"a", "b"}},
		},
		{
			name: "quoted_fields",
			in:   "a,b,c,d\n\"x,y\",\"say \"\"hi\"\"\",\"\"\"\",\"\"\n",
			want: readout{Header: []string{"a", "b", "c", "d"}, Rows: []row{good(2, "x,y", `say "hi"`, `"`, "")}},
		},
		{
			name: "quoted_field_keeps_blanks_and_cr",
			in:   "a,b\n\" x \",\"y\rz\"\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, " x ", "y\rz")}},
		},
		{
			name: "empty_fields",
			in:   "a,b,c\n,,\n1,,3\n,2,\n",
			want: readout{Header: []string{"a", "b", "c"}, Rows: []row{good(2, "", "", ""), good(3, "1", "", "3"), good(4, "", "2", "")}},
		},
		{
			name: "trailing_comma",
			in:   "a,b\n1,\n1,2,\n\"1\",\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", ""), bad(3, ErrFieldCount), good(4, "1", "")}},
		},
		{
			name: "wrong_field_count",
			in:   "a,b\n1\n1,2,3\n4,5\n\"6,7\"\n8,9\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{
				bad(2, ErrFieldCount), bad(3, ErrFieldCount), good(4, "4", "5"), bad(5, ErrFieldCount), good(6, "8", "9"),
			}},
		},
		{
			name: "quote_in_unquoted_field",
			in:   "a,b\n1,x\"y\n3,4\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{bad(2, ErrQuote), good(3, "3", "4")}},
		},
		{
			name: "quote_after_blank",
			in:   "a,b\n1, \"y\"\n3,4\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{bad(2, ErrQuote), good(3, "3", "4")}},
		},
		{
			name: "unterminated_quote",
			in:   "a,b\n1,\"xy\n3,4\"\n5,6\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{bad(2, ErrQuote), bad(3, ErrQuote), good(4, "5", "6")}},
		},
		{
			name: "unterminated_quote_after_doubled_quote",
			in:   "a\n\"x\"\"\n\"\"\"\n2\n",
			want: readout{Header: []string{"a"}, Rows: []row{bad(2, ErrQuote), bad(3, ErrQuote), good(4, "2")}},
		},
		{
			name: "unterminated_quote_last_line",
			in:   "a,b\n1,2\n\"3,4",
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", "2"), bad(3, ErrQuote)}},
		},
		{
			name: "text_after_closing_quote",
			in:   "a,b\n\"x\"y,2\n\"x\" ,2\n1,\"2\"3\n3,4\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{bad(2, ErrQuote), bad(3, ErrQuote), bad(4, ErrQuote), good(5, "3", "4")}},
		},
		{
			name: "invalid_utf8",
			in:   "a,b\n\xff,2\n\"\xc3\",2\n\xed\xa0\x80,2\né,ü\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{bad(2, ErrUTF8), bad(3, ErrUTF8), bad(4, ErrUTF8), good(5, "é", "ü")}},
		},
		{
			name: "field_at_max_len",
			in:   "a,b\n" + x("f", MaxFieldLen) + ",2\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, x("f", MaxFieldLen), "2")}},
		},
		{
			name: "quoted_field_at_max_len",
			in:   "a,b\n\"" + x(`""`, MaxFieldLen) + "\",2\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, x(`"`, MaxFieldLen), "2")}},
		},
		{
			name: "field_too_long",
			in:   "a,b\n1," + x("f", MaxFieldLen+1) + "\n3,4\n\"" + x(`""`, MaxFieldLen+1) + "\",2\n5,6\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{bad(2, ErrFieldTooLong), good(3, "3", "4"), bad(4, ErrFieldTooLong), good(5, "5", "6")}},
		},
		{
			name: "line_at_max_len",
			in:   hdr64 + "\n" + atMax + "\n" + atMax + "\r\n",
			want: readout{Header: names64, Rows: []row{good(2, atMaxFields...), good(3, atMaxFields...)}},
		},
		{
			// Every field is short, but the line is one byte too long.
			name: "line_too_long",
			in:   hdr64 + "\n" + overMax + "\n" + atMax + "\n" + overMax + "\r\n" + atMax,
			want: readout{Header: names64, Rows: []row{
				bad(2, ErrFieldTooLong), good(3, atMaxFields...), bad(4, ErrFieldTooLong), good(5, atMaxFields...),
			}},
		},
		{
			name: "line_longer_than_buffer",
			in:   "a,b\n1,2\n" + huge + "\n3,4\n" + huge + "," + huge + "\r\n5,6\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{
				good(2, "1", "2"), bad(3, ErrFieldTooLong), good(4, "3", "4"), bad(5, ErrFieldTooLong), good(6, "5", "6"),
			}},
		},
		{
			name: "line_longer_than_buffer_at_eof",
			in:   "a,b\n1,2\n" + huge,
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", "2"), bad(3, ErrFieldTooLong)}},
		},
		{
			name: "blank_lines",
			in:   "a,b\n1,2\n\n   \n\r\n\t\r\n3,4\n\n",
			want: readout{Header: []string{"a", "b"}, Rows: []row{
				good(2, "1", "2"), bad(3, ErrBlank), bad(4, ErrBlank), bad(5, ErrBlank), bad(6, ErrBlank), good(7, "3", "4"), bad(8, ErrBlank),
			}},
		},
		{
			name: "blank_line_single_column",
			in:   "phone\n\n\"\"\n1\n",
			want: readout{Header: []string{"phone"}, Rows: []row{bad(2, ErrBlank), good(3, ""), good(4, "1")}},
		},
		{
			name: "no_trailing_newline",
			in:   "a,b\n1,2\n3,4",
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", "2"), good(3, "3", "4")}},
		},
		{
			name: "no_trailing_newline_quoted",
			in:   "a,b\n1,\"2\"",
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", "2")}},
		},
		{
			name: "line_numbers_throughout",
			in: "a,b\n" + // 1
				"1,2\n" + // 2
				"\n" + // 3 blank
				"x\"\n" + // 4 quote
				"3\n" + // 5 count
				"\xfe,1\n" + // 6 utf8
				x("f", MaxFieldLen+1) + ",1\n" + // 7 too long
				huge + "\n" + // 8 too long
				"\"q\"\"\",4\r\n" + // 9
				"5,6", // 10
			want: readout{Header: []string{"a", "b"}, Rows: []row{
				good(2, "1", "2"), bad(3, ErrBlank), bad(4, ErrQuote), bad(5, ErrFieldCount), bad(6, ErrUTF8),
				bad(7, ErrFieldTooLong), bad(8, ErrFieldTooLong), good(9, `q"`, "4"), good(10, "5", "6"),
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, rd := range readers {
				got := readAll(t, rd.wrap(strings.NewReader(tc.in)))
				if !equal(got, tc.want) {
					t.Errorf("%s reader:\ngot  %s\nwant %s", rd.name, clip(got.String()), clip(tc.want.String()))
				}
				var le *LineError
				if got.HeaderErr != nil && got.HeaderErr != ErrNoHeader &&
					(!errors.As(got.HeaderErr, &le) || le.Line != 1) {
					t.Errorf("%s reader: header error %v, want a *LineError for line 1", rd.name, got.HeaderErr)
				}
			}
		})
	}
}

// clip shortens the printout of the cases with long lines.
func clip(s string) string {
	const max = 2000
	if len(s) <= max {
		return s
	}
	return s[:max/2] + " … " + s[len(s)-max/2:]
}

func TestReader_IOError(t *testing.T) {
	errBoom := errors.New("boom")
	failing := func(s string) io.Reader {
		return io.MultiReader(strings.NewReader(s), iotest.ErrReader(errBoom))
	}
	tests := []struct {
		name string
		in   io.Reader
		want readout
	}{
		{
			name: "at_once",
			in:   iotest.ErrReader(errBoom),
			want: readout{HeaderErr: errBoom},
		},
		{
			name: "inside_header",
			in:   failing("a,"),
			want: readout{HeaderErr: errBoom},
		},
		{
			name: "after_full_line",
			in:   failing("a,b\n1,2\n"),
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", "2")}, Err: errBoom},
		},
		{
			name: "inside_line",
			in:   failing("a,b\n1,2\n3,"),
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", "2")}, Err: errBoom},
		},
		{
			name: "after_refused_line",
			in:   failing("a,b\n1\n"),
			want: readout{Header: []string{"a", "b"}, Rows: []row{bad(2, ErrFieldCount)}, Err: errBoom},
		},
		{
			name: "inside_line_longer_than_buffer",
			in:   failing("a,b\n" + strings.Repeat("h", 300<<10)),
			want: readout{Header: []string{"a", "b"}, Err: errBoom},
		},
		{
			name: "timeout",
			in:   iotest.TimeoutReader(strings.NewReader("a,b\n1,2\n")),
			want: readout{Header: []string{"a", "b"}, Rows: []row{good(2, "1", "2")}, Err: iotest.ErrTimeout},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := readAll(t, tc.in)
			if !equal(got, tc.want) {
				t.Errorf("got  %s\nwant %s", clip(got.String()), clip(tc.want.String()))
			}
			// The I/O error comes back as it is, not wrapped in a *LineError.
			for _, err := range []error{got.HeaderErr, got.Err} {
				var le *LineError
				if errors.As(err, &le) {
					t.Errorf("I/O error returned as %T %v, want it as is", err, err)
				}
				if err != nil && err != tc.want.HeaderErr && err != tc.want.Err {
					t.Errorf("error %v is not the reader's own error", err)
				}
			}
		})
	}
}

func TestLineError(t *testing.T) {
	err := error(&LineError{Line: 7, Err: ErrQuote})
	if got, want := err.Error(), "line 7: bad quoting"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrQuote) {
		t.Errorf("errors.Is(%v, ErrQuote) = false, want true", err)
	}
}

func TestIndex(t *testing.T) {
	header := []string{"phone", "email", "id"}
	tests := []struct {
		name  string
		names []string
		want  []int
	}{
		{"none", nil, []int{}},
		{"all", []string{"id", "phone", "email"}, []int{2, 0, 1}},
		{"missing", []string{"phone", "hash"}, []int{0, -1}},
		{"repeated", []string{"email", "email"}, []int{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Index(header, tc.names...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Index(%q, %q) = %v, want %v", header, tc.names, got, tc.want)
			}
		})
	}
}

func ExampleReader() {
	in := "\xef\xbb\xbfPhone, Email\n" +
		"+1 555 0100,\"a@example.com\"\n" +
		"+1 555 0101\n" +
		"\"+1 555 0102\",b@example.com\n"
	r := NewReader(strings.NewReader(in))
	header, err := r.Header()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", header)
	for {
		line, fields, err := r.Next()
		if err == io.EOF {
			break
		}
		if le := (*LineError)(nil); errors.As(err, &le) {
			fmt.Println("refused:", le)
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d %q\n", line, fields)
	}
	// Output:
	// ["phone" "email"]
	// 2 ["+1 555 0100" "a@example.com"]
	// refused: line 3: wrong number of fields
	// 4 ["+1 555 0102" "b@example.com"]
}

func TestArena_String(t *testing.T) {
	var a Arena
	var got []string
	var want []string
	buf := make([]byte, 0, 64)
	for i := range 20000 {
		buf = append(buf[:0], fmt.Sprintf("field-%d", i)...)
		want = append(want, string(buf))
		got = append(got, a.String(buf))
		buf[0] = 'X' // the caller reuses its buffer; the string must not change
	}
	got = append(got, a.String(nil), a.String(make([]byte, arenaBlock)))
	want = append(want, "", string(make([]byte, arenaBlock)))
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("string %d = %q, want %q", i, got[i], want[i])
		}
	}
	if n := testing.AllocsPerRun(100, func() { a.String([]byte("+16505551234")) }); n > 0.01 {
		t.Errorf("String allocates %v times a call", n)
	}
}

// TestCommaOrQuote: against a byte-at-a-time scan, for every position of
// a comma, a quote, both, or neither in lines of 0 to 40 bytes, among
// bytes that differ from ',' and '"' by one bit or by a borrow (the
// word-at-a-time test's false friends: '+', '-', '#', '!', 0x00, 0xAC,
// 0xA2).
func TestCommaOrQuote(t *testing.T) {
	want := func(b []byte) int {
		for i, c := range b {
			if c == ',' || c == '"' {
				return i
			}
		}
		return len(b)
	}
	fill := []byte("+-#!\x00\xac\xa2a9")
	for n := range 41 {
		for _, f := range fill {
			for _, c := range []byte{0, ',', '"'} {
				for at := range n + 1 {
					b := bytes.Repeat([]byte{f}, n)
					if at < n && c != 0 {
						b[at] = c
						if at+1 < n {
							b[at+1] = ','
						}
					}
					if got := commaOrQuote(b); got != want(b) {
						t.Fatalf("commaOrQuote(%q) = %d, want %d", b, got, want(b))
					}
				}
			}
		}
	}
}
