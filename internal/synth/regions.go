package synth

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// defaultRegions is the list behind DefaultRegions: 50 regions on every
// inhabited continent, big markets first.
var defaultRegions = [...]string{
	// North and South America
	"US", "CA", "MX", "BR", "AR", "CL", "CO", "PE",
	// Europe
	"GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "SE", "NO", "DK",
	"FI", "PL", "PT", "IE", "CZ", "UA", "RU",
	// Asia and the Middle East
	"KZ", "TR", "IN", "PK", "CN", "JP", "KR", "ID", "PH", "VN", "TH", "MY",
	"SG", "SA", "AE", "IL",
	// Oceania
	"AU", "NZ",
	// Africa
	"ZA", "NG", "EG", "KE", "MA",
}

// DefaultRegions returns the regions drawn from when Config.Regions is nil:
// 50 distinct ISO 3166-1 alpha-2 codes spread across all inhabited
// continents (US, CA, MX, BR, AR, GB, DE, FR, IT, ES, NL, RU, KZ, IN, CN, JP,
// KR, AU, ZA, NG and more). The result is a fresh copy on every call.
func DefaultRegions() []string {
	return append([]string(nil), defaultRegions[:]...)
}

// Limits of the phone templates. A template keeps the leading digit(s) of a
// libphonenumber example number and draws the rest: up to maxHeads "heads"
// (the example's prefix with up to headDigits digits before the tail
// redrawn, each checked on sample tails) times 10^k tails (k = minTail..
// maxTail trailing digits, the most for which sample tails were all valid).
// With DefaultRegions that is 10^7 (NO, 8-digit numbers) to 10^9 (IT)
// phones per region and about 1.5·10^10 in all, half of them (even digit
// sum) for users: at 1M users fewer than 0.1% share a phone with another
// by accident (measured: 423 for Seed 1), at 100M a few percent.
const (
	maxTail       = 7
	minTail       = 3
	headDigits    = 3
	maxHeads      = 64
	tailProbes    = 24 // random tails that must all be valid to accept a tail length
	headProbes    = 8  // random tails that must all be valid to accept a head
	headTries     = 6 * maxHeads
	maxNSNLen     = 17 // longest national significant number libphonenumber knows
	phoneAttempts = 16 // fresh tails tried per phone before the known-valid fallback
)

// region is the precomputed, read-only table of one region: its calling
// code, its simple IDD and its phone templates. Safe for concurrent use.
type region struct {
	code  string // ISO alpha-2, upper case
	cc    string // country calling code, digits ("44")
	idd   string // digits-only international prefix ("00", "011"), or "" if none is simple
	tpls  []*template
	wsum  int // sum of tpls' weights
	nanpa bool
	// ccParity is the parity of the digit sum of cc.
	ccParity int
}

// template is one number type (mobile or fixed line) of a region.
type template struct {
	reg     *region
	weight  int // mobile 7, fixed line 3
	nsnLen  int
	k       int // tail length: the trailing digits drawn per phone
	heads   []*head
	general *regexp.Regexp // ^(?:general desc)$
	typed   *regexp.Regexp // ^(?:mobile or fixed-line desc)$

	// Styles that round-trip through phonenumbers.Parse for this template
	// (checked on its first head at build time).
	nationalOK, natDigitsOK, dotsOK, slashOK, zeroParenOK, extOK, rfcOK, intlOK bool

	// checkNational is set for regions whose national prefix for parsing is
	// a pattern rather than the literal national prefix (AR, BR, CO, CN, JP,
	// KR, AU, GB): there the digits after the head can change how a number
	// written with its national prefix parses (AR "011 1505-7733" reads the
	// 15 as the mobile token), so each such rendering (national styles and
	// "(0)") is checked with phonenumbers.Parse and replaced by E.164 if it
	// does not parse back.
	checkNational bool
}

// head is a template's fixed leading digits, with the library's formatting
// of one valid number under it. Formatting another number with the same
// head replaces the last k digits of these strings (verified at build time).
type head struct {
	digits string    // nsnLen-k leading digits of the NSN
	valid  [2]string // a valid NSN with even (0) and odd (1) E.164 digit sum
	nat    string    // Format(valid[0], NATIONAL)
	intl   string    // Format(valid[0], INTERNATIONAL)
	rfc    string    // Format(valid[0], RFC3966)
}

// valid reports whether nsn, a national significant number of t's length,
// matches t's region's general pattern and t's type pattern. Such a number
// is valid for the region (libphonenumber's IsValidNumberForRegion): it has
// the length of the template's valid example, so it passes the same
// possible-length checks, and matching a type's pattern makes its type not
// UNKNOWN. (The converse does not hold: a number of another type is valid
// too, and valid reports false for it.)
func (t *template) valid(nsn []byte) bool {
	return t.general.Match(nsn) && t.typed.Match(nsn)
}

var (
	metaOnce sync.Once
	metaByID map[string]*phonenumbers.PhoneMetadata
	metaErr  error

	// regionCache maps an upper-case region code to its *regionEntry.
	// Entries are built once and never change.
	regionCache sync.Map
)

type regionEntry struct {
	once sync.Once
	r    *region
	err  error
}

func metadata(code string) (*phonenumbers.PhoneMetadata, error) {
	metaOnce.Do(func() {
		coll, err := phonenumbers.MetadataCollection()
		if err != nil {
			metaErr = err
			return
		}
		metaByID = make(map[string]*phonenumbers.PhoneMetadata, len(coll.GetMetadata()))
		for _, m := range coll.GetMetadata() {
			metaByID[m.GetId()] = m
		}
	})
	if metaErr != nil {
		return nil, metaErr
	}
	m := metaByID[code]
	if m == nil {
		return nil, fmt.Errorf("%w: unknown region %q", ErrConfig, code)
	}
	return m, nil
}

// lookupRegion returns the table of region code, building it on first use.
func lookupRegion(code string) (*region, error) {
	e, _ := regionCache.LoadOrStore(code, &regionEntry{})
	ent := e.(*regionEntry)
	ent.once.Do(func() { ent.r, ent.err = buildRegion(code) })
	return ent.r, ent.err
}

var digitsOnly = regexp.MustCompile(`^[0-9]+$`)

func buildRegion(code string) (*region, error) {
	m, err := metadata(code)
	if err != nil {
		return nil, err
	}
	r := &region{
		code:  code,
		cc:    strconv.Itoa(int(m.GetCountryCode())),
		nanpa: m.GetCountryCode() == 1,
	}
	r.ccParity = parity(r.cc, nil)
	if p := m.GetInternationalPrefix(); digitsOnly.MatchString(p) {
		r.idd = p
	} else if p := m.GetPreferredInternationalPrefix(); digitsOnly.MatchString(p) {
		r.idd = p
	}
	general, err := regexp.Compile("^(?:" + m.GetGeneralDesc().GetNationalNumberPattern() + ")$")
	if err != nil {
		return nil, fmt.Errorf("%w: region %s: %v", ErrConfig, code, err)
	}
	for _, tt := range []struct {
		typ    phonenumbers.PhoneNumberType
		desc   *phonenumbers.PhoneNumberDesc
		weight int
	}{
		{phonenumbers.MOBILE, m.GetMobile(), 7},
		{phonenumbers.FIXED_LINE, m.GetFixedLine(), 3},
	} {
		t := buildTemplate(r, m, general, tt.typ, tt.desc)
		if t == nil {
			continue
		}
		t.weight = tt.weight
		r.tpls = append(r.tpls, t)
		r.wsum += t.weight
	}
	if len(r.tpls) == 0 {
		return nil, fmt.Errorf("%w: region %s has no usable example number", ErrConfig, code)
	}
	return r, nil
}

// buildTemplate derives a template from the region's example number of type
// typ, or returns nil if the example is missing or cannot be varied.
func buildTemplate(r *region, m *phonenumbers.PhoneMetadata, general *regexp.Regexp,
	typ phonenumbers.PhoneNumberType, desc *phonenumbers.PhoneNumberDesc) *template {
	ex := phonenumbers.GetExampleNumberForType(r.code, typ)
	if ex == nil || desc == nil || !phonenumbers.IsPossibleNumber(ex) ||
		!phonenumbers.IsValidNumberForRegion(ex, r.code) {
		return nil
	}
	typed, err := regexp.Compile("^(?:" + desc.GetNationalNumberPattern() + ")$")
	if err != nil {
		return nil
	}
	nsn := phonenumbers.GetNationalSignificantNumber(ex)
	t := &template{reg: r, nsnLen: len(nsn), general: general, typed: typed}
	if t.nsnLen > maxNSNLen || t.nsnLen < minTail+1 || !t.valid([]byte(nsn)) {
		return nil
	}
	// Build-time randomness is fixed per region and type, independent of
	// Config.Seed, so a template is the same in every run.
	rng := rand.New(rand.NewPCG(mix(fnv(r.code)), uint64(typ)))
	buf := []byte(nsn)

	// Tail length: the longest whose random tails are all valid.
	for k := min(maxTail, t.nsnLen-2); k >= minTail && t.k == 0; k-- {
		copy(buf, nsn)
		ok := true
		for range tailProbes {
			fillTail(rng, buf, k, -1)
			if !t.valid(buf) {
				ok = false
				break
			}
		}
		if ok {
			t.k = k
		}
	}
	if t.k == 0 {
		return nil
	}

	// Heads: the example's own, then variants with up to headDigits digits
	// before the tail redrawn, keeping at least the leading digit.
	prefixLen := t.nsnLen - t.k
	h := min(headDigits, prefixLen-1)
	seen := map[string]bool{}
	cands := []string{nsn[:prefixLen]}
	if h > 0 {
		for range headTries {
			c := []byte(nsn[:prefixLen])
			for j := prefixLen - h; j < prefixLen; j++ {
				c[j] = byte('0' + rng.IntN(10))
			}
			cands = append(cands, string(c))
		}
	}
	for _, c := range cands {
		if len(t.heads) == maxHeads {
			break
		}
		if seen[c] {
			continue
		}
		seen[c] = true
		if hd := t.buildHead(rng, c); hd != nil {
			t.heads = append(t.heads, hd)
		}
	}
	if len(t.heads) == 0 {
		return nil
	}
	t.checkStyles(m)
	t.checkNational = m.GetNationalPrefixForParsing() != m.GetNationalPrefix()
	return t
}

// buildHead returns the head for the leading digits prefix, or nil if random
// tails under it are not reliably valid or the substitution formatting does
// not reproduce the library's.
func (t *template) buildHead(rng *rand.Rand, prefix string) *head {
	hd := &head{digits: prefix}
	buf := make([]byte, t.nsnLen)
	copy(buf, prefix)
	var found [2]bool
	for i := 0; i < 4*headProbes; i++ {
		fillTail(rng, buf, t.k, -1)
		if !t.valid(buf) {
			return nil
		}
		p := parity(t.reg.cc, buf)
		if !found[p] {
			found[p], hd.valid[p] = true, string(buf)
		}
		if i >= headProbes-1 && found[0] && found[1] {
			break
		}
	}
	if !found[0] || !found[1] {
		return nil
	}
	n0 := t.reg.number(hd.valid[0])
	hd.nat = phonenumbers.Format(n0, phonenumbers.NATIONAL)
	hd.intl = phonenumbers.Format(n0, phonenumbers.INTERNATIONAL)
	hd.rfc = phonenumbers.Format(n0, phonenumbers.RFC3966)
	if countDigits(hd.nat) < t.k || countDigits(hd.intl) < t.k || countDigits(hd.rfc) < t.k {
		return nil
	}
	// The library picks a formatting rule by leading digits and length; check
	// that the tail does not change it, on the odd number and one more.
	fillTail(rng, buf, t.k, -1)
	for _, nsn := range []string{hd.valid[1], string(buf)} {
		if !t.valid([]byte(nsn)) {
			continue
		}
		n := t.reg.number(nsn)
		tail := nsn[t.nsnLen-t.k:]
		if phonenumbers.Format(n, phonenumbers.NATIONAL) != substTail(hd.nat, tail) ||
			phonenumbers.Format(n, phonenumbers.INTERNATIONAL) != substTail(hd.intl, tail) ||
			phonenumbers.Format(n, phonenumbers.RFC3966) != substTail(hd.rfc, tail) {
			return nil
		}
	}
	return hd
}

// checkStyles sets the template's style flags: a style is used only if its
// rendering of the first head's number parses back to the same E.164.
func (t *template) checkStyles(m *phonenumbers.PhoneMetadata) {
	hd := t.heads[0]
	want := "+" + t.reg.cc + hd.valid[0]
	ok := func(raw, reg string) bool {
		n, err := phonenumbers.Parse(raw, reg)
		return err == nil && phonenumbers.IsPossibleNumber(n) &&
			phonenumbers.Format(n, phonenumbers.E164) == want
	}
	code := t.reg.code
	t.intlOK = ok(hd.intl, code) && ok(dashed(hd.intl), code)
	t.rfcOK = ok(hd.rfc, code)
	t.extOK = ok(hd.intl+" ext. 12", code)
	t.nationalOK = ok(hd.nat, code)
	t.natDigitsOK = ok(keepDigits(hd.nat), code)
	t.dotsOK = ok(joinGroups(hd.nat, '.'), code)
	t.slashOK = ok(slashed(hd.nat), code)
	if m.GetNationalPrefix() == "0" && !strings.HasPrefix(hd.valid[0], "0") {
		t.zeroParenOK = ok(zeroParen(hd.intl, t.reg.cc), code)
	}
}

// parsesTo reports whether raw, dialled from region, is read by
// phonenumbers.Parse as a possible number whose E.164 form is want.
func parsesTo(raw []byte, region string, want []byte) bool {
	n, err := phonenumbers.Parse(string(raw), region)
	return err == nil && phonenumbers.IsPossibleNumber(n) &&
		phonenumbers.Format(n, phonenumbers.E164) == string(want)
}

// number returns nsn of region r as a *phonenumbers.PhoneNumber.
func (r *region) number(nsn string) *phonenumbers.PhoneNumber {
	cc64, _ := strconv.ParseInt(r.cc, 10, 32)
	cc := int32(cc64)
	nn, _ := strconv.ParseUint(nsn, 10, 64)
	n := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nn}
	if zeros := len(nsn) - len(strings.TrimLeft(nsn, "0")); zeros > 0 {
		lead, nz := true, int32(zeros)
		n.ItalianLeadingZero, n.NumberOfLeadingZeros = &lead, &nz
	}
	return n
}

// fillTail overwrites the last k digits of nsn with random digits. If
// wantParity is 0 or 1, the last digit is then adjusted (d^1 keeps it in
// 0..9 and flips its parity) so that the digit sum of nsn alone has that
// parity; callers fold in the country code's digits (region.ccParity).
func fillTail(rng *rand.Rand, nsn []byte, k, wantParity int) {
	v := rng.Uint64N(pow10[k])
	for j := len(nsn) - 1; j >= len(nsn)-k; j-- {
		nsn[j] = byte('0' + v%10)
		v /= 10
	}
	if wantParity >= 0 {
		s := 0
		for _, c := range nsn {
			s += int(c - '0')
		}
		if s&1 != wantParity {
			nsn[len(nsn)-1] ^= 1
		}
	}
}

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}

// parity returns the parity of the digit sum of the E.164 number +cc nsn.
func parity(cc string, nsn []byte) int {
	s := 0
	for _, c := range cc {
		s += int(c - '0')
	}
	for _, c := range nsn {
		s += int(c - '0')
	}
	return s & 1
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// substTail returns s with its last len(tail) ASCII digits replaced, in
// order, by the digits of tail.
func substTail(s, tail string) string {
	return string(appendSubstTail(nil, s, []byte(tail)))
}

// appendSubstTail appends s to dst with the last len(tail) digits of s
// replaced by tail.
func appendSubstTail(dst []byte, s string, tail []byte) []byte {
	start := len(dst)
	dst = append(dst, s...)
	j := len(tail) - 1
	for i := len(dst) - 1; i >= start && j >= 0; i-- {
		if dst[i] >= '0' && dst[i] <= '9' {
			dst[i] = tail[j]
			j--
		}
	}
	return dst
}

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
