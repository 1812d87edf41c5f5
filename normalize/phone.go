package normalize

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// MaxInputLen is the longest raw phone string accepted, in bytes. It is
// libphonenumber's own limit (MAX_INPUT_STRING_LENGTH): longer input is
// refused by the library too, so the limit never changes an answer.
const MaxInputLen = 250

// DefaultRegion is the region used by the CLI when none is given.
const DefaultRegion = "US"

// E164 returns raw as an E.164 string ("+" and up to 15 digits), read as
// libphonenumber reads it when dialled from region (an ISO 3166-1 alpha-2
// code, any case).
//
// The answer is exactly libphonenumber's (github.com/nyaruka/phonenumbers,
// the version in go.mod): raw is accepted if and only if Parse(raw, region)
// succeeds and IsPossibleNumber holds, and the result is Format(E164).
// National, international and IDD-prefixed input ("00 44 …" from DE,
// "011 44 …" from US), "+44 (0)20 …", tel: URIs, punctuation, vanity letters
// and extensions are handled as the library handles them; an extension is
// dropped, as E.164 has none.
//
// On refusal the error is ErrEmpty, ErrTooLong, ErrUnknownRegion,
// ErrNotANumber or ErrNotPossible. E164 is safe for concurrent use.
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
	if strings.TrimSpace(raw) == "" {
		return dst, ErrEmpty
	}
	region = upperRegion(region)
	num, err := phonenumbers.Parse(raw, region)
	if err != nil {
		if err == phonenumbers.ErrInvalidCountryCode && !knownRegion(region) {
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
