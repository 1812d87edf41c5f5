// Package normalize turns phone numbers into E.164 strings, email
// addresses into their canonical forms, and both into the hashed wire
// formats advertisers exchange.
//
// Normalization is libphonenumber's, through github.com/nyaruka/phonenumbers
// at the version pinned in go.mod: E164(raw, region) accepts raw exactly
// when the library parses it for region and IsPossibleNumber holds, and
// returns the library's Format(E164). The library is the reference, quirks
// included (see the README's caveats).
//
// Most input never reaches the library: a fast path (fast.go) retraces its
// Parse step by step for the shapes lists are made of, Unicode separators
// and digits and the dirt of real exports included, with the metadata's
// patterns compiled into DFAs over the digits, at about 0.1-0.2 µs a number
// and no allocation; the rest goes to the library. The two paths give the
// same answers, which a differential test and a differential fuzz target
// check against the library itself. Build with -tags nofastpath to send
// everything to the library.
//
// Hashing is SHA-256 of the E.164 string, in one of three formats:
//
//	format  bytes hashed      encoding
//	E164Hex "+16505551234"    hex   a2996076d3ad4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805ee0
//	Digits  "16505551234"     hex   6069d14bf122fdfd931dc7beb58e5dfbba395b1faf05bdcd42d12358d63d8599
//	UID2    "+16505551234"    b64   oplgdtOtSvXcgYuQiz2ONU8m7e333w4Kpqw1QUOAXuA=
//
// E164Hex and UID2 hash the same bytes, so they share a digest and differ
// only in encoding; Digits hashes other bytes and never matches them.
// Digests are [32]byte values; hex and base64 exist only at the edges
// (Encode, Decode).
//
// Email addresses have two formats of their own (email.go): EmailHex,
// SHA-256 of the address trimmed and lowercased, in hex (Meta's and
// Google's rule), and EmailUID2, SHA-256 of UID2's canonical address (as
// EmailHex, and for gmail.com without the local part's dots and "+tag"),
// in base64:
//
//	format    raw                          bytes hashed                 encoding
//	EmailHex  " Jane.Doe+News@Gmail.com "  "jane.doe+news@gmail.com"    hex
//	EmailUID2 " Jane.Doe+News@Gmail.com "  "janedoe@gmail.com"          base64
//	EmailUID2 "user@example.com"           "user@example.com"           tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=
//
// A phone's E.164 string never holds an "@" and an address always does,
// so phone and email digests never meet: one digest table can hold a
// phone family and an email family together (see email.go).
//
// Every function is safe for concurrent use; the package has no state of
// its own.
package normalize
