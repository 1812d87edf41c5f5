package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/term"

	"github.com/audiencematch/audiencematch/internal/csvrow"
	"github.com/audiencematch/audiencematch/internal/idcols"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/schollz/progressbar/v3"
)

// input is an open CSV file, or stdin, with its header read.
type input struct {
	name   string      // the path as given, or "stdin"
	f      *os.File    // nil for stdin
	comp   compression // found by the first bytes (see compress.go)
	text   io.Closer   // the decompressor of a compressed input
	r      *csvrow.Reader
	header []string
	bar    *progressbar.ProgressBar
	err    error        // the first I/O error met while reading rows
	arena  csvrow.Arena // the strings of the fields
}

// stdinName names stdin in messages and reports.
const stdinName = "stdin"

// isStdin reports whether an input's name means stdin: "-", or
// /dev/stdin, which would be stdin all the same.
func isStdin(name string) bool { return name == "-" || name == "/dev/stdin" }

// oneStdin refuses a command more than one input read from stdin, since
// each would see part of it. flags alternates an input flag's name and
// its value: "--users", o.users, "--list", o.list.
func oneStdin(cmd string, flags ...string) error {
	var on []string
	for i := 0; i+1 < len(flags); i += 2 {
		if isStdin(flags[i+1]) {
			on = append(on, flags[i])
		}
	}
	if len(on) > 1 {
		return usageErrorf("%s: %s and %s both read stdin; only one input can", cmd, on[0], on[1])
	}
	return nil
}

// openInput opens a CSV file, or stdin if name is "-", and reads its
// header. A gzip or zstd input is decompressed as it is read. Failures are
// usage errors naming the file. If stderr is a terminal, reading a large
// file shows progress. stdin is read once, as it comes: no command reads
// an input twice or needs its size.
//
// repeatable, if not nil, names the columns that may repeat in the header.
func openInput(name, what string, stdin io.Reader, stderr io.Writer, repeatable func(string) bool) (*input, error) {
	if name == "" {
		return nil, usageErrorf("missing --%s", what)
	}
	in := &input{name: name}
	var r io.Reader
	if isStdin(name) {
		in.name, r = stdinName, stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, usageErrorf("%s: %v", name, errors.Unwrap(err))
		}
		in.f, r = f, f
		if isTerminal(stderr) {
			if fi, err := f.Stat(); err == nil && fi.Size() > 8<<20 {
				in.bar = progressbar.NewOptions64(fi.Size(),
					progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("match: reading "+filepath.Base(name)),
					progressbar.OptionShowBytes(true),
					progressbar.OptionThrottle(200e6),
					progressbar.OptionClearOnFinish())
				r = io.TeeReader(f, in.bar)
			}
		}
	}
	var err error
	if in.comp, r, err = sniff(r); err == nil && in.comp != uncompressed {
		var text io.ReadCloser
		if text, err = decompress(in.comp, r); err == nil {
			in.text, r = text, text
		}
	}
	if err == nil {
		in.r = csvrow.NewReader(r)
		in.r.Repeatable = repeatable
		in.header, err = in.r.Header()
	}
	if err != nil {
		in.Close()
		return nil, usageErrorf("%s: %v", in.name, err)
	}
	return in, nil
}

func (in *input) Close() {
	if in.bar != nil {
		in.bar.Finish()
	}
	if in.text != nil {
		in.text.Close()
	}
	if in.f != nil {
		in.f.Close()
	}
}

// rowCount returns the number of rows of the input's text, estimated for
// a large file (see textRows). ok is false for stdin.
func (in *input) rowCount() (n int64, ok bool) {
	if in.f == nil {
		return 0, false
	}
	return textRows(in.f, in.comp)
}

// sizeHint returns rowCount as a matcher.Options.SizeHint: 0 if unknown.
func (in *input) sizeHint() int {
	n, ok := in.rowCount()
	if !ok || n < 0 {
		return 0
	}
	return int(min(n, math.MaxInt32))
}

// stdin reports whether the input is read from stdin.
func (in *input) stdin() bool { return in.f == nil }

// column returns the position of the named column, or a usage error if it
// is required and missing.
func (in *input) column(name string, required bool) (int, error) {
	i := csvrow.Index(in.header, name)[0]
	if i < 0 && required {
		return -1, in.missing(name)
	}
	return i, nil
}

// missing returns the usage error of a header without the column want, or
// without any of its alternatives. Like every message about an input, it
// names the file, the line and the problem, never the data: a header that
// is really a row of phones is counted, not shown (see
// csvrow.DescribeHeader).
func (in *input) missing(want ...string) error {
	return usageErrorf("%s: line 1: %w", in.name, &csvrow.MissingColumnError{Want: want, Header: in.header})
}

// rows calls fn for each data line: its number and fields, or the reason it
// was refused. An I/O error stops the rows and is kept in in.err.
func (in *input) rows(fn func(line int64, fields [][]byte, err error) bool) {
	var le *csvrow.LineError // outside the loop: errors.As makes it escape
	for {
		line, fields, err := in.r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			if !errors.As(err, &le) {
				in.err = fmt.Errorf("%s: %w", in.name, err)
				return
			}
			err = le.Err
		}
		if !fn(line, fields, err) {
			return
		}
	}
}

// readChunk reads the next lines into c. At the end of input, or on an I/O
// error, which it keeps in in.err, it returns false.
func (in *input) readChunk(c *csvrow.Chunk) bool {
	err := in.r.ReadChunk(c)
	if err != nil && err != io.EOF {
		in.err = fmt.Errorf("%s: %w", in.name, err)
	}
	return err == nil
}

// transient returns b as a string without copying it. The string is valid
// only while b is unchanged: for a call that keeps no reference to it.
func transient(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// field returns fields[i] as a string, or "" when the column is absent.
func (in *input) field(fields [][]byte, i int) string {
	if i < 0 {
		return ""
	}
	return in.arena.String(fields[i])
}

// region returns a row's country field, trimmed, "" if the field is empty
// or absent.
func (in *input) region(fields [][]byte, i int) string {
	return regionOf(fields, i, in.arena.String)
}

// regionOf returns a row's country field, trimmed, "" if the field is
// empty or absent. An upper-case code comes without a copy; str makes any
// other string.
func regionOf(fields [][]byte, i int, str func([]byte) string) string {
	if i < 0 {
		return ""
	}
	f := fields[i]
	if len(f) != 2 {
		f = bytes.TrimSpace(f)
	}
	if len(f) == 2 && 'A' <= f[0] && f[0] <= 'Z' && 'A' <= f[1] && f[1] <= 'Z' {
		return regionCodes[int(f[0]-'A')*26+int(f[1]-'A')]
	}
	return str(f)
}

// regionCodes holds every two-letter upper-case code, "AA" to "ZZ".
var regionCodes = func() (t [26 * 26]string) {
	for i := range t {
		t[i] = string([]byte{byte('A' + i/26), byte('A' + i%26)})
	}
	return t
}()

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// usersInput is an open user base CSV with its columns found: user_id,
// phone or email or both, and, if present, country.
type usersInput struct {
	*input
	cols idcols.Users
}

// openUsers opens the user base CSV at path, as --users.
func openUsers(path string, stdin io.Reader, stderr io.Writer) (*usersInput, error) {
	in, err := openInput(path, "users", stdin, stderr, nil)
	if err != nil {
		return nil, err
	}
	u := &usersInput{input: in}
	var missing []string
	if u.cols, missing = idcols.ParseUsers(in.header); missing != nil {
		in.Close()
		return nil, in.missing(missing...)
	}
	return u, nil
}

// user returns a row of the user base, as rows gives it, as a
// matcher.User.
func (u *usersInput) user(line int64, fields [][]byte, err error) matcher.User {
	m := matcher.User{Line: line, Err: err}
	if err == nil {
		m.ID, m.Phone, m.Email = u.field(fields, u.cols.ID), u.field(fields, u.cols.Phone), u.field(fields, u.cols.Email)
		m.Region = u.region(fields, u.cols.Country)
	}
	return m
}

// listInput is an open contact list CSV with its identifier columns found
// (package idcols: phones and emails, raw or hashed) and the formats of
// its digests.
type listInput struct {
	*input
	cols         *idcols.List
	phone, email normalize.Format // the formats of hashed phones and emails
}

// openList opens the contact list CSV at path, as --list, whose digests
// are in the formats phone and email.
func openList(path string, stdin io.Reader, stderr io.Writer, phone, email normalize.Format) (*listInput, error) {
	in, err := openInput(path, "list", stdin, stderr, idcols.Repeatable)
	if err != nil {
		return nil, err
	}
	l := &listInput{input: in, phone: phone, email: email}
	var ok bool
	l.cols, ok, err = idcols.ParseList(in.header)
	switch {
	case errors.Is(err, idcols.ErrBothPhoneAndHash):
		err = usageErrorf("%s: %v", in.name, err)
	case err != nil:
		err = usageErrorf("%s: line 1: %v", in.name, err)
	case !ok:
		err = in.missing("phone", "email", "hash")
	}
	if err != nil {
		in.Close()
		return nil, err
	}
	return l, nil
}

// entries yields the rows of the list as matcher entries.
func (l *listInput) entries(yield func(matcher.Entry) bool) {
	l.rows(func(line int64, fields [][]byte, err error) bool {
		e := matcher.Entry{Line: line, Err: err}
		if err == nil {
			l.cols.Entry(&e, fields, l.arena.String, l.phone, l.email)
			e.Region = l.region(fields, l.cols.Country)
		}
		return yield(e)
	})
}

// kind returns the list's kind for the report: phone, hash or keys
// (package idcols).
func (l *listInput) kind() string { return l.cols.Kind() }

// hashFormats returns the names of the formats of the list's digests for
// the report (idcols.List.HashFormats).
func (l *listInput) hashFormats() (phone, email string) { return l.cols.HashFormats(l.phone, l.email) }
