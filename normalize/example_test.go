package normalize_test

import (
	"errors"
	"fmt"

	"github.com/audiencematch/audiencematch/normalize"
)

func ExampleE164() {
	for _, in := range []struct{ raw, region string }{
		{"(650) 253-0000", "US"},
		{"tel:+1-650-555-1234;ext=123", "US"},
		{"1-800-FLOWERS", "US"},
		{"+44 (0)20 7183 8750", "US"},
		{"00 44 20 7183 8750", "DE"},
		{"06 4549 1234", "IT"},
		{"011 15 1234-5678", "AR"},
		{"8 (495) 123-45-67", "ru"},
		{"020 7183 8750", "XX"},
		{"12345", "US"},
	} {
		e164, err := normalize.E164(in.raw, in.region)
		if err != nil {
			fmt.Printf("%-28q %s: error: %v\n", in.raw, in.region, err)
			continue
		}
		fmt.Printf("%-28q %s: %s\n", in.raw, in.region, e164)
	}
	// Output:
	// "(650) 253-0000"             US: +16502530000
	// "tel:+1-650-555-1234;ext=123" US: +16505551234
	// "1-800-FLOWERS"              US: +18003569377
	// "+44 (0)20 7183 8750"        US: +442071838750
	// "00 44 20 7183 8750"         DE: +442071838750
	// "06 4549 1234"               IT: +390645491234
	// "011 15 1234-5678"           AR: +5491112345678
	// "8 (495) 123-45-67"          ru: +74951234567
	// "020 7183 8750"              XX: error: unknown region
	// "12345"                      US: error: not a possible number
}

// ExampleSum shows the exact bytes each format hashes for one number and
// the digest as each format writes it.
func ExampleSum() {
	e164, err := normalize.E164("tel:+1-650-555-1234", "US")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range []normalize.Format{normalize.E164Hex, normalize.Digits, normalize.UID2} {
		hashed := e164
		if f == normalize.Digits {
			hashed = e164[1:]
		}
		digest := normalize.Sum([]byte(e164), f)
		fmt.Printf("%s: SHA-256 of %q (% x)\n", f, hashed, hashed)
		fmt.Printf("  %s\n", normalize.Encode(digest, f))
	}
	// Output:
	// e164: SHA-256 of "+16505551234" (2b 31 36 35 30 35 35 35 31 32 33 34)
	//   a2996076d3ad4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805ee0
	// digits: SHA-256 of "16505551234" (31 36 35 30 35 35 35 31 32 33 34)
	//   6069d14bf122fdfd931dc7beb58e5dfbba395b1faf05bdcd42d12358d63d8599
	// uid2: SHA-256 of "+16505551234" (2b 31 36 35 30 35 35 35 31 32 33 34)
	//   oplgdtOtSvXcgYuQiz2ONU8m7e333w4Kpqw1QUOAXuA=
}

func ExampleDecode() {
	// The same digest in its hex and base64 spellings.
	hexDigest, _ := normalize.Decode("A2996076D3AD4AF5DC818B908B3D8E354F26EDEDF7DF0E0AA6AC354143805EE0", normalize.E164Hex)
	b64Digest, _ := normalize.Decode("oplgdtOtSvXcgYuQiz2ONU8m7e333w4Kpqw1QUOAXuA=", normalize.UID2)
	fmt.Println(hexDigest == b64Digest)
	fmt.Println(normalize.Encode(hexDigest, normalize.E164Hex))

	// Unpadded or URL-safe base64, and anything not 64 hex digits, is refused.
	for _, s := range []string{
		"oplgdtOtSvXcgYuQiz2ONU8m7e333w4Kpqw1QUOAXuA",
		"YGnRS_Ei_f2THce-tY5d-7o5Wx-vBb3NQtEjWNY9hZk=",
		"+16505551234",
	} {
		_, err := normalize.Decode(s, normalize.UID2)
		fmt.Println(errors.Is(err, normalize.ErrBadHash), err)
	}

	// Detect tells the formats apart by shape (hex cannot say e164 from digits).
	f, ok := normalize.Detect("oplgdtOtSvXcgYuQiz2ONU8m7e333w4Kpqw1QUOAXuA=")
	fmt.Println(f, ok)
	// Output:
	// true
	// a2996076d3ad4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805ee0
	// true not a valid hash
	// true not a valid hash
	// true not a valid hash
	// uid2 true
}

// ExampleEmail shows an address normalized for each email format, and its
// digest as that format writes it.
func ExampleEmail() {
	h := normalize.NewHasher()
	for _, f := range []normalize.Format{normalize.EmailHex, normalize.EmailUID2} {
		e, err := normalize.Email(" Jane.Saoirse+Work@Gmail.com ", f)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-10s %-27q %s\n", f, e, normalize.Encode(h.Sum([]byte(e), f), f))
	}
	_, err := normalize.Email("jane doe@example.com", normalize.EmailHex)
	fmt.Println(err)
	// Output:
	// email      "jane.saoirse+work@gmail.com" 6f0f30b37b9cd7ab345145aa600a4fd1bbb903024880f561b00045d9143db80c
	// email-uid2 "janesaoirse@gmail.com"     ku4mBX7Z3qJTXWyLFB1INzkyR2WZGW4ANSJUiW21iI8=
	// blank inside email
}
