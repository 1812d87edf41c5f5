package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/internal/synth"
)

// TestRun_Consent checks the privacy contract of the ledger end to end on
// generated data: under each policy and build side, the audience of "match
// run --consent" is the audience without consent less exactly the users the
// ledger excludes (by a fold of the event file written here, not by the
// ledger), in the same order; no output or message names an excluded user;
// and "match prune" of the unfiltered audience gives the same file.
func TestRun_Consent(t *testing.T) {
	dir := t.TempDir()
	cfg := synth.Config{Seed: 5, Users: 3000, OptOutRate: 0.3, ListRows: 3000, MatchRate: 0.6, BadRate: 0.02, Events: 6000}
	write := func(name string, w func(*bytes.Buffer) error) string {
		var b bytes.Buffer
		if err := w(&b); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, b.Bytes(), 0o644)
		return p
	}
	users := write("users.csv", func(b *bytes.Buffer) error { return synth.WriteUsers(b, cfg) })
	list := write("list.csv", func(b *bytes.Buffer) error { return synth.WriteList(b, cfg) })
	events := write("events.csv", func(b *bytes.Buffer) error { return synth.WriteEvents(b, cfg) })
	db := filepath.Join(dir, "consent.db")
	mustRun(t, "consent", "import", "--db", db, events)

	// The fold, by hand: latest time wins, opt-out at a tie.
	type win struct {
		at  int64
		out bool
	}
	latest := map[string]win{} // "ads" only
	for e := range synth.Events(cfg) {
		if e.Purpose != "ads" {
			continue
		}
		w := win{e.Time.UnixNano(), e.Choice == "opt-out"}
		if old, ok := latest[e.UserID]; !ok || w.at > old.at || w.at == old.at && w.out {
			latest[e.UserID] = w
		}
	}
	excluded := map[consent.Policy]func(string) bool{
		consent.PolicyOptOut: func(id string) bool { w, ok := latest[id]; return ok && w.out },
		consent.PolicyOptIn:  func(id string) bool { w, ok := latest[id]; return !ok || w.out },
	}

	for _, side := range []string{"users", "list"} {
		all := filepath.Join(dir, "all-"+side+".csv")
		mustRun(t, "run", "--users", users, "--list", list, "--build-side", side, "--out", all, "--min-audience", "0", "--epsilon", "0")
		allIDs := readLines(t, all)
		for _, p := range []consent.Policy{consent.PolicyOptOut, consent.PolicyOptIn} {
			t.Run(side+"/"+p.String(), func(t *testing.T) {
				out := filepath.Join(dir, "audience-"+side+"-"+p.String()+".csv")
				report := filepath.Join(dir, "report-"+side+"-"+p.String()+".json")
				rejects := filepath.Join(dir, "rejects-"+side+"-"+p.String()+".csv")
				stderr := mustRun(t, "run", "--users", users, "--list", list, "--build-side", side,
					"--consent", db, "--policy", p.String(), "--out", out, "--report", report, "--rejects", rejects, "--min-audience", "0", "--epsilon", "0")
				got := readLines(t, out)
				var want []string
				for _, id := range allIDs {
					if !excluded[p](id) {
						want = append(want, id)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("audience: %d users, want %d", len(got), len(want))
				}
				if len(want) == len(allIDs) || len(want) == 0 {
					t.Errorf("the ledger excluded %d of %d users: the test tests nothing", len(allIDs)-len(want), len(allIDs))
				}
				// No file or message names an excluded user.
				texts := []string{stderr}
				for _, f := range []string{out, report, rejects} {
					b, _ := os.ReadFile(f)
					texts = append(texts, string(b))
				}
				for _, id := range allIDs {
					if excluded[p](id) {
						for _, s := range texts {
							if strings.Contains(s, id) {
								t.Fatalf("excluded user %s appears in an output", id)
							}
						}
					}
				}
				pruned := filepath.Join(dir, "pruned-"+side+"-"+p.String()+".csv")
				stderr = mustRun(t, "prune", "--audience", all, "--consent", db, "--policy", p.String(), "--out", pruned)
				if got := readLines(t, pruned); !slices.Equal(got, want) {
					t.Errorf("prune: %d users, want %d", len(got), len(want))
				}
				for _, id := range allIDs {
					if excluded[p](id) && strings.Contains(stderr, id) {
						t.Fatalf("prune names excluded user %s", id)
					}
				}
			})
		}
	}
}

// mustRun runs match and fails the test unless it exits 0. It returns
// stderr.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("match %s: exit %d: %s", strings.Join(args, " "), code, &stderr)
	}
	return stderr.String()
}

// readLines returns the lines of a one-column CSV after its header.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if lines[0] != "user_id" {
		t.Fatalf("%s: header %q", path, lines[0])
	}
	return lines[1:]
}

// TestConsentSet_TakesEffect: a choice dated far ahead is refused (it
// would freeze the user's choice), and a choice that an existing later one
// outranks is not reported as recorded.
func TestConsentSet_TakesEffect(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	code, _, stderr := runArgs("consent", "set", "--db", db, "--user", "u1", "--choice", "opt-in", "--time", "2262-01-01T00:00:00Z")
	if code != exitUsage || !strings.Contains(stderr, "time in the future") {
		t.Errorf("a choice dated 2262: exit %d, %q", code, stderr)
	}
	mustRun(t, "consent", "set", "--db", db, "--user", "u1", "--choice", "opt-in", "--time", "2026-01-02T00:00:00Z")
	code, _, stderr = runArgs("consent", "set", "--db", db, "--user", "u1", "--choice", "opt-out", "--time", "2026-01-01T00:00:00Z")
	if code != exitUsage || strings.Contains(stderr, "recorded\n") || !strings.Contains(stderr, "not recorded") {
		t.Errorf("an older choice: exit %d, %q", code, stderr)
	}
	if stderr := mustRun(t, "consent", "set", "--db", db, "--user", " u1 ", "--choice", "opt-out", "--purpose", "ADS"); !strings.Contains(stderr, ": recorded") {
		t.Errorf("a newer choice: %q", stderr)
	}
}

// TestRun_DamagedLedger: a ledger whose opt-out record was flipped to an
// opt-in stops match run and prune (exit 2, naming the ledger); nothing is
// released.
func TestRun_DamagedLedger(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	mustRun(t, "consent", "set", "--db", db, "--user", "u004", "--choice", "opt-out", "--source", "MARKSOURCE")
	b, _ := os.ReadFile(db)
	i := bytes.Index(b, []byte("MARKSOURCE"))
	if i < 9 || b[i-9] != 2 {
		t.Fatal("record not found")
	}
	b[i-9] = 1
	os.WriteFile(db, b, 0o644)
	out := filepath.Join(dir, "audience.csv")
	code, _, stderr := runArgs("run", "--users", "../../testdata/demo/users.csv", "--list", "../../testdata/demo/list.csv",
		"--consent", db, "--out", out, "--min-audience", "0", "--epsilon", "0")
	if code != exitUsage || !strings.Contains(stderr, db+": consent ledger damaged") {
		t.Errorf("run: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an audience was written")
	}
	if code, _, stderr := runArgs("consent", "export", "--db", db, "--out", filepath.Join(dir, "e.csv")); code != exitUsage {
		t.Errorf("export: exit %d, %q", code, stderr)
	}
}
