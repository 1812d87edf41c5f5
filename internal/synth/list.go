package synth

import (
	"iter"
	"math/rand/v2"
)

// ListRow is one row of an advertiser's contact list, raw as a person or a
// CRM wrote it.
type ListRow struct {
	// Phone is the number in one of the styles below, or junk.
	Phone string
	// Country is the region the row says it is dialled from: the number's
	// own region, or for IDD-style rows ("011 44 …") the dialling region, or
	// "" (meaning the default region, US) for some US numbers.
	Country string
}

// List returns the contact list of cfg in row order, cfg.ListRows rows.
// Row j is a pure function of (cfg.Seed, cfg.Regions, cfg.Users, the rates,
// j); memory stays constant whatever the sizes. Each row is independently:
//
//   - with probability BadRate, junk that phonenumbers.Parse rejects or
//     that is not IsPossibleNumber for its Country (or US if empty): "",
//     a placeholder ("n/a", "none", "TBD", an e-mail address, …), 2–4
//     digits, 300 digits, a 63-hex or non-hex 64-character "hash", or
//     "+0 …" (no country code starts with 0);
//   - with probability MatchRate, the phone of user i for i uniform in
//     [0, Users) — regenerated from i, not looked up — which normalizes
//     (Parse with Country, Format E164) to the E.164 of user i's Phone;
//   - otherwise a valid phone of a region of cfg.Regions that is the phone
//     of no user: users' phones have an even E.164 digit sum, these an odd
//     one.
//
// Valid rows are written in a style drawn per row: E.164, international
// with spaces, dashes or "(0)", IDD from a foreign dialling region
// ("00 44 20 …" with Country DE, "011 44 20 …" with Country US), tel: URI,
// international with an extension, NATIONAL format, national digits only,
// national with dots or a slash, and NANP vanity letters ("650-555-FLOW").
// About half of the valid rows are national (no country code; at least a
// third). Unless cfg.Clean is set, some rows carry the mess of real
// exports on top of their style (mess.go), and some junk rows are numbers
// spoilt by a character the library refuses. If cfg is invalid (see
// Config.Validate) the sequence is empty.
func List(cfg Config) iter.Seq[ListRow] {
	return func(yield func(ListRow) bool) {
		g, err := resolve(cfg)
		if err != nil {
			return
		}
		var lr listRow
		for j := range cfg.ListRows {
			g.listRow(j, &lr)
			if !yield(ListRow{Phone: string(lr.phone), Country: lr.country}) {
				return
			}
		}
	}
}

// listRow is the scratch space of one generated list row; its slices are
// reused by the next call.
type listRow struct {
	pcg     rand.PCG
	rng     *rand.Rand
	user    userRow // regenerates a member's phone
	p       phone
	tmp     []byte
	mess    []byte // scratch of mess.go
	phone   []byte
	country string

	kind   rowKind // what the row was drawn as (for tests)
	member int     // the user index, if kind == rowMember
}

// rowKind is what a list row was drawn as.
type rowKind uint8

const (
	rowJunk      rowKind = iota // junk, rejected by any normalizer
	rowMember                   // the phone of user listRow.member
	rowNonMember                // a valid phone of no user
)

// style is a way of writing a valid phone.
type style uint8

const (
	styleE164      style = iota // +442071838750
	styleIntl                   // +44 20 7183 8750
	styleIntlDash               // +44-20-7183-8750
	styleZeroParen              // +44 (0)20 7183 8750
	styleIDD                    // 00 44 20 7183 8750 (Country: the dialling region)
	styleRFC3966                // tel:+44-20-7183-8750
	styleExt                    // +44 20 7183 8750 ext. 12
	styleNational               // 020 7183 8750
	styleNatDigits              // 02071838750
	styleDots                   // 020.7183.8750
	styleSlash                  // 020/71838750
	styleVanity                 // 650-555-FLOW (NANP only)
	numStyles                   // national styles are those from styleNational on
)

// national reports whether s writes the number without its country code.
func (s style) national() bool { return s >= styleNational }

// styleWeights are the relative frequencies of the styles. National styles
// (National, NatDigits, Dots, Slash, Vanity) get 55 of 100; fallbacks for
// regions where a style does not apply move a few points to E.164.
var styleWeights = [numStyles]int{
	styleE164:      14,
	styleIntl:      10,
	styleIntlDash:  4,
	styleZeroParen: 4,
	styleIDD:       6,
	styleRFC3966:   3,
	styleExt:       4,
	styleNational:  22,
	styleNatDigits: 16,
	styleDots:      8,
	styleSlash:     5,
	styleVanity:    4,
}

var styleTotal = func() int {
	s := 0
	for _, w := range styleWeights {
		s += w
	}
	return s
}()

// emptyUSShare is the share of non-IDD US rows whose Country is left empty.
const emptyUSShare = 0.3

// listRow fills lr with row j.
func (g *gen) listRow(j int, lr *listRow) {
	if lr.rng == nil {
		lr.rng = rand.New(&lr.pcg)
	}
	lr.pcg.Seed(rowSeed(g.cfg.Seed, streamList, uint64(j)))
	rng := lr.rng
	x := rng.Float64()
	switch {
	case x < g.cfg.BadRate:
		lr.kind = rowJunk
		g.junk(lr)
		return
	case x < g.cfg.BadRate+g.cfg.MatchRate && g.cfg.Users > 0:
		lr.kind, lr.member = rowMember, rng.IntN(g.cfg.Users)
		g.userPhone(lr.member, &lr.user)
		lr.p = lr.user.p
	default:
		lr.kind = rowNonMember
		g.draw(rng, parityNonMember, &lr.p)
	}
	g.render(lr)
	if !g.cfg.Clean {
		g.messRow(lr)
	}
}

// render writes lr.p in a style drawn from lr.rng into lr.phone and sets
// lr.country.
func (g *gen) render(lr *listRow) {
	rng, p := lr.rng, &lr.p
	t, r := p.t, p.t.reg
	lr.country = r.code
	w := rng.IntN(styleTotal)
	s := styleE164
	for i, sw := range styleWeights {
		if w < sw {
			s = style(i)
			break
		}
		w -= sw
	}
	// Fall back where a style does not apply to this number.
	switch {
	case s == styleVanity && !r.nanpa:
		s = styleNational
	case s == styleSlash && !t.slashOK:
		s = styleDots
	}
	switch {
	case s == styleDots && !t.dotsOK, s == styleNatDigits && !t.natDigitsOK:
		s = styleNational
	case s == styleZeroParen && !t.zeroParenOK:
		s = styleIntl
	}
	switch {
	case s == styleNational && !t.nationalOK,
		(s == styleIntl || s == styleIntlDash) && !t.intlOK,
		s == styleRFC3966 && !t.rfcOK,
		s == styleExt && !t.extOK:
		s = styleE164
	}

	out := lr.phone[:0]
	switch s {
	case styleE164:
		out = p.appendE164(out)
	case styleIntl:
		out = p.appendIntl(out)
	case styleIntlDash:
		lr.tmp = p.appendIntl(lr.tmp[:0])
		out = appendReplaced(out, lr.tmp, ' ', '-')
	case styleZeroParen:
		lr.tmp = p.appendIntl(lr.tmp[:0])
		out = appendZeroParen(out, lr.tmp, r.cc)
	case styleIDD:
		from := g.dialFrom(rng, r)
		if from == nil {
			out = p.appendE164(out)
			break
		}
		lr.country = from.code
		out = append(out, from.idd...)
		out = append(out, ' ')
		lr.tmp = p.appendIntl(lr.tmp[:0])
		out = append(out, lr.tmp[1:]...) // drop the '+'
	case styleRFC3966:
		out = p.appendRFC3966(out)
	case styleExt:
		out = p.appendIntl(out)
		out = append(out, extSeps[rng.IntN(len(extSeps))]...)
		out = appendRandDigits(out, rng, 1+rng.IntN(4))
	case styleNational:
		out = p.appendNational(out)
	case styleNatDigits:
		lr.tmp = p.appendNational(lr.tmp[:0])
		out = appendDigitsOnly(out, lr.tmp)
	case styleDots:
		lr.tmp = p.appendNational(lr.tmp[:0])
		out = appendJoinGroups(out, lr.tmp, '.')
	case styleSlash:
		lr.tmp = p.appendNational(lr.tmp[:0])
		out = appendSlashed(out, lr.tmp)
	case styleVanity:
		out = appendVanity(out, rng, p)
	}
	if t.checkNational && (s.national() && s != styleVanity || s == styleZeroParen) {
		lr.tmp = p.appendE164(lr.tmp[:0])
		if !parsesTo(out, r.code, lr.tmp) {
			out = append(out[:0], lr.tmp...)
		}
	}
	lr.phone = out
	if s != styleIDD && r.code == "US" && rng.Float64() < emptyUSShare {
		lr.country = ""
	}
}

// extSeps are the extension markers used by styleExt; libphonenumber reads
// each of them as an extension.
var extSeps = [...]string{" ext. ", " ext ", " x"}

// dialFrom returns a region with a simple IDD and another calling code than
// r, drawn from g's regions, or nil if a few draws find none.
func (g *gen) dialFrom(rng *rand.Rand, r *region) *region {
	if len(g.idd) == 0 {
		return nil
	}
	for range 4 {
		if f := g.idd[rng.IntN(len(g.idd))]; f.cc != r.cc {
			return f
		}
	}
	return nil
}

// keypad maps a digit 2..9 to its letters on a phone keypad.
var keypad = [10]string{2: "ABC", 3: "DEF", 4: "GHI", 5: "JKL", 6: "MNO", 7: "PQRS", 8: "TUV", 9: "WXYZ"}

// appendVanity appends a 10-digit NANP number as "650-555-FLOW" or
// "1-650-555-FLOW", its last four digits spelled in keypad letters, or in
// NATIONAL format if one of those digits is 0 or 1 (no letters).
func appendVanity(dst []byte, rng *rand.Rand, p *phone) []byte {
	d := p.digits()
	if len(d) != 10 {
		return p.appendNational(dst)
	}
	for _, c := range d[6:] {
		if c < '2' {
			return p.appendNational(dst)
		}
	}
	if rng.IntN(2) == 0 {
		dst = append(dst, "1-"...)
	}
	dst = append(dst, d[0:3]...)
	dst = append(dst, '-')
	dst = append(dst, d[3:6]...)
	dst = append(dst, '-')
	for _, c := range d[6:] {
		letters := keypad[c-'0']
		dst = append(dst, letters[rng.IntN(len(letters))])
	}
	return dst
}

func appendRandDigits(dst []byte, rng *rand.Rand, n int) []byte {
	for range n {
		dst = append(dst, byte('0'+rng.IntN(10)))
	}
	return dst
}
