package ledger

import (
	"errors"
	"fmt"
)

// Errors of the store.
var (
	// ErrNotLedger is returned by Open when the file is a bbolt database
	// but not a consent ledger, or a ledger of a format version this
	// package does not read.
	ErrNotLedger = errors.New("not a consent ledger")

	// ErrReadOnly is returned when a Store opened with Options.ReadOnly is
	// asked to record events.
	ErrReadOnly = errors.New("consent ledger opened read-only")

	// ErrCorrupt is returned when a record of the ledger fails its
	// checksum or cannot be a record, or bbolt fails on a damaged page: the
	// ledger cannot be trusted to say who opted out, so nothing is
	// answered from it.
	ErrCorrupt = errors.New("consent ledger damaged")

	// ErrClosed is returned when a closed Store is used.
	ErrClosed = errors.New("consent ledger closed")
)

// RowError is a refused row of an import: its line and the reason, one of
// the sentinels above or a CSV reason of the caller's.
type RowError struct {
	Line int64
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }
