package consent

import "errors"

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

	// ErrFuture is returned when an effective time is more than MaxSkew
	// after the present.
	ErrFuture = errors.New("time in the future")

	// ErrTooLong is returned when a user id, purpose or source is longer
	// than MaxFieldLen bytes.
	ErrTooLong = errors.New("field too long")

	// ErrPolicy is returned by ParsePolicy for a name that is no policy.
	ErrPolicy = errors.New("unknown policy (want opt-out or opt-in)")
)
