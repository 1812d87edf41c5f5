package normalize

import (
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// MaxInputLen is the longest raw phone string accepted, in bytes. It is
// libphonenumber's own limit (MAX_INPUT_STRING_LENGTH): longer input is
// refused by the library too, so the limit never changes an answer.
const MaxInputLen = 250

// DefaultRegion is the region used by the CLI when none is given.
const DefaultRegion = "US"

// E164 returns raw as an E.164 string ("+" and the digits of the country
// code and national number; libphonenumber allows up to 17 national digits,
// so a few countries give more than E.164's 15 in all), read as
// libphonenumber reads it when dialled from region (an ISO 3166-1 alpha-2
// code, any case).
//
// The answer is exactly libphonenumber's (github.com/nyaruka/phonenumbers,
// the version in go.mod): raw is accepted if and only if Parse(raw, region)
// succeeds and IsPossibleNumber holds, and the result is Format(E164).
// National, international and IDD-prefixed input ("00 44 …" from DE,
// "011 44 …" from US), "+44 (0)20 …", tel: URIs, punctuation, vanity letters
// and extensions are handled as the library handles them; an extension is
// dropped, as E.164 has none. So are Unicode separators, full-width,
// Arabic-Indic and Persian digits, and dirt: what the library reads, E164
// reads alike; what it refuses (a narrow no-break space, a tab or a quote
// inside the number, invalid UTF-8 after the number's first digit), E164
// refuses with ErrNotANumber.
//
// On refusal the error is ErrEmpty, ErrTooLong, ErrUnknownRegion,
// ErrNotANumber or ErrNotPossible. E164 is safe for concurrent use.
//
// E164 is not always idempotent, because the library is not: it strips a
// national prefix written after the country code ("+49 (0)030 1234567"
// gives +490301234567, which read again gives +49301234567). Store the
// first answer; do not normalize stored E.164 strings again.
func E164(raw, region string) (string, error) {
	b, err := AppendE164(nil, raw, region)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// AppendE164 is like E164 but appends the E.164 string to dst and returns
// the extended buffer. On error dst is returned unchanged.
func AppendE164(dst []byte, raw, region string) ([]byte, error) {
	if len(raw) > MaxInputLen {
		return dst, ErrTooLong
	}
	if blank(raw) {
		return dst, ErrEmpty
	}
	if fastPath {
		if out, handled, err := fastAppendE164(dst, raw, region); handled {
			return out, err
		}
	}
	return libraryAppendE164(dst, raw, region)
}

// blank reports whether raw is empty or white space only, as
// strings.TrimSpace sees it; a number that starts with a printable ASCII
// character is answered from that byte.
func blank(raw string) bool {
	if len(raw) > 0 && raw[0] > ' ' && raw[0] < utf8.RuneSelf {
		return false
	}
	return strings.TrimSpace(raw) == ""
}

// libraryAppendE164 is AppendE164 through the library alone: the reference
// the fast path must agree with.
func libraryAppendE164(dst []byte, raw, region string) ([]byte, error) {
	region = upperRegion(region)
	num, err := phonenumbers.Parse(raw, region)
	if err != nil {
		if err == phonenumbers.ErrInvalidCountryCode && !knownRegion(region) && !hasPlus(raw) {
			return dst, ErrUnknownRegion
		}
		if err == phonenumbers.ErrNumTooLong {
			return dst, ErrNotPossible
		}
		return dst, ErrNotANumber
	}
	if !phonenumbers.IsPossibleNumber(num) {
		return dst, ErrNotPossible
	}
	return append(dst, phonenumbers.Format(num, phonenumbers.E164)...), nil
}

// ValidRegion reports whether region (any case) is a region libphonenumber
// has metadata for, such as "US" or "gb".
func ValidRegion(region string) bool {
	return knownRegion(upperRegion(region))
}

func knownRegion(region string) bool {
	return len(region) == 2 && phonenumbers.GetCountryCodeForRegion(region) != 0
}

// upperRegion upper-cases a two-letter ASCII region code without allocating
// when it is already upper case.
func upperRegion(r string) string {
	if len(r) == 2 && r[0] >= 'A' && r[0] <= 'Z' && r[1] >= 'A' && r[1] <= 'Z' {
		return r
	}
	return strings.ToUpper(strings.TrimSpace(r))
}

// hasPlus reports whether raw starts, after blanks, with a plus sign (ASCII
// or full-width): such a number carries its own country code, so a bad
// region is not the reason it was refused.
func hasPlus(raw string) bool {
	s := strings.TrimLeft(raw, " \t\u00a0")
	return strings.HasPrefix(s, "+") || strings.HasPrefix(s, "\uff0b")
}
