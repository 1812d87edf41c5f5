// Package tempfile creates the temporary files that outputs are written
// to before they are renamed into place, under one name a reader can
// recognize, and removes the ones a killed process left behind.
//
// The temporary file of PATH is created in PATH's directory (so that the
// rename stays on one file system) as
//
//	.BASE.match-tmp-XXXXXXXXXXXXXXXX
//
// where BASE is PATH's last element and the X are 16 random lowercase hex
// digits: "report.json" is written as ".report.json.match-tmp-3f9c0a1b7d2e4f60".
// It is created exclusively (never an existing file), with mode 0666 less
// the process's umask, as a shell's ">" would create it, and stays locked
// (flock, where the system has it) while it is open.
//
// A process killed while writing leaves its temporary file. Create removes
// the temporary files of the same PATH that are stale first: older than
// StaleAge (by their last modification) and not locked. A temporary file
// that is being written is recent, or locked, or both, so it is not removed.
package tempfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Infix is the part of a temporary file's name between "."+BASE and the
// random digits.
const Infix = ".match-tmp-"

// randLen is the number of random hex digits that end a temporary name.
const randLen = 16

// StaleAge is the age past which an unlocked temporary file is taken as
// left behind by a process that died.
const StaleAge = time.Hour

// Create removes the stale temporary files of path (see RemoveStale) and
// creates a new one beside path, locked, open for reading and writing,
// with mode 0666 less the umask. The caller writes it, closes it and
// renames it to path, or removes it.
func Create(path string) (*os.File, error) {
	RemoveStale(path, StaleAge)
	for range 100 {
		f, err := os.OpenFile(Name(path), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue // 64 random bits taken: try others
		}
		if err != nil {
			return nil, err
		}
		lock(f) // at worst unlocked: its age still protects it
		remember(f.Name())
		return f, nil
	}
	return nil, &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
}

// Name returns a new temporary name for path: in its directory,
// ".BASE.match-tmp-" and 16 random hex digits.
func Name(path string) string {
	var b [randLen / 2]byte
	rand.Read(b[:])
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+Infix+hex.EncodeToString(b[:]))
}

// Is reports whether name (a file name, without a directory) is a
// temporary name of a path whose last element is base.
func Is(name, base string) bool {
	digits, ok := strings.CutPrefix(name, "."+base+Infix)
	if !ok || len(digits) != randLen {
		return false
	}
	for _, c := range []byte(digits) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// RemoveStale removes the temporary files of path, in its directory, that
// were last modified more than age ago and that no process has locked,
// and returns how many it removed. It removes nothing else, and an error
// (an unreadable directory, a file another process removed first) only
// leaves a file in place.
func RemoveStale(path string, age time.Duration) int {
	dir, base := filepath.Dir(path), filepath.Base(path)
	d, err := os.Open(dir)
	if err != nil {
		return 0
	}
	defer d.Close()
	before := time.Now().Add(-age)
	removed := 0
	for {
		names, err := d.Readdirnames(1024)
		for _, name := range names {
			if Is(name, base) && removeIfStale(filepath.Join(dir, name), before) {
				removed++
			}
		}
		if err != nil { // io.EOF at the end, or a directory that cannot be read on
			return removed
		}
	}
}

// removeIfStale removes the file at name if it is a regular file last
// modified before the time given and no process holds its lock.
func removeIfStale(name string, before time.Time) bool {
	fi, err := os.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(before) {
		return false
	}
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	if !tryLock(f) {
		return false // a process is writing it
	}
	return os.Remove(name) == nil
}
