//go:build !linux

package main

import "os"

// writeBehind is the file under an output's buffer; only Linux starts its
// writeback early (see writeback_linux.go).
type writeBehind struct{ f *os.File }

func (w *writeBehind) Write(p []byte) (int, error) { return w.f.Write(p) }
