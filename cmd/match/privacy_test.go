package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/audiencematch/audiencematch/privacy"
)

// privacyFixture writes a base of 1000 users, u0000 to u0999, with phones
// +1 650 253 0000 on, and returns a function that writes a list of the
// given users' phones (in national format) plus a few non-users.
func privacyFixture(t *testing.T) (dir, users string, list func(name string, ids ...int) string) {
	dir = t.TempDir()
	var b strings.Builder
	b.WriteString("user_id,phone\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "u%04d,+1650253%04d\n", i, i)
	}
	users = filepath.Join(dir, "users.csv")
	os.WriteFile(users, []byte(b.String()), 0o644)
	list = func(name string, ids ...int) string {
		var b strings.Builder
		b.WriteString("phone\n")
		for _, i := range ids {
			fmt.Fprintf(&b, "(650) 253-%04d\n", i)
		}
		b.WriteString("(650) 999-0000\n(212) 555-0143\n") // not users
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(b.String()), 0o644)
		return p
	}
	return dir, users, list
}

func span(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

type guarded struct {
	code     int
	report   privacy.Report
	raw      string // the report as written
	audience []byte // nil if no audience file
}

func runGuarded(t *testing.T, dir, users, list string, extra ...string) guarded {
	t.Helper()
	out, rep := filepath.Join(dir, "audience.csv"), filepath.Join(dir, "report.json")
	os.Remove(out)
	args := append([]string{"run", "--users", users, "--list", list, "--out", out, "--report", rep,
		"--audit", filepath.Join(dir, "audit.jsonl")}, extra...)
	code, _, stderr := runArgs(args...)
	if code != 0 && code != exitNotReleased {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	var g guarded
	g.code = code
	b, err := os.ReadFile(rep)
	if err != nil || json.Unmarshal(b, &g.report) != nil {
		t.Fatalf("report: %v %s", err, b)
	}
	g.raw = string(b)
	if a, err := os.ReadFile(out); err == nil {
		g.audience = a
	}
	return g
}

// fixedHistory writes a history file with a fixed salt and secret, so
// that the noise of every decision in a test is the same on every run.
func fixedHistory(t *testing.T, dir string) string {
	t.Helper()
	salt, secret := make([]byte, 32), make([]byte, 32)
	for i := range salt {
		salt[i], secret[i] = byte(i), byte(100+i)
	}
	b, _ := json.Marshal(map[string]any{"version": 2, "salt": salt, "secret": secret, "lists": map[string]any{}})
	path := filepath.Join(dir, "history.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVenkatadriAttack scripts the differencing attack of Venkatadri et
// al. (IEEE S&P 2018): upload a list, note the audience size; upload it
// again with one more person, or one fewer, and compare. Every probe is
// refused, whether its extra rows are users or not, so the refusal says
// nothing the advertiser did not know; the same list again gets the same
// report, byte for byte.
func TestVenkatadriAttack(t *testing.T) {
	dir, users, list := privacyFixture(t)
	history := fixedHistory(t, dir)
	guard := []string{"--advertiser", "adv1", "--history", history}

	a := span(0, 150) // 150 users
	first := runGuarded(t, dir, users, list("a.csv", a...), guard...)
	if first.code != 0 || first.report.AudienceSize == nil || first.audience == nil {
		t.Fatalf("list A: %+v", first)
	}
	probes := map[string][]int{
		"A plus the target":     append(span(0, 150), 900),
		"A plus a non-user":     append(span(0, 150), 5000),
		"A minus one":           span(1, 150),
		"A, one swapped":        append(span(1, 150), 900),
		"A plus ten":            span(0, 160),
		"A plus 98 targets":     append(span(0, 150), span(900, 998)...),
		"A plus 98 non-users":   append(span(0, 150), span(5000, 5098)...),
		"A, as ' ADV1 ' spells": append(span(0, 150), 901),
	}
	for name, ids := range probes {
		extra := guard
		if strings.HasPrefix(name, "A, as") {
			extra = []string{"--advertiser", " ADV1 ", "--history", history}
		}
		g := runGuarded(t, dir, users, list("probe.csv", ids...), extra...)
		if g.code != exitNotReleased || g.report.Status != privacy.TooCloseToPast || g.report.AudienceSize != nil || g.audience != nil {
			t.Errorf("%s: %+v", name, g)
		}
	}

	// The same list again: the same report, byte for byte.
	if g := runGuarded(t, dir, users, list("a.csv", a...), guard...); g.raw != first.raw {
		t.Errorf("list A again:\n%s\nfirst:\n%s", g.raw, first.raw)
	}
	// A list of other people, 150 of them, is decided.
	if g := runGuarded(t, dir, users, list("b.csv", span(300, 450)...), guard...); g.report.Status == privacy.TooCloseToPast {
		t.Errorf("a list of others: %+v", g)
	}
	// Another advertiser is not compared with adv1's lists.
	if g := runGuarded(t, dir, users, list("c.csv", span(0, 151)...), "--advertiser", "adv2", "--history", history); g.report.Status == privacy.TooCloseToPast {
		t.Errorf("adv2: %+v", g)
	}

	// The history holds no user id and no phone or digest.
	h, _ := os.ReadFile(history)
	// (Sketches are base64 in quotes, where ids or phones would stand
	// between quotes or after a colon.)
	if regexp.MustCompile(`"u\d{4}|u\d{4}"|[":,]\+?1?650253`).Match(h) {
		t.Errorf("history holds ids or phones")
	}
	checkAudit(t, filepath.Join(dir, "audit.jsonl"))
}

// TestBudget: once an advertiser's budget is spent, every run is refused
// before its list is read, with the same message and exit status whatever
// the list, and nothing written.
func TestBudget(t *testing.T) {
	dir, users, list := privacyFixture(t)
	history := fixedHistory(t, dir)
	guard := []string{"--advertiser", "adv", "--history", history, "--budget", "0.3"}
	for i := range 3 {
		g := runGuarded(t, dir, users, list(fmt.Sprintf("l%d.csv", i), span(200*i, 200*i+150)...), guard...)
		if g.report.Status != privacy.Released {
			t.Fatalf("decision %d: %s", i, g.raw)
		}
	}
	var msgs []string
	for _, l := range []string{list("l9.csv", span(900, 1000)...), filepath.Join(dir, "no such list.csv")} {
		out := filepath.Join(dir, "spent.csv")
		code, stdout, stderr := runArgs(append([]string{"run", "--users", users, "--list", l, "--out", out,
			"--report", filepath.Join(dir, "spent.json")}, guard...)...)
		if code != exitNotReleased || stdout != "" || !strings.Contains(stderr, "privacy budget is spent") {
			t.Errorf("over budget: exit %d, %q", code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Error("over budget, an audience was written")
		}
		msgs = append(msgs, stderr)
	}
	if msgs[0] != msgs[1] {
		t.Errorf("two lists over budget, two messages:\n%s%s", msgs[0], msgs[1])
	}
}

// checkAudit: every line is JSON with the exact figures, and holds no
// phone number, digest or user id.
func checkAudit(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var refused int
	for _, l := range lines {
		var a privacy.Audit
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		if a.Exact.Rows != a.Exact.Matched+a.Exact.Unmatched+a.Exact.Rejected {
			t.Errorf("audit %q: rows not accounted for", l)
		}
		if a.Decision == privacy.TooCloseToPast {
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("no refusal audited")
	}
	// Phones here are +1 650 253 …, ids u0000 to u0999; a digest would
	// show as a long run of hex. The time and the list's path are left
	// out of the scan: their digits are the clock's and the temporary
	// directory's.
	for _, l := range lines {
		var fields map[string]any
		json.Unmarshal([]byte(l), &fields)
		delete(fields, "time")
		delete(fields, "list")
		rest, _ := json.Marshal(fields)
		if m := regexp.MustCompile(`650253|2530\d{3}|[0-9a-f]{16}|u\d{4}`).Find(rest); m != nil {
			t.Errorf("the audit log holds a phone number, a digest or a user id: %q in %s", m, rest)
		}
	}
	e164 := sha256.Sum256([]byte("+16502530000"))
	if strings.Contains(string(b), hex.EncodeToString(e164[:8])) {
		t.Errorf("the audit log holds a digest")
	}
}

func TestMinAudience(t *testing.T) {
	dir, users, list := privacyFixture(t)
	history := fixedHistory(t, dir)
	guard := []string{"--advertiser", "adv", "--history", history}
	small := list("small.csv", span(0, 60)...)
	g := runGuarded(t, dir, users, small, guard...) // the default minimum, 100
	if g.code != exitNotReleased || g.audience != nil || g.report.Status != privacy.BelowMinimum ||
		g.report.AudienceSize != nil || g.report.MatchRate != nil {
		t.Fatalf("60 users: exit %d, report %s, audience %q", g.code, g.raw, g.audience)
	}
	// To stdout: nothing of the audience may be written.
	code, stdout, stderr := runArgs(append([]string{"run", "--users", users, "--list", small}, guard...)...)
	if code != exitNotReleased || stdout != "" || !strings.Contains(stderr, "audience not released: below minimum audience (100)") {
		t.Fatalf("to stdout: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// 457 users are released as a noisy figure rounded down to two
	// digits; the exact one is in the audit, with the noisy one.
	g = runGuarded(t, dir, users, list("big.csv", span(0, 457)...), guard...)
	if g.code != 0 || *g.report.AudienceSize%10 != 0 || *g.report.AudienceSize < 300 || strings.Contains(g.raw, "matched") {
		t.Fatalf("457 users: %s", g.raw)
	}
	if lines := strings.Count(string(g.audience), "\n"); lines != 458 {
		t.Errorf("the platform's audience file has %d lines, want the header and 457 users", lines)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "audit.jsonl")); !strings.Contains(string(b), `"audience_size":457`) || !strings.Contains(string(b), `"noisy_audience"`) {
		t.Errorf("the audit lacks the exact or the noisy size: %s", b)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--min-audience", "-1"}, "--min-audience -1"},
		{[]string{"--advertiser", "a"}, "--advertiser and --history go together"},
		{nil, "the privacy guards need --advertiser and --history"},
		{[]string{"--min-audience", "5", "--epsilon", "0"}, "without noise tells whether one person is a user"},
		{[]string{"--epsilon", "-1"}, "want 0 or more"},
	} {
		args := append([]string{"run", "--users", users, "--list", small}, tc.args...)
		if code, _, stderr := runArgs(args...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d %q", tc.args, code, stderr)
		}
	}
}

// TestRun_FailedAfterDecision: a run whose outputs cannot be written after
// the guards decided is audited as failed, and neither spends budget nor
// leaves its list in the history.
func TestRun_FailedAfterDecision(t *testing.T) {
	dir, users, list := privacyFixture(t)
	history := fixedHistory(t, dir)
	audit := filepath.Join(dir, "audit.jsonl")
	code, _, stderr := runArgs("run", "--users", users, "--list", list("l.csv", span(0, 300)...), "--out", filepath.Join(dir, "a.csv"),
		"--report", "/dev/full", "--audit", audit, "--advertiser", "adv", "--history", history)
	if code != exitFailure {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(audit)
	if !strings.Contains(string(b), `"decision":"released"`) || !strings.Contains(string(b), `"decision":"failed"`) {
		t.Errorf("audit: %s", b)
	}
	h, _ := os.ReadFile(history)
	var hf struct{ Lists map[string][]any }
	json.Unmarshal(h, &hf)
	if len(hf.Lists["adv"]) != 0 {
		t.Errorf("the history remembers a failed run: %s", h)
	}
}
