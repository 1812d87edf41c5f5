package matcher

import (
	"errors"
	"fmt"
)

// Reject is a row that was refused: its line number as the caller gave it,
// and why. Err wraps one of the sentinel errors of package normalize or of
// the caller's reader; Reason names it.
type Reject struct {
	Line int64
	Err  error
}

// Reason returns the short, stable name of the reject's cause: the message
// of the innermost wrapped error, such as "not a phone number".
func (r Reject) Reason() string { return Reason(r.Err) }

func (r Reject) Error() string { return fmt.Sprintf("line %d: %s", r.Line, r.Reason()) }

// Reason returns the message of the innermost error that err wraps. The
// sentinels of this module have short, stable messages made for this, so
// Reason(err) is fit for a report key or a rejects file.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// ErrEmptyUserID refuses a user row without an id: it could match no one.
var ErrEmptyUserID = errors.New("empty user id")
