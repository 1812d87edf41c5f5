//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package tempfile

import (
	"os"
	"syscall"
)

// lock takes an exclusive lock on f, held until f is closed (or its
// process ends): the mark of a temporary file being written.
func lock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

// tryLock reports whether f could be locked: whether no process holds
// its lock.
func tryLock(f *os.File) bool { return lock(f) }
