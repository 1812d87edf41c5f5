package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeBehind is the file under an output's buffer. Every writeBehindStep
// bytes it asks the kernel to start writing them to disk (sync_file_range,
// without waiting), so that the fsync before the rename finds little left
// to do: the disk works while the engine computes, instead of after.
type writeBehind struct {
	f             *os.File
	off, starting int64
}

const writeBehindStep = 8 << 20

func (w *writeBehind) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.starting >= writeBehindStep {
		// Only a hint: an error here changes nothing, fsync decides.
		_ = unix.SyncFileRange(int(w.f.Fd()), w.starting, w.off-w.starting, unix.SYNC_FILE_RANGE_WRITE)
		w.starting = w.off
	}
	return n, err
}
