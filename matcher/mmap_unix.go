//go:build unix

package matcher

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps size bytes of f read-only. Probes land anywhere in the
// file, so the kernel is told not to read ahead.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size == 0 {
		return nil, func() error { return nil }, nil
	}
	if int64(int(size)) != size {
		return nil, nil, corrupt("%d bytes: too large to map", size)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	_ = unix.Madvise(data, unix.MADV_RANDOM) // a hint
	return data, func() error { return unix.Munmap(data) }, nil
}

// willNeed asks the kernel to read b, a page-aligned part of a mapping,
// ahead of its use, without waiting for it.
func willNeed(b []byte) {
	_ = unix.Madvise(b, unix.MADV_WILLNEED) // a hint
}
