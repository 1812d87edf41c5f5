package normalize

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// refEmail is the email rules written plainly, with the strings package,
// for FuzzEmail to hold AppendEmail to. Refusals are checked in the order
// AppendEmail meets them: the length, then each character from the left,
// then the local part and the domain.
func refEmail(raw string, f Format) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", ErrEmpty
	}
	if len(s) > MaxEmailLen {
		return "", ErrTooLong
	}
	ats := 0
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return "", ErrNotAnEmail
		case unicode.IsSpace(r) || unicode.IsControl(r):
			return "", ErrEmailBlank
		case r == '@':
			if ats++; ats > 1 {
				return "", ErrNotAnEmail
			}
		}
	}
	if ats != 1 {
		return "", ErrNotAnEmail
	}
	s = strings.ToLower(s)
	if len(s) > MaxEmailLen {
		return "", ErrTooLong
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" {
		return "", ErrEmailLocalPart
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || strings.Contains(domain, "..") || labels[0] == "" || labels[len(labels)-1] == "" {
		return "", ErrEmailDomain
	}
	if f == EmailUID2 && domain == "gmail.com" {
		local, _, _ = strings.Cut(local, "+")
		local = strings.ReplaceAll(local, ".", "")
		if local == "" {
			return "", ErrEmailLocalPart
		}
	}
	return local + "@" + domain, nil
}

var emailSentinels = []error{ErrEmpty, ErrTooLong, ErrNotAnEmail, ErrEmailBlank, ErrEmailLocalPart, ErrEmailDomain}

// FuzzEmail checks AppendEmail on any input, in both email formats: it
// never panics; it gives refEmail's answer, address or reason; a refusal
// is one of the documented sentinels and leaves dst as it was; an
// accepted address is at most MaxEmailLen bytes, has one "@", no upper
// case ASCII and no blank, and normalizes again to itself (idempotence);
// and every address EmailUID2 accepts, EmailHex accepts.
//
// The checked-in corpus is in testdata/fuzz/FuzzEmail.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{
		"Jane.Saoirse+Work@Gmail.com", " user@example.com ", "josé@exämple.com",
		"\u212a@example.com", "a@b@c.com", "+x@gmail.com", "@example.com", "a@localhost",
		"a@example..com", "a b@example.com", "a\xff@example.com", "\u023a@example.com", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var hexOK bool
		for _, format := range []Format{EmailHex, EmailUID2} {
			got, err := AppendEmail([]byte("dst"), raw, format)
			want, wantErr := refEmail(raw, format)
			if err != wantErr || (err == nil && string(got) != "dst"+want) {
				t.Fatalf("AppendEmail(%q, %v) = %q, %v; reference gives %q, %v", raw, format, got, err, want, wantErr)
			}
			if err != nil {
				if string(got) != "dst" {
					t.Fatalf("AppendEmail(%q, %v) changed dst to %q on error %v", raw, format, got, err)
				}
				known := false
				for _, s := range emailSentinels {
					known = known || errors.Is(err, s)
				}
				if !known {
					t.Fatalf("AppendEmail(%q, %v): undocumented error %v", raw, format, err)
				}
				if format == EmailUID2 && hexOK && err != ErrEmailLocalPart {
					t.Fatalf("%q: EmailHex accepts, EmailUID2 refuses with %v", raw, err)
				}
				continue
			}
			if format == EmailHex {
				hexOK = true
			} else if !hexOK {
				t.Fatalf("%q: EmailUID2 accepts, EmailHex refuses", raw)
			}
			out := string(got[len("dst"):])
			if len(out) > MaxEmailLen || strings.Count(out, "@") != 1 || strings.IndexFunc(out, unicode.IsSpace) >= 0 ||
				strings.ContainsAny(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				t.Fatalf("AppendEmail(%q, %v) = %q: not a normalized address", raw, format, out)
			}
			again, err := Email(out, format)
			if err != nil || again != out {
				t.Fatalf("not idempotent: Email(%q, %v) = %q; Email of that = %q, %v", raw, format, out, again, err)
			}
		}
	})
}
