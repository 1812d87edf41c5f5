package consent

import (
	"fmt"
	"strings"
	"time"
)

// DefaultPurpose is the purpose that gates ad matching unless another is
// named.
const DefaultPurpose = "ads"

// Choice is what a user chose for a purpose.
type Choice uint8

// The two choices. The zero Choice is not valid.
const (
	OptIn  Choice = 1
	OptOut Choice = 2
)

// String returns "opt-in" or "opt-out", the spelling of every file the
// ledger reads or writes.
func (c Choice) String() string {
	switch c {
	case OptIn:
		return "opt-in"
	case OptOut:
		return "opt-out"
	}
	return fmt.Sprintf("Choice(%d)", uint8(c))
}

// ParseChoice reads "opt-out" or "opt-in", in any case, with surrounding
// blanks ignored. Anything else is ErrChoice.
func ParseChoice(s string) (Choice, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "opt-in":
		return OptIn, nil
	case "opt-out":
		return OptOut, nil
	}
	return 0, ErrChoice
}

// Policy says who may be matched, given the ledger's answers for one
// purpose.
type Policy uint8

const (
	// PolicyOptOut, the zero Policy, excludes a user if and only if their
	// latest choice for the purpose is OptOut. Users with no event are
	// matchable.
	PolicyOptOut Policy = iota
	// PolicyOptIn excludes every user whose latest choice for the purpose
	// is not OptIn, users with no event included: consent first, as some
	// jurisdictions require.
	PolicyOptIn
)

// String returns "opt-out" or "opt-in".
func (p Policy) String() string {
	switch p {
	case PolicyOptOut:
		return "opt-out"
	case PolicyOptIn:
		return "opt-in"
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// ParsePolicy reads "opt-out" or "opt-in", in any case. Anything else is
// ErrPolicy.
func ParsePolicy(s string) (Policy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "opt-out":
		return PolicyOptOut, nil
	case "opt-in":
		return PolicyOptIn, nil
	}
	return 0, ErrPolicy
}

// Event is one consent choice: the user, the purpose it is for, the choice,
// when it takes effect, and where it came from (free text, possibly empty).
type Event struct {
	UserID  string
	Purpose string
	Choice  Choice
	Time    time.Time
	Source  string
}

// CanonicalUserID returns a user id as the model compares it: without
// surrounding blanks, so " u1 " and "u1" are one user. Every reader of user
// ids that consent applies to (the ledger, opt-out files, a consent export,
// the user base at the moment it is checked) compares them through it.
func CanonicalUserID(id string) string { return strings.TrimSpace(id) }

// CanonicalPurpose returns a purpose as the model compares it: without
// surrounding blanks and lower-cased, so " Ads " and "ads" are one purpose.
func CanonicalPurpose(p string) string { return strings.ToLower(strings.TrimSpace(p)) }

// MatchPurpose returns the purpose a match asked for purpose p is gated
// by: CanonicalPurpose(p), or DefaultPurpose if p is blank.
func MatchPurpose(p string) string {
	if p = CanonicalPurpose(p); p == "" {
		return DefaultPurpose
	}
	return p
}

// Columns are the columns of a file of events, as match consent import
// reads it and match consent export writes it (in this order): source is
// optional on input. Header names are compared case-insensitively.
var Columns = []string{"user_id", "purpose", "choice", "time", "source"}

// ParseEvent makes an Event of the fields of one line of an events file
// (see Columns) and normalizes it. The errors are those of ParseChoice,
// ParseTime and Event.Normalize.
func ParseEvent(userID, purpose, choice, at, source string) (Event, error) {
	e := Event{UserID: userID, Purpose: purpose, Source: source}
	var err error
	if e.Choice, err = ParseChoice(choice); err != nil {
		return Event{}, err
	}
	if e.Time, err = ParseTime(at); err != nil {
		return Event{}, err
	}
	return e.Normalize()
}

// Time bounds: the ledger stores an event's time as nanoseconds since 1970
// in an int64, which reaches from 1677 to 2262.
var (
	minTime = time.Unix(0, -1<<63).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

// MaxFieldLen is the longest UserID, Purpose or Source the ledger stores,
// in bytes.
const MaxFieldLen = 1024

// Normalize returns e as the ledger stores it, or the reason it cannot be
// stored. Blanks are trimmed from UserID, Purpose and Source, so " u1 " and
// "u1" are one user; Purpose is lower-cased, since purposes are
// case-insensitive (an opt-out for "Ads" gates "ads"); Time is made UTC.
// The errors are ErrEmptyUser, ErrEmptyPurpose, ErrChoice, ErrTimeRange and
// ErrTooLong.
func (e Event) Normalize() (Event, error) {
	e.UserID = CanonicalUserID(e.UserID)
	e.Purpose = CanonicalPurpose(e.Purpose)
	e.Source = strings.TrimSpace(e.Source)
	switch {
	case e.UserID == "":
		return e, ErrEmptyUser
	case e.Purpose == "":
		return e, ErrEmptyPurpose
	case e.Choice != OptIn && e.Choice != OptOut:
		return e, ErrChoice
	case e.Time.Before(minTime) || e.Time.After(maxTime):
		return e, ErrTimeRange
	case len(e.UserID) > MaxFieldLen || len(e.Purpose) > MaxFieldLen || len(e.Source) > MaxFieldLen:
		return e, ErrTooLong
	}
	e.Time = e.Time.UTC()
	return e, nil
}

// ParseTime reads an effective time in RFC 3339, with or without fractional
// seconds ("2024-05-01T12:00:00Z", "2024-05-01T14:00:00.5+02:00"), exactly
// as the RFC's grammar has it: "t" and "z" may be lower case, a leap
// second (23:59:60 UTC) reads as the last nanosecond of its day, and
// offsets run from -23:59 to +23:59. Surrounding blanks are ignored. The
// error is ErrTime or ErrTimeRange.
func ParseTime(s string) (time.Time, error) {
	t, ok := parseRFC3339(strings.TrimSpace(s))
	if !ok {
		return time.Time{}, ErrTime
	}
	if t.Before(minTime) || t.After(maxTime) {
		return time.Time{}, ErrTimeRange
	}
	return t.UTC(), nil
}

// MaxSkew is how far past the present an event's effective time may be:
// enough for clocks that disagree, not enough to schedule a choice. An
// event dated later would win over every choice the user makes until
// then, so it is refused (ErrFuture) rather than recorded.
const MaxSkew = 24 * time.Hour

// CheckTime reports whether e may be recorded at now: ErrFuture if its
// effective time is more than MaxSkew after now.
func (e Event) CheckTime(now time.Time) error {
	if e.Time.After(now.Add(MaxSkew)) {
		return ErrFuture
	}
	return nil
}

// Supersedes reports whether e wins over old for the same user and
// purpose: the later effective time wins; at the same time OptOut wins over
// OptIn (the choice that protects the user); at the same time and choice
// the greater Source wins, so that the ledger is a function of the set of
// events it was given, whatever their order. An event does not supersede
// itself.
func (e Event) Supersedes(old Event) bool {
	if c := e.Time.Compare(old.Time); c != 0 {
		return c > 0
	}
	if e.Choice != old.Choice {
		return e.Choice == OptOut
	}
	return e.Source > old.Source
}

// Latest returns the event of events that wins (the one that Supersedes
// every other), and false if there is none. The events are those of one
// user and one purpose, normalized; their order does not matter.
func Latest(events []Event) (Event, bool) {
	if len(events) == 0 {
		return Event{}, false
	}
	win := events[0]
	for _, e := range events[1:] {
		if e.Supersedes(win) {
			win = e
		}
	}
	return win, true
}

// Deciding returns the choice whose holders p singles out: OptOut for
// PolicyOptOut (they are excluded), OptIn for PolicyOptIn (only they are
// not). Whether a user without it chose the other way or never chose does
// not change what p decides for them.
func (p Policy) Deciding() Choice {
	if p == PolicyOptIn {
		return OptIn
	}
	return OptOut
}

// Excludes reports whether a user whose latest event for the purpose is e
// (ok) or who has none (!ok) is excluded under p.
func (p Policy) Excludes(e Event, ok bool) bool {
	if p == PolicyOptIn {
		return !ok || e.Choice != OptIn
	}
	return ok && e.Choice == OptOut
}
