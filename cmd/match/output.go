package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/audiencematch/audiencematch/internal/samefile"
	"github.com/audiencematch/audiencematch/internal/tempfile"
	"github.com/audiencematch/audiencematch/matcher"
)

// outBuf is the write buffer of an output: large, so that a million rows
// take a few hundred write calls.
const outBuf = 1 << 20

// output is a file written whole or not at all, or a stream.
//
// A regular file, or a name that does not exist yet, is written to a
// temporary file beside it (".NAME.match-tmp-" and 16 hex digits, see
// internal/tempfile; mode 0666 less the umask, or the mode of the file it
// replaces) and renamed over it by commit, so that readers see the old
// file or the new one, whole. A symbolic link is followed: the temporary
// file goes beside the file the link ends at, which is replaced, and the
// link stays.
//
// Stdout (no name, "-" or "/dev/stdout") and an existing file that is not
// regular (a device, a pipe) are streams, written in place as the command
// goes: what was written stays if the command then fails, unless the
// output is held (see hold).
//
// A name that ends in ".gz" or ".zst" is written compressed, with gzip or
// zstd (see compressor); stdout never is.
type output struct {
	name   string   // as given, for messages
	target string   // the file the temporary file replaces: name, links followed
	tmp    *os.File // the temporary file, until Commit or Abort
	dev    *os.File // a non-regular file written in place
	*bufio.Writer
	z      io.WriteCloser // the compressor under the buffer, or nil
	under  io.Writer      // where the bytes go, under the compressor
	held   *bytes.Buffer  // see hold
	heldTo io.Writer
}

// newOutput returns o, writing to w through its buffer, and through a
// compressor if its name asks for one.
func newOutput(o *output, w io.Writer) *output {
	o.under = w
	var dst io.Writer = failWriter{o}
	if c := compressionOf(o.name); c != uncompressed {
		o.z = compressor(c, dst)
		dst = o.z
	}
	o.Writer = bufio.NewWriterSize(dst, outBuf)
	return o
}

// hold keeps what is written in memory until the output is committed, and
// drops it if aborted, where the output is not a temporary file (stdout, a
// device): for an output that must not be seen unless the run decides so,
// or unless it is whole.
func (o *output) hold() {
	if o.tmp != nil || o.held != nil {
		return
	}
	o.Flush()
	o.heldTo, o.held = o.under, new(bytes.Buffer)
	o.under = o.held
}

// isStdout reports whether an output named name goes to stdout.
func isStdout(name string) bool { return samefile.IsStdout(name) }

func createOutput(name string, stdout io.Writer) (*output, error) {
	if isStdout(name) {
		return newOutput(&output{}, stdout), nil
	}
	target, err := samefile.FollowLinks(name)
	if err != nil {
		return nil, usageErrorf("%s: cannot create: %v", name, err)
	}
	fi, err := os.Stat(target)
	if err == nil && !fi.Mode().IsRegular() {
		// A device or a pipe: written in place, since renaming over it
		// would replace it.
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return nil, usageErrorf("%s: cannot open: %v", name, errors.Unwrap(err))
		}
		return newOutput(&output{name: name, dev: f}, f), nil
	}
	tmp, err := tempfile.Create(target)
	if err != nil {
		return nil, usageErrorf("%s: cannot create: %v", name, errors.Unwrap(err))
	}
	if fi != nil {
		// A file replaced keeps its permissions, as one rewritten in
		// place (by a shell's ">") would.
		if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return nil, usageErrorf("%s: cannot create: %v", name, errors.Unwrap(err))
		}
	}
	return newOutput(&output{name: name, target: target, tmp: tmp}, &writeBehind{f: tmp}), nil
}

// finish flushes the file and, for a temporary file, syncs and closes it,
// so that only the rename is left.
func (o *output) finish() error {
	if err := o.Flush(); err != nil {
		return o.fail(err)
	}
	if o.z != nil {
		err := o.z.Close() // writes the compressed stream's end
		o.z = nil
		if err != nil {
			return o.fail(err)
		}
	}
	if o.held != nil {
		_, err := o.held.WriteTo(o.heldTo)
		o.held = nil
		if err != nil {
			return o.fail(err)
		}
	}
	if o.dev != nil {
		err := o.dev.Close()
		o.dev = nil
		if err != nil {
			return o.fail(err)
		}
		return nil
	}
	if o.tmp == nil {
		return nil
	}
	if err := o.tmp.Sync(); err != nil {
		return o.fail(err)
	}
	if err := o.tmp.Close(); err != nil {
		return o.fail(err)
	}
	return nil
}

// rename moves the finished temporary file into place.
func (o *output) rename() error {
	if o.tmp == nil {
		return nil
	}
	tmp := o.tmp.Name()
	o.tmp = nil
	if err := os.Rename(tmp, o.target); err != nil {
		os.Remove(tmp)
		return o.fail(err)
	}
	return nil
}

// Abort removes the temporary file. It is a no-op once renamed.
func (o *output) Abort() {
	if o != nil {
		o.held = nil
		if o.z != nil {
			o.under = io.Discard // nothing more reaches the file
			o.z.Close()          // stops a zstd encoder's goroutines
			o.z = nil
		}
	}
	if o != nil && o.dev != nil {
		o.dev.Close()
		o.dev = nil
	}
	if o == nil || o.tmp == nil {
		return
	}
	o.tmp.Close() // may be closed already by finish
	os.Remove(o.tmp.Name())
	o.tmp = nil
}

// outputError is a failure to write an output. It names the output as it
// was given, never its temporary file.
type outputError struct {
	name string
	err  error
}

func (e *outputError) Error() string { return e.name + ": " + e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

// fail returns err as an *outputError of o, unless it is one already.
func (o *output) fail(err error) error {
	var oe *outputError
	if errors.As(err, &oe) {
		return err
	}
	return &outputError{o.displayName(), bareError(err)}
}

// bareError returns the error under an *fs.PathError or *os.LinkError,
// whose path may be a temporary file's or, for stdout, one the user never
// named.
func bareError(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// failWriter is the writer under an output's buffer: its errors name the
// output (see fail), also where they surface through a csv.Writer or a
// json.Encoder on top.
type failWriter struct{ o *output }

func (w failWriter) Write(p []byte) (int, error) {
	n, err := w.o.under.Write(p)
	if err != nil {
		err = w.o.fail(err)
	}
	return n, err
}

func (o *output) displayName() string {
	if o.name == "" {
		return "stdout"
	}
	return o.name
}

// outputs is the set of files one command writes: all are committed
// together, or all aborted.
type outputs []*output

// commit finishes every output, and renames them into place only if all
// were written whole: a failure leaves none of them behind.
func (outs outputs) commit() error {
	for _, o := range outs {
		if err := o.finish(); err != nil {
			outs.abort()
			return err
		}
	}
	// All renamed, or (if the process abandons its work meanwhile, see
	// main) none.
	return tempfile.Commit(func() error {
		for _, o := range outs {
			if err := o.rename(); err != nil {
				outs.abort()
				return err
			}
		}
		return nil
	})
}

func (outs outputs) abort() {
	for _, o := range outs {
		o.Abort()
	}
}

// namedFile is a file a command names, as checkFiles compares it.
type namedFile = samefile.File

// inputFile, stateFile and outputFile name a file read, updated or
// written; "" names none. stdoutFile names an output that is stdout if
// "", "-" or "/dev/stdout".
func inputFile(flag, name string) []namedFile  { return namedIf(flag, name, samefile.Reads) }
func stateFile(flag, name string) []namedFile  { return namedIf(flag, name, samefile.Updates) }
func outputFile(flag, name string) []namedFile { return namedIf(flag, name, samefile.Writes) }
func stdoutFile(flag, name string) []namedFile {
	return []namedFile{{What: flag, Name: name, Use: samefile.Writes}}
}

func namedIf(flag, name string, use samefile.Use) []namedFile {
	if name == "" {
		return nil
	}
	return []namedFile{{What: flag, Name: name, Use: use}}
}

// checkFiles refuses, with a usage error before any file is opened, to
// write a file the command reads or writes otherwise (see samefile.Check).
func checkFiles(files ...[]namedFile) error {
	var all []namedFile
	for _, group := range files {
		all = append(all, group...)
	}
	if err := samefile.Check(all...); err != nil {
		return usageError{err}
	}
	return nil
}

// rejectsFile writes refused rows as "line,reason".
type rejectsFile struct{ *output }

func newRejects(name string, stdout io.Writer) (*rejectsFile, error) {
	if name == "" {
		return nil, nil
	}
	o, err := createOutput(name, stdout)
	if err != nil {
		return nil, err
	}
	o.WriteString("line,reason\n")
	return &rejectsFile{o}, nil
}

func (r *rejectsFile) add(line int64, err error) {
	if r == nil {
		return
	}
	fmt.Fprintf(r, "%d,%s\n", line, csvQuote(matcher.Reason(err)))
}

func csvQuote(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") || strings.TrimSpace(s) != s {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
