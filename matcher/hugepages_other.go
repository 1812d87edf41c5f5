//go:build !linux

package matcher

// adviseHuge does nothing here: see hugepages_linux.go.
func adviseHuge[T any](s []T) {}
