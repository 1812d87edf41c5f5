// Package samefile refuses a command that would write a file it also
// reads, or write one file twice: it compares the files a command names
// by device and inode, symbolic links followed, and by directory and name
// for files not made yet. match's commands and the Beam pipeline ask it
// before they open anything, so that an output never clobbers an input.
package samefile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Use is what a command does with a file.
type Use int

const (
	Reads   Use = iota // an input
	Updates            // state read and written in place: a history, an audit log, a ledger
	Writes             // an output
)

// A File is a file a command names.
type File struct {
	What string // how it was named: "--list", or "the events file" for an argument
	Name string // as given; for a file written, "", "-" and "/dev/stdout" mean stdout
	Use  Use
}

// IsStdout reports whether an output named name goes to stdout.
func IsStdout(name string) bool {
	return name == "" || name == "-" || name == "/dev/stdout"
}

// Check refuses, before any file is opened, to write a file the command
// reads or writes otherwise: a file written (an output, or state such as
// an audit log) that is the same file as another file named, by device
// and inode, symbolic links followed; for files that do not exist yet, by
// directory and name. Streams (stdout, devices, pipes) are not compared,
// so two outputs may go to /dev/null; but two outputs to stdout would be
// mixed, and are refused too. Each file is compared with the ones before
// it, and the message names the later one: list inputs first. Files that
// are not local (gs://...) are compared by name.
func Check(files ...File) error {
	ids := make([]id, len(files))
	for i, f := range files {
		ids[i] = identify(f)
	}
	for i, f := range files {
		for j, g := range files[:i] {
			if f.Use == Reads && g.Use == Reads {
				continue
			}
			if ids[i].stdout && ids[j].stdout {
				return fmt.Errorf("%s and %s both write to stdout; give one of them a file", g.What, f.What)
			}
			if !ids[i].same(ids[j]) {
				continue
			}
			if f.Name == g.Name {
				return fmt.Errorf("%s: %s is the same file as %s", f.Name, f.What, g.What)
			}
			return fmt.Errorf("%s: %s is the same file as %s (%s)", f.Name, f.What, g.What, g.Name)
		}
	}
	return nil
}

// id is what identifies a file for Check.
type id struct {
	stdout bool        // an output to stdout
	stream bool        // an existing file that is not regular: not compared
	fi     os.FileInfo // of an existing regular file
	dir    os.FileInfo // of the directory of a file that does not exist yet,
	base   string      // and its name there
	abs    string      // the absolute path, if neither exists
}

func identify(f File) id {
	if f.Use == Writes && IsStdout(f.Name) {
		return id{stdout: true}
	}
	p, err := FollowLinks(f.Name)
	if err != nil {
		p = f.Name
	}
	fi, err := os.Stat(p)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return id{stream: true}
	case err == nil:
		return id{fi: fi}
	}
	if di, err := os.Stat(filepath.Dir(p)); err == nil {
		return id{dir: di, base: filepath.Base(p)}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = filepath.Clean(p)
	}
	return id{abs: abs}
}

// same reports whether a and b are the same file; streams never are.
func (a id) same(b id) bool {
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

// FollowLinks returns the file that name ends at once its symbolic links
// are followed, which need not exist yet (a file to be made, or that a
// dangling link names): a temporary file beside it, renamed to it, lands
// where writing to name would.
func FollowLinks(name string) (string, error) {
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
			if pe, ok := err.(*fs.PathError); ok {
				err = pe.Err // the caller names the file
			}
			return "", err
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
