package privacy

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/audiencematch/audiencematch/matcher"
)

var now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func openHistory(t testing.TB) *History {
	t.Helper()
	h, err := OpenHistory(filepath.Join(t.TempDir(), "h.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// outcome is the outcome of a list of the given rows (distinct digests
// named by number) whose matched users are the given ids.
func outcome(h *History, rows []int, users []int) Outcome {
	o := Outcome{Audience: h.NewSketch(), Uploaded: h.NewListSketch(), List: "l.csv"}
	for _, r := range rows {
		var d [32]byte
		copy(d[:], fmt.Sprintf("row%d", r))
		o.Uploaded.Add(&d)
	}
	for _, u := range users {
		o.Audience.Add(fmt.Sprintf("user%d", u))
	}
	o.Stats = matcher.Stats{Rows: int64(len(rows)), Accepted: int64(len(rows)), Audience: int64(len(users))}
	return o
}

func span(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// on returns the guards with their defaults, on h.
func on(h *History) Guards {
	return Guards{MinAudience: DefaultMinAudience, Epsilon: DefaultEpsilon, Budget: DefaultBudget, Advertiser: "adv", History: h}
}

// TestDecide_Off: with the guards off (the platform's own runs) the figures
// are exact and every audience is released, the empty one included.
func TestDecide_Off(t *testing.T) {
	for _, n := range []int64{0, 1, 99, 157} {
		st := matcher.Stats{Rows: 500, Accepted: 400, Rejected: 100, Audience: n}
		rel, err := Decide(Outcome{Stats: st, List: "l.csv", HashFormat: "uid2"}, Guards{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if !rel.Released() || *rel.Report.AudienceSize != Round(n) || rel.Audit.Reported != Round(n) || rel.Audit.Noisy != nil {
			t.Errorf("%d users: %s, report %v, audit %+v", n, rel.Decision, *rel.Report.AudienceSize, rel.Audit)
		}
		if rel.Report.ListKind != "hash" || rel.Report.HashFormat != "uid2" {
			t.Errorf("hashed list: kind %q, format %q", rel.Report.ListKind, rel.Report.HashFormat)
		}
	}
}

func TestGuards_Check(t *testing.T) {
	h := openHistory(t)
	for name, g := range map[string]Guards{
		"negative minimum":        {MinAudience: -1},
		"negative epsilon":        {Epsilon: -1, Advertiser: "a", History: h},
		"NaN epsilon":             {Epsilon: math.NaN(), Advertiser: "a", History: h},
		"negative budget":         {Budget: -1},
		"advertiser alone":        {Advertiser: "a"},
		"history alone":           {History: h},
		"noise without a history": {Epsilon: 0.1, MinAudience: 100},
		"minimum without noise":   {MinAudience: 100, Advertiser: "a", History: h},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Decide(Outcome{}, g, now); !errors.Is(err, ErrGuards) {
				t.Errorf("Decide: %v, want ErrGuards", err)
			}
		})
	}
	if _, err := Decide(Outcome{}, on(h), now); !errors.Is(err, ErrGuards) {
		t.Errorf("a history without sketches: %v, want ErrGuards", err)
	}
}

// TestDecide_SameListTwice: asking again gives the same report, byte for
// byte, so repetition cannot average the noise away; each ask is paid.
func TestDecide_SameListTwice(t *testing.T) {
	h := openHistory(t)
	g := on(h)
	var reports []string
	for run := range 3 {
		g.Run = fmt.Sprint(run)
		rel, err := Decide(outcome(h, span(0, 300), span(0, 240)), g, now)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rel.Report)
		reports = append(reports, string(b))
		if err := rel.Log(""); err != nil {
			t.Fatal(err)
		}
	}
	if reports[0] != reports[1] || reports[1] != reports[2] {
		t.Errorf("the same list gave different reports:\n%s", reports)
	}
	if got := h.Spent("adv", now); math.Abs(got-3*DefaultEpsilon) > 1e-9 {
		t.Errorf("spent %v, want %v", got, 3*DefaultEpsilon)
	}
}

// TestDecide_Budget: once the budget is spent, every list is refused the
// same way, before and by Decide, until the window has passed; " ADV" is
// "adv".
func TestDecide_Budget(t *testing.T) {
	h := openHistory(t)
	g := on(h)
	n := int(math.Round(DefaultBudget / DefaultEpsilon))
	for i := range n {
		g.Run, g.Advertiser = fmt.Sprint(i), []string{"adv", " ADV", "Adv "}[i%3]
		rel, err := Decide(outcome(h, span(1000*i, 1000*i+500), span(0, 300)), g, now)
		if err != nil {
			t.Fatal(err)
		}
		if !rel.Released() {
			t.Fatalf("decision %d: %s", i, rel.Decision)
		}
		if err := rel.Log(""); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Admit(now); !errors.Is(err, ErrBudget) {
		t.Fatalf("Admit after %d decisions: %v", n, err)
	}
	var reports []string
	for _, o := range []Outcome{outcome(h, span(50000, 50500), span(0, 300)), outcome(h, span(60000, 60001), nil)} {
		rel, err := Decide(o, g, now)
		if err != nil {
			t.Fatal(err)
		}
		rel.Report.List, rel.Report.Rows, rel.Report.Accepted = "", 0, 0 // the list's own figures
		b, _ := json.Marshal(rel.Report)
		reports = append(reports, string(b))
		if rel.Decision != BudgetSpent {
			t.Errorf("over budget: %s", rel.Decision)
		}
	}
	if reports[0] != reports[1] {
		t.Errorf("over budget, two lists got different reports:\n%s", reports)
	}
	if err := g.Admit(now.Add(Window + time.Hour)); err != nil {
		t.Errorf("after the window: %v", err)
	}
	if err := (&Guards{Advertiser: "other", History: h, Epsilon: DefaultEpsilon, Budget: DefaultBudget}).Admit(now); err != nil {
		t.Errorf("another advertiser: %v", err)
	}
}

// TestDecide_ListDifferencing: a list a few rows away from a recent one is
// refused whether or not the rows are users; further lists are decided.
func TestDecide_ListDifferencing(t *testing.T) {
	h := openHistory(t)
	g := on(h)
	g.Run = "a"
	rel, err := Decide(outcome(h, span(0, 150), span(0, 150)), g, now)
	if err != nil || !rel.Released() {
		t.Fatalf("list A: %v %v", rel.Decision, err)
	}
	rel.Log("")
	for name, o := range map[string]Outcome{
		"A + a user":     outcome(h, span(0, 151), span(0, 151)),
		"A + a non-user": outcome(h, span(0, 151), span(0, 150)),
		"A less one":     outcome(h, span(1, 150), span(1, 150)),
	} {
		rel, err := Decide(o, g, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if rel.Decision != TooCloseToPast || *rel.Audit.Nearest != 1 || rel.Report.AudienceSize != nil {
			t.Errorf("%s: %s", name, rel.Decision)
		}
	}
	for name, o := range map[string]Outcome{
		"A again":             outcome(h, span(0, 150), span(0, 150)),
		"A + 100 rows":        outcome(h, span(0, 250), span(0, 151)),
		"A, after the window": outcome(h, span(0, 151), span(0, 151)),
	} {
		at := now.Add(time.Hour)
		if name == "A, after the window" {
			at = now.Add(Window + time.Hour)
		}
		if rel, _ := Decide(o, g, at); rel.Decision == TooCloseToPast {
			t.Errorf("%s: %s", name, rel.Decision)
		}
	}
}

// attack runs the "k known users plus one target" attack trials times on
// fresh lists (each a list of its own, so fresh noise) and returns the
// success rate of the best attacker, who guesses "user" when the answer
// says released (or, with rounding, when the size reaches the step).
// known users and one more row make each list; the target is a matchable
// user in half the trials, chosen by a seeded generator.
func attack(t testing.TB, known int64, min int64, trials int, guess func(*Release) bool) float64 {
	h := openHistory(t)
	for i := range h.file.Secret { // a fixed secret: the same draws on every run
		h.file.Salt[i], h.file.Secret[i] = byte(i), byte(100+i)
	}
	g := on(h)
	g.MinAudience = min
	r := rand.New(rand.NewPCG(1, 2))
	right := 0
	for i := range trials {
		rows := span(i*1000, i*1000+int(known)+1)
		user := r.IntN(2) == 0
		users := rows[:known]
		if user {
			users = rows
		}
		rel, err := Decide(outcome(h, rows, users), g, now)
		if err != nil {
			t.Fatal(err)
		}
		if guess(rel) == user {
			right++
		}
	}
	return float64(right) / float64(trials)
}

// TestDecide_MembershipAttack: 99 known users plus a target, against the
// minimum of 100; and a list whose size sits under a rounding step (199
// known users: 199 rounds to 190, 200 to 200). The best attacker's success
// rate is bounded by e^eps/(1+e^eps), 52.5% at the default epsilon; the
// margin is four standard errors of the measured rate (0.5/sqrt(trials)).
// Without noise the same attacker is always right.
func TestDecide_MembershipAttack(t *testing.T) {
	trials := 20000
	if raceEnabled {
		trials = 3000
	}
	bound := math.Exp(DefaultEpsilon) / (1 + math.Exp(DefaultEpsilon))
	margin := 4 * 0.5 / math.Sqrt(float64(trials))
	released := func(rel *Release) bool { return rel.Released() }
	if rate := attack(t, 99, 100, trials, released); rate > bound+margin {
		t.Errorf("minimum audience: the attacker is right %.2f%% of the time, bound %.2f%% + %.2f%%", 100*rate, 100*bound, 100*margin)
	} else {
		t.Logf("minimum audience: attacker right %.2f%% of %d (bound %.2f%%)", 100*rate, trials, 100*bound)
	}
	reaches := func(rel *Release) bool { return rel.Report.AudienceSize != nil && *rel.Report.AudienceSize >= 200 }
	if rate := attack(t, 199, 100, trials, reaches); rate > bound+margin {
		t.Errorf("rounding step: the attacker is right %.2f%% of the time, bound %.2f%% + %.2f%%", 100*rate, 100*bound, 100*margin)
	} else {
		t.Logf("rounding step: attacker right %.2f%% of %d (bound %.2f%%)", 100*rate, trials, 100*bound)
	}
}

// TestRelease_Log: the audit line is the record Decide returned; Log
// spends and remembers a decided list once per run, a refused list never;
// Fail takes a run back.
func TestRelease_Log(t *testing.T) {
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.jsonl")
	h := openHistory(t)
	g := on(h)
	g.Run = "r1"
	first, err := Decide(outcome(h, span(0, 300), span(0, 300)), g, now)
	if err != nil || !first.Released() {
		t.Fatalf("first: %v %v", first.Decision, err)
	}
	for range 2 { // a retried step
		if err := first.Log(audit); err != nil {
			t.Fatal(err)
		}
	}
	g.Run = "r2"
	close, _ := Decide(outcome(h, span(0, 301), span(0, 300)), g, now)
	if close.Decision != TooCloseToPast {
		t.Fatalf("one row more: %s", close.Decision)
	}
	close.Log(audit)
	g.Run = "r3"
	far, _ := Decide(outcome(h, span(1000, 1300), span(1000, 1300)), g, now)
	far.Log(audit)
	if err := far.Fail(audit); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(audit)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []Decision
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var a Audit
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		if a.Advertiser != "adv" || a.Exact.Audience == 0 {
			t.Errorf("audit record %+v", a)
		}
		got = append(got, a.Decision)
	}
	if want := []Decision{Released, TooCloseToPast, Released, Failed}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit decisions %v, want %v", got, want)
	}
	if n := len(h.file.Lists["adv"]); n != 1 {
		t.Errorf("history holds %d lists, want 1 (r1 once; r2 refused; r3 failed)", n)
	}
	if got := h.Spent("adv", now); math.Abs(got-DefaultEpsilon) > 1e-9 {
		t.Errorf("spent %v, want %v", got, DefaultEpsilon)
	}
}

// BenchmarkMembershipAttack runs the 99-known-users attack against the
// minimum audience and reports the best attacker's success rate (the
// bound, e^eps/(1+e^eps), is 0.525 at the default epsilon) beside the cost
// of one decision: go test -run '^$' -bench MembershipAttack -benchtime
// 20000x ./privacy
func BenchmarkMembershipAttack(b *testing.B) {
	rate := attack(b, 99, 100, b.N, func(rel *Release) bool { return rel.Released() })
	b.ReportMetric(rate, "success")
	b.ReportMetric(math.Exp(DefaultEpsilon)/(1+math.Exp(DefaultEpsilon)), "bound")
}
