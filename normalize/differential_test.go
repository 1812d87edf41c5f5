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
// append variant on every row of the mixed corpus that the fast path
// serves (the library fallback allocates as the library does).
func TestAppendE164_FastPathNoAllocs(t *testing.T) {
	var rows []row
	for _, r := range mixedCorpus(2000) {
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
// for: on the generator's mixed contact lists, under 1% of rows may fall
// back to the library (0.26% when this was written: hashes pasted into the
// phone column).
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
	if share := float64(fallback) / float64(len(rows)); share >= 0.01 {
		t.Errorf("%d of %d rows (%.2f%%) fell back to the library, want under 1%%", fallback, len(rows), 100*share)
	}
}
