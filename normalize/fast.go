package normalize

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/audiencematch/audiencematch/internal/digitre"
)

// The fast path.
//
// libphonenumber's Parse spends most of its 10-40 µs in regular expressions.
// For the shapes contact lists are made of (see scan), every step of Parse
// can be retraced without them:
//
//  1. extractPossibleNumber keeps the input from its first plus sign ("+",
//     "＋") or decimal digit of any script, whatever comes before (invalid
//     UTF-8 included); in v1.8.1 its trailing-junk pattern matches only
//     "…&&…]" at the end and its second-number pattern needs "/" or "\",
//     blanks and "x", so nothing else is cut.
//  2. isViablePhoneNumber holds with three digits before any letter, or
//     exactly two digits and nothing else, and only digits, letters, "*"
//     and the library's punctuation after the plus signs, an extension
//     aside; a character outside these (a tab, a quote, a thin space, a
//     byte of invalid UTF-8, a "+" after the start) makes Parse fail.
//  3. The extension pattern cuts a labelled extension ("ext", "extension",
//     "anexo", "x", "#", "int") or one after commas, with its digits, at
//     the end (extAt). Three or more letters become keypad digits, fewer
//     are dropped; normalize maps full-width, Arabic-Indic and Extended
//     Arabic-Indic digits to ASCII (runeClass), except in a number with
//     three letters or more, where it drops them.
//  4. The country code comes from a leading "+"; or from the region's IDD
//     prefix if the digits start with it and the next digit is not 0; or it
//     is the region's own, taken off the digits when they start with it and
//     the library's validity and length tests say so. After "+" and an
//     unknown code, the digits are read again as if without "+", and then a
//     number with no code of its own fails (countryOf).
//  5. The national prefix is stripped as maybeStripNationalPrefixAndCarrierCode
//     does, under its two viability checks (the general pattern, then the
//     possible lengths): plain prefixes directly, others (capture groups,
//     transform rules) by a leftmost-first match like regexp's own.
//  6. E.164 is "+", the country code and the national significant number's
//     digits as they are (leading zeros included, which is what the
//     library's Italian-leading-zero fields give back); IsPossibleNumber is
//     the possible-length test of the country code's main region.
//
// Numbers too long to keep (past maxFastDigits) are answered from their
// first digits (long). The metadata's patterns that these steps ask about
// (the general national-number pattern, the national prefix for parsing,
// the IDD prefix) run as DFAs and a prefix matcher over the digits
// (internal/digitre), which answer exactly as regexp does on digit strings.
// Every table comes from the library's own metadata at first use; nothing
// is written by hand. Whatever falls outside these steps goes to the
// library, so the answers are the library's by construction; the
// differential tests and FuzzE164Differential check it.

// maxFastDigits bounds the digits the fast path keeps: an IDD prefix, 3 of
// country code and 17 of national number fit, with room to spare.
const maxFastDigits = 32

// testNumberLength's results, as the library names them.
type lengthResult uint8

const (
	isPossible lengthResult = iota
	isPossibleLocalOnly
	tooShort
	invalidLength
	tooLong
)

// meta is what the fast path needs of one PhoneMetadata.
type meta struct {
	cc    int
	ccStr string

	// The general description: its national-number pattern as a DFA (nil
	// if the metadata has no pattern) and its possible lengths.
	general    *digitre.DFA
	noPattern  bool
	lengths    []int32 // sorted, as the metadata gives them
	localOnly  []int32
	hasLengths bool

	// The IDD prefix: a DFA to tell whether it matches at the start, and
	// either its literal digits or the library's regexp to find its end.
	idd        *digitre.DFA
	iddLiteral string
	iddMatch   *digitre.Prefix // leftmost-first end of a non-literal IDD
	iddRe      *regexp.Regexp  // the library's own, should iddMatch give up

	// national_prefix_for_parsing: a DFA to tell whether it matches (nil if
	// the pattern has an assertion such as JP's "$"), and its literal digits
	// when it is one with no transform rule.
	hasNPFP     bool
	npfp        *digitre.DFA
	npfpLiteral string
	npfpSimple  bool
	npfpMatch   *digitre.Prefix // leftmost-first match with groups, for the others
	npfpRe      *regexp.Regexp  // the library's own prefix matcher, should npfpMatch give up
	transform   string          // national_prefix_transform_rule
	// The transform rule as digits then "$" and a group number, the only
	// form in the metadata; group 0 means some other form (use regexp).
	transformLit   string
	transformGroup int

	ok bool // false: the fast path cannot serve this metadata at all

	// The longest the IDD and national prefixes can match (0 if absent, -1
	// if unbounded or asserting), for long numbers.
	iddMax, npfpMax int

	// The patterns are compiled on first use (get): a run touches a few
	// dozen of the 245 regions, and start-up stays short.
	once sync.Once
	src  *phonenumbers.PhoneMetadata
}

// get returns m with its patterns compiled.
func (m *meta) get() *meta {
	m.once.Do(m.compile)
	return m
}

type fastTables struct {
	byRegion [26 * 26]*meta // by two-letter region code
	byCC     [1000]*meta    // the metadata the library picks for a country code
}

var (
	tablesOnce sync.Once
	tables     *fastTables
)

func loadTables() *fastTables {
	tablesOnce.Do(func() { tables = newTables() })
	return tables
}

// newTables reads the library's metadata into fresh tables, none of their
// patterns compiled yet. MetadataCollection is not safe for concurrent
// first use, so only loadTables and tests call this.
func newTables() *fastTables {
	t := &fastTables{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return t // empty: everything goes to the library
	}
	{
		byID := map[string]*phonenumbers.PhoneMetadata{}
		nonGeo := map[int]*phonenumbers.PhoneMetadata{}
		for _, m := range coll.GetMetadata() {
			if m.GetId() == "001" {
				nonGeo[int(m.GetCountryCode())] = m
			} else {
				byID[m.GetId()] = m
			}
		}
		for id, m := range byID {
			if i := regionIndex(id); i >= 0 {
				t.byRegion[i] = newMeta(m)
			}
		}
		for cc := range phonenumbers.GetSupportedCallingCodes() {
			if cc <= 0 || cc >= len(t.byCC) {
				continue
			}
			region := phonenumbers.GetRegionCodeForCountryCode(cc)
			if region == "001" {
				if m := nonGeo[cc]; m != nil {
					t.byCC[cc] = newMeta(m)
				}
			} else if i := regionIndex(region); i >= 0 {
				t.byCC[cc] = t.byRegion[i]
			}
		}
	}
	return t
}

func newMeta(m *phonenumbers.PhoneMetadata) *meta {
	x := &meta{cc: int(m.GetCountryCode()), src: m}
	x.ccStr = strconv.Itoa(x.cc)
	return x
}

// compile fills in what the fast path asks of the metadata.
func (x *meta) compile() {
	m := x.src
	x.ok = true
	g := m.GetGeneralDesc()
	if p := g.GetNationalNumberPattern(); p == "" {
		x.noPattern = true
	} else if d, err := digitre.Compile(p); err == nil {
		x.general = d
	} else {
		x.ok = false
	}
	x.lengths = g.GetPossibleLength()
	x.localOnly = g.GetPossibleLengthLocalOnly()
	x.hasLengths = len(x.lengths) > 0

	if p := m.GetInternationalPrefix(); p != "" {
		x.iddMax = digitre.MaxLen(p)
		d, err := digitre.Compile(p)
		if err != nil || d.MatchesEmpty() {
			x.ok = false
		} else {
			x.idd = d
			if isDigits(p) {
				x.iddLiteral = p
			} else {
				x.iddRe = regexp.MustCompile(p) // as the library compiles it
				x.iddMatch, _ = digitre.CompilePrefix(p)
			}
		}
	}
	if p := m.GetNationalPrefixForParsing(); p != "" {
		x.npfpMax = digitre.MaxLen(p)
		x.hasNPFP = true
		x.transform = m.GetNationalPrefixTransformRule()
		x.npfpSimple = isDigits(p) && x.transform == ""
		if x.npfpSimple {
			x.npfpLiteral = p
		} else {
			x.npfpRe = regexp.MustCompile("^(?:" + p + ")") // as the library compiles it
			x.npfpMatch, _ = digitre.CompilePrefix(p)
			x.transformLit, x.transformGroup = splitTransform(x.transform)
		}
		if d, err := digitre.Compile(p); err == nil {
			x.npfp = d
		} else if x.npfpSimple {
			x.ok = false // cannot happen: a digit string compiles
		}
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// regionIndex maps a two-letter region code, in any case, to 0..675, or -1.
func regionIndex(r string) int {
	if len(r) != 2 {
		return -1
	}
	a, b := r[0]|0x20, r[1]|0x20 // lower case
	if a < 'a' || a > 'z' || b < 'a' || b > 'z' {
		return -1
	}
	return int(a-'a')*26 + int(b-'a')
}

// testNumberLength is the library's testNumberLength for the type UNKNOWN:
// the general description's possible lengths.
func (m *meta) testNumberLength(n int) lengthResult {
	if m.lengths[0] == -1 {
		return invalidLength
	}
	l := int32(n)
	for _, x := range m.localOnly {
		if x == l {
			return isPossibleLocalOnly
		}
	}
	switch {
	case m.lengths[0] == l:
		return isPossible
	case m.lengths[0] > l:
		return tooShort
	case m.lengths[len(m.lengths)-1] < l:
		return tooLong
	}
	for _, x := range m.lengths[1:] {
		if x == l {
			return isPossible
		}
	}
	return invalidLength
}

// generalMatch is the library's full match of the general national-number
// pattern; a metadata without a pattern matches nothing, as the library's
// empty pattern "^(?:)$" matches only the empty string.
func (m *meta) generalMatch(nsn []byte) bool {
	if m.general == nil {
		return len(nsn) == 0
	}
	return m.general.Match(nsn)
}

// stripNationalPrefix is maybeStripNationalPrefixAndCarrierCode. A plain
// digit prefix is handled on the DFAs; any other is handed to the library's
// own regular expression, the same calls in the same order, but only once
// the DFA has said that it matches, which most numbers never do. out may
// alias num or scratch.
func (m *meta) stripNationalPrefix(num []byte, scratch *[maxFastDigits]byte) []byte {
	if len(num) == 0 || !m.hasNPFP {
		return num
	}
	if m.npfp != nil && !m.npfp.MatchPrefix(num) {
		return num
	}
	viable := m.generalMatch(num)
	if m.npfpSimple {
		stripped := num[len(m.npfpLiteral):]
		if viable && !m.generalMatch(stripped) {
			return num
		}
		return stripped
	}
	var groups []int
	var caps [digitre.MaxCaps]int
	if m.npfpMatch != nil {
		ok, done := m.npfpMatch.Match(num, &caps)
		if done && !ok {
			return num
		}
		if done {
			groups = caps[:m.npfpMatch.NumCaps()]
		}
	}
	if groups == nil {
		// The regexp calls take strings: a []byte would make num, and the
		// caller's stack buffers behind it, escape to the heap on every call.
		if groups = m.npfpRe.FindStringSubmatchIndex(string(num)); groups == nil {
			return num
		}
	}
	numGroups := len(groups)/2 - 1
	if m.transform == "" || groups[numGroups*2] < 0 {
		if viable && !m.generalMatch(num[groups[1]:]) {
			return num
		}
		return num[groups[1]:]
	}
	var transformed []byte
	if g := m.transformGroup; g > 0 && len(m.transformLit)+len(num) <= len(scratch) {
		// ReplaceAllString of the one match at the start: the expanded
		// rule, then the rest of the number.
		t := append(scratch[:0], m.transformLit...)
		if 2*g+1 < len(groups) && groups[2*g] >= 0 {
			t = append(t, num[groups[2*g]:groups[2*g+1]]...)
		}
		transformed = append(t, num[groups[1]:]...)
	} else {
		transformed = []byte(m.npfpRe.ReplaceAllString(string(num), m.transform))
	}
	if viable && !m.generalMatch(transformed) {
		return num
	}
	return transformed
}

// splitTransform splits a transform rule of the form digits, "$", group
// number (such as "9$1") into its literal and its group; group is 0 for any
// other form, which is then left to regexp's own expansion.
func splitTransform(rule string) (lit string, group int) {
	i := strings.IndexByte(rule, '$')
	if i < 0 || (i > 0 && !isDigits(rule[:i])) || !isDigits(rule[i+1:]) {
		return "", 0
	}
	g, err := strconv.Atoi(rule[i+1:])
	if err != nil || g <= 0 || g > 9 {
		return "", 0
	}
	return rule[:i], g
}

// iddEnd returns where the leftmost-first match of a non-literal IDD
// pattern ends, given that one starts at 0 (the DFA said so), or -1.
func (m *meta) iddEnd(num []byte) int {
	if m.iddMatch != nil {
		var caps [digitre.MaxCaps]int
		if ok, done := m.iddMatch.Match(num, &caps); done {
			if !ok {
				return -1
			}
			return caps[1]
		}
	}
	loc := m.iddRe.FindStringIndex(string(num))
	if loc == nil || loc[0] != 0 {
		return -1
	}
	return loc[1]
}

// countryCode is extractCountryCode: the first one to three digits that
// form a known country calling code.
func (t *fastTables) countryCode(num []byte) (cc int, rest []byte) {
	if len(num) == 0 || num[0] == '0' {
		return 0, num
	}
	for i := 1; i <= 3 && i <= len(num); i++ {
		cc = cc*10 + int(num[i-1]-'0')
		if t.byCC[cc] != nil {
			return cc, num[i:]
		}
	}
	return 0, num
}

// fastAppendE164 is AppendE164 without the library's regular expressions.
// handled is false when the input needs the library; dst is then unchanged.
func fastAppendE164(dst []byte, raw, region string) (_ []byte, handled bool, err error) {
	return loadTables().appendE164(dst, raw, region)
}

// appendE164 is fastAppendE164 on the tables t.
func (t *fastTables) appendE164(dst []byte, raw, region string) (_ []byte, handled bool, err error) {
	ri := regionIndex(region)
	if ri < 0 || t.byRegion[ri] == nil {
		return dst, false, nil
	}
	def := t.byRegion[ri].get()
	if !def.ok {
		return dst, false, nil
	}

	// Steps 1-3: the characters, the digits, the plus sign.
	var (
		buf [maxFastDigits]byte
		sc  scanned // filled in place: a returned struct is copied
	)
	if !scan(raw, &buf, &sc) {
		return dst, false, nil
	}
	switch {
	case sc.notViable:
		return dst, true, ErrNotANumber
	case sc.before >= 3 || sc.two:
		// Viable: the library's VALID_PHONE_NUMBER_PATTERN holds.
	case sc.ext || sc.alpha || sc.plus && sc.n > 0:
		return dst, false, nil
	default:
		// Fewer than three digits and not just two: not viable. This
		// includes input with no "+" and no digit at all ("n/a").
		return dst, true, ErrNotANumber
	}
	if sc.total > sc.n {
		if handled, err := t.long(def, buf[:sc.n], sc); handled {
			return dst, true, err
		}
		return dst, false, nil
	}
	num := buf[:sc.n]

	// Step 4: the country code.
	var scratch [maxFastDigits]byte // the national number, if a prefix rule rewrites it
	cc, nsn, md, o := t.countryOf(def, num, sc.plus, &scratch)
	switch o {
	case refuse:
		return dst, true, ErrNotANumber
	case giveUp:
		return dst, false, nil
	}
	if md == nil || !md.get().ok || !md.hasLengths || len(nsn) < 2 {
		return dst, false, nil
	}

	// Step 5: the national prefix, kept only if what is left has a
	// possible length.
	var scratch2 [maxFastDigits]byte
	if cand := md.stripNationalPrefix(nsn, &scratch2); string(cand) != string(nsn) {
		switch md.testNumberLength(len(cand)) {
		case tooShort, isPossibleLocalOnly, invalidLength:
		default:
			nsn = cand
		}
	}
	if len(nsn) < 2 || len(nsn) > 17 {
		return dst, false, nil
	}

	// Step 6: possible, then E.164.
	pm := t.byCC[cc]
	if pm == nil || !pm.get().ok {
		return dst, false, nil
	}
	if !pm.noPattern {
		if !pm.hasLengths {
			return dst, false, nil
		}
		if r := pm.testNumberLength(len(nsn)); r != isPossible && r != isPossibleLocalOnly {
			return dst, true, ErrNotPossible
		}
	}
	dst = append(dst, '+')
	dst = append(dst, pm.ccStr...) // pm.cc == cc: byCC is keyed by it
	return append(dst, nsn...), true, nil
}

// scanned is what scan found in a raw number.
type scanned struct {
	n      int  // digits in buf, keypad digits of letters included
	total  int  // all of them; more than n when the number is long
	before int  // digits before the first letter or extension
	plus   bool // a leading "+" or "＋" (one or more)
	ext    bool // an extension was cut
	alpha  bool // letters follow the first digits
	two    bool // from its first digit on, the input is exactly two digits

	// Parse fails: a letter came before the third digit, or a character
	// that the library's viability pattern refuses (see runeClass).
	notViable bool
}

// scan reads the digits of raw into buf, and what it finds into sc, as
// steps 1-3 of Parse leave them; of a long number it keeps the first
// len(buf) and counts the rest. ok is false for input outside the shapes
// the fast path retraces:
//
//	[prefix] ["+"…] number [extension]
//
// prefix is anything before the first plus sign or decimal digit (invalid
// UTF-8 included), which extractPossibleNumber drops, but no ";" (RFC 3966
// parameters) and no digit of a script the library does not convert.
// number is digits (ASCII, full-width, Arabic-Indic and Extended
// Arabic-Indic, which the library's normalization maps to ASCII), the
// library's punctuation (VALID_PUNCTUATION but "~": blanks, the no-break,
// ideographic and zero-width spaces, the soft hyphen, every dash, dots,
// slashes, brackets; see runeClass), "*" and ASCII letters. extension is
// what the library's extension pattern cuts (see extAt): "ext",
// "extension", "x", "#", "int", "anexo" and commas, with their separators
// and digits, to the end; it is looked for at each letter that can start a
// label and at each tab, comma, colon or "#". With three letters or more,
// every letter becomes its keypad digit (E.161) where it stands, as the
// library's normalize does; fewer are dropped.
//
// A character that neither the viability pattern nor the extension pattern
// allows (a tab or a comma outside an extension, a quote, "!", a narrow
// no-break or thin space, a byte order mark, invalid UTF-8, a "+" after the
// start) makes Parse fail whatever else the input holds, so scan answers
// notViable. It goes to the library instead where the library's other
// steps could still cut that character off: "/" or "\" before an "x"
// (SECOND_NUMBER_START), a final "]" (the trailing-junk pattern, which in
// v1.8.1 cuts only "…&&…]"), a final "#" (the fourth extension pattern),
// "~" and the extension labels of other scripts.
func scan(raw string, buf *[maxFastDigits]byte, sc *scanned) (ok bool) {
	if len(raw) > 0 && raw[len(raw)-1] == ']' {
		return false // UNWANTED_END_CHAR_PATTERN could cut "…&&…]" off
	}
	i := 0
	for i < len(raw) {
		c := raw[i]
		if c == '+' || c >= '0' && c <= '9' {
			break
		}
		if c < utf8.RuneSelf {
			if c == ';' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(raw[i:])
		if cl, _ := runeClass(r); cl == classDigit || cl == classPlus {
			break
		}
		if unicode.IsDigit(r) {
			return false // \p{Nd} starts the number, but the library keeps it as it is
		}
		i += size
	}
	start := i
	var (
		all     [maxFastDigits]byte // digits and keypad digits, in order
		nall    int                 // all of them, counted past len(all)
		letters int
		wide    bool // a digit other than ASCII was read
		other   bool // a character other than a digit or "+" was read
	)
body:
	for ; i < len(raw); i++ {
		c := raw[i]
		if c-'0' < 10 { // the common case first
			if sc.total < len(buf) {
				buf[sc.total] = c
			}
			sc.total++
			if nall < len(all) {
				all[nall] = c
			}
			nall++
			continue
		}
		cl, d := byteClass[c], c
		if cl == classMulti {
			r, size := utf8.DecodeRuneInString(raw[i:])
			cl, d = runeClass(r)
			wide = wide || cl == classDigit
			i += size - 1
		}
		switch cl {
		case classDigit:
			if sc.total < len(buf) {
				buf[sc.total] = d
			}
			sc.total++
			if nall < len(all) {
				all[nall] = d
			}
			nall++
		case classPunct:
			other = true
		case classPlus:
			if other || sc.total > 0 {
				sc.notViable = true // "+" only leads
				return true
			}
			sc.plus = true
		case classLetter:
			other = true
			lc := c | 0x20
			if c == 'x' && secondNumber(raw[start:i]) {
				return false // "/ x" starts a second number to the library
			}
			if lc == 'e' || lc == 'x' || lc == 'i' || lc == 'a' {
				match, sure := extAt(raw[i:])
				if !sure {
					return false
				}
				if match {
					sc.ext = true
					break body
				}
			}
			if letters == 0 && lc != 'x' && sc.total < 3 {
				// Fewer than three digits before a letter: the library's
				// viability pattern cannot match, whatever follows.
				sc.notViable = true
				return true
			}
			if letters == 0 {
				sc.before = sc.total
			}
			letters++
			if nall < len(all) {
				all[nall] = keypad[lc-'a']
			}
			nall++
		case classSep:
			// Allowed only in an extension, which starts with the blanks
			// before it at the latest.
			k := i
			for k > start && (raw[k-1] == ' ' || k-2 >= start && raw[k-2:k] == "\u00a0") {
				if raw[k-1] == ' ' {
					k--
				} else {
					k -= 2
				}
			}
			match, sure := extAt(raw[k:])
			if !sure {
				return false
			}
			if match {
				sc.ext = true
				break body
			}
			sc.notViable = true
			return true
		case classInvalid:
			sc.notViable = true
			return true
		default:
			return false
		}
	}
	if letters == 0 {
		sc.before = sc.total
	}
	sc.two = sc.total == 2 && !other && !sc.plus && !sc.ext
	sc.alpha = letters > 0
	if letters >= 3 {
		if wide {
			return false // the library's alpha normalization drops such digits
		}
		copy(buf[:], all[:min(nall, len(all))])
		sc.total = nall
	}
	sc.n = min(sc.total, len(buf))
	return true
}

// secondNumber reports whether s ends with "/" and blanks, so that an "x"
// after it starts a second number (SECOND_NUMBER_START), which the library
// cuts off before anything else.
func secondNumber(s string) bool {
	s = strings.TrimRight(s, " ")
	return len(s) > 0 && s[len(s)-1] == '/'
}

// The classes of characters scan tells apart: bytes by table, the rest by
// runeClass.
const (
	classOther   uint8 = iota // only the library knows: ";", "\", "~", unknown runes
	classDigit                // a digit the library converts
	classPunct                // VALID_PUNCTUATION but "x" and "~", and "*"
	classPlus                 // "+", "＋"
	classLetter               // ASCII
	classSep                  // tab, ",", ":", "#": in an extension, or refused
	classInvalid              // refused anywhere after the start
	classMulti                // a byte of a multi-byte rune, or invalid UTF-8
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = classInvalid // control characters
	}
	for _, c := range "!\"$%&'<=>?@^_`{|}\x7f" {
		t[c] = classInvalid
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = classDigit
	}
	for _, c := range " -.()/[]*" {
		t[c] = classPunct
	}
	for _, c := range "\t,:#" {
		t[c] = classSep
	}
	t['+'] = classPlus
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = classLetter, classLetter
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = classMulti
	}
	return t
}()

// runeClass is the class of a rune beyond ASCII, and the ASCII digit of a
// digit. The digits are those of the library's normalization map
// (arabicIndicNumberals): full-width, Arabic-Indic and Extended
// Arabic-Indic; it keeps other decimal digits as they are, and so do we
// not serve them. The punctuation is VALID_PUNCTUATION's. The invalid
// runes are in neither the viability pattern nor the extension pattern,
// so the library refuses a number that holds one: the spaces it does not
// list (U+2000-U+200A, among them the thin space, U+202F, U+205F), the
// zero-width joiners and marks, line and paragraph separators, the byte
// order mark and U+FFFD, which is how the library's regexps read a byte of
// invalid UTF-8.
func runeClass(r rune) (uint8, byte) {
	switch {
	case r >= '\uff10' && r <= '\uff19':
		return classDigit, byte('0' + r - '\uff10')
	case r >= '\u0660' && r <= '\u0669':
		return classDigit, byte('0' + r - '\u0660')
	case r >= '\u06f0' && r <= '\u06f9':
		return classDigit, byte('0' + r - '\u06f0')
	case r >= '\u2010' && r <= '\u2015', r >= '\u2000' && r <= '\u200f':
		if r >= '\u2010' || r == '\u200b' {
			return classPunct, 0
		}
		return classInvalid, 0
	}
	switch r {
	case '\uff0b':
		return classPlus, 0
	case '\u00a0', '\u00ad', '\u2060', '\u2212', '\u30fc', '\u3000', '\uff08', '\uff09',
		'\uff0d', '\uff0e', '\uff0f', '\uff3b', '\uff3d', '\u2053', '\u223c':
		return classPunct, 0
	case utf8.RuneError, '\u2028', '\u2029', '\u202f', '\u205f', '\ufeff':
		return classInvalid, 0
	}
	return classOther, 0
}

// keypad maps a..z to the digits of the ITU E.161 keypad.
var keypad = [26]byte{
	'2', '2', '2', '3', '3', '3', '4', '4', '4', '5', '5', '5', '6',
	'6', '6', '7', '7', '7', '7', '8', '8', '8', '9', '9', '9', '9',
}

// extAt reports whether s, to its end, is an extension as the library's
// extension pattern (EXTN_PATTERN, case-insensitive) reads one, leaving
// out its RFC 3966 ";ext=" and its "- 503#" forms:
//
//	[ \u00A0\t,]* label [:.．]? [ \u00A0\t,-]* digits #?
//	[ \u00A0\t]*  ,+    [:.．]? [ \u00A0\t,-]* digits #?
//
// label is "ext", "xt", "extn", "xtn", "extension" ("extensión",
// "extensio\u0301n", with or without the final "n") or "anexo", with up to
// 20 digits, or "x", "#" or "int", with up to 9; after commas, up to 9
// digits, 15 after two commas; digits are any decimal digits. sure is
// false when s does not match but holds a character that the pattern's
// other forms could use (";", "~", full-width and Cyrillic labels, runes
// that fold to a label's letters), a "/" or "\" at which the library cuts
// a second number off first, or ends with "#": only the library can tell.
func extAt(s string) (match, sure bool) {
	if extLabelled(s) || extCommas(s) {
		return true, true
	}
	if len(s) > 0 && s[len(s)-1] == '#' {
		return false, false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ';' || c == '~' || c == '/' || c == '\\' {
				return false, false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\uff45', r == '\uff58', r == '\uff54', r == '\uff4e', r == '\uff49', // full-width "ext", "int"
			r == '\uff25', r == '\uff38', r == '\uff34', r == '\uff2e', r == '\uff29',
			r == '\uff03', r == '\uff5e', // "＃", "～"
			r >= '\u0400' && r <= '\u04ff', r >= '\u1c80' && r <= '\u1c88', // Cyrillic "доб" and its folds
			r == '\u017f', r == '\u212a': // fold to "s", "k"
			return false, false
		}
		i += size
	}
	return false, true
}

// extLabelled is the first form of extAt.
func extLabelled(s string) bool {
	i := skipExtBlanks(s, 0, true)
	rest := s[i:]
	max := 9
	switch {
	case hasPrefixFold(rest, "anexo"):
		i, max = i+5, 20
	case hasPrefixFold(rest, "int"):
		i += 3
	case hasPrefixFold(rest, "ext"), hasPrefixFold(rest, "xt"):
		if rest[0]|0x20 == 'e' {
			i++
		}
		i, max = i+2, 20
		if hasPrefixFold(s[i:], "ensi") {
			switch j := i + 4; {
			case j < len(s) && s[j]|0x20 == 'o':
				i = j + 1
				if strings.HasPrefix(s[i:], "\u0301") {
					i += len("\u0301")
				}
			case strings.HasPrefix(s[j:], "ó"), strings.HasPrefix(s[j:], "Ó"):
				i = j + len("ó")
			}
		}
		if i < len(s) && s[i]|0x20 == 'n' {
			i++
		}
	case len(rest) > 0 && (rest[0]|0x20 == 'x' || rest[0] == '#'):
		i++
	default:
		return false
	}
	return extTail(s[i:], max)
}

// extCommas is the second form of extAt.
func extCommas(s string) bool {
	i := skipExtBlanks(s, 0, false)
	j := i
	for j < len(s) && s[j] == ',' {
		j++
	}
	if j == i {
		return false
	}
	return extTail(s[j:], 9) || j-i >= 2 && extTail(s[i+2:], 15)
}

// extTail reports whether s is [:.．]? [ \u00A0\t,-]* and 1 to max decimal
// digits, then an optional "#", to its end.
func extTail(s string, max int) bool {
	i := 0
	if len(s) > 0 && (s[0] == ':' || s[0] == '.') {
		i++
	} else if strings.HasPrefix(s, "．") {
		i += len("．")
	}
	for i < len(s) {
		if c := s[i]; c == ' ' || c == '\t' || c == ',' || c == '-' {
			i++
		} else if strings.HasPrefix(s[i:], "\u00a0") {
			i += len("\u00a0")
		} else {
			break
		}
	}
	n := 0
	for i < len(s) {
		if c := s[i]; c >= '0' && c <= '9' {
			i++
		} else if c < utf8.RuneSelf {
			break
		} else if r, size := utf8.DecodeRuneInString(s[i:]); unicode.IsDigit(r) {
			i += size
		} else {
			break
		}
		n++
	}
	if n < 1 || n > max {
		return false
	}
	if i < len(s) && s[i] == '#' {
		i++
	}
	return i == len(s)
}

// skipExtBlanks skips blanks, no-break spaces, tabs and, if comma, commas
// from s[i:], and returns where they end.
func skipExtBlanks(s string, i int, comma bool) int {
	for i < len(s) {
		if c := s[i]; c == ' ' || c == '\t' || comma && c == ',' {
			i++
		} else if strings.HasPrefix(s[i:], "\u00a0") {
			i += len("\u00a0")
		} else {
			break
		}
	}
	return i
}

// hasPrefixFold reports whether s starts with lower, an ASCII lower-case
// word, in any case.
func hasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		if s[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// long answers for a number of sc.total digits, too many to keep, of which
// head holds the first. Whatever Parse does with them, the national number
// it ends with has more than 17 digits, so Parse fails with ErrNumTooLong
// (not possible), unless it fails earlier over the country code (not a
// phone number). Which one depends only on the first digits: "+" and a
// known code; or an IDD prefix, the next digit and the code after it; or,
// after "+" and an unknown code, whether the digits have a country code of
// their own. That holds while the IDD and national prefixes can only match
// a bounded start of the number (no "$"), short enough that more than 17
// digits are left; otherwise the library decides.
func (t *fastTables) long(def *meta, head []byte, sc scanned) (handled bool, err error) {
	if !def.hasLengths || def.lengths[0] < 0 || def.iddMax < 0 || def.npfpMax < 0 {
		return false, nil
	}
	// tooLong is the answer once the country code cc is found: the national
	// number keeps more than 17 digits after every prefix Parse can strip.
	tooLong := func(cc int) (bool, error) {
		md := t.byCC[cc]
		if md == nil || !md.get().ok || !md.hasLengths || md.npfpMax < 0 {
			return false, nil
		}
		if sc.total-def.iddMax-3-2*max(def.npfpMax, md.npfpMax) <= 17 {
			return false, nil
		}
		return true, ErrNotPossible
	}
	if sc.plus {
		if cc, _ := t.countryCode(head); cc != 0 {
			return tooLong(cc)
		}
	}
	// The IDD prefix, read on the head: it cannot match further.
	if def.idd != nil && def.idd.MatchPrefix(head) {
		end := len(def.iddLiteral)
		if def.iddRe != nil {
			if end = def.iddEnd(head); end < 0 {
				return false, nil
			}
		}
		if end >= len(head) {
			return false, nil // an IDD as long as the head: the library decides
		}
		if head[end] != '0' {
			if cc, _ := t.countryCode(head[end:]); cc != 0 {
				return tooLong(cc)
			}
			return true, ErrNotANumber // unknown country code after the IDD
		}
	}
	// Digits that start with the region's own code lose it: the number is
	// too long for the region's possible lengths.
	own := len(head) >= len(def.ccStr) && string(head[:len(def.ccStr)]) == def.ccStr
	if sc.plus && !own {
		return true, ErrNotANumber // read again without "+", still no country code
	}
	return tooLong(def.cc)
}

// outcome is how step 4 ended.
type outcome uint8

const (
	proceed outcome = iota // the country code is known
	refuse                 // Parse fails: not a phone number
	giveUp                 // only the library can tell
)

// countryOf is step 4, maybeExtractCountryCode with parseHelper's second
// try: after "+" with an unknown code, Parse reads the same digits again as
// if there were no "+", and then a number without a country code of its
// own is an error.
func (t *fastTables) countryOf(def *meta, num []byte, plus bool, scratch *[maxFastDigits]byte) (cc int, nsn []byte, md *meta, o outcome) {
	if plus {
		if cc, nsn = t.countryCode(num); cc != 0 {
			return cc, nsn, t.byCC[cc], proceed
		}
		cc, nsn, md, o, own := t.countryNoPlus(def, num, scratch)
		if o == proceed && !own {
			return 0, nil, nil, refuse
		}
		return cc, nsn, md, o
	}
	cc, nsn, md, o, _ = t.countryNoPlus(def, num, scratch)
	return cc, nsn, md, o
}

// countryNoPlus is maybeExtractCountryCode for digits without "+": an IDD
// prefix, or the region's own code at the start, or none. own is true when
// a country code was found in the digits.
func (t *fastTables) countryNoPlus(def *meta, num []byte, scratch *[maxFastDigits]byte) (cc int, nsn []byte, md *meta, o outcome, own bool) {
	if def.idd != nil && def.idd.MatchPrefix(num) {
		end := len(def.iddLiteral)
		if def.iddRe != nil {
			if end = def.iddEnd(num); end < 0 {
				return 0, nil, nil, giveUp, false
			}
		}
		if end == len(num) || num[end] != '0' { // country codes do not start with 0
			rest := num[end:]
			if len(rest) <= 2 {
				return 0, nil, nil, refuse, false // too short after the IDD
			}
			if cc, nsn = t.countryCode(rest); cc == 0 {
				return 0, nil, nil, refuse, false // unknown country code
			}
			return cc, nsn, t.byCC[cc], proceed, true
		}
	}
	return def.fromDefaultCountry(t, num, scratch)
}

// fromDefaultCountry is the branch of maybeExtractCountryCode for a number
// without "+" or IDD: the region's own country code, which the digits may
// also start with.
func (def *meta) fromDefaultCountry(t *fastTables, num []byte, scratch *[maxFastDigits]byte) (cc int, nsn []byte, md *meta, o outcome, own bool) {
	if len(num) >= len(def.ccStr) && string(num[:len(def.ccStr)]) == def.ccStr {
		if !def.hasLengths {
			return 0, nil, nil, giveUp, false // the library would index an empty list
		}
		potential := def.stripNationalPrefix(num[len(def.ccStr):], scratch)
		fullValid := def.generalMatch(num)
		nationalValid := def.generalMatch(potential)
		if (!fullValid && nationalValid) || def.testNumberLength(len(num)) == tooLong {
			return def.cc, potential, t.regionMetaFor(def), proceed, true
		}
	}
	return def.cc, num, def, proceed, false
}

// regionMetaFor returns the metadata Parse uses after taking the default
// region's own country code from the digits: the main region of that code,
// which is the default region itself unless it shares its code.
func (t *fastTables) regionMetaFor(def *meta) *meta {
	if m := t.byCC[def.cc]; m != nil {
		return m
	}
	return def
}
