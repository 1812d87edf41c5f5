package synth

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// small is a config that generates in milliseconds.
var small = Config{
	Seed:       42,
	Users:      2000,
	OptOutRate: 0.05,
	ListRows:   2000,
	MatchRate:  0.5,
	BadRate:    0.02,
}

// writeAll returns the three CSV files of cfg.
func writeAll(t *testing.T, cfg Config) (users, optouts, list []byte) {
	t.Helper()
	var u, o, l bytes.Buffer
	if err := WriteUsers(&u, cfg); err != nil {
		t.Fatalf("WriteUsers: %v", err)
	}
	if err := WriteOptOuts(&o, cfg); err != nil {
		t.Fatalf("WriteOptOuts: %v", err)
	}
	if err := WriteList(&l, cfg); err != nil {
		t.Fatalf("WriteList: %v", err)
	}
	return u.Bytes(), o.Bytes(), l.Bytes()
}

// e164 normalizes raw as the engine does: phonenumbers.Parse with region
// (US if empty), IsPossibleNumber, Format(E164).
func e164(raw, region string) (string, bool) {
	if region == "" {
		region = "US"
	}
	n, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

func TestGenerate_Deterministic(t *testing.T) {
	u1, o1, l1 := writeAll(t, small)
	u2, o2, l2 := writeAll(t, small)
	other := small
	other.Seed++
	u3, o3, l3 := writeAll(t, other)
	for _, c := range []struct {
		name          string
		a, same, diff []byte
	}{
		{"users", u1, u2, u3},
		{"optouts", o1, o2, o3},
		{"list", l1, l2, l3},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Equal(c.a, c.same) {
				t.Errorf("same seed: outputs differ (%d vs %d bytes)", len(c.a), len(c.same))
			}
			if bytes.Equal(c.a, c.diff) {
				t.Errorf("seed %d and %d: identical outputs", small.Seed, other.Seed)
			}
		})
	}
}

// A row is a pure function of its index: a prefix of a bigger data set is
// the smaller data set (for users; list rows also depend on Users).
func TestUsers_PrefixStable(t *testing.T) {
	big := small
	big.Users *= 2
	a := slices.Collect(Users(small))
	b := slices.Collect(Users(big))
	if !slices.Equal(a, b[:len(a)]) {
		t.Errorf("the first %d users change when Users grows to %d", len(a), big.Users)
	}
}

func TestUsers_PhonesValid(t *testing.T) {
	idRE := regexp.MustCompile(`^u[0-9]{9}$`)
	ids := map[string]bool{}
	phones := map[string]bool{}
	regions := map[string]int{}
	national := 0
	for u := range Users(small) {
		if !idRE.MatchString(u.ID) || ids[u.ID] {
			t.Fatalf("user id %q: malformed or duplicate", u.ID)
		}
		ids[u.ID] = true
		n, err := phonenumbers.Parse(u.Phone, u.Country)
		if err != nil {
			t.Fatalf("Parse(%q, %q): %v", u.Phone, u.Country, err)
		}
		if !phonenumbers.IsPossibleNumber(n) || !phonenumbers.IsValidNumberForRegion(n, u.Country) {
			t.Errorf("%q, %q: possible %v, valid for region %v, want both", u.Phone, u.Country,
				phonenumbers.IsPossibleNumber(n), phonenumbers.IsValidNumberForRegion(n, u.Country))
		}
		if !strings.HasPrefix(u.Phone, "+") {
			national++
		}
		phones[phonenumbers.Format(n, phonenumbers.E164)] = true
		regions[u.Country]++
	}
	if len(ids) != small.Users {
		t.Fatalf("got %d users, want %d", len(ids), small.Users)
	}
	if dup := small.Users - len(phones); dup > 2 {
		t.Errorf("%d of %d users share a phone, want at most 2", dup, small.Users)
	}
	if len(regions) < 40 {
		t.Errorf("users span %d regions, want >= 40", len(regions))
	}
	if share := float64(national) / float64(small.Users); share < 0.05 || share > 0.15 {
		t.Errorf("national-format user phones: %.3f, want about %.2f", share, nationalUserShare)
	}
}

// The generator's own validity check must imply libphonenumber's: a number
// it accepts is valid for its region.
func TestTemplate_ValidMatchesLibrary(t *testing.T) {
	g, err := resolve(Config{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, r := range g.regions {
		for _, tp := range r.tpls {
			buf := make([]byte, tp.nsnLen)
			for i := range 20 {
				// Random digits after the head's first: valid and invalid ones.
				copy(buf, tp.heads[i%len(tp.heads)].digits)
				fillTail(rng, buf, min(tp.nsnLen-1, 8), -1)
				lib := phonenumbers.IsValidNumberForRegion(r.number(string(buf)), r.code)
				if tp.valid(buf) && !lib {
					t.Errorf("%s %s: template says valid, library says not", r.code, buf)
				}
			}
		}
	}
}

func TestDefaultRegions(t *testing.T) {
	rs := DefaultRegions()
	if len(rs) < 40 {
		t.Errorf("DefaultRegions: %d regions, want >= 40", len(rs))
	}
	seen := map[string]bool{}
	for _, r := range rs {
		if !regexp.MustCompile(`^[A-Z]{2}$`).MatchString(r) || seen[r] {
			t.Errorf("region %q: not ISO alpha-2 upper case, or repeated", r)
		}
		seen[r] = true
	}
	for _, want := range strings.Fields("US CA GB DE FR IT ES NL BR AR MX IN CN JP KR AU RU KZ ZA NG") {
		if !seen[want] {
			t.Errorf("DefaultRegions lacks %s", want)
		}
	}
	rs[0] = "XX"
	if DefaultRegions()[0] == "XX" {
		t.Error("DefaultRegions returns shared state")
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("default regions: %v", err)
	}
}

func TestList_Rows(t *testing.T) {
	cfg := small
	cfg.ListRows = 4000
	cfg.BadRate = 0.05
	users := slices.Collect(Users(cfg))
	inBase := map[string]bool{}
	for _, u := range users {
		p, ok := e164(u.Phone, u.Country)
		if !ok {
			t.Fatalf("user %v does not normalize", u)
		}
		inBase[p] = true
	}
	g, err := resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var lr listRow
	var matched, rejected, valid, national int
	var idd, ext, tel, zero, emptyCountry int
	for j := range cfg.ListRows {
		g.listRow(j, &lr)
		raw, country := string(lr.phone), lr.country
		got, ok := e164(raw, country)
		switch lr.kind {
		case rowJunk:
			if ok {
				t.Errorf("row %d: junk %q (%q) normalizes to %s", j, raw, country, got)
			}
		case rowMember:
			want, _ := e164(users[lr.member].Phone, users[lr.member].Country)
			if got != want {
				t.Errorf("row %d: member %q (%q) normalizes to %q (ok %v), want user %d's %s", j, raw, country, got, ok, lr.member, want)
			}
		case rowNonMember:
			if !ok || inBase[got] {
				t.Errorf("row %d: non-member %q (%q): normalizes %v to %s, in base %v", j, raw, country, ok, got, inBase[got])
			}
		}
		if !ok {
			rejected++
			continue
		}
		valid++
		if inBase[got] {
			matched++
		}
		if n, err := phonenumbers.ParseAndKeepRawInput(raw, cmp(country, "US")); err == nil &&
			n.GetCountryCodeSource() == phonenumbers.PhoneNumber_FROM_DEFAULT_COUNTRY {
			national++
		}
		switch {
		case strings.HasPrefix(raw, "tel:"):
			tel++
		case strings.Contains(raw, " x") || strings.Contains(raw, "ext"):
			ext++
		case strings.Contains(raw, "(0)"):
			zero++
		case country != "" && !strings.HasPrefix(got, "+"+fmt.Sprint(phonenumbers.GetCountryCodeForRegion(country))):
			idd++ // dialled from another country (calling codes are prefix-free)
		}
		if country == "" {
			emptyCountry++
		}
	}
	rate := func(n int) float64 { return float64(n) / float64(cfg.ListRows) }
	// Binomial standard deviation at 4000 rows is under 0.008: allow 4.
	if r := rate(matched); math.Abs(r-cfg.MatchRate) > 0.032 {
		t.Errorf("matched share %.3f, want %.2f ± 0.032", r, cfg.MatchRate)
	}
	if r := rate(rejected); math.Abs(r-cfg.BadRate) > 0.015 {
		t.Errorf("rejected share %.3f, want %.2f ± 0.015", r, cfg.BadRate)
	}
	if r := float64(national) / float64(valid); r < 1.0/3 {
		t.Errorf("national share of valid rows %.3f, want >= 1/3", r)
	} else {
		t.Logf("national share of valid rows: %.3f", r)
	}
	for name, n := range map[string]int{"tel:": tel, "extension": ext, "(0)": zero, "IDD": idd, "empty country": emptyCountry} {
		if n == 0 {
			t.Errorf("no %s rows in %d", name, cfg.ListRows)
		}
	}
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestList_JunkRejected(t *testing.T) {
	cfg := Config{Seed: 3, ListRows: 3000, BadRate: 1}
	n := 0
	for row := range List(cfg) {
		n++
		if p, ok := e164(row.Phone, row.Country); ok {
			t.Errorf("junk %q (%q) normalizes to %s", row.Phone, row.Country, p)
		}
	}
	if n != cfg.ListRows {
		t.Errorf("got %d rows, want %d", n, cfg.ListRows)
	}
}

func TestOptOuts(t *testing.T) {
	cfg := Config{Seed: 9, Users: 20000, OptOutRate: 0.1}
	order := map[string]int{}
	i := 0
	for u := range Users(cfg) {
		order[u.ID] = i
		i++
	}
	last, n := -1, 0
	for id := range OptOuts(cfg) {
		idx, ok := order[id]
		if !ok {
			t.Fatalf("opt-out %q is not a user", id)
		}
		if idx <= last {
			t.Fatalf("opt-out %q (user %d) after user %d: not in user order", id, idx, last)
		}
		last = idx
		n++
	}
	// Standard deviation of the share is about 0.0021: allow 5.
	if r := float64(n) / float64(cfg.Users); math.Abs(r-cfg.OptOutRate) > 0.011 {
		t.Errorf("opt-out share %.4f, want %.2f ± 0.011", r, cfg.OptOutRate)
	}
	for _, rate := range []float64{0, 1} {
		c := Config{Seed: 9, Users: 100, OptOutRate: rate}
		if got, want := len(slices.Collect(OptOuts(c))), int(rate*100); got != want {
			t.Errorf("OptOutRate %v: %d opt-outs of 100, want %d", rate, got, want)
		}
	}
}

// The CSV files hold exactly the iterators' rows.
func TestWrite_MatchesIterators(t *testing.T) {
	users, optouts, list := writeAll(t, small)
	read := func(name string, b []byte, header string) [][]string {
		t.Helper()
		r := csv.NewReader(bytes.NewReader(b))
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := strings.Join(recs[0], ","); got != header {
			t.Fatalf("%s header %q, want %q", name, got, header)
		}
		return recs[1:]
	}
	var want [][]string
	for u := range Users(small) {
		want = append(want, []string{u.ID, u.Phone, u.Country})
	}
	if got := read("users", users, "user_id,phone,country"); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("users.csv differs from Users")
	}
	want = nil
	for id := range OptOuts(small) {
		want = append(want, []string{id})
	}
	if got := read("optouts", optouts, "user_id"); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("optouts.csv differs from OptOuts")
	}
	want = nil
	for r := range List(small) {
		want = append(want, []string{r.Phone, r.Country})
	}
	if got := read("list", list, "phone,country"); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("list.csv differs from List")
	}
}

func TestConfig_Invalid(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"negative users", Config{Users: -1}},
		{"too many users", Config{Users: MaxUsers + 1}},
		{"negative list", Config{ListRows: -1}},
		{"opt-out rate above 1", Config{OptOutRate: 1.5}},
		{"NaN match rate", Config{MatchRate: math.NaN()}},
		{"negative bad rate", Config{BadRate: -0.1}},
		{"rates above 1", Config{MatchRate: 0.7, BadRate: 0.4}},
		{"members without users", Config{ListRows: 10, MatchRate: 0.5}},
		{"empty regions", Config{Regions: []string{}}},
		{"unknown region", Config{Regions: []string{"US", "XX"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.cfg.Validate(); !errors.Is(err, ErrConfig) {
				t.Errorf("Validate() = %v, want ErrConfig", err)
			}
			var buf bytes.Buffer
			for name, write := range map[string]func(io.Writer, Config) error{
				"WriteUsers": WriteUsers, "WriteOptOuts": WriteOptOuts, "WriteList": WriteList,
			} {
				if err := write(&buf, c.cfg); !errors.Is(err, ErrConfig) || buf.Len() != 0 {
					t.Errorf("%s: err %v, %d bytes written; want ErrConfig and nothing", name, err, buf.Len())
				}
			}
			for range Users(c.cfg) {
				t.Fatal("Users yields a row for an invalid config")
			}
		})
	}
}

func TestConfig_Regions(t *testing.T) {
	cfg := Config{Seed: 1, Users: 300, ListRows: 300, MatchRate: 0.5, Regions: []string{"gb", "US"}}
	for u := range Users(cfg) {
		if u.Country != "GB" && u.Country != "US" {
			t.Fatalf("user %v outside Regions", u)
		}
	}
	for r := range List(cfg) {
		switch r.Country {
		case "", "GB", "US":
		default:
			t.Fatalf("list row %v outside Regions", r)
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWrite_Error(t *testing.T) {
	cfg := Config{Seed: 1, Users: 10000, OptOutRate: 0.5, ListRows: 10000}
	for name, write := range map[string]func(io.Writer, Config) error{
		"WriteUsers": WriteUsers, "WriteOptOuts": WriteOptOuts, "WriteList": WriteList,
	} {
		if err := write(&failWriter{n: 1000}, cfg); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: err %v, want the writer's error", name, err)
		}
	}
}

func ExampleWriteUsers() {
	cfg := Config{Seed: 1, Users: 3, Regions: []string{"GB", "US"}}
	if err := WriteUsers(os.Stdout, cfg); err != nil {
		fmt.Println(err)
	}
	// Output:
	// user_id,phone,country
	// u821780235,01484 874653,GB
	// u209200724,+12489363390,US
	// u596621213,+12143661572,US
}

func BenchmarkGenerateUsers(b *testing.B) {
	g, err := resolve(Config{Seed: 1, Users: MaxUsers})
	if err != nil {
		b.Fatal(err)
	}
	var ur userRow
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		g.user(n, &ur)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkGenerateList(b *testing.B) {
	g, err := resolve(Config{Seed: 1, Users: 1_000_000, ListRows: 1 << 30, MatchRate: 0.5, BadRate: 0.01})
	if err != nil {
		b.Fatal(err)
	}
	var lr listRow
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		g.listRow(n, &lr)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}

// Concurrent first use of regions builds each table once and gives every
// goroutine the same rows.
func TestConcurrentUse(t *testing.T) {
	cfg := Config{Seed: 11, Users: 200, ListRows: 200, MatchRate: 0.5, BadRate: 0.1,
		Regions: []string{"GR", "HU", "RO", "BG", "HR"}} // not in DefaultRegions: built here
	results := make([][]ListRow, 4)
	done := make(chan struct{})
	for i := range results {
		go func() {
			defer func() { done <- struct{}{} }()
			results[i] = slices.Collect(List(cfg))
		}()
	}
	for range results {
		<-done
	}
	for i := range results {
		if len(results[i]) != cfg.ListRows || !slices.Equal(results[i], results[0]) {
			t.Errorf("goroutine %d: %d rows, differing from goroutine 0", i, len(results[i]))
		}
	}
}
