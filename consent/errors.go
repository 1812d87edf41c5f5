package consent

import (
	"errors"
	"fmt"
)

// Reasons an event is refused. Import counts and reports refused rows by
// these; the text of each is the reason a rejects file gives.
var (
	// ErrEmptyUser is returned when an event has no user id.
	ErrEmptyUser = errors.New("empty user id")

	// ErrEmptyPurpose is returned when an event has no purpose.
	ErrEmptyPurpose = errors.New("empty purpose")

	// ErrChoice is returned when a choice is neither "opt-out" nor
	// "opt-in".
	ErrChoice = errors.New("unknown choice (want opt-out or opt-in)")

	// ErrTime is returned when an effective time is not RFC 3339.
	ErrTime = errors.New("bad time (want RFC 3339)")

	// ErrTimeRange is returned when an effective time is before 1678 or
	// after 2261, outside what the ledger stores.
	ErrTimeRange = errors.New("time out of range")

	// ErrTooLong is returned when a user id, purpose or source is longer
	// than MaxFieldLen bytes.
	ErrTooLong = errors.New("field too long")
)

// Errors of the store.
var (
	// ErrPolicy is returned by ParsePolicy for a name that is no policy.
	ErrPolicy = errors.New("unknown policy (want opt-out or opt-in)")

	// ErrNotLedger is returned by Open when the file is a bbolt database
	// but not a consent ledger, or a ledger of a format version this
	// package does not read.
	ErrNotLedger = errors.New("not a consent ledger")

	// ErrReadOnly is returned when a Store opened with Options.ReadOnly is
	// asked to record events.
	ErrReadOnly = errors.New("consent ledger opened read-only")

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
