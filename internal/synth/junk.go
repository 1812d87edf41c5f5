package synth

// Junk rows: what turns up in real contact lists where a phone should be.
// None of them is a phone: each fails phonenumbers.Parse, or parses to a
// number that is not IsPossibleNumber, for its Country (tested).

var junkWords = [...]string{
	"n/a", "N/A", "none", "unknown", "-", "null", "NULL", "?", "TBD",
	"no phone", "see notes", "john.smith@example.com", "call reception",
	"()", "+", "tel:", "--",
}

// junkKinds are the kinds of junk, drawn uniformly.
const (
	junkEmpty = iota // ""
	junkWord         // a word from junkWords
	junkShort        // 2-4 digits, Country US or empty
	junkLong         // 300 digits
	junkHash         // 64 hex digits with one non-hex letter, or 63 hex digits
	junkBadCC        // "+0 …": no country calling code starts with 0
	numJunkKinds

	// junkMessy, drawn only without Config.Clean: a valid phone with a
	// character the library refuses (messyJunk, mess.go).
	junkMessy = numJunkKinds
)

const hexDigits = "0123456789abcdef"

// junk fills lr with a junk row.
func (g *gen) junk(lr *listRow) {
	rng := lr.rng
	out := lr.phone[:0]
	// Country: any configured region, or empty.
	if n := rng.IntN(len(g.regions) + 1); n < len(g.regions) {
		lr.country = g.regions[n].code
	} else {
		lr.country = ""
	}
	kinds := numJunkKinds
	if !g.cfg.Clean {
		kinds++
	}
	switch rng.IntN(kinds) {
	case junkMessy:
		g.messyJunk(lr)
		return
	case junkEmpty:
	case junkWord:
		out = append(out, junkWords[rng.IntN(len(junkWords))]...)
	case junkShort:
		// Some regions have possible local numbers of 2-4 digits (DE, AT):
		// keep too-short junk to US rules.
		if rng.IntN(2) == 0 {
			lr.country = "US"
		} else {
			lr.country = ""
		}
		n := 2 + rng.IntN(3)
		out = appendRandDigits(out, rng, n)
	case junkLong:
		out = appendRandDigits(out, rng, 300)
	case junkHash:
		n := 64
		if rng.IntN(2) == 0 {
			n = 63
		}
		for range n {
			out = append(out, hexDigits[rng.IntN(16)])
		}
		if n == 64 {
			out[rng.IntN(64)] = byte('g' + rng.IntN(20)) // g..z
		}
	case junkBadCC:
		// Not "+999": some regions' IDD patterns (FI: 99[0-9]…) let the
		// library re-read that as an IDD and find a country code after it.
		out = append(out, "+0 "...)
		out = append(out, byte('2'+rng.IntN(8)))
		out = appendRandDigits(out, rng, 7)
	}
	lr.phone = out
}
