package normalize

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strconv"
)

// Format is one of the three wire formats of a hashed phone number.
//
//	format  hashed string   encoding
//	E164    "+16505551234"  lowercase hex, 64 characters
//	Digits  "16505551234"   lowercase hex, 64 characters
//	UID2    "+16505551234"  standard base64 with padding, 44 characters
//
// E164 and UID2 hash the same string and so share a digest; Digits hashes
// the E.164 string without its "+" and gives a different digest.
type Format uint8

const (
	E164Hex Format = iota // "e164": SHA-256 of "+…", lowercase hex
	Digits                // "digits": SHA-256 of the digits alone, lowercase hex
	UID2                  // "uid2": SHA-256 of "+…", padded base64
)

// HexLen and Base64Len are the encoded lengths of a digest.
const (
	HexLen    = 2 * sha256.Size
	Base64Len = (sha256.Size + 2) / 3 * 4
)

var formatNames = [...]string{E164Hex: "e164", Digits: "digits", UID2: "uid2"}

// String returns the format's name: "e164", "digits" or "uid2".
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat returns the Format named s ("e164", "digits" or "uid2"), or
// ErrUnknownFormat.
func ParseFormat(s string) (Format, error) {
	for f, name := range formatNames {
		if s == name {
			return Format(f), nil
		}
	}
	return 0, ErrUnknownFormat
}

// Family returns the format whose digest f shares: E164Hex for E164Hex and
// UID2, Digits for Digits. Two lists can be joined on their digests only if
// their families are equal.
func (f Format) Family() Format {
	if f == UID2 {
		return E164Hex
	}
	return f
}

// Sum returns the SHA-256 digest of the E.164 string e164 as f hashes it:
// the whole string for E164Hex and UID2, the string without its leading "+"
// for Digits. e164 is expected to come from E164; Sum does not validate it.
//
// For example, Sum("+16505551234", E164Hex) is the digest whose hex
// encoding is a2996076d3ad4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805ee0.
func Sum(e164 []byte, f Format) [32]byte {
	if f == Digits && len(e164) > 0 && e164[0] == '+' {
		e164 = e164[1:]
	}
	return sha256.Sum256(e164)
}

// AppendEncode appends the encoding of digest in format f to dst.
func AppendEncode(dst []byte, digest [32]byte, f Format) []byte {
	if f == UID2 {
		return base64.StdEncoding.AppendEncode(dst, digest[:])
	}
	// A pair of hex digits a byte, from a table: half the work of
	// encoding/hex's two lookups a byte, on every output row.
	n := len(dst)
	dst = slices.Grow(dst, HexLen)[:n+HexLen]
	out := dst[n : n+HexLen]
	for i, b := range digest {
		binary.LittleEndian.PutUint16(out[2*i:], hexPairs[b])
	}
	return dst
}

// hexPairs holds the two lowercase hex digits of each byte, first digit in
// the low byte.
var hexPairs = func() (t [256]uint16) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = uint16(digits[i>>4]) | uint16(digits[i&15])<<8
	}
	return t
}()

// Encode returns the encoding of digest in format f.
func Encode(digest [32]byte, f Format) string {
	return string(AppendEncode(make([]byte, 0, HexLen), digest, f))
}

// Decode returns the digest that s encodes in format f. Hex may be upper or
// lower case (advertisers' tools differ); base64 must be standard, padded
// and exactly 44 characters. Anything else is ErrBadHash.
func Decode(s string, f Format) ([32]byte, error) {
	var d [32]byte
	switch f {
	case E164Hex, Digits:
		if len(s) != HexLen {
			return d, ErrBadHash
		}
		for i := 0; i < len(d); i++ {
			hi, ok1 := fromHex(s[2*i])
			lo, ok2 := fromHex(s[2*i+1])
			if !ok1 || !ok2 {
				return d, ErrBadHash
			}
			d[i] = hi<<4 | lo
		}
		return d, nil
	case UID2:
		if len(s) != Base64Len || s[Base64Len-1] != '=' || s[Base64Len-2] == '=' {
			return d, ErrBadHash
		}
		n, err := base64.StdEncoding.Strict().Decode(d[:], []byte(s))
		if err != nil || n != len(d) {
			return d, ErrBadHash
		}
		return d, nil
	}
	return d, ErrUnknownFormat
}

// Detect guesses a value's format from its shape: 64 hex digits are E164Hex
// (Digits looks the same; only the sender knows which string was hashed),
// 44 characters of padded base64 are UID2. ok is false for anything else,
// such as a raw phone number.
func Detect(s string) (f Format, ok bool) {
	if _, err := Decode(s, E164Hex); err == nil {
		return E164Hex, true
	}
	if _, err := Decode(s, UID2); err == nil {
		return UID2, true
	}
	return 0, false
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
