package normalize

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Emails
//
// An email address is normalized for one of two formats, and the two may
// hash different strings:
//
//	format     normalized string                                   encoding
//	EmailHex   trimmed, lowercased                                 lowercase hex (Meta, Google)
//	EmailUID2  as EmailHex; for gmail.com only, the local part     padded base64 (UID2)
//	           without its dots and without anything from "+"
//
// " Jane.Doe+News@Gmail.com " is "jane.doe+news@gmail.com" for EmailHex
// and "janedoe@gmail.com" for EmailUID2; "Jane.Doe+News@example.com" is
// "jane.doe+news@example.com" for both, which then share a digest.
//
// Acceptance is a syntactic check, the same for both formats, on the
// trimmed address (blanks are Unicode White_Space, as strings.TrimSpace
// trims them):
//
//   - not empty (ErrEmpty) and at most MaxEmailLen bytes, before and
//     after lowercasing (ErrTooLong);
//   - valid UTF-8 with no control character and no blank inside (ErrEmailBlank
//     for a blank or a control character, ErrNotAnEmail for bad UTF-8);
//   - exactly one "@" (ErrNotAnEmail);
//   - a local part that is not empty (ErrEmailLocalPart), also after
//     EmailUID2 drops a gmail.com address's dots and tag ("+news@gmail.com"
//     is refused for EmailUID2 only);
//   - a domain of at least two labels, each non-empty: "example.com", not
//     "localhost", ".example.com", "example..com" or "example.com."
//     (ErrEmailDomain).
//
// Nothing else is checked: quoted local parts, comments and IP-literal
// domains are bytes like any other, and an address that passes and is
// mistyped simply matches no one.
//
// Non-ASCII. UTF-8 is kept, not refused: an internationalized address
// ("josé@exämple.com") is lowercased rune by rune with Unicode's simple case
// mapping (unicode.ToLower, as Go's strings.ToLower), and its UTF-8 bytes
// are hashed. Domains are not converted to or from punycode: "exämple.com"
// and "xn--exmple-cua.com" are different strings and different digests.
// Simple case mapping agrees with the full mapping of JavaScript's and
// Java's toLowerCase on every character but the few whose lower case is
// longer than one character (U+0130 "İ" gives "i" here, "i̇" there) and
// the final-sigma rule: such addresses may not match what another platform
// hashed. ASCII addresses, nearly all of them, are exact.
//
// A phone's string (from E164) never holds an "@" and an email's always
// does, so a phone digest and an email digest are SHA-256 of different
// strings: they collide with probability 2^-256, as any two digests do. A
// digest table may therefore hold the digests of one phone family and of
// one email family side by side, without marking which is which, and a
// lookup of either kind finds only its own kind.

// MaxEmailLen is the longest email address accepted, in bytes after
// trimming: the 254 characters of RFC 5321's longest path less its angle
// brackets.
const MaxEmailLen = 254

// gmail is the one domain whose local part EmailUID2 rewrites.
const gmail = "gmail.com"

// Kind is the kind of identifier a Format hashes.
type Kind uint8

const (
	KindPhone Kind = iota // a phone number, normalized by E164
	KindEmail             // an email address, normalized by AppendEmail
)

var kindNames = [...]string{KindPhone: "phone", KindEmail: "email"}

// String returns "phone" or "email".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Kind returns the kind of identifier f hashes: KindEmail for EmailHex and
// EmailUID2, KindPhone for the phone formats.
func (f Format) Kind() Kind {
	if f == EmailHex || f == EmailUID2 {
		return KindEmail
	}
	return KindPhone
}

// EmailFormatFor returns the email format that goes with the phone format
// f in the industry's upload formats: EmailUID2 with UID2 (UID2 hashes
// both kinds its own way), EmailHex with E164Hex (Google) and Digits
// (Meta). An email format is returned as it is.
func EmailFormatFor(f Format) Format {
	switch f {
	case UID2, EmailUID2:
		return EmailUID2
	}
	return EmailHex
}

// Email returns raw normalized for the email format f (EmailHex or
// EmailUID2), or why it is refused: ErrEmpty, ErrTooLong, ErrNotAnEmail,
// ErrEmailBlank, ErrEmailLocalPart or ErrEmailDomain. A phone format is
// ErrUnknownFormat. The rules are in this file's header comment.
//
// For example, Email(" Jane.Doe+News@Gmail.com ", EmailUID2) is
// "janedoe@gmail.com", and its SHA-256 is the digest Sum gives for it.
func Email(raw string, f Format) (string, error) {
	b, err := AppendEmail(nil, raw, f)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// AppendEmail is like Email but appends the normalized address to dst and
// returns the extended buffer; on error dst is returned unchanged. With
// room in dst it does not allocate.
//
// Email normalization is idempotent: an address AppendEmail returns is
// returned unchanged when normalized again for the same format.
func AppendEmail(dst []byte, raw string, f Format) ([]byte, error) {
	if f.Kind() != KindEmail {
		return dst, ErrUnknownFormat
	}
	s := trimSpace(raw)
	switch {
	case s == "":
		return dst, ErrEmpty
	case len(s) > MaxEmailLen:
		return dst, ErrTooLong
	}
	n := len(dst)
	out, at, err := appendLower(dst, s)
	if err != nil {
		return dst, err
	}
	if len(out)-n > MaxEmailLen {
		// Lower case can take more bytes ("Ⱥ" is 2, "ⱥ" 3): the limit
		// holds for the result too, so that normalizing it again
		// accepts it.
		return dst, ErrTooLong
	}
	local, domain := out[n:at], out[at+1:]
	if len(local) == 0 {
		return dst, ErrEmailLocalPart
	}
	if !validDomain(domain) {
		return dst, ErrEmailDomain
	}
	if f == EmailUID2 && string(domain) == gmail {
		// Drop dots, and everything from the first "+", in place.
		w := n
		for _, c := range local {
			if c == '+' {
				break
			}
			if c != '.' {
				out[w] = c
				w++
			}
		}
		if w == n {
			return dst, ErrEmailLocalPart
		}
		w += copy(out[w:], "@"+gmail)
		out = out[:w]
	}
	return out, nil
}

// appendLower appends s lowercased to dst and returns the position in the
// result of its one "@"; s is checked as it is copied: no blank or control
// character (ErrEmailBlank), valid UTF-8 and exactly one "@"
// (ErrNotAnEmail).
func appendLower(dst []byte, s string) (out []byte, at int, err error) {
	at = -1
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case c <= ' ' || c == 0x7f:
				return dst, 0, ErrEmailBlank
			case c == '@':
				if at >= 0 {
					return dst, 0, ErrNotAnEmail
				}
				at = len(dst)
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return dst, 0, ErrNotAnEmail
		case unicode.IsSpace(r) || unicode.IsControl(r):
			return dst, 0, ErrEmailBlank
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	if at < 0 {
		return dst, 0, ErrNotAnEmail
	}
	return dst, at, nil
}

// validDomain reports whether d has at least two labels, none empty.
func validDomain(d []byte) bool {
	dots := 0
	for i, c := range d {
		if c == '.' {
			if i == 0 || i == len(d)-1 || d[i-1] == '.' {
				return false
			}
			dots++
		}
	}
	return dots > 0
}

// trimSpace is strings.TrimSpace, which it calls only when s has a
// non-ASCII byte at one of its ends.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && asciiSpace(s[i]) {
		i++
	}
	for j > i && asciiSpace(s[j-1]) {
		j--
	}
	s = s[i:j]
	if s != "" && (s[0] >= utf8.RuneSelf || s[len(s)-1] >= utf8.RuneSelf) {
		return trimUnicodeSpace(s)
	}
	return s
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func trimUnicodeSpace(s string) string {
	for s != "" {
		r, size := utf8.DecodeRuneInString(s)
		if !unicode.IsSpace(r) {
			break
		}
		s = s[size:]
	}
	for s != "" {
		r, size := utf8.DecodeLastRuneInString(s)
		if !unicode.IsSpace(r) {
			break
		}
		s = s[:len(s)-size]
	}
	return s
}
