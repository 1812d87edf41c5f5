package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

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
func isStdout(name string) bool {
	return name == "" || name == "-" || name == "/dev/stdout"
}

func createOutput(name string, stdout io.Writer) (*output, error) {
	if isStdout(name) {
		return newOutput(&output{}, stdout), nil
	}
	target, err := followLinks(name)
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

// followLinks returns the file that name ends at once its symbolic links
// are followed, which need not exist yet (a file to be made, or that a
// dangling link names): a temporary file beside it, renamed to it, lands
// where writing to name would.
func followLinks(name string) (string, error) {
	for range 40 { // as many links as Linux follows
		if p, err := filepath.EvalSymlinks(name); err == nil {
			return p, nil
		}
		dir, base := splitPath(name)
		fi, err := os.Lstat(name)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			// Not there yet: resolve its directory, so that "link/.."
			// is the directory the system would go to.
			if d, err := filepath.EvalSymlinks(dir); err == nil {
				return filepath.Join(d, base), nil
			}
			return name, nil // creating it will say what is wrong
		}
		link, err := os.Readlink(name)
		if err != nil {
			return "", bareError(err)
		}
		if !filepath.IsAbs(link) {
			link = dir + string(filepath.Separator) + link // not cleaned, as above
		}
		name = link
	}
	return "", syscall.ELOOP
}

// splitPath splits name after its last separator, without cleaning the
// directory as filepath.Dir does.
func splitPath(name string) (dir, base string) {
	i := len(name) - 1
	for i >= 0 && !os.IsPathSeparator(name[i]) {
		i--
	}
	switch {
	case i < 0:
		return ".", name
	case i == 0:
		return name[:1], name[1:]
	}
	return name[:i], name[i+1:]
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
type namedFile struct {
	what string // how it was named: "--list", or "the events file" for an argument
	name string // as given; for an output, "" or "-" may mean stdout
	use  fileUse
}

// fileUse is what a command does with a file.
type fileUse int

const (
	reads   fileUse = iota // an input
	updates                // state read and written in place: a history, an audit log, a ledger
	writes                 // an output
)

// inputFile, stateFile and outputFile name a file read, updated or
// written; "" names none. stdoutFile names an output that is stdout if
// "", "-" or "/dev/stdout".
func inputFile(flag, name string) []namedFile  { return namedIf(flag, name, reads) }
func stateFile(flag, name string) []namedFile  { return namedIf(flag, name, updates) }
func outputFile(flag, name string) []namedFile { return namedIf(flag, name, writes) }
func stdoutFile(flag, name string) []namedFile { return []namedFile{{flag, name, writes}} }

func namedIf(flag, name string, use fileUse) []namedFile {
	if name == "" {
		return nil
	}
	return []namedFile{{flag, name, use}}
}

// checkFiles refuses, before any file is opened, to write a file the
// command reads or writes otherwise: a file written (an output, or state
// such as the audit log) that is the same file as another file named, by
// device and inode, symbolic links followed; for files that do not exist
// yet, by directory and name. Streams (stdout, devices, pipes) are not
// compared, so two outputs may go to /dev/null; but two outputs to stdout
// would be mixed, and are refused too. Each file is compared with the
// ones before it, and the message names the later one: list inputs first.
func checkFiles(files ...[]namedFile) error {
	var all []namedFile
	var ids []fileID
	for _, group := range files {
		for _, f := range group {
			all, ids = append(all, f), append(ids, identify(f))
		}
	}
	for i, f := range all {
		for j, g := range all[:i] {
			if f.use == reads && g.use == reads {
				continue
			}
			if ids[i].stdout && ids[j].stdout {
				return usageErrorf("%s and %s both write to stdout; give one of them a file", g.what, f.what)
			}
			if !ids[i].same(ids[j]) {
				continue
			}
			if f.name == g.name {
				return usageErrorf("%s: %s is the same file as %s", f.name, f.what, g.what)
			}
			return usageErrorf("%s: %s is the same file as %s (%s)", f.name, f.what, g.what, g.name)
		}
	}
	return nil
}

// fileID is what identifies a file for checkFiles.
type fileID struct {
	stdout bool        // an output to stdout
	stream bool        // an existing file that is not regular: not compared
	fi     os.FileInfo // of an existing regular file
	dir    os.FileInfo // of the directory of a file that does not exist yet,
	base   string      // and its name there
	abs    string      // the absolute path, if neither exists
}

func identify(f namedFile) fileID {
	if f.use == writes && isStdout(f.name) {
		return fileID{stdout: true}
	}
	p, err := followLinks(f.name)
	if err != nil {
		p = f.name
	}
	fi, err := os.Stat(p)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return fileID{stream: true}
	case err == nil:
		return fileID{fi: fi}
	}
	if di, err := os.Stat(filepath.Dir(p)); err == nil {
		return fileID{dir: di, base: filepath.Base(p)}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = filepath.Clean(p)
	}
	return fileID{abs: abs}
}

// same reports whether a and b are the same file; streams never are.
func (a fileID) same(b fileID) bool {
	switch {
	case a.stdout || b.stdout || a.stream || b.stream:
		return false
	case a.fi != nil || b.fi != nil:
		return a.fi != nil && b.fi != nil && os.SameFile(a.fi, b.fi)
	case a.dir != nil || b.dir != nil:
		return a.dir != nil && b.dir != nil && a.base == b.base && os.SameFile(a.dir, b.dir)
	}
	return a.abs == b.abs
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
