// Package csvrow reads the CSV files of the engine one physical line at a
// time, so that a bad line is refused alone and every line keeps its number.
//
// The dialect is RFC 4180 without line breaks inside quoted fields, which
// phone lists never need: a field may be quoted, a quote inside a quoted
// field is doubled, and a line ends with "\n" or "\r\n". The first line is a
// header; a UTF-8 byte order mark before it is skipped and its names are
// compared case-insensitively, with surrounding blanks ignored.
//
// A line that breaks a rule is returned as a *LineError naming its line and
// one of the sentinel errors below, and reading goes on with the next line.
package csvrow

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Reasons a line is refused.
var (
	// ErrFieldCount is returned when a line has more or fewer fields than
	// the header.
	ErrFieldCount = errors.New("wrong number of fields")

	// ErrQuote is returned when a line's quoting is broken: a quote inside
	// an unquoted field, text after a closing quote, or a quoted field not
	// closed before the end of the line.
	ErrQuote = errors.New("bad quoting")

	// ErrUTF8 is returned when a line is not valid UTF-8.
	ErrUTF8 = errors.New("invalid UTF-8")

	// ErrFieldTooLong is returned when a field is longer than the reader's
	// MaxFieldLen, or a whole line longer than MaxLineLen.
	ErrFieldTooLong = errors.New("field too long")

	// ErrBlank is returned for a line with nothing on it.
	ErrBlank = errors.New("blank line")

	// ErrNoHeader is returned by Header when the input is empty.
	ErrNoHeader = errors.New("no header line")

	// ErrDuplicateColumn is returned by Header when a name appears twice.
	ErrDuplicateColumn = errors.New("duplicate column")

	// ErrMissingColumn is the error a *MissingColumnError wraps.
	ErrMissingColumn = errors.New("missing column")
)

// Limits. A phone number is at most 250 bytes to libphonenumber, and a user
// id or hash far less, so these bounds refuse only garbage.
const (
	MaxFieldLen = 1024
	MaxLineLen  = 64 << 10
)

// LineError is a refused line: its 1-based number in the file and the reason.
type LineError struct {
	Line int64
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Reader reads lines of CSV. It is not safe for concurrent use.
type Reader struct {
	src   io.Reader
	br    *bufio.Reader
	line  int64
	sp    Splitter
	long  []byte // a line that spans buffer refills
	carry []byte // the start of a line cut by the end of a chunk
	eof   bool   // ReadChunk has met the end of the input

	// Repeatable, if not nil, names the columns that may appear more
	// than once in the header (as "email" and "phone" do in the
	// platforms' customer-list templates). Nil: no column may.
	Repeatable func(name string) bool
}

// Splitter cuts lines into fields. Each goroutine that splits the lines of
// chunks needs its own; Reader.Splitter makes one.
type Splitter struct {
	ncol   int // fields per line, from the header; 0 before it
	fields [][]byte
	buf    []byte // unquoted field bytes for the current line
	starts []int  // field boundaries in buf
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{src: r, br: bufio.NewReaderSize(r, 256<<10)}
}

// Header reads the first line and returns its column names, lower-cased and
// trimmed. Every later line must have as many fields. The error is
// ErrNoHeader for empty input, or a *LineError for a malformed header; its
// message shows a name only if it LooksLikeName.
func (r *Reader) Header() ([]string, error) {
	raw, err := r.readLine()
	if err == io.EOF {
		return nil, ErrNoHeader
	}
	if errors.Is(err, ErrFieldTooLong) {
		return nil, &LineError{Line: r.line, Err: err}
	}
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	fields, perr := r.sp.split(raw)
	if perr != nil {
		return nil, &LineError{Line: r.line, Err: perr}
	}
	names := make([]string, len(fields))
	seen := make(map[string]int, len(fields))
	for i, f := range fields {
		names[i] = strings.ToLower(strings.TrimSpace(string(f)))
		if j, dup := seen[names[i]]; dup && names[i] != "" && (r.Repeatable == nil || !r.Repeatable(names[i])) {
			return nil, &LineError{Line: r.line, Err: duplicateError(names[i], j, i)}
		}
		if _, dup := seen[names[i]]; !dup {
			seen[names[i]] = i
		}
	}
	r.sp.ncol = len(names)
	return names, nil
}

// Next returns the next line's number and fields. The fields alias the
// Reader's buffers and are valid until the next call. A refused line comes
// back as a *LineError with nil fields; the caller records it and calls Next
// again. At the end of input the error is io.EOF; another error is an I/O
// error from the underlying reader.
func (r *Reader) Next() (line int64, fields [][]byte, err error) {
	raw, err := r.readLine()
	if err != nil {
		if errors.Is(err, ErrFieldTooLong) {
			return r.line, nil, &LineError{Line: r.line, Err: err}
		}
		return r.line, nil, err
	}
	fields, perr := r.sp.Split(raw)
	if perr != nil {
		return r.line, nil, &LineError{Line: r.line, Err: perr}
	}
	return r.line, fields, nil
}

// Splitter returns a new Splitter for the lines after the header, which
// must have been read.
func (r *Reader) Splitter() *Splitter {
	return &Splitter{ncol: r.sp.ncol}
}

// Split cuts one line, without its line ending, into fields, and checks it
// as Next does: the error is one of the sentinel errors, and then fields is
// nil. The fields alias line and the Splitter's buffers and are valid until
// the next call.
func (s *Splitter) Split(line []byte) (fields [][]byte, err error) {
	return s.split1(line, false)
}

// split1 is Split, told whether line is known to be ASCII.
func (s *Splitter) split1(line []byte, ascii bool) (fields [][]byte, err error) {
	if len(line) > MaxLineLen {
		return nil, ErrFieldTooLong
	}
	if blank(line) {
		return nil, ErrBlank
	}
	if !ascii && !utf8.Valid(line) {
		return nil, ErrUTF8
	}
	fields, err = s.split(line)
	if err == nil && s.ncol > 0 && len(fields) != s.ncol {
		err = ErrFieldCount
	}
	if err != nil {
		return nil, err
	}
	return fields, nil
}

// readLine returns the next line without its line ending. A line longer than
// MaxLineLen is consumed whole and refused with ErrFieldTooLong.
func (r *Reader) readLine() ([]byte, error) {
	r.long = r.long[:0]
	tooLong := false
	for {
		b, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if !tooLong {
				r.long = append(r.long, b...)
				if len(r.long) > MaxLineLen {
					tooLong, r.long = true, r.long[:0]
				}
			}
			continue
		}
		if err == io.EOF && len(b) == 0 && len(r.long) == 0 && !tooLong {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		r.line++
		if len(r.long) > 0 || tooLong {
			if !tooLong {
				r.long = append(r.long, b...)
				tooLong = len(r.long) > MaxLineLen
			}
			if tooLong {
				return nil, ErrFieldTooLong
			}
			b = r.long
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(b) > MaxLineLen {
			// A line shorter than the buffer does not go through long.
			return nil, ErrFieldTooLong
		}
		return b, nil
	}
}

// blank reports whether line holds only white space, as bytes.TrimSpace
// sees it; most lines answer at their first byte.
func blank(line []byte) bool {
	if len(line) > 0 && line[0] > ' ' && line[0] < utf8.RuneSelf {
		return false
	}
	return len(bytes.TrimSpace(line)) == 0
}

// commaOrQuote returns the index of the first ',' or '"' in b, or len(b).
// It looks at eight bytes at a time: a hex digest's 64 characters in 8
// steps, not 64 (a byte at a time, splitting was 8% of a match of a
// hashed list).
func commaOrQuote(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		c, q := w^(ones*','), w^(ones*'"')
		// A byte of c or q is zero where w has a ',' or a '"'; the lowest
		// high bit set below marks the first such byte (bits above it
		// may be set by the borrow, never bits below).
		if m := ((c-ones)&^c | (q-ones)&^q) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if b[i] == ',' || b[i] == '"' {
			return i
		}
	}
	return len(b)
}

// split cuts one line into fields, undoing quoting.
func (r *Splitter) split(line []byte) ([][]byte, error) {
	r.fields = r.fields[:0]
	// Unquoted lines, the usual case, in one pass: the fields are the
	// line's own bytes between commas.
	for start := 0; ; {
		i := start + commaOrQuote(line[start:])
		if i < len(line) && line[i] == '"' {
			goto quoted
		}
		if i-start > MaxFieldLen {
			return nil, ErrFieldTooLong
		}
		r.fields = append(r.fields, line[start:i:i])
		if i == len(line) {
			return r.fields, nil
		}
		start = i + 1
	}

quoted:
	r.fields = r.fields[:0]
	r.buf = r.buf[:0]
	// Fields are cut from buf only once it has stopped growing.
	starts := append(r.starts[:0], 0)
	for i := 0; ; {
		if i < len(line) && line[i] == '"' {
			// Quoted field.
			i++
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					return nil, ErrQuote
				}
				r.buf = append(r.buf, line[i:i+j]...)
				i += j + 1
				if i < len(line) && line[i] == '"' {
					r.buf = append(r.buf, '"')
					i++
					continue
				}
				break
			}
			if i < len(line) && line[i] != ',' {
				return nil, ErrQuote
			}
		} else {
			j := bytes.IndexByte(line[i:], ',')
			if j < 0 {
				j = len(line) - i
			}
			f := line[i : i+j]
			if bytes.IndexByte(f, '"') >= 0 {
				return nil, ErrQuote
			}
			r.buf = append(r.buf, f...)
			i += j
		}
		if n := len(r.buf) - starts[len(starts)-1]; n > MaxFieldLen {
			return nil, ErrFieldTooLong
		}
		starts = append(starts, len(r.buf))
		if i >= len(line) {
			break
		}
		i++ // skip the comma
	}
	for k := 1; k < len(starts); k++ {
		r.fields = append(r.fields, r.buf[starts[k-1]:starts[k]:starts[k]])
	}
	r.starts = starts
	return r.fields, nil
}

// Index returns the position of each named column in header, and -1 for a
// missing one.
func Index(header []string, names ...string) []int {
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = -1
		for j, h := range header {
			if h == n {
				idx[i] = j
				break
			}
		}
	}
	return idx
}

// Arena turns field bytes into strings without an allocation per string:
// it copies them into large blocks that are never written again, and makes
// strings that point into them. A block stays alive while any of its
// strings does. The zero Arena is ready to use; it is not safe for
// concurrent use.
type Arena struct {
	block []byte
}

// arenaBlock is the size of an Arena's blocks: a few thousand fields each.
const arenaBlock = 64 << 10

// String returns b as a string.
func (a *Arena) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaBlock/8 {
		return string(b)
	}
	if cap(a.block)-len(a.block) < len(b) {
		a.block = make([]byte, 0, arenaBlock)
	}
	start := len(a.block)
	a.block = append(a.block, b...)
	// The bytes at [start, start+len(b)) are never written again: later
	// appends go past them, and a full block is replaced, not reused.
	return unsafe.String(&a.block[start], len(b))
}
