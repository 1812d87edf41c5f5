package digitre

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
)

var patterns = []string{
	`[2-9]\d{9}`,
	`(?:[2-9]\d{2}){2}\d{4}|3\d{6}`,
	`1\d{7,8}|(?:[2-69]\d|7[0-8])\d{6,7}|8\d{6,8}`,
	`0|180020`,
	`(?:0|8)?(15)?`,
	`00|011|0(?:0|1[1-3])`,
	`\d{2,17}`,
	`(a|1)2?`,
	`0?(?:(11|2(?:2(?:02?|[13]|2[13-79]|4[1-6]|5[2457]|6[124-8]|7[1-4]|8[13-6]|9[1267])))15)?`,
}

// TestDFA_AgreesWithRegexp checks full and prefix matches against the
// regexp package on random digit strings, biased to the patterns' lengths.
func TestDFA_AgreesWithRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range patterns {
		d, err := Compile(p)
		if err != nil {
			t.Fatalf("Compile(%q): %v", p, err)
		}
		full := regexp.MustCompile(`^(?:` + p + `)$`)
		prefix := regexp.MustCompile(`^(?:` + p + `)`)
		for i := range 20000 {
			n := rng.IntN(14)
			if i < 2000 {
				n = rng.IntN(4)
			}
			b := make([]byte, n)
			for j := range b {
				b[j] = '0' + byte(rng.IntN(10))
				if rng.IntN(3) == 0 {
					b[j] = "0128"[rng.IntN(4)]
				}
			}
			if got, want := d.Match(b), full.Match(b); got != want {
				t.Fatalf("%q: Match(%s) = %v, regexp says %v", p, b, got, want)
			}
			if got, want := d.MatchPrefix(b), prefix.Match(b); got != want {
				t.Fatalf("%q: MatchPrefix(%s) = %v, regexp says %v", p, b, got, want)
			}
		}
	}
}

func TestCompile_Unsupported(t *testing.T) {
	for _, p := range []string{`^1`, `1$`, `\b1`, `(`} {
		if _, err := Compile(p); err == nil {
			t.Errorf("Compile(%q) succeeded, want an error", p)
		}
	}
	if d, err := Compile(`1?`); err != nil || !d.MatchesEmpty() {
		t.Errorf("Compile(1?): MatchesEmpty false or err %v", err)
	}
}

func BenchmarkMatch(b *testing.B) {
	d, _ := Compile(patterns[2])
	re := regexp.MustCompile(`^(?:` + patterns[2] + `)$`)
	num := []byte("2071838750")
	b.Run("dfa", func(b *testing.B) {
		for b.Loop() {
			d.Match(num)
		}
	})
	b.Run("regexp", func(b *testing.B) {
		for b.Loop() {
			re.Match(num)
		}
	})
}

var prefixPatterns = append(patterns,
	`(000[2569]\d{4,6})$|(?:(?:003768)0?)|0`,
	`(183[12])|0`,
	`0|180020`,
	`0?(?:(11|2(?:2(?:02?|[13]|2[13-79])|3(?:02?|1[467]))|3(?:3(?:2[79]|6|8[2578])))15)?`,
	`(?:0|8)?(?:1|2)?(\d)`,
	`0(?:(11)|(\d\d))?`,
)

// TestPrefix_AgreesWithRegexp checks matches and capture positions against
// regexp's FindSubmatchIndex on random digit strings.
func TestPrefix_AgreesWithRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range prefixPatterns {
		m, err := CompilePrefix(p)
		if err != nil {
			t.Fatalf("CompilePrefix(%q): %v", p, err)
		}
		re := regexp.MustCompile(`^(?:` + p + `)`)
		var caps [MaxCaps]int
		for range 20000 {
			b := make([]byte, rng.IntN(16))
			for j := range b {
				b[j] = "0123456789000111158"[rng.IntN(19)]
			}
			want := re.FindSubmatchIndex(b)
			ok, done := m.Match(b, &caps)
			if !done {
				t.Fatalf("%q: Match(%s) gave up", p, b)
			}
			if ok != (want != nil) || ok && !slices.Equal(caps[:m.NumCaps()], want) {
				t.Fatalf("%q on %s: got %v %v, regexp %v", p, b, ok, caps[:m.NumCaps()], want)
			}
		}
	}
}

func TestPrefix_NoAllocs(t *testing.T) {
	m, _ := CompilePrefix(`(000[2569]\d{4,6})$|(?:(?:003768)0?)|0`)
	in := []byte("0312345678")
	var caps [MaxCaps]int
	if n := testing.AllocsPerRun(100, func() { m.Match(in, &caps) }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
}

func TestMaxLen(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    int
	}{
		{`00`, 2}, {`0(?:0|11)`, 3}, {`\d{2,17}`, 17}, {`(183[12])|0`, 4}, {`0?(?:(11|2[13])15)?`, 5},
		{`1(?:[12]\d|79)\d\d00`, 7}, {`\d+`, -1}, {`0*`, -1}, {`(000[2569]\d{4,6})$|0`, -1}, {`^0`, -1},
	} {
		if got := MaxLen(tc.pattern); got != tc.want {
			t.Errorf("MaxLen(%q) = %d, want %d", tc.pattern, got, tc.want)
		}
	}
}
