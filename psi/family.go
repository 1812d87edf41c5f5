package psi

import (
	"fmt"
	"strings"

	"github.com/audiencematch/audiencematch/normalize"
)

// Family is a kind of identifier in one normal form, and so the
// domain-separation tag under which its identifiers are hashed to the
// group: identifiers of two families never hash to the same element.
// What is hashed is the SHA-256 digest of the identifier's normal form,
// the digest matcher.Digester gives (see doc.go).
//
// Each family is one bit, so that a file records the families it holds
// in one byte (Families).
type Family uint8

// The families. An email is matched in one normal form or the other,
// never both: the platform chooses it when it writes the users' file,
// and the advertiser's list follows.
const (
	// PhoneE164 is a phone number in E.164 ("+" and up to 15 digits,
	// normalize.E164): SHA-256 of its ASCII bytes.
	PhoneE164 Family = 1 << iota

	// Email is an email address trimmed and lower-cased (the form of
	// normalize.EmailHex: Meta's and Google's rule): SHA-256 of its
	// UTF-8 bytes.
	Email

	// EmailUID2 is an email address in UID2's canonical form (that of
	// normalize.EmailUID2: as Email, and a gmail.com local part without
	// its dots and "+tag"): SHA-256 of its UTF-8 bytes.
	EmailUID2
)

// String returns the family's name, as it appears in its tag.
func (f Family) String() string {
	switch f {
	case PhoneE164:
		return "phone-e164"
	case Email:
		return "email"
	case EmailUID2:
		return "email-uid2"
	}
	return fmt.Sprintf("family(%d)", uint8(f))
}

// DST returns the domain-separation tag under which f's identifiers are
// hashed to ristretto255 (RFC 9380, suite ristretto255_XMD:SHA-512_R255MAP_RO_),
// for PhoneE164:
//
//	"audiencematch-psi-v2-ristretto255_XMD:SHA-512_R255MAP_RO_-phone-e164"
//
// (v1 hashed the E.164 string itself, under a "v1" tag: version 2 files
// hash the digest, so their elements are other elements.)
func (f Family) DST() []byte {
	return []byte("audiencematch-psi-v2-ristretto255_XMD:SHA-512_R255MAP_RO_-" + f.String())
}

// Families is a set of families, a bit each: the byte a psi file records.
type Families uint8

// FamiliesFor returns the families of a match whose emails are in the
// normal form of the email format email (normalize.EmailHex or
// normalize.EmailUID2): phones and those emails.
func FamiliesFor(email normalize.Format) Families {
	if email == normalize.EmailUID2 {
		return Families(PhoneE164 | EmailUID2)
	}
	return Families(PhoneE164 | Email)
}

// Has reports whether fs holds f.
func (fs Families) Has(f Family) bool { return fs&Families(f) != 0 }

// Known reports whether this build reads fs: phones and emails in one
// normal form (what FamiliesFor gives), nothing else, so that every
// identifier a list may hold has its family.
func (fs Families) Known() bool {
	return fs == FamiliesFor(normalize.EmailHex) || fs == FamiliesFor(normalize.EmailUID2)
}

// Of returns the family of identifiers of kind k in fs, and false if fs
// has none.
func (fs Families) Of(k normalize.Kind) (Family, bool) {
	switch {
	case k == normalize.KindPhone && fs.Has(PhoneE164):
		return PhoneE164, true
	case k == normalize.KindEmail && fs.Has(Email):
		return Email, true
	case k == normalize.KindEmail && fs.Has(EmailUID2):
		return EmailUID2, true
	}
	return 0, false
}

// EmailFormat returns the email format whose normal form fs's emails are
// in: normalize.EmailUID2 for EmailUID2, else normalize.EmailHex.
func (fs Families) EmailFormat() normalize.Format {
	if fs.Has(EmailUID2) {
		return normalize.EmailUID2
	}
	return normalize.EmailHex
}

func (fs Families) String() string {
	var names []string
	for _, f := range []Family{PhoneE164, Email, EmailUID2} {
		if fs.Has(f) {
			names = append(names, f.String())
		}
	}
	if rest := fs &^ Families(PhoneE164|Email|EmailUID2); rest != 0 {
		names = append(names, fmt.Sprintf("unknown(%#x)", uint8(rest)))
	}
	return strings.Join(names, "+")
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
