package normalize

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/audiencematch/audiencematch/internal/synth"
)

var diffN = flag.Int("diff.n", 0, "size of TestFastPath_Differential's generated corpus, about 1.6 inputs a unit with mutations (0: 640,000, about 1M inputs; 60,000 under -race)")

// allRegions returns every region of the metadata, sorted.
func allRegions() []string {
	var rs []string
	for r := range phonenumbers.GetSupportedRegions() {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	return rs
}

// checkSame asserts that the fast path, where it answers, answers as the
// library does. It returns whether the fast path answered.
func checkSame(t testing.TB, raw, region string) bool {
	t.Helper()
	if len(raw) > MaxInputLen || strings.TrimSpace(raw) == "" {
		return false // refused by AppendE164 before either path
	}
	got, handled, gerr := fastAppendE164(nil, raw, region)
	if !handled {
		return false
	}
	want, werr := libraryAppendE164(nil, raw, region)
	if string(got) != string(want) || gerr != werr {
		t.Errorf("E164(%q, %q): fast path = %q, %v; library = %q, %v", raw, region, got, gerr, want, werr)
	}
	return true
}

// mutations returns forms of a phone number that people and CRMs write:
// the generator's own styles plus dialled-from-elsewhere, doubled prefixes,
// country code without plus, stray punctuation and cut or padded digits.
func mutations(rng *rand.Rand, raw, e164 string, regions []string) []struct{ raw, region string } {
	var out []struct{ raw, region string }
	add := func(r, reg string) { out = append(out, struct{ raw, region string }{r, reg}) }
	other := regions[rng.IntN(len(regions))]
	if e164 != "" {
		digits := e164[1:]
		add(e164, other)
		add(digits, other)                        // country code without plus
		add("00"+digits, other)                   // common IDD
		add("011 "+digits, other)                 // NANP IDD
		add("+"+digits[:len(digits)-1], other)    // one digit short
		add(e164+fmt.Sprint(rng.IntN(10)), other) // one digit long
		cut := 1 + rng.IntN(len(digits)-1)
		add("+"+digits[:cut]+" (0) "+digits[cut:], other)
		add("+"+digits[:cut]+"-0"+digits[cut:], other)
	}
	// Random punctuation inside the raw form.
	var b strings.Builder
	for _, c := range raw {
		b.WriteRune(c)
		if rng.IntN(6) == 0 {
			b.WriteByte(" -.()/"[rng.IntN(6)])
		}
	}
	add(b.String(), other)
	// Random digit strings of plausible lengths, with and without plus.
	n := 3 + rng.IntN(16)
	d := make([]byte, n)
	for i := range d {
		d[i] = '0' + byte(rng.IntN(10))
	}
	add(string(d), other)
	add("+"+string(d), other)
	add("0"+string(d), other)
	add("+0 "+string(d), other)           // an unknown country code, read again without "+"
	add("+00"+string(d), other)           // ... which may turn out to be an IDD
	add(string(d[:1+rng.IntN(2)]), other) // one or two digits
	add("+"+string(d[:1+rng.IntN(2)]), other)
	// Vanity letters and junk around the digits.
	letters := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz"
	v := []byte(raw)
	for k := 0; k < 1+rng.IntN(5); k++ {
		v = append(v, letters[rng.IntN(len(letters))])
	}
	add(string(v), other)
	add(raw+" x"+fmt.Sprint(rng.IntN(1000)), other)
	add(raw+" ext. "+fmt.Sprint(rng.IntN(100000)), other)
	add("Tel: "+raw, other)
	// A hash or other junk pasted into the phone column.
	hex := make([]byte, 8+rng.IntN(57))
	for i := range hex {
		hex[i] = "0123456789abcdef"[rng.IntN(16)]
	}
	add(string(hex), other)
	// Long digit strings: whole numbers pasted together, with and without
	// "+" or an IDD, and hashes that start with digits.
	long := make([]byte, 33+rng.IntN(60))
	for i := range long {
		long[i] = '0' + byte(rng.IntN(10))
	}
	add(string(long), other)
	add("+"+string(long), other)
	add("00"+string(long), other)
	add("011 "+string(long), other)
	add("+0"+string(long), other)
	add(string(long[:3])+string(hex), other)
	for _, m := range messy(rng, raw) {
		add(m, other)
	}
	if e164 != "" {
		for _, m := range messy(rng, e164) {
			add(m, other)
		}
	}
	return out
}

// The characters messy draws from: every non-ASCII character of the
// library's punctuation, plus signs and digits, characters it refuses,
// and ASCII it reads in its own ways.
var (
	messSeps = []string{
		"\u00a0", "\u00ad", "\u200b", "\u2060", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014",
		"\u2015", "\u2212", "\u30fc", "\u3000", "\uff08", "\uff09", "\uff0d", "\uff0e", "\uff0f",
		"\uff3b", "\uff3d", "\u2053", "\u223c", "\uff5e", "~", "[", "]", "*", " ", "  ", "-", ".",
		"(", ")", "/", "\t", ",", ":", "#", "x", "X",
	}
	messRefused = []string{
		"\u202f", "\u2009", "\u2002", "\u200c", "\u200e", "\u205f", "\ufeff", "\u2028", "\ufffd",
		"\xff", "\xc3", "\xe2\x80", "\"", "'", "!", "?", "@", "_", "|", "=", "\x00", "\n", "\r",
		"+", "\uff0b", "&", ";", "\\", "\uff0c", "\uff21", "\u00e9", "\u0131", "\u017f",
	}
	messExts = []string{
		" ext ", " ext. ", " Ext: ", "ext", " extn ", " xtn", " extension ", " Extension: ",
		" extensi\u00f3n ", " EXTENSI\u00d3N ", " extensio\u0301n ", " extensio ", " anexo ", " x",
		" x ", "x.", " X ", " #", "#", " int ", " INT.", ",", ", ", ",,", ",, ", " , ", ",:", ",,.",
		"\text ", "\u00a0ext\u00a0", " ext\uff0e", " \uff45\uff58\uff54 ", " \uff58", " \uff03",
		" ~", " \uff5e", " \u0434\u043e\u0431 ", ";ext=", " ;", " / x", "/x", " \\ x", " ext -",
	}
	messPrefixes = []string{
		"Tel: ", "'", "=", "\ufeff", "\u00a0", "\t", " ", "\xff", "\u260e ", "\u96fb\u8a71 ",
		"Mob. ", "tel:", "(", "\"", "&", "\u0966", "\u0e51",
	}
	messSuffixes = []string{
		".", " ", "  ", " -", "*", ")", "\u00a0", "\t", ",", "!", "#", "&&1]", "&&#]", ";", " /x",
		"\ufeff", "\u202f", "\xff", "\u3000", " (home)", " mobile", " x", " ext", "\"",
	}
)

// widen writes each ASCII digit of s as a digit of a script the library
// reads (full-width, Arabic-Indic, Extended Arabic-Indic), of one it does
// not (Devanagari, Thai), or leaves it, by script picked per digit or per
// string; "+" may become "＋".
func widen(rng *rand.Rand, s string) string {
	zeros := []rune{'0', '\uff10', '\u0660', '\u06f0', '\u0966', '\u0e50'}
	whole := rng.IntN(2) == 0
	z := zeros[1+rng.IntN(3)]
	if rng.IntN(20) == 0 {
		z = zeros[4+rng.IntN(2)]
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			if !whole {
				z = zeros[rng.IntN(4)]
			}
			b.WriteRune(z + (c - '0'))
		case c == '+' && rng.IntN(2) == 0:
			b.WriteRune('\uff0b')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// messy returns forms of raw with the mess of real exports and worse: its
// separators replaced or doubled, its digits widened, characters inserted
// anywhere, extensions and labels appended, dirt around it.
func messy(rng *rand.Rand, raw string) []string {
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	var out []string
	// Separators: every blank or "-" replaced by one drawn sign.
	sep := pick(messSeps)
	out = append(out, strings.NewReplacer(" ", sep, "-", sep).Replace(raw))
	out = append(out, widen(rng, raw))
	// One or two characters inserted at random places.
	for _, l := range [][]string{messSeps, messRefused} {
		b := []byte(raw)
		for range 1 + rng.IntN(2) {
			at := rng.IntN(len(b) + 1)
			b = append(b[:at], append([]byte(pick(l)), b[at:]...)...)
		}
		out = append(out, string(b))
	}
	ext := pick(messExts) + fmt.Sprint(rng.IntN(1_000_000_000))
	if rng.IntN(4) == 0 {
		ext += "#"
	}
	if rng.IntN(4) == 0 {
		ext = widen(rng, ext)
	}
	out = append(out, raw+ext)
	out = append(out, pick(messPrefixes)+raw+pick(messSuffixes))
	out = append(out, widen(rng, pick(messPrefixes)+raw+pick(messExts)+fmt.Sprint(rng.IntN(100))))
	return out
}

// TestFastPath_Differential runs the generator's corpus over every region
// of the metadata, and mutations of it, through both paths.
func TestFastPath_Differential(t *testing.T) {
	regions := allRegions()
	// The generator serves the regions it can build phones for; the
	// mutations carry the numbers to every region of the metadata.
	var genRegions []string
	for _, r := range regions {
		if (synth.Config{Users: 1, ListRows: 1, Regions: []string{r}}).Validate() == nil {
			genRegions = append(genRegions, r)
		}
	}
	if len(genRegions) < 40 {
		t.Fatalf("the generator serves only %d regions", len(genRegions))
	}
	n := *diffN
	if n == 0 {
		n = 640_000
		if raceEnabled {
			n = 60_000
		}
	}
	cfg := synth.Config{Seed: 9, Users: n / 16, ListRows: n / 16, MatchRate: 0.5, BadRate: 0.02, Regions: genRegions}
	rng := rand.New(rand.NewPCG(3, 4))
	var inputs, fast int
	check := func(raw, region string) {
		inputs++
		if checkSame(t, raw, region) {
			fast++
		}
	}
	try := func(raw, region string) {
		if region == "" {
			region = "US"
		}
		check(raw, region)
		e164, _ := libraryAppendE164(nil, raw, region)
		for _, m := range mutations(rng, raw, string(e164), regions) {
			check(m.raw, m.region)
		}
	}
	for r := range synth.List(cfg) {
		try(r.Phone, r.Country)
		if t.Failed() && inputs > 1000 {
			t.FailNow()
		}
	}
	for u := range synth.Users(cfg) {
		try(u.Phone, u.Country)
	}
	t.Logf("%d inputs over %d regions, %d (%.1f%%) answered by the fast path", inputs, len(regions), fast, 100*float64(fast)/float64(inputs))
}

// FuzzE164Differential asserts that the fast path, wherever it answers,
// answers as the library does. The region is picked from the metadata by
// the second argument. Its seed corpus (testdata/fuzz/FuzzE164Differential)
// holds the tricky shapes; make test runs it, make fuzz explores.
func FuzzE164Differential(f *testing.F) {
	regions := allRegions()
	idx := func(r string) uint16 { return uint16(slices.Index(regions, r)) }
	for _, s := range []struct{ raw, region string }{
		{"+54 9 11 2345-6789", "AR"}, {"011 15 2345-6789", "AR"}, {"0341 15-555-1234", "AR"},
		{"+52 1 55 1234 5678", "MX"}, {"044 55 1234 5678", "MX"}, {"01 55 1234 5678", "MX"},
		{"0 15 11 98765-4321", "BR"}, {"(11) 98765-4321", "BR"}, {"+55 11 98765 4321", "BR"},
		{"06 1234 5678", "IT"}, {"+39 06 1234 5678", "IT"}, {"+39 6 4549 1234", "IT"}, {"3123456789", "IT"},
		{"8 (495) 123-45-67", "RU"}, {"+7 717 212 3456", "KZ"}, {"8 717 212 3456", "KZ"}, {"810 44 20 7183 8750", "RU"},
		{"+44 (0)20 7183 8750", "GB"}, {"+49 (0)30 123456", "DE"}, {"+49 (0)030 1234567", "DE"},
		{"00 44 20 7183 8750", "DE"}, {"011 44 20 7183 8750", "US"}, {"0011 44 20 7183 8750", "AU"}, {"001 44 20 7183 8750", "ID"},
		{"1-800-FLOWERS", "US"}, {"+1 650 555 1234 ext. 12", "US"}, {"650-555-1234 x12", "US"}, {"tel:+1-650-555-1234", "US"},
		{"1 650 555 1234", "US"}, {"1 416 555 0199", "CA"}, {"416 555 0199", "CA"}, {"1 (876) 555 1234", "JM"},
		{"+1 650 555 12345678", "US"}, {"+1 650", "US"}, {"12", "US"}, {"+12", "US"}, {"0", "FR"},
		{"+999 1234 5678", "US"}, {"+0 650 253 0000", "US"}, {"00 0 1234", "DE"}, {"0000000000", "IN"},
		{"02 1234 5678", "AU"}, {"+61 (0)2 1234 5678", "AU"}, {"0011 1 650 555 1234", "AU"},
		{"03-1234-5678", "JP"}, {"010-1234-5678", "KR"}, {"+86 138 1234 5678", "CN"}, {"0 10 1234 5678", "CN"},
		{"+800 1234 5678", "US"}, {"+882 1234 5678", "GB"}, {"8 10 44 20 7183 8750", "BY"},
		{"+39 02 1234 5678 9999999999", "IT"}, {"(0)20 7183 8750", "GB"}, {"07911 123456", "GB"}, {"7911 123456", "GG"},
		{"87828c8957dcf3ff836848a614972df05391b481de21378ab1b16c41a1c0e78", "IN"},
		{"00441234567890123456789012345678901234567890123456789", "DE"},
		{"+4412345678901234567890123456789012345678901234567890", "US"},
		{"+0 1234567890123456789012345678901234567890123456789012", "KZ"},
	} {
		f.Add(s.raw, idx(s.region))
	}
	f.Fuzz(func(t *testing.T, raw string, region uint16) {
		checkSame(t, raw, regions[int(region)%len(regions)])
	})
}

// TestAppendE164_FastPathNoAllocs asserts the zero-allocation promise of the
// append variant on every row of the realistic and clean corpora and every
// form of formCases that the fast path serves (the library fallback
// allocates as the library does).
func TestAppendE164_FastPathNoAllocs(t *testing.T) {
	var rows []row
	all := append(mixedCorpus(2000), cleanCorpus(2000)...)
	for _, tc := range formCases {
		all = append(all, row{tc.raw, tc.region})
	}
	for _, r := range all {
		if _, handled, _ := fastAppendE164(nil, r.raw, r.region); handled {
			rows = append(rows, r)
		}
	}
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(20, func() {
		for _, r := range rows {
			buf, _ = AppendE164(buf[:0], r.raw, r.region)
		}
	})
	if allocs != 0 {
		t.Errorf("AppendE164 allocates %v times over %d fast-path rows", allocs, len(rows))
	}
}

// TestFastPath_Coverage keeps the fast path serving the corpus it was made
// for: on the generator's realistic contact lists, under 0.1% of rows may
// fall back to the library (none of these 5,000 on 2026-12-02; 0.26%
// before the Unicode forms and "x" among letters were served, hashes
// pasted into the phone column).
func TestFastPath_Coverage(t *testing.T) {
	rows := mixedCorpus(5000)
	fresh := newTables() // nothing compiled yet, whatever ran before
	fallback := 0
	for _, r := range rows {
		if _, handled, _ := fresh.appendE164(nil, r.raw, r.region); !handled && len(r.raw) <= MaxInputLen {
			fallback++
		}
	}
	// The country code's region is compiled on first use too: an IDD
	// number is the first to reach GB here.
	if _, handled, _ := newTables().appendE164(nil, "00 44 20 7183 8750", "DE"); !handled {
		t.Errorf("00 44 … from DE on fresh tables fell back to the library")
	}
	if share := float64(fallback) / float64(len(rows)); share >= 0.001 {
		t.Errorf("%d of %d rows (%.2f%%) fell back to the library, want under 0.1%%", fallback, len(rows), 100*share)
	}
}

// formCases are the forms of real exports, one named case each, with
// whether the fast path answers them itself. They are also the seed corpus
// of FuzzE164Differential (testdata/fuzz/FuzzE164Differential/form_*).
var formCases = []struct {
	name, raw, region string
	fast              bool
}{
	// Unicode separators.
	{"nbsp", "+1\u00a0650\u00a0555\u00a01234", "US", true},
	{"narrow_nbsp_refused", "+33 6 12\u202f34\u202f56\u202f78", "FR", true},
	{"thin_space_refused", "+1 650\u2009555 1234", "US", true},
	{"ideographic_space", "03\u30001234\u30005678", "JP", true},
	{"hyphen_u2010", "650\u2010555\u20101234", "US", true},
	{"nb_hyphen_u2011", "+54 11 4319\u20116285", "AR", true},
	{"en_dash", "(650) 555\u20131234", "US", true},
	{"em_dash", "020\u20147183\u20148750", "GB", true},
	{"minus_sign", "06\u221212\u221234\u221256\u221278", "FR", true},
	{"katakana_long_vowel", "03\u30fc1234\u30fc5678", "JP", true},
	{"fullwidth_hyphen", "010\uff0d1234\uff0d5678", "KR", true},
	{"zero_width_space", "650\u200b555\u200b1234", "US", true},
	{"word_joiner", "650\u2060555\u20601234", "US", true},
	{"soft_hyphen", "0171\u00ad1234567", "DE", true},
	{"bom_leading", "\ufeff+44 20 7183 8750", "GB", true},
	{"bom_inside_refused", "+44 20\ufeff7183 8750", "GB", true},
	{"bom_trailing_refused", "+1 650 555 1234\ufeff", "US", true},
	{"fullwidth_brackets_slash", "\uff0803\uff09\uff0f1234\uff0f5678", "JP", true},
	// Unicode digits and plus.
	{"fullwidth_whole", "\uff0b\uff11 \uff16\uff15\uff10 \uff15\uff15\uff15 \uff11\uff12\uff13\uff14", "US", true},
	{"fullwidth_national", "\uff10\uff13\uff0d\uff11\uff12\uff13\uff14\uff0d\uff15\uff16\uff17\uff18", "JP", true},
	{"fullwidth_mixed", "+81 3 \uff11\uff12\uff13\uff14 5678", "JP", true},
	{"arabic_indic", "\u0660\u0661\u0660\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667", "EG", true},
	{"arabic_indic_plus", "+\u0669\u0667\u0661 \u0665\u0660 \u0661\u0662\u0663 \u0664\u0665\u0666\u0667", "AE", true},
	{"persian", "\u06f0\u06f9\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9", "IR", true},
	{"arabic_mixed_ascii", "\u0660\u0665\u0660 123 4567", "SA", true},
	{"fullwidth_ext_digits", "650 555 1234 ext. \uff11\uff12", "US", true},
	{"devanagari_to_library", "+\u096f\u0967 98765 43210", "IN", false},
	{"thai_digits_to_library", "\u0e50\u0e52 123 4567", "TH", false},
	{"fullwidth_letters_to_library", "1-800-\uff26\uff2c\uff2f\uff37\uff25\uff32\uff33", "US", false},
	{"alpha_drops_wide_digits_to_library", "1-800-FLOWERS \uff16", "US", false},
	// Dirt inside a field.
	{"stray_quote", "650 555 \"1234", "US", true},
	{"quoted_whole", "\"+1 650 555 1234\"", "US", true},
	{"apostrophe_leading", "'0612345678", "FR", true},
	{"invalid_utf8_leading", "\xff+1 650 555 1234", "US", true},
	{"invalid_utf8_inside", "650 555 \xff1234", "US", true},
	{"invalid_utf8_trailing", "650 555 1234\xc3", "US", true},
	{"tab_leading", "\t+44 20 7183 8750", "GB", true},
	{"tab_inside_refused", "650\t555 1234", "US", true},
	{"tab_trailing_refused", "650 555 1234\t", "US", true},
	{"blank_runs", "  650   555    1234  ", "US", true},
	{"trailing_dot", "650 555 1234.", "US", true},
	{"trailing_bang_refused", "650 555 1234!", "US", true},
	{"trailing_comma_refused", "650 555 1234,", "US", true},
	{"trailing_question_refused", "+49 30 123456?", "DE", true},
	{"label_tel", "Tel: +49 30 123456", "DE", true},
	{"label_cjk", "\u96fb\u8a71 03-1234-5678", "JP", true},
	{"plus_run", "++1 650 555 1234", "US", true},
	{"plus_inside_refused", "+1 650+555 1234", "US", true},
	{"ampersand_refused", "650 555 1234 & 5678", "US", true},
	{"trailing_and_and_bracket", "(+687783933 Ext: 031&&1]", "TJ", false},
	{"trailing_hash_to_library", "650-555-1234#", "US", false},
	{"second_number_to_library", "650 555 1234 / x12", "US", false},
	{"rfc3966_param_to_library", "650 555 1234;ext=5", "US", false},
	// Spelled-out extensions and other words.
	{"ext_extension", "650 555 1234 extension 2459", "US", true},
	{"ext_extension_accented", "55 1234 5678 extensi\u00f3n 12", "MX", true},
	{"ext_extension_combining", "55 1234 5678 extensio\u0301n 12", "MX", true},
	{"ext_dot", "+44 20 7183 8750 ext. 12", "GB", true},
	{"ext_colon_caps", "+44 20 7183 8750 EXT: 12", "GB", true},
	{"ext_fullwidth_dot", "+44 20 7183 8750 ext\uff0e12", "GB", true},
	{"ext_hash", "650 555 1234 #12", "US", true},
	{"ext_hash_suffix", "650 555 1234 ext 12#", "US", true},
	{"ext_x", "650-555-1234 x12", "US", true},
	{"ext_int", "650 555 1234 int 12", "US", true},
	{"ext_anexo", "55 1234 5678 anexo 3", "MX", true},
	{"ext_comma", "650 555 1234, 12", "US", true},
	{"ext_two_commas", "650 555 1234,,123456789012", "US", true},
	{"ext_tab", "650 555 1234\text 12", "US", true},
	{"ext_nbsp", "650 555 1234\u00a0ext\u00a012", "US", true},
	{"ext_after_vanity", "1-800-FLOWERS x12", "US", true},
	{"ext_x_glued", "020 7183 8750 x12345", "GB", true},
	{"ext_too_long_over_17_digits_to_library", "650 555 1234 x1234567890", "US", false},
	{"ext_fullwidth_label_to_library", "650 555 1234 \uff45\uff58\uff54 12", "US", false},
	{"ext_cyrillic_to_library", "+7 495 123 45 67 \u0434\u043e\u0431 12", "RU", false},
	{"ext_tilde_to_library", "650 555 1234 ~12", "US", false},
	{"x_among_vanity_letters", "1-800-XEROX-US", "US", true},
	{"int_among_letters", "1-800-PRINTER", "US", true},
	{"words_after", "+44 20 7183 8750 (home)", "GB", true},
	{"words_before_three_digits", "12 home 345", "US", true},
}

// TestFastPath_Forms checks the forms of real exports one by one: where
// the fast path answers, as the library does; and it answers each form it
// should.
func TestFastPath_Forms(t *testing.T) {
	for _, tc := range formCases {
		t.Run(tc.name, func(t *testing.T) {
			_, handled, _ := fastAppendE164(nil, tc.raw, tc.region)
			if handled != tc.fast {
				want, werr := libraryAppendE164(nil, tc.raw, tc.region)
				t.Errorf("E164(%q, %q): fast path answers %v, want %v (library: %q, %v)", tc.raw, tc.region, handled, tc.fast, want, werr)
			}
			checkSame(t, tc.raw, tc.region)
		})
	}
}
