package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// TestEmail_UID2Vectors checks the published examples of UID2's
// "Normalization and Encoding" guide (uid2docs,
// docs/getting-started/gs-normalization-encoding.md, read 2026-12-02):
// each original address, its normalized form, and the SHA-256 digest in
// hex and base64. The digests were checked again with sha256sum and
// openssl dgst -sha256 -binary | base64.
func TestEmail_UID2Vectors(t *testing.T) {
	tests := []struct {
		name       string
		raw        []string
		normalized string
		hex, b64   string
	}{
		{
			name:       "simple",
			raw:        []string{"user@example.com"},
			normalized: "user@example.com",
			hex:        "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514",
			b64:        "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=",
		},
		{
			name:       "upper_case",
			raw:        []string{"MyEmail@example.com", "MYEMAIL@example.com"},
			normalized: "myemail@example.com",
			hex:        "16c18d336f0b250f0e2d907452ceb9658a74ecdae8bc94864c23122a72cc27a5",
			b64:        "FsGNM28LJQ8OLZB0Us65ZYp07NrovJSGTCMSKnLMJ6U=",
		},
		{
			name:       "dot_kept_outside_gmail",
			raw:        []string{"My.Email@example.com"},
			normalized: "my.email@example.com",
			hex:        "e22b53bc6f871274f3a62ab37a3caed7214fc14d676215a96a242fcfada1c81f",
			b64:        "4itTvG+HEnTzpiqzejyu1yFPwU1nYhWpaiQvz62hyB8=",
		},
		{
			name:       "mixed_case",
			raw:        []string{"JANESAOIRSE@example.com", "JaneSaoirse@example.com"},
			normalized: "janesaoirse@example.com",
			hex:        "d6670e7a92007f1b5ff785f1fc81e53aa6d3d7bd06bdf5c473cdc7286c284b6d",
			b64:        "1mcOepIAfxtf94Xx/IHlOqbT170GvfXEc83HKGwoS20=",
		},
		{
			name:       "dot_mixed_case",
			raw:        []string{"jane.saoirse@example.com", "Jane.Saoirse@example.com"},
			normalized: "jane.saoirse@example.com",
			hex:        "b196432c7b989a2ca91c83799957c515da53e6c13abf20b78fea94f117e90bf8",
			b64:        "sZZDLHuYmiypHIN5mVfFFdpT5sE6vyC3j+qU8RfpC/g=",
		},
		{
			name:       "plus_kept_outside_gmail",
			raw:        []string{"JaneSaoirse+Work@example.com"},
			normalized: "janesaoirse+work@example.com",
			hex:        "28aaee4815230cd3b4ebd88c515226550666e91ac019929e3adac3f66c288180",
			b64:        "KKruSBUjDNO069iMUVImVQZm6RrAGZKeOtrD9mwogYA=",
		},
		{
			name:       "gmail",
			raw:        []string{"JANE.SAOIRSE@gmail.com", "Jane.Saoirse@gmail.com", "JaneSaoirse+Work@gmail.com", "JANESaoirse@gmail.com"},
			normalized: "janesaoirse@gmail.com",
			hex:        "92ee26057ed9dea2535d6c8b141d48373932476599196e00352254896db5888f",
			b64:        "ku4mBX7Z3qJTXWyLFB1INzkyR2WZGW4ANSJUiW21iI8=",
		},
		{
			// The guide's example of what goes wrong without
			// normalizing: the raw address hashed as it is.
			name:       "not_normalized_hashes_differently",
			raw:        nil,
			normalized: "JANESaoirse@gmail.com",
			hex:        "5692d7129e4dd5b8ff5755b38e066c0be15fb98767b403b2c125483b4d050ff1",
			b64:        "VpLXEp5N1bj/V1WzjgZsC+FfuYdntAOywSVIO00FD/E=",
		},
	}
	h := NewHasher()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := h.Sum([]byte(tc.normalized), EmailUID2)
			if got := Encode(d, EmailUID2); got != tc.b64 {
				t.Errorf("Encode(Sum(%q), EmailUID2) = %s; want %s", tc.normalized, got, tc.b64)
			}
			if got := Encode(d, EmailHex); got != tc.hex {
				t.Errorf("Encode(Sum(%q), EmailHex) = %s; want %s", tc.normalized, got, tc.hex)
			}
			for _, raw := range tc.raw {
				got, err := Email(raw, EmailUID2)
				if err != nil || got != tc.normalized {
					t.Errorf("Email(%q, EmailUID2) = %q, %v; want %q", raw, got, err, tc.normalized)
				}
				if dec, err := Decode(tc.b64, EmailUID2); err != nil || dec != sha256.Sum256([]byte(got)) {
					t.Errorf("Decode(%s, EmailUID2) = %x, %v; want SHA-256(%q)", tc.b64, dec, err, got)
				}
			}
		})
	}
}

// TestEmail_MetaGoogle checks the rule of Meta's customer-list guidance
// (and Google Customer Match's for the Customer Match upload): trim
// leading and trailing blanks, lower-case, and nothing else: dots and
// "+tags" stay, at gmail.com too. Digests from printf '%s' ADDRESS |
// sha256sum.
func TestEmail_MetaGoogle(t *testing.T) {
	tests := []struct {
		name, raw, want, hex string
	}{
		{"trim_and_lower", "  User@Example.COM\t", "user@example.com", "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"},
		{"gmail_dots_kept", "Jane.Saoirse+Work@GMAIL.com", "jane.saoirse+work@gmail.com", "6f0f30b37b9cd7ab345145aa600a4fd1bbb903024880f561b00045d9143db80c"},
		{"gmail_tag_kept", "JaneSaoirse+Work@gmail.com", "janesaoirse+work@gmail.com", "6423995fc9e9e8e111f0f709d41b8895f02fbd11bbaafb140b207719747eacaf"},
		{"gmail_dot", "jane.doe@gmail.com\r\n", "jane.doe@gmail.com", "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982"},
		{"nbsp_trimmed", "\u00a0user@example.com\u00a0", "user@example.com", "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Email(tc.raw, EmailHex)
			if err != nil || got != tc.want {
				t.Fatalf("Email(%q, EmailHex) = %q, %v; want %q", tc.raw, got, err, tc.want)
			}
			if d := Encode(Sum([]byte(got), EmailHex), EmailHex); d != tc.hex {
				t.Errorf("digest of %q = %s; want %s", got, d, tc.hex)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	long := strings.Repeat("a", MaxEmailLen-len("@example.com")) + "@example.com"
	tests := []struct {
		name, raw string
		hex, uid2 string // the normalized forms; "" when refused
		err       error  // for both formats
		uid2Err   error  // EmailUID2 only, when it differs
	}{
		{name: "plain", raw: "a@b.co", hex: "a@b.co", uid2: "a@b.co"},
		{name: "gmail_upper_domain", raw: "J.D+x@GMail.COM", hex: "j.d+x@gmail.com", uid2: "jd@gmail.com"},
		{name: "gmail_only_exact_domain", raw: "j.d+x@mail.gmail.com", hex: "j.d+x@mail.gmail.com", uid2: "j.d+x@mail.gmail.com"},
		{name: "googlemail_untouched", raw: "j.d+x@googlemail.com", hex: "j.d+x@googlemail.com", uid2: "j.d+x@googlemail.com"},
		{name: "gmail_two_plus", raw: "a+b+c@gmail.com", hex: "a+b+c@gmail.com", uid2: "a@gmail.com"},
		{name: "gmail_tag_only", raw: "+news@gmail.com", hex: "+news@gmail.com", uid2Err: ErrEmailLocalPart},
		{name: "gmail_dots_only", raw: "...@gmail.com", hex: "...@gmail.com", uid2Err: ErrEmailLocalPart},
		{name: "unicode_lowered", raw: "JOSÉ@EXÄMPLE.com", hex: "josé@exämple.com", uid2: "josé@exämple.com"},
		{name: "kelvin_sign", raw: "\u212a@example.com", hex: "k@example.com", uid2: "k@example.com"},
		{name: "longest", raw: long, hex: long, uid2: long},
		{name: "empty", raw: "", err: ErrEmpty},
		{name: "blank", raw: " \t\u00a0 ", err: ErrEmpty},
		{name: "too_long", raw: "a" + long, err: ErrTooLong},
		{name: "no_at", raw: "user.example.com", err: ErrNotAnEmail},
		{name: "two_at", raw: "a@b@example.com", err: ErrNotAnEmail},
		{name: "bad_utf8", raw: "a\xff@example.com", err: ErrNotAnEmail},
		{name: "blank_inside", raw: "jane doe@example.com", err: ErrEmailBlank},
		{name: "nbsp_inside", raw: "jane\u00a0doe@example.com", err: ErrEmailBlank},
		{name: "control_inside", raw: "jane\x00@example.com", err: ErrEmailBlank},
		{name: "tab_inside", raw: "jane@exa\tmple.com", err: ErrEmailBlank},
		{name: "empty_local", raw: "@example.com", err: ErrEmailLocalPart},
		{name: "empty_domain", raw: "jane@", err: ErrEmailDomain},
		{name: "no_dot", raw: "jane@localhost", err: ErrEmailDomain},
		{name: "leading_dot", raw: "jane@.example.com", err: ErrEmailDomain},
		{name: "trailing_dot", raw: "jane@example.com.", err: ErrEmailDomain},
		{name: "double_dot", raw: "jane@example..com", err: ErrEmailDomain},
		{name: "phone", raw: "+16505551234", err: ErrNotAnEmail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				f    Format
				want string
				err  error
			}{{EmailHex, tc.hex, tc.err}, {EmailUID2, tc.uid2, cmpErr(tc.uid2Err, tc.err)}} {
				got, err := Email(tc.raw, c.f)
				if !errors.Is(err, c.err) || got != c.want {
					t.Errorf("Email(%q, %v) = %q, %v; want %q, %v", tc.raw, c.f, got, err, c.want, c.err)
				}
				app, err2 := AppendEmail([]byte("x"), tc.raw, c.f)
				if err2 != err || string(app) != "x"+got {
					t.Errorf("AppendEmail(x, %q, %v) = %q, %v; want %q, %v", tc.raw, c.f, app, err2, "x"+got, err)
				}
			}
		})
	}
	if _, err := Email("a@b.co", E164Hex); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Email with a phone format: %v; want ErrUnknownFormat", err)
	}
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func TestFormat_Email(t *testing.T) {
	for _, tc := range []struct {
		f      Format
		name   string
		kind   Kind
		family Format
		enclen int
	}{
		{E164Hex, "e164", KindPhone, E164Hex, HexLen},
		{Digits, "digits", KindPhone, Digits, HexLen},
		{UID2, "uid2", KindPhone, E164Hex, Base64Len},
		{EmailHex, "email", KindEmail, EmailHex, HexLen},
		{EmailUID2, "email-uid2", KindEmail, EmailUID2, Base64Len},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.String(); got != tc.name {
				t.Errorf("String() = %q; want %q", got, tc.name)
			}
			if got, err := ParseFormat(tc.name); err != nil || got != tc.f {
				t.Errorf("ParseFormat(%q) = %v, %v", tc.name, got, err)
			}
			if got := tc.f.Kind(); got != tc.kind {
				t.Errorf("Kind() = %v; want %v", got, tc.kind)
			}
			if got := tc.f.Family(); got != tc.family {
				t.Errorf("Family() = %v; want %v", got, tc.family)
			}
			d := sha256.Sum256([]byte(tc.name))
			enc := Encode(d, tc.f)
			if len(enc) != tc.enclen {
				t.Errorf("Encode length %d; want %d", len(enc), tc.enclen)
			}
			if back, err := Decode(enc, tc.f); err != nil || back != d {
				t.Errorf("Decode(Encode(d)) = %x, %v; want %x", back, err, d)
			}
		})
	}
	if EmailFormatFor(UID2) != EmailUID2 || EmailFormatFor(Digits) != EmailHex || EmailFormatFor(E164Hex) != EmailHex {
		t.Error("EmailFormatFor: want EmailUID2 for UID2, EmailHex for the hex formats")
	}
}

// TestEmail_Hasher checks that Hasher.Sum gives sha256.Sum256 for email
// strings of every length around one block.
func TestEmail_Hasher(t *testing.T) {
	h := NewHasher()
	for n := 1; n < 2*sha256.BlockSize; n++ {
		s := strings.Repeat("a", n) + "@example.com"
		for _, f := range []Format{EmailHex, EmailUID2} {
			if got, want := h.Sum([]byte(s), f), sha256.Sum256([]byte(s)); got != want {
				t.Fatalf("len %d, %v: Hasher.Sum = %s; want %s", len(s), f, hex.EncodeToString(got[:]), hex.EncodeToString(want[:]))
			}
		}
	}
}
