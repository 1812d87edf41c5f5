package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Fixed vectors, computed independently (printf '+16505551234' | sha256sum,
// and openssl dgst -sha256 -binary | base64).
const (
	usE164Hex   = "a2996076d3ad4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805ee0" // SHA-256("+16505551234")
	usDigitsHex = "6069d14bf122fdfd931dc7beb58e5dfbba395b1faf05bdcd42d12358d63d8599" // SHA-256("16505551234")
	usUID2      = "oplgdtOtSvXcgYuQiz2ONU8m7e333w4Kpqw1QUOAXuA="                     // SHA-256("+16505551234")
	usDigitsB64 = "YGnRS/Ei/f2THce+tY5d+7o5Wx+vBb3NQtEjWNY9hZk="                     // SHA-256("16505551234"), has '+' and '/'
)

func mustHex(t *testing.T, s string) [32]byte {
	t.Helper()
	var d [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(d) {
		t.Fatalf("bad test vector %q", s)
	}
	copy(d[:], b)
	return d
}

func TestSum(t *testing.T) {
	tests := []struct {
		name string
		e164 string
		f    Format
		want string // hex of the digest
	}{
		{name: "US/e164", e164: "+16505551234", f: E164Hex, want: usE164Hex},
		{name: "US/digits", e164: "+16505551234", f: Digits, want: usDigitsHex},
		{name: "US/uid2", e164: "+16505551234", f: UID2, want: usE164Hex},
		// Digits hashes the string without its "+"; one already without it
		// is hashed as is.
		{name: "US/digits_no_plus", e164: "16505551234", f: Digits, want: usDigitsHex},
		{name: "GB/e164", e164: "+442071838750", f: E164Hex, want: "e631c2534428c6c9b48c2167604a8983046085e43a2c00ed748733c544c0bb4d"},
		{name: "IT/e164_leading_zero", e164: "+390645491234", f: E164Hex, want: "e7927be4bf0dbfc78691ca6d1428763920fd8df8fd9c8e32e70603591ae4a405"},
		{name: "IT/digits_leading_zero", e164: "+390645491234", f: Digits, want: "62b2be984888a2e7b1fa0728dd23e9a594ebc6553bd6b85da6f487f2fb0e1000"},
		// Sum does not validate: the empty string hashes as itself.
		{name: "empty/e164", e164: "", f: E164Hex, want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{name: "empty/digits", e164: "", f: Digits, want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{name: "plus_only/digits", e164: "+", f: Digits, want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Sum([]byte(tc.e164), tc.f)
			if got := hex.EncodeToString(d[:]); got != tc.want {
				t.Errorf("Sum(%q, %v) = %s; want %s", tc.e164, tc.f, got, tc.want)
			}
		})
	}
}

func TestHasher(t *testing.T) {
	h := NewHasher()
	if h.state == nil {
		t.Fatal("NewHasher fell back to sha256.Sum256: crypto/sha256's exported state is not as expected")
	}
	// Every length around one block's limit, in every format, with varied
	// bytes; each call reuses the block that the one before it filled.
	for n := 0; n <= 2*sha256.BlockSize; n++ {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(n*31 + i*7)
		}
		if n > 0 {
			msg[0] = '+'
		}
		for _, f := range []Format{E164Hex, Digits, UID2} {
			if got, want := h.Sum(msg, f), Sum(msg, f); got != want {
				t.Fatalf("len %d, %v: Hasher.Sum = %x; Sum = %x", n, f, got, want)
			}
		}
	}
	for _, v := range []struct {
		e164 string
		f    Format
		want string
	}{{"+16505551234", E164Hex, usE164Hex}, {"+16505551234", Digits, usDigitsHex}, {"16505551234", Digits, usDigitsHex}} {
		if d := h.Sum([]byte(v.e164), v.f); hex.EncodeToString(d[:]) != v.want {
			t.Errorf("Hasher.Sum(%q, %v) = %x; want %s", v.e164, v.f, d, v.want)
		}
	}
}

func TestEncode(t *testing.T) {
	e164 := mustHex(t, usE164Hex)
	digits := mustHex(t, usDigitsHex)
	tests := []struct {
		name   string
		digest [32]byte
		f      Format
		want   string
	}{
		{name: "e164", digest: e164, f: E164Hex, want: usE164Hex},
		{name: "digits", digest: digits, f: Digits, want: usDigitsHex},
		{name: "uid2", digest: e164, f: UID2, want: usUID2},
		{name: "uid2_plus_slash", digest: digits, f: UID2, want: usDigitsB64},
		{name: "zero_hex", digest: [32]byte{}, f: E164Hex, want: strings.Repeat("0", 64)},
		{name: "zero_uid2", digest: [32]byte{}, f: UID2, want: strings.Repeat("A", 43) + "="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Encode(tc.digest, tc.f)
			if got != tc.want {
				t.Errorf("Encode(%x, %v) = %q; want %q", tc.digest, tc.f, got, tc.want)
			}
			wantLen := HexLen
			if tc.f == UID2 {
				wantLen = Base64Len
			}
			if len(got) != wantLen {
				t.Errorf("len(Encode(…, %v)) = %d; want %d", tc.f, len(got), wantLen)
			}
			app := AppendEncode([]byte("h,"), tc.digest, tc.f)
			if string(app) != "h,"+tc.want {
				t.Errorf("AppendEncode(%q, %x, %v) = %q; want %q", "h,", tc.digest, tc.f, app, "h,"+tc.want)
			}
		})
	}
}

// TestSum_Pipeline checks the three published vectors end to end: raw
// phone → E164 → Sum → Encode.
func TestSum_Pipeline(t *testing.T) {
	e164, err := E164("tel:+1-650-555-1234", "US")
	if err != nil || e164 != "+16505551234" {
		t.Fatalf("E164 = %q, %v; want %q", e164, err, "+16505551234")
	}
	for _, tc := range []struct {
		f    Format
		want string
	}{{E164Hex, usE164Hex}, {Digits, usDigitsHex}, {UID2, usUID2}} {
		if got := Encode(Sum([]byte(e164), tc.f), tc.f); got != tc.want {
			t.Errorf("%v: got %s; want %s", tc.f, got, tc.want)
		}
	}
}

func TestFormat_String(t *testing.T) {
	tests := []struct {
		f    Format
		want string
	}{
		{E164Hex, "e164"}, {Digits, "digits"}, {UID2, "uid2"}, {EmailHex, "email"}, {EmailUID2, "email-uid2"}, {Format(5), "Format(5)"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.f.String(); got != tc.want {
				t.Errorf("Format(%d).String() = %q; want %q", uint8(tc.f), got, tc.want)
			}
		})
	}
}

func TestFormat_Family(t *testing.T) {
	tests := []struct {
		f, want Format
	}{{E164Hex, E164Hex}, {Digits, Digits}, {UID2, E164Hex}}
	for _, tc := range tests {
		t.Run(tc.f.String(), func(t *testing.T) {
			if got := tc.f.Family(); got != tc.want {
				t.Errorf("%v.Family() = %v; want %v", tc.f, got, tc.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name string
		want Format
		err  error
	}{
		{name: "e164", want: E164Hex},
		{name: "digits", want: Digits},
		{name: "uid2", want: UID2},
		{name: "", err: ErrUnknownFormat},
		{name: "E164", err: ErrUnknownFormat},
		{name: "UID2", err: ErrUnknownFormat},
		{name: "Digits", err: ErrUnknownFormat},
		{name: " e164", err: ErrUnknownFormat},
		{name: "uid2 ", err: ErrUnknownFormat},
		{name: "e164hex", err: ErrUnknownFormat},
		{name: "sha256", err: ErrUnknownFormat},
		{name: "hex", err: ErrUnknownFormat},
		{name: "base64", err: ErrUnknownFormat},
		{name: "Format(5)", err: ErrUnknownFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFormat(tc.name)
			if !errors.Is(err, tc.err) || (tc.err == nil && got != tc.want) {
				t.Errorf("ParseFormat(%q) = %v, %v; want %v, %v", tc.name, got, err, tc.want, tc.err)
			}
		})
	}
	// Every format's name parses back to it.
	for _, f := range []Format{E164Hex, Digits, UID2} {
		if got, err := ParseFormat(f.String()); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", f.String(), got, err, f)
		}
	}
}

func TestDecode(t *testing.T) {
	e164 := mustHex(t, usE164Hex)
	digits := mustHex(t, usDigitsHex)
	tests := []struct {
		name string
		s    string
		f    Format
		want [32]byte
		err  error
	}{
		{name: "hex/e164", s: usE164Hex, f: E164Hex, want: e164},
		{name: "hex/digits", s: usDigitsHex, f: Digits, want: digits},
		{name: "hex/upper", s: strings.ToUpper(usE164Hex), f: E164Hex, want: e164},
		{name: "hex/upper_digits", s: strings.ToUpper(usDigitsHex), f: Digits, want: digits},
		{name: "hex/mixed_case", s: "A2996076d3AD4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805EE0", f: E164Hex, want: e164},
		{name: "hex/zero", s: strings.Repeat("0", 64), f: E164Hex, want: [32]byte{}},
		{name: "uid2", s: usUID2, f: UID2, want: e164},
		{name: "uid2/plus_slash", s: usDigitsB64, f: UID2, want: digits},

		{name: "hex/empty", s: "", f: E164Hex, err: ErrBadHash},
		{name: "hex/short_63", s: usE164Hex[:63], f: E164Hex, err: ErrBadHash},
		{name: "hex/long_65", s: usE164Hex + "0", f: E164Hex, err: ErrBadHash},
		{name: "hex/sha1_length", s: "da39a3ee5e6b4b0d3255bfef95601890afd80709", f: E164Hex, err: ErrBadHash},
		{name: "hex/non_hex_g", s: "g" + usE164Hex[1:], f: E164Hex, err: ErrBadHash},
		{name: "hex/non_hex_last", s: usE164Hex[:63] + "z", f: Digits, err: ErrBadHash},
		{name: "hex/0x_prefix", s: "0x" + usE164Hex[2:], f: E164Hex, err: ErrBadHash},
		{name: "hex/leading_space", s: " " + usE164Hex[1:], f: E164Hex, err: ErrBadHash},
		{name: "hex/trailing_space", s: usE164Hex + " ", f: E164Hex, err: ErrBadHash},
		{name: "hex/trailing_newline", s: usE164Hex + "\n", f: E164Hex, err: ErrBadHash},
		{name: "hex/inner_space", s: usE164Hex[:32] + " " + usE164Hex[33:], f: E164Hex, err: ErrBadHash},
		{name: "hex/is_uid2", s: usUID2, f: E164Hex, err: ErrBadHash},
		{name: "hex/raw_phone", s: "+16505551234", f: Digits, err: ErrBadHash},
		{name: "hex/fullwidth_digit", s: "０" + usE164Hex[3:], f: E164Hex, err: ErrBadHash},

		{name: "uid2/empty", s: "", f: UID2, err: ErrBadHash},
		{name: "uid2/unpadded", s: strings.TrimSuffix(usUID2, "="), f: UID2, err: ErrBadHash},
		{name: "uid2/base64url", s: "YGnRS_Ei_f2THce-tY5d-7o5Wx-vBb3NQtEjWNY9hZk=", f: UID2, err: ErrBadHash},
		{name: "uid2/base64url_unpadded", s: "YGnRS_Ei_f2THce-tY5d-7o5Wx-vBb3NQtEjWNY9hZk", f: UID2, err: ErrBadHash},
		{name: "uid2/double_pad", s: usUID2[:42] + "==", f: UID2, err: ErrBadHash},
		{name: "uid2/extra_pad", s: usUID2 + "=", f: UID2, err: ErrBadHash},
		// Strict decoding: the two spare bits of the last character must
		// be zero, so each digest has exactly one encoding.
		{name: "uid2/nonzero_pad_bits", s: usUID2[:42] + "B=", f: UID2, err: ErrBadHash},
		{name: "uid2/leading_space", s: " " + usUID2[1:], f: UID2, err: ErrBadHash},
		{name: "uid2/trailing_space", s: usUID2 + " ", f: UID2, err: ErrBadHash},
		{name: "uid2/trailing_newline", s: usUID2 + "\n", f: UID2, err: ErrBadHash},
		{name: "uid2/inner_newline", s: usUID2[:20] + "\n" + usUID2[21:], f: UID2, err: ErrBadHash},
		{name: "uid2/inner_crlf", s: usUID2[:20] + "\r\n" + usUID2[22:], f: UID2, err: ErrBadHash},
		{name: "uid2/newline_before_pad", s: usUID2[:42] + "\n=", f: UID2, err: ErrBadHash},
		{name: "uid2/is_hex", s: usE164Hex, f: UID2, err: ErrBadHash},
		{name: "uid2/bad_char", s: "*" + usUID2[1:], f: UID2, err: ErrBadHash},

		{name: "unknown_format", s: usE164Hex, f: Format(5), err: ErrUnknownFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.s, tc.f)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("Decode(%q, %v) = %x, %v; want error %v", tc.s, tc.f, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Decode(%q, %v) = %x, %v; want %x, <nil>", tc.s, tc.f, got, err, tc.want)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		s      string
		want   Format
		wantOK bool
	}{
		{name: "hex_lower", s: usE164Hex, want: E164Hex, wantOK: true},
		// Digits looks the same as E164Hex: only the sender knows.
		{name: "hex_digits", s: usDigitsHex, want: E164Hex, wantOK: true},
		{name: "hex_upper", s: strings.ToUpper(usE164Hex), want: E164Hex, wantOK: true},
		{name: "uid2", s: usUID2, want: UID2, wantOK: true},
		{name: "uid2_plus_slash", s: usDigitsB64, want: UID2, wantOK: true},
		// 43 hex digits and "=" is also valid base64.
		{name: "uid2_all_hex_chars", s: strings.Repeat("0", 43) + "=", want: UID2, wantOK: true},
		{name: "empty", s: ""},
		{name: "raw_e164", s: "+16505551234"},
		{name: "raw_national", s: "(650) 555-1234"},
		{name: "hex_63", s: usE164Hex[:63]},
		{name: "hex_65", s: usE164Hex + "0"},
		{name: "hex_non_hex", s: "g" + usE164Hex[1:]},
		{name: "hex_padded_space", s: " " + usE164Hex},
		{name: "uid2_unpadded", s: strings.TrimSuffix(usUID2, "=")},
		{name: "uid2_base64url", s: "YGnRS_Ei_f2THce-tY5d-7o5Wx-vBb3NQtEjWNY9hZk="},
		{name: "uid2_trailing_newline", s: usUID2 + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Detect(tc.s)
			if ok != tc.wantOK || (ok && got != tc.want) {
				t.Errorf("Detect(%q) = %v, %v; want %v, %v", tc.s, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// TestAppendEncode_Hex checks the table encoder against encoding/hex on
// every byte value, and that it appends.
func TestAppendEncode_Hex(t *testing.T) {
	for f := range 8 {
		var d [32]byte
		for i := range d {
			d[i] = byte(f*32 + i)
		}
		for _, format := range []Format{E164Hex, Digits} {
			got := string(AppendEncode([]byte("x,"), d, format))
			if want := "x," + hex.EncodeToString(d[:]); got != want {
				t.Fatalf("AppendEncode(%x) = %q, want %q", d, got, want)
			}
		}
	}
}
