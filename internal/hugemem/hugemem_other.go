//go:build !linux

package hugemem

// Advise does nothing here: see hugemem_linux.go.
func Advise[T any](s []T) {}
