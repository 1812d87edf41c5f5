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

// TestVenkatadriAttack scripts the differencing attack of Venkatadri et
// al. (IEEE S&P 2018): upload a list, note the audience size; upload it
// again with one more person, or one fewer, and compare. Every probe after
// the first must be refused or give the same figure, and nothing may leak
// through the rounding boundary either.
func TestVenkatadriAttack(t *testing.T) {
	dir, users, list := privacyFixture(t)
	history := filepath.Join(dir, "history.json")
	guard := []string{"--advertiser", "adv1", "--history", history}

	a := span(0, 150) // 150 users
	first := runGuarded(t, dir, users, list("a.csv", a...), guard...)
	if first.code != 0 || first.report.AudienceSize == nil || *first.report.AudienceSize != 150 || first.audience == nil {
		t.Fatalf("list A: %+v", first)
	}
	probes := map[string][]int{
		"A plus the target": append(span(0, 150), 900),
		"A minus one":       span(1, 150),
		"A, one swapped":    append(span(1, 150), 900),
		"A plus ten":        span(0, 160),
		"A plus 99 targets": append(span(0, 150), span(900, 999)...),
	}
	for name, ids := range probes {
		g := runGuarded(t, dir, users, list("probe.csv", ids...), guard...)
		if g.code == 0 && (g.report.AudienceSize == nil || *g.report.AudienceSize != *first.report.AudienceSize) {
			t.Errorf("%s: released a different figure: %s", name, g.raw)
		}
		if g.code == exitNotReleased && (g.report.Status != privacy.TooCloseToPast || g.report.AudienceSize != nil || g.audience != nil) {
			t.Errorf("%s: refused, but the report or audience says more: %+v", name, g)
		}
		if g.code == 0 && len(ids) != 150 {
			t.Errorf("%s: released", name)
		}
	}

	// The same list again is the same audience: released, same figure.
	if g := runGuarded(t, dir, users, list("a.csv", a...), guard...); g.code != 0 || *g.report.AudienceSize != 150 {
		t.Errorf("list A again: %+v", g)
	}
	// A list of other people, 150 of them: released.
	if g := runGuarded(t, dir, users, list("b.csv", span(300, 450)...), guard...); g.code != 0 || *g.report.AudienceSize != 150 {
		t.Errorf("a list of others: %+v", g)
	}
	// Another advertiser is not compared with adv1's audiences.
	if g := runGuarded(t, dir, users, list("c.csv", span(0, 151)...), "--advertiser", "adv2", "--history", history); g.code != 0 {
		t.Errorf("adv2: %+v", g)
	}

	// Rounding-boundary probing: 199 users round to 190, 200 to 200; a
	// probe that moves the figure across the boundary by one user is
	// refused.
	boundary := runGuarded(t, dir, users, list("d.csv", span(500, 699)...), "--advertiser", "adv3", "--history", history)
	if boundary.code != 0 || *boundary.report.AudienceSize != 190 {
		t.Fatalf("199 users: %s", boundary.raw)
	}
	for _, n := range []int{200, 201, 198} {
		g := runGuarded(t, dir, users, list("e.csv", span(500, 500+n)...), "--advertiser", "adv3", "--history", history)
		if g.code != exitNotReleased {
			t.Errorf("%d users after 199: released %s", n, g.raw)
		}
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
	small := list("small.csv", span(0, 99)...)
	g := runGuarded(t, dir, users, small) // the default minimum, 100
	if g.code != exitNotReleased || g.audience != nil || g.report.Status != privacy.BelowMinimum ||
		g.report.AudienceSize != nil || g.report.MatchRate != nil || regexp.MustCompile(`:\s*99\b`).MatchString(g.raw) {
		t.Fatalf("99 users: exit %d, report %s, audience %q", g.code, g.raw, g.audience)
	}
	// To stdout: nothing of the audience may be written.
	code, stdout, stderr := runArgs("run", "--users", users, "--list", small)
	if code != exitNotReleased || stdout != "" || !strings.Contains(stderr, "audience not released: below minimum audience (100)") {
		t.Fatalf("to stdout: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// 157 users are released as 150, and the exact figure is nowhere in
	// the report; the audit has it.
	g = runGuarded(t, dir, users, list("big.csv", span(0, 157)...))
	if g.code != 0 || *g.report.AudienceSize != 150 || regexp.MustCompile(`:\s*157\b`).MatchString(g.raw) || strings.Contains(g.raw, "matched") {
		t.Fatalf("157 users: %s", g.raw)
	}
	if lines := strings.Count(string(g.audience), "\n"); lines != 158 {
		t.Errorf("the platform's audience file has %d lines, want the header and 157 users", lines)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "audit.jsonl")); !strings.Contains(string(b), `"audience_size":157`) {
		t.Errorf("the audit lacks the exact size: %s", b)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--users", users, "--list", small, "--min-audience", "-1"}, "--min-audience -1"},
		{[]string{"run", "--users", users, "--list", small, "--advertiser", "a"}, "--advertiser and --history go together"},
	} {
		if code, _, stderr := runArgs(tc.args...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d %q", tc.args, code, stderr)
		}
	}
}
