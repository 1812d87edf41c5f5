package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/audiencematch/audiencematch/matcher"
)

// outBuf is the write buffer of an output: large, so that a million rows
// take a few hundred write calls.
const outBuf = 1 << 20

// output is a file written whole or not at all: it is written to a temporary
// file beside its name and renamed into place by Commit. Without a name, or
// with "-" or "/dev/stdout", it writes to stdout; a name that exists and is
// not a regular file (a symlink, device or pipe) is written in place.
type output struct {
	name string
	tmp  *os.File // the temporary file, until Commit or Abort
	dev  *os.File // a non-regular file written in place
	*bufio.Writer
	held   *bytes.Buffer // see hold
	heldTo io.Writer
	stdout io.Writer // for an output to stdout
}

// hold keeps what is written in memory until the output is committed, and
// drops it if aborted, where the output is not a temporary file (stdout, a
// device): for an output that must not be seen unless the run decides so.
func (o *output) hold() {
	if o.tmp != nil || o.held != nil {
		return
	}
	o.Flush()
	o.heldTo = o.dev
	if o.dev == nil {
		o.heldTo = o.stdout
	}
	o.held = new(bytes.Buffer)
	o.Writer = bufio.NewWriterSize(o.held, outBuf)
}

func createOutput(name string, stdout io.Writer) (*output, error) {
	if name == "" || name == "-" || name == "/dev/stdout" {
		return &output{stdout: stdout, Writer: bufio.NewWriterSize(stdout, outBuf)}, nil
	}
	if fi, err := os.Lstat(name); err == nil && !fi.Mode().IsRegular() {
		// A symlink, device or pipe: write through it in place, since
		// renaming over it would replace it.
		flag := os.O_WRONLY
		if fi, err := os.Stat(name); err == nil && fi.Mode().IsRegular() {
			flag |= os.O_TRUNC
		}
		f, err := os.OpenFile(name, flag, 0)
		if err != nil {
			return nil, usageErrorf("%s: cannot open: %v", name, errors.Unwrap(err))
		}
		return &output{name: name, dev: f, Writer: bufio.NewWriterSize(f, outBuf)}, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return nil, usageErrorf("%s: cannot create: %v", name, errors.Unwrap(err))
	}
	return &output{name: name, tmp: tmp, Writer: bufio.NewWriterSize(&writeBehind{f: tmp}, outBuf)}, nil
}

// finish flushes the file and, for a temporary file, syncs and closes it,
// so that only the rename is left.
func (o *output) finish() error {
	if err := o.Flush(); err != nil {
		return fmt.Errorf("%s: %w", o.displayName(), err)
	}
	if o.held != nil {
		_, err := o.held.WriteTo(o.heldTo)
		o.held = nil
		if err != nil {
			return fmt.Errorf("%s: %w", o.displayName(), err)
		}
	}
	if o.dev != nil {
		err := o.dev.Close()
		o.dev = nil
		return err
	}
	if o.tmp == nil {
		return nil
	}
	if err := o.tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("%s: %w", o.name, err)
	}
	if err := o.tmp.Sync(); err != nil {
		return fmt.Errorf("%s: %w", o.name, err)
	}
	if err := o.tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", o.name, err)
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
	if err := os.Rename(tmp, o.name); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", o.name, err)
	}
	return nil
}

// Abort removes the temporary file. It is a no-op once renamed.
func (o *output) Abort() {
	if o != nil {
		o.held = nil
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
	for _, o := range outs {
		if err := o.rename(); err != nil {
			outs.abort()
			return err
		}
	}
	return nil
}

func (outs outputs) abort() {
	for _, o := range outs {
		o.Abort()
	}
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
