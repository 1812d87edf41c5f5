package normalize

import "errors"

// The errors below are the reasons a value is refused. Each message is short
// and stable: the CLI writes it as the reason column of a rejects file and as
// a key of the report, so callers may match on it.
var (
	// ErrEmpty is returned when the phone or hash field is empty or blank.
	ErrEmpty = errors.New("empty")

	// ErrTooLong is returned when a phone is longer than MaxInputLen bytes,
	// the limit libphonenumber itself applies, or an email address longer
	// than MaxEmailLen.
	ErrTooLong = errors.New("too long")

	// ErrNotANumber is returned when libphonenumber cannot parse the input
	// as a phone number for the given region.
	ErrNotANumber = errors.New("not a phone number")

	// ErrNotPossible is returned when the input parses but its length is not
	// possible for its country (libphonenumber's IsPossibleNumber is false).
	ErrNotPossible = errors.New("not a possible number")

	// ErrUnknownRegion is returned when the region is not an ISO 3166-1
	// alpha-2 code that libphonenumber knows, and the number does not carry
	// its own country calling code.
	ErrUnknownRegion = errors.New("unknown region")

	// ErrBadHash is returned when a value is not a valid encoding of a
	// SHA-256 digest in the expected Format.
	ErrBadHash = errors.New("not a valid hash")

	// ErrUnknownFormat is returned by ParseFormat for a name that is not
	// one of e164, digits, uid2, email or email-uid2, and by AppendEmail
	// for a format that is not an email format.
	ErrUnknownFormat = errors.New("unknown hash format")
)

// The reasons an email address is refused (see email.go); an empty one is
// ErrEmpty, one longer than MaxEmailLen bytes ErrTooLong.
var (
	// ErrNotAnEmail is returned when an address has no "@" or more than
	// one, or is not valid UTF-8.
	ErrNotAnEmail = errors.New("not an email")

	// ErrEmailBlank is returned when an address has a blank (Unicode
	// White_Space) or a control character inside it, after trimming.
	ErrEmailBlank = errors.New("blank inside email")

	// ErrEmailLocalPart is returned when the part of an address before its
	// "@" is empty, or becomes empty once EmailUID2 drops a gmail.com
	// address's dots and "+tag".
	ErrEmailLocalPart = errors.New("empty email local part")

	// ErrEmailDomain is returned when the part of an address after its "@"
	// is not at least two non-empty labels joined by dots.
	ErrEmailDomain = errors.New("bad email domain")
)
