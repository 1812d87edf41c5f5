package synth

import "math/rand/v2"

// The mess of real exports: what spreadsheets, CRMs, web forms and phones
// in many locales put around and inside the phones of a contact list, on
// top of the styles of list.go. Unless Config.Clean is set, a valid row
// gets at most one general form and, in the regions that write them, its
// own digits:
//
//	form                                          share of valid rows
//	no-break spaces (U+00A0) between groups       4%
//	Unicode dashes (U+2010, U+2011, U+2013,        2% (U+30FC, U+FF0D in
//	  U+2014, U+2212) for "-" or " "                  CN, JP, KR, TW, HK)
//	zero-width space or soft hyphen inserted       1%
//	byte order mark before the number             0.8%
//	a label before it ("Tel: ", "'", "Mob. ")     1.5%
//	punctuation or blanks after it (".", " -")    1%
//	runs of blanks                                1.5%
//	a spelled-out extension (" extension 2459",   1.5%
//	  " ext. 12", " #12", ", 12", " anexo 3")
//	full-width digits, "＋" (and "－", U+3000)     15% of CN, JP, KR, TW, HK
//	  whole or in some groups                         and MO rows
//	Arabic-Indic digits, whole or some groups     15% of EG, SA, AE, IQ,
//	                                                 JO, KW, QA, BH, OM rows
//	Extended Arabic-Indic (Persian) digits        15% of IR, AF, PK rows
//
// Each keeps the row's answer: libphonenumber reads it as the clean row
// (tested). Rows that carry a character the library refuses wherever it
// stands (a narrow no-break or thin space, a byte order mark or a tab
// between digits, a stray quote, a byte of invalid UTF-8, a trailing "!"
// or comma) are junk: one more junk kind, junkMessy, drawn as often as
// each of the others.

// messRow applies the mess to the valid row in lr.phone, written for the
// list row's Country, drawing from lr.rng; lr.tmp and lr.mess are scratch.
// Rows with letters (vanity, extensions, tel:) get only the forms that
// keep their letters' meaning: no-break spaces, a label, a byte order mark.
func (g *gen) messRow(lr *listRow) {
	rng, code := lr.rng, lr.country
	letters := hasLetters(lr.phone)
	src := lr.phone
	switch {
	case fullWidthRegions[code] && !letters && rng.IntN(100) < 15:
		lr.tmp = appendDigitsIn(lr.tmp[:0], src, rng, '\uff10', true)
		src = lr.tmp
	case arabicRegions[code] && !letters && rng.IntN(100) < 15:
		lr.tmp = appendDigitsIn(lr.tmp[:0], src, rng, '\u0660', false)
		src = lr.tmp
	case persianRegions[code] && !letters && rng.IntN(100) < 15:
		lr.tmp = appendDigitsIn(lr.tmp[:0], src, rng, '\u06f0', false)
		src = lr.tmp
	}
	out := lr.mess[:0]
	x := rng.IntN(1000)
	switch {
	case x < 40:
		out = appendReplacedRune(out, src, ' ', "\u00a0")
	case x < 60 && !letters:
		dash := dashes[rng.IntN(len(dashes))]
		if fullWidthRegions[code] && rng.IntN(2) == 0 {
			dash = eastAsianDashes[rng.IntN(len(eastAsianDashes))]
		}
		old := byte('-')
		if !contains(src, '-') {
			old = ' '
		}
		out = appendReplacedRune(out, src, old, dash)
	case x < 70 && !letters:
		zw := "\u200b"
		if rng.IntN(2) == 0 {
			zw = "\u00ad"
		}
		out = appendInsertedAfterDigit(out, src, rng, zw)
	case x >= 70 && x < 78:
		out = append(append(out, "\ufeff"...), src...)
	case x >= 78 && x < 93:
		out = append(append(out, labels[rng.IntN(len(labels))]...), src...)
	case x >= 93 && x < 103 && !letters:
		out = append(append(out, src...), trailers[rng.IntN(len(trailers))]...)
	case x >= 103 && x < 118 && !letters:
		if rng.IntN(2) == 0 {
			out = appendReplacedRune(out, src, ' ', "  ")
		} else {
			out = append(append(append(out, "  "...), src...), "  "...)
		}
	case x >= 118 && x < 133 && !letters:
		out = append(out, src...)
		out = append(out, spelledExts[rng.IntN(len(spelledExts))]...)
		out = appendRandDigits(out, rng, 1+rng.IntN(4))
	default:
		out = append(out, src...)
	}
	lr.mess = out
	lr.phone = append(lr.phone[:0], out...)
}

// messyJunk fills lr with a valid phone made junk by one character that
// libphonenumber refuses wherever it stands after the number's start.
func (g *gen) messyJunk(lr *listRow) {
	rng := lr.rng
	g.draw(rng, parityNonMember, &lr.p)
	g.render(lr)
	out := lr.mess[:0]
	if k := rng.IntN(len(refused) + len(refusedAtEnd)); k >= len(refused) {
		out = append(append(out, lr.phone...), refusedAtEnd[k-len(refused)]...)
	} else {
		out = appendInsertedAfterDigit(out, lr.phone, rng, refused[k])
		if len(out) == len(lr.phone) { // no two adjacent digits
			out = append(out, refusedAtEnd[0]...)
		}
	}
	lr.mess = out
	lr.phone = append(lr.phone[:0], out...)
}

var (
	fullWidthRegions = map[string]bool{"CN": true, "JP": true, "KR": true, "TW": true, "HK": true, "MO": true}
	arabicRegions    = map[string]bool{"EG": true, "SA": true, "AE": true, "IQ": true, "JO": true, "KW": true, "QA": true, "BH": true, "OM": true}
	persianRegions   = map[string]bool{"IR": true, "AF": true, "PK": true}

	dashes          = [...]string{"\u2010", "\u2011", "\u2013", "\u2014", "\u2212"}
	eastAsianDashes = [...]string{"\u30fc", "\uff0d"}
	labels          = [...]string{"Tel: ", "tel. ", "Phone: ", "Mob. ", "Cell: ", "'", "=", "☎ ", "\t", "Tél : ", "電話 "}
	trailers        = [...]string{".", " ", " -", "*", " .", ")", "\u00a0"}
	spelledExts     = [...]string{" extension ", " ext. ", " Ext: ", " EXT ", " #", " x ", ", ", " anexo ", " extensión ", "\text. ", ", ext "}

	// refused go between two digits, refusedAtEnd after the number.
	refused      = [...]string{"\u202f", "\u2009", "\ufeff", "\t", "\"", "\xff", "\xc3"}
	refusedAtEnd = [...]string{"!", ",", "\t", "?"}
)

func hasLetters(b []byte) bool {
	for _, c := range b {
		if c|0x20 >= 'a' && c|0x20 <= 'z' {
			return true
		}
	}
	return false
}

func contains(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// appendReplacedRune appends src with every old byte replaced by new.
func appendReplacedRune(dst, src []byte, old byte, new string) []byte {
	for _, c := range src {
		if c == old {
			dst = append(dst, new...)
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// appendInsertedAfterDigit appends src with s inserted once between two
// adjacent ASCII digits drawn at random, or src unchanged if it has none.
func appendInsertedAfterDigit(dst, src []byte, rng *rand.Rand, s string) []byte {
	n := 0
	for i := 1; i < len(src); i++ {
		if isDigit(src[i-1]) && isDigit(src[i]) {
			n++
		}
	}
	if n == 0 {
		return append(dst, src...)
	}
	k := rng.IntN(n)
	for i := range src {
		dst = append(dst, src[i])
		if i+1 < len(src) && isDigit(src[i]) && isDigit(src[i+1]) {
			if k == 0 {
				dst = append(dst, s...)
			}
			k--
		}
	}
	return dst
}

// appendDigitsIn appends src with its ASCII digits written from zero, the
// script's digit zero: all of them, or (one time in three) those of some
// digit groups only. With fullWidth, "+" becomes "＋" and, one time in
// two, "-" becomes "－" and " " the ideographic space.
func appendDigitsIn(dst, src []byte, rng *rand.Rand, zero rune, fullWidth bool) []byte {
	some := rng.IntN(3) == 0
	punct := fullWidth && rng.IntN(2) == 0
	convert := true
	for i, c := range src {
		if some && isDigit(c) && (i == 0 || !isDigit(src[i-1])) {
			convert = rng.IntN(2) == 0
		}
		switch {
		case isDigit(c) && convert:
			dst = append(dst, string(zero+rune(c-'0'))...)
		case fullWidth && c == '+':
			dst = append(dst, "＋"...)
		case punct && c == '-':
			dst = append(dst, "－"...)
		case punct && c == ' ':
			dst = append(dst, "\u3000"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
