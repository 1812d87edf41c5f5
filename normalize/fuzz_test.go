package normalize

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// maxLibraryE164Len is the longest E.164 string libphonenumber produces for
// a number it calls possible: "+", a country code of up to 3 digits and a
// national significant number of up to 17 digits (its MAX_LENGTH_FOR_NSN).
//
// E.164 itself allows 15 digits (16 bytes), as E164's doc notes,
// but the library accepts longer numbers (TestE164 pins two, DE/17_digits
// and ID/idd_001_unknown, at 18 bytes). Since E164 promises the library's
// exact answers, the fuzz target checks the library's bound.
const maxLibraryE164Len = 1 + 3 + 17

var e164Sentinels = []error{ErrEmpty, ErrTooLong, ErrUnknownRegion, ErrNotANumber, ErrNotPossible}

// FuzzE164 checks E164's invariants on any input: it never panics; it
// either refuses with a documented sentinel or returns "+" and ASCII
// digits; its output reads back as itself from the same region and from
// none (but see the trunk-prefix quirk below); AppendE164 agrees with it.
//
// The checked-in corpus is in testdata/fuzz/FuzzE164.
func FuzzE164(f *testing.F) {
	for _, tc := range []struct{ raw, region string }{
		{"+1 650-253-0000", "US"},
		{"011 44 20 7183 8750", "US"},
		{"+44 (0)20 7183 8750", "GB"},
		{"0 15 11 91234-5678", "BR"},
		{"011 15 1234-5678", "AR"},
		{"+52 1 55 1234 5678", "MX"},
		{"+39 06 4549 1234", "IT"},
		{"8 10 44 20 7183 8750", "KZ"},
		{"tel:+1-650-555-1234;ext=123", "us"},
		{"1-800-FLOWERS", "US"},
		{"００３‐１２３４", "JP"},
		{"+49 30 1234567890123", "DE"},
		{"", ""},
	} {
		f.Add(tc.raw, tc.region)
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		out, err := E164(raw, region)

		app, appErr := AppendE164([]byte("prefix"), raw, region)
		if appErr != err {
			t.Fatalf("AppendE164(%q, %q) error %v; E164 error %v", raw, region, appErr, err)
		}

		if err != nil {
			if out != "" {
				t.Fatalf("E164(%q, %q) = %q with error %v; want \"\"", raw, region, out, err)
			}
			if string(app) != "prefix" {
				t.Fatalf("AppendE164(%q, %q) changed dst on error: %q", raw, region, app)
			}
			sentinel := false
			for _, s := range e164Sentinels {
				sentinel = sentinel || errors.Is(err, s)
			}
			if !sentinel {
				t.Fatalf("E164(%q, %q) error %v is not a documented sentinel", raw, region, err)
			}
			if len(raw) > MaxInputLen && err != ErrTooLong {
				t.Fatalf("E164 of %d bytes: error %v; want %v", len(raw), err, ErrTooLong)
			}
			return
		}

		if string(app) != "prefix"+out {
			t.Fatalf("AppendE164(%q, %q) = %q; want %q", raw, region, app, "prefix"+out)
		}
		if len(out) < 2 || out[0] != '+' || len(out) > maxLibraryE164Len {
			t.Fatalf("E164(%q, %q) = %q: not \"+\" and 1 to %d digits", raw, region, out, maxLibraryE164Len-1)
		}
		for i := 1; i < len(out); i++ {
			if out[i] < '0' || out[i] > '9' {
				t.Fatalf("E164(%q, %q) = %q: byte %d is not an ASCII digit", raw, region, out, i)
			}
		}
		// Reading the output again gives the output: E164 is idempotent,
		// except where libphonenumber itself is not. The library strips a
		// national (trunk) prefix from the national number even after a
		// "+CC", so when the input held the trunk prefix twice the output
		// still holds it once, and the next reading strips it:
		// "+49 (0)030 1234567" → "+490301234567" → "+49301234567" (DE).
		// So the property checked is: the output reads back as itself, or
		// as itself with digits removed right after the country code, and
		// repeated reading reaches a fixed point.
		cur := out
		for step := 0; ; step++ {
			again, err := E164(cur, region)
			if err != nil {
				t.Fatalf("E164(%q, %q) = %q, but E164(%q, %q) fails: %v", raw, region, out, cur, region, err)
			}
			// An E.164 string carries its own country code, so the region
			// does not matter.
			if none, err := E164(cur, ""); none != again || err != nil {
				t.Fatalf("E164(%q, %q) = %q, but E164(%q, \"\") = %q, %v", cur, region, again, cur, none, err)
			}
			if again == cur {
				break
			}
			if step == maxLibraryE164Len || !trunkStripped(cur, again) {
				t.Fatalf("E164(%q, %q) = %q, but E164(%q, %q) = %q; not idempotent", raw, region, out, cur, region, again)
			}
			cur = again
		}
	})
}

// trunkStripped reports whether b is a with one or more digits removed
// right after a country code of 1 to 3 digits, as when libphonenumber
// strips a trunk prefix from an E.164 string.
func trunkStripped(a, b string) bool {
	if len(b) >= len(a) {
		return false
	}
	k := len(a) - len(b)
	for cc := 1; cc <= 3 && 1+cc <= len(b); cc++ {
		if a[:1+cc] == b[:1+cc] && a[1+cc+k:] == b[1+cc:] {
			return true
		}
	}
	return false
}

// FuzzHashRoundtrip checks that every digest survives Encode then Decode in
// every format, and that Decode accepts exactly one spelling per digest:
// a string it accepts re-encodes to itself (hex compared in lower case,
// since upper-case hex is accepted too). Decode and Detect never panic.
//
// The checked-in corpus is in testdata/fuzz/FuzzHashRoundtrip.
func FuzzHashRoundtrip(f *testing.F) {
	f.Add([]byte("+16505551234"), usE164Hex)
	f.Add([]byte("16505551234"), strings.ToUpper(usDigitsHex))
	f.Add(bytes.Repeat([]byte{0xfb}, 32), usUID2)
	f.Add([]byte{}, usDigitsB64)
	f.Add([]byte{0xff}, strings.TrimSuffix(usUID2, "="))
	f.Add(bytes.Repeat([]byte{0}, 40), "YGnRS_Ei_f2THce-tY5d-7o5Wx-vBb3NQtEjWNY9hZk=")
	f.Add([]byte{}, usUID2[:42]+"B=")                     // unused bits set: another spelling
	f.Add([]byte{}, usUID2[:40]+"\r\n"+usUID2[40:42])     // a line break base64 would skip
	f.Add([]byte{}, usE164Hex[:63]+"g")                   // not hex
	f.Add([]byte{}, usE164Hex[:62]+"\x80"+usE164Hex[63:]) // not ASCII
	f.Fuzz(func(t *testing.T, data []byte, s string) {
		// Any 32 bytes: data truncated or zero-padded to a digest.
		var d [32]byte
		copy(d[:], data)
		for _, fm := range []Format{E164Hex, Digits, UID2} {
			enc := Encode(d, fm)
			if fm != UID2 && enc != hex.EncodeToString(d[:]) {
				t.Fatalf("Encode(%x, %v) = %q; want encoding/hex's %q", d, fm, enc, hex.EncodeToString(d[:]))
			}
			got, err := Decode(enc, fm)
			if err != nil || got != d {
				t.Fatalf("Decode(Encode(%x, %v) = %q) = %x, %v", d, fm, enc, got, err)
			}
			if fm != UID2 {
				if up, err := Decode(strings.ToUpper(enc), fm); err != nil || up != d {
					t.Fatalf("Decode(upper %q, %v) = %x, %v", enc, fm, up, err)
				}
			}
			// Detect tells hex from base64 only: Digits looks like E164Hex.
			wantDet := E164Hex
			if fm == UID2 {
				wantDet = UID2
			}
			if det, ok := Detect(enc); !ok || det != wantDet {
				t.Fatalf("Detect(%q) = %v, %v; want %v, true", enc, det, ok, wantDet)
			}
		}

		// data as a message: the Hasher gives SHA-256's digest.
		h := NewHasher()
		if got, want := h.Sum(data, E164Hex), sha256.Sum256(data); got != want {
			t.Fatalf("Hasher.Sum(%q) = %x; want %x", data, got, want)
		}
		if got, want := h.Sum(data, Digits), Sum(data, Digits); got != want {
			t.Fatalf("Hasher.Sum(%q, Digits) = %x; want %x", data, got, want)
		}

		// Arbitrary strings, against encoding/hex and encoding/base64
		// (strict) under the same shape rules, in every format.
		for _, fm := range []Format{E164Hex, Digits, UID2, EmailHex, EmailUID2} {
			got, err := Decode(s, fm)
			ref, refErr := referenceDecode(s, fm)
			if (err == nil) != (refErr == nil) || err == nil && got != ref {
				t.Fatalf("Decode(%q, %v) = %x, %v; the standard library gives %x, %v", s, fm, got, err, ref, refErr)
			}
			if err != nil {
				if err != ErrBadHash {
					t.Fatalf("Decode(%q, %v) error %v; want %v", s, fm, err, ErrBadHash)
				}
				continue
			}
			want := s
			if fm != UID2 && fm != EmailUID2 {
				want = strings.ToLower(s)
			}
			if enc := Encode(got, fm); enc != want {
				t.Fatalf("Decode(%q, %v) = %x, which encodes as %q; want %q", s, fm, got, enc, want)
			}
		}
		if fm, ok := Detect(s); ok {
			if _, err := Decode(s, fm); err != nil {
				t.Fatalf("Detect(%q) = %v, but Decode fails: %v", s, fm, err)
			}
		} else {
			for _, fm := range []Format{E164Hex, Digits, UID2} {
				if _, err := Decode(s, fm); err == nil {
					t.Fatalf("Detect(%q) = false, but Decode(…, %v) succeeds", s, fm)
				}
			}
		}
	})
}

// referenceDecode is Decode by the standard library: encoding/hex (which
// takes either case), and strict encoding/base64 of exactly 44 characters
// ending in one "=", which it would otherwise take with line breaks in.
func referenceDecode(s string, f Format) ([32]byte, error) {
	var d [32]byte
	switch f {
	case UID2, EmailUID2:
		if len(s) != Base64Len || strings.ContainsAny(s, "\r\n") {
			return d, ErrBadHash
		}
		var buf [48]byte
		n, err := base64.StdEncoding.Strict().Decode(buf[:], []byte(s))
		if err != nil || n != len(d) {
			return d, ErrBadHash
		}
		copy(d[:], buf[:])
	default:
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != len(d) {
			return d, ErrBadHash
		}
		copy(d[:], b)
	}
	return d, nil
}
