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

// Detail returns Detail(r.Err): the reason, naming each identifier of a
// row refused for several.
func (r Reject) Detail() string { return Detail(r.Err) }

func (r Reject) Error() string { return fmt.Sprintf("line %d: %s", r.Line, r.Detail()) }

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

// ErrNoEmailKeys is returned by Index.Match for a list with an email
// address when the index holds no email keys: it was written before
// indexes held them. Build the index again from its user base.
var ErrNoEmailKeys = errors.New("the index holds no email keys (built before emails were indexed): build it again")

// ErrNilArgument is returned by a call given a nil argument it needs: the
// stream of list entries or users, yield, or the receiver. Consent and
// onReject may be nil (no one is excluded; rejects are only counted).
var ErrNilArgument = errors.New("nil argument")

// ErrBadOptions is returned by a call given Options out of their range:
// Workers negative or above MaxWorkers, or a Prefilter, Format or Region
// this package does not know. The error says which field is at fault.
var ErrBadOptions = errors.New("invalid options")

// errNil returns the error of call fn given a nil arg.
func errNil(fn, arg string) error {
	return fmt.Errorf("matcher: %s: %s is nil: %w", fn, arg, ErrNilArgument)
}

// PanicError is returned when a function the caller passed in panicked
// on one of a call's goroutines: Consent.Excludes, yield, onReject,
// Options.OnAccept, or the input sequence itself. The panic is recovered
// on the goroutine where it happened, which a caller could not do, the
// call stops as at an error, and no match is yielded after it. Error
// gives the value and the stack; Unwrap gives the value if it is an
// error.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the stack of the goroutine that panicked
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("matcher: panic: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns the value passed to panic if it is an error, else nil.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
