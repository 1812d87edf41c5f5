package psi

import "fmt"

// Family is the kind of identifier hashed to the group, and so the
// domain-separation tag of the hash: identifiers of two families never
// hash to the same element. A psi file records its family in one byte.
type Family uint8

// The families. Only phones exist today; emails get their own (say
// EmailLower = 2, "email-lower", the trimmed lower-case address) once the
// list reads them: a new constant, a new tag, the same files.
const (
	// PhoneE164 is a phone number in E.164, "+" and up to 15 digits
	// (normalize.E164), hashed as those ASCII bytes.
	PhoneE164 Family = 1
)

// String returns the family's name, as it appears in its tag.
func (f Family) String() string {
	switch f {
	case PhoneE164:
		return "phone-e164"
	}
	return fmt.Sprintf("family(%d)", uint8(f))
}

// Known reports whether this build knows f.
func (f Family) Known() bool { return f == PhoneE164 }

// DST returns the domain-separation tag under which f's identifiers are
// hashed to ristretto255 (RFC 9380, suite ristretto255_XMD:SHA-512_R255MAP_RO_):
//
//	"audiencematch-psi-v1-ristretto255_XMD:SHA-512_R255MAP_RO_-phone-e164"
func (f Family) DST() []byte {
	return []byte("audiencematch-psi-v1-ristretto255_XMD:SHA-512_R255MAP_RO_-" + f.String())
}

// Group is the group of a psi file, one byte.
type Group uint8

// Ristretto255 is the prime-order group of RFC 9496 over Curve25519.
const Ristretto255 Group = 1

func (g Group) String() string {
	if g == Ristretto255 {
		return "ristretto255"
	}
	return fmt.Sprintf("group(%d)", uint8(g))
}
