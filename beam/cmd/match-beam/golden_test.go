package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/audiencematch/audiencematch/privacy"
)

// goldenDir holds match's golden cases (see the root's cmd/match TestGolden).
const goldenDir = "../../../testdata/cli"

// matchBin is the root module's match command, built once by TestMain. It
// runs a golden case's setup lines (consent import) and exports the ledger
// they make, as a platform does before it runs match-beam.
var matchBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "match-beam-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	matchBin = filepath.Join(dir, "match")
	build := exec.Command("go", "build", "-C", "../../..", "-o", matchBin, "./cmd/match")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building match:", err)
		return 1
	}
	return m.Run()
}

// skipGolden are the match run cases match-beam does not run, and why.
var skipGolden = map[string]string{
	"help-run":            "match run -h: match-beam's usage is its own, tested by TestRun_Usage",
	"err-index-v1-emails": "match run --index: match-beam reads the user base CSV, never an index",
}

// refusedExit are the cases match-beam refuses with another exit status
// than match run's, as the README's Scale-out section documents.
var refusedExit = map[string]int{
	// A malformed line of an opt-out file is found by the workers, not
	// before launch: the job fails, exit 1, with match run's message.
	"err-optouts-broken": exitFailure,
}

// TestRun_Golden runs every golden case of match run (each case of the
// root's testdata/cli whose first argument is "run") through match-beam,
// with the same flags less the "run", and checks that the two agree:
//
//   - the exit status: 0 released, 3 withheld by a privacy guard, 2 a bad
//     invocation or input file (or see refusedExit), which writes nothing;
//   - every file written, byte for byte; a case without --out writes the
//     audience to match run's stdout, and to --out for match-beam;
//   - the audit record (match-beam's --audit): the decision is the golden
//     report's status (or the exit status's, without a report), the exact
//     figures are those of the golden report and audience, and the
//     minimum audience is the case's.
//
// A case that reads a consent ledger (--consent LEDGER, made by its setup
// lines) gives match-beam the ledger's export, made with match consent
// export, with the same --policy and --purpose. A case with a report and
// no --rejects gets --rejects for match-beam, tallied against the golden
// report's rejected_by.
//
// No golden case is withheld, so each released one is run again as
// "<case>/withheld", with --min-audience one above its audience, and
// compared in the same way with match run itself (the root's match,
// built by TestMain) over the same arguments.
func TestRun_Golden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(goldenDir, "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases in %s: %v", goldenDir, err)
	}
	runs := 0
	for _, dir := range dirs {
		name := filepath.Base(dir)
		args, err := readArgs(filepath.Join(dir, "args"))
		if err != nil || len(args) == 0 || args[0] != "run" {
			if strings.HasPrefix(name, "run-") {
				t.Errorf("%s: a run-* case whose args do not start with run (%v)", name, err)
			}
			continue
		}
		runs++
		want := readWant(t, filepath.Join(dir, "want"))
		t.Run(name, func(t *testing.T) {
			if why, ok := skipGolden[name]; ok {
				t.Skip(why)
			}
			testGolden(t, dir, args[1:], want, refusedExit[name])
		})
		if _, skip := skipGolden[name]; skip || strings.TrimSpace(want["exit"]) != strconv.Itoa(exitOK) {
			continue
		}
		t.Run(name+"/withheld", func(t *testing.T) {
			audience := want["stdout"]
			if out := flagValue(args, "--out"); out != "" {
				audience = want["file."+filepath.Base(out)]
			}
			// Under the guards, noise and all: match run and match-beam
			// share one history (a fixed secret), so that the same list
			// and audience get the same noise; a minimum 1,000 above the
			// audience is beyond any noise either could draw.
			minAud := strconv.Itoa(strings.Count(audience, "\n") + 1000)
			args := setFlag(setFlag(args, "--min-audience", minAud), "--epsilon", "0.1")
			args = append(args, "--advertiser", "adv", "--history", fixedHistory(t))
			ref := matchRun(t, dir, args)
			if ref["exit"] != fmt.Sprintln(exitNotReleased) {
				t.Fatalf("match run --min-audience %s: exit %s, not withheld", minAud, ref["exit"])
			}
			testGolden(t, dir, args[1:], ref, 0)
		})
	}
	if runs == 0 {
		t.Fatal("no golden case of match run")
	}
}

// testGolden runs the case in dir, whose arguments less the "run" are
// args, through match-beam, and compares it with want: match run's exit,
// stdout, stderr and file.* for each file written, as in want/. If refused
// is not 0, it is match-beam's exit status where match run's is 2.
func testGolden(t *testing.T, dir string, args []string, want map[string]string, refused int) {
	tmp := copyCase(t, dir)
	inputs := listDir(t, tmp)
	setup(t, dir, tmp)
	made := listDir(t, tmp) // by setup: ledgers
	args = expand(args, tmp)
	code, err := strconv.Atoi(strings.TrimSpace(want["exit"]))
	if err != nil {
		t.Fatalf("want/exit: %v", err)
	}
	beamCode := code
	if refused != 0 {
		if code != exitUsage {
			t.Fatalf("match run's exit %d, not %d: the exception for match-beam is stale", code, exitUsage)
		}
		beamCode = refused
	}

	// match-beam's arguments, and the files the test adds to the case's.
	var (
		beamArgs []string
		ours     = make(map[string]bool) // files written for the test, not by match run
		audience = flagValue(args, "--out")
		report   = flagValue(args, "--report")
		rejects  = flagValue(args, "--rejects")
		audit    = filepath.Join(tmp, "audit.jsonl")
	)
	for i := 0; i < len(args); i++ {
		beamArgs = append(beamArgs, args[i])
		if args[i] == "--consent" && i+1 < len(args) && made[filepath.Base(args[i+1])] && !inputs[filepath.Base(args[i+1])] {
			export := filepath.Join(tmp, "export.csv")
			runMatch(t, "consent", "export", "--db", args[i+1], "--out", export)
			beamArgs = append(beamArgs, export)
			i++
		}
	}
	stdoutAudience := audience == ""
	if stdoutAudience {
		audience = filepath.Join(tmp, "audience.csv")
		beamArgs = append(beamArgs, "--out", audience)
		ours[filepath.Base(audience)] = true
	}
	if report != "" && rejects == "" {
		rejects = filepath.Join(tmp, "rejects.csv")
		beamArgs = append(beamArgs, "--rejects", rejects)
		ours[filepath.Base(rejects)] = true
	}
	beamArgs = append(beamArgs, "--audit", audit)
	ours[filepath.Base(audit)] = true
	before := listDir(t, tmp)

	var stderr bytes.Buffer
	if got := run(context.Background(), beamArgs, &stderr); got != beamCode {
		t.Fatalf("match-beam %s\nexit %d, want %d (match run's %d); stderr:\n%s", strings.Join(beamArgs, " "), got, beamCode, code, stderr.Bytes())
	}

	written := make(map[string]string) // as want/'s names
	for name := range listDir(t, tmp) {
		if !before[name] {
			b, _ := os.ReadFile(filepath.Join(tmp, name))
			written[name] = strings.ReplaceAll(string(b), tmp, "$DIR")
		}
	}
	if code != exitOK && code != exitNotReleased {
		// A refused invocation writes nothing; its message names the file
		// match run's names.
		if len(written) > 0 {
			t.Errorf("a refused invocation wrote %v", slices.Sorted(maps.Keys(written)))
		}
		for _, f := range strings.Fields(want["stderr"]) {
			p, ok := strings.CutPrefix(strings.TrimRight(f, ":"), "$DIR/")
			if _, err := os.Stat(filepath.Join(tmp, "export.csv")); ok && strings.HasSuffix(p, ".db") && err == nil {
				p = "export.csv" // match-beam reads the ledger's export
			}
			if ok && !strings.Contains(stderr.String(), filepath.Join(tmp, p)) {
				t.Errorf("match run's message names $DIR/%s, match-beam's does not:\n%s\nmatch run's:\n%s", p, &stderr, want["stderr"])
			}
		}
		msg := strings.ReplaceAll(strings.TrimPrefix(strings.TrimSpace(want["stderr"]), "match: "), "$DIR", tmp)
		if refused != 0 && !strings.Contains(stderr.String(), msg) {
			t.Errorf("match-beam's message:\n%s\nwant it to hold match run's:\n%s", &stderr, msg)
		}
		return
	}

	// The files, byte for byte.
	compared := 0
	for _, f := range slices.Sorted(maps.Keys(want)) {
		name, ok := strings.CutPrefix(f, "file.")
		if !ok {
			continue
		}
		w := want[f]
		compared++
		if g, ok := written[name]; !ok {
			t.Errorf("%s: not written, match run's:\n%s", name, w)
		} else if g != w {
			t.Errorf("%s:\n--- match-beam\n%s--- match run\n%s", name, g, w)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(written)) {
		if _, ok := want["file."+name]; !ok && !ours[name] {
			t.Errorf("%s: written by match-beam, not by match run:\n%s", name, written[name])
		}
	}
	if stdoutAudience {
		compared++
		g, ok := written[filepath.Base(audience)]
		if ok != (code == exitOK) {
			t.Errorf("exit %d, and the audience written: %v", code, ok)
		}
		if g != want["stdout"] {
			t.Errorf("audience:\n--- match-beam (--out)\n%s--- match run (stdout)\n%s", g, want["stdout"])
		}
	} else if want["stdout"] != "" {
		t.Errorf("match run wrote to stdout, which match-beam does not have:\n%s", want["stdout"])
	}
	if code == exitOK && compared == 0 {
		t.Error("nothing golden to compare")
	}
	if !strings.Contains(stderr.String(), "rows shuffled into the join") {
		t.Errorf("stderr: %s", stderr.Bytes())
	}

	// The audit record.
	var goldAudience string // the golden audience, if released
	if stdoutAudience {
		goldAudience = want["stdout"]
	} else {
		goldAudience = want["file."+filepath.Base(audience)]
	}
	var rp *privacy.Report
	if report != "" {
		rp = new(privacy.Report)
		if err := json.Unmarshal([]byte(want["file."+filepath.Base(report)]), rp); err != nil {
			t.Fatalf("golden report: %v", err)
		}
	}
	checkAudit(t, audit, code, rp, goldAudience, args)
	if ours[filepath.Base(rejects)] {
		tallyRejects(t, rejects, rp)
	}
}

// checkAudit checks match-beam's audit log at path, with one record,
// against match run's exit status code, its report rp (nil if the case has
// none), its audience (empty if withheld) and the case's arguments.
func checkAudit(t *testing.T, path string, code int, rp *privacy.Report, audience string, args []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("audit: %d records, want 1:\n%s", len(lines), b)
	}
	var a privacy.Audit
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatalf("audit: %v\n%s", err, b)
	}
	if released := a.Decision == privacy.Released; released != (code == exitOK) {
		t.Errorf("audit decision %q, and match run's exit %d", a.Decision, code)
	}
	minAud := int64(privacy.DefaultMinAudience)
	if s := flagValue(args, "--min-audience"); s != "" {
		if minAud, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("--min-audience: %v", err)
		}
	}
	if a.MinAudience != minAud {
		t.Errorf("audit min_audience %d, the case's --min-audience %d", a.MinAudience, minAud)
	}
	if list := flagValue(args, "--list"); a.List != list {
		t.Errorf("audit list %q, want %q", a.List, list)
	}
	if code == exitOK {
		if rows := strings.Count(audience, "\n") - 1; a.Exact.Audience != int64(rows) {
			t.Errorf("audit exact audience %d, match run's audience has %d users", a.Exact.Audience, rows)
		}
		if a.Reported != privacy.Round(a.Exact.Audience) {
			t.Errorf("audit reported_audience_size %d, exact %d rounds to %d", a.Reported, a.Exact.Audience, privacy.Round(a.Exact.Audience))
		}
	} else if a.Reported != 0 {
		t.Errorf("audit reported_audience_size %d of a withheld audience", a.Reported)
	}
	if rp == nil {
		return
	}
	if a.Decision != rp.Status {
		t.Errorf("audit decision %q, match run's report %q", a.Decision, rp.Status)
	}
	if a.MinAudience != rp.MinAudience {
		t.Errorf("audit min_audience %d, match run's report %d", a.MinAudience, rp.MinAudience)
	}
	if rp.AudienceSize == nil {
		if code == exitOK {
			t.Error("match run's report of a released audience has no audience_size")
		}
	} else if r := privacy.Round(a.Exact.Audience); r != *rp.AudienceSize {
		t.Errorf("audit exact audience %d rounds to %d, match run's report says %d", a.Exact.Audience, r, *rp.AudienceSize)
	}
	e := a.Exact
	if e.Rows != rp.Rows || e.Accepted != rp.Accepted || e.Rejected != rp.Rejected || !sameCounts(e.RejectedBy, rp.RejectedBy) {
		t.Errorf("audit exact rows %d, accepted %d, rejected %d %v; match run's report %d, %d, %d %v",
			e.Rows, e.Accepted, e.Rejected, e.RejectedBy, rp.Rows, rp.Accepted, rp.Rejected, rp.RejectedBy)
	}
}

// tallyRejects checks match-beam's rejects file at path (line,reason)
// against match run's report: as many rows, by reason, as it says were
// rejected.
func tallyRejects(t *testing.T, path string, rp *privacy.Report) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("rejects: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	if h, err := r.Read(); err != nil || strings.Join(h, ",") != "line,reason" {
		t.Fatalf("rejects: header %q, %v", h, err)
	}
	by := make(map[string]int64)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("rejects: %v", err)
		}
		by[rec[1]]++
	}
	if !sameCounts(by, rp.RejectedBy) {
		t.Errorf("rejects by reason %v, match run's report %v", by, rp.RejectedBy)
	}
}

// sameCounts reports whether a and b hold the same counts, a missing key
// counting as 0.
func sameCounts(a, b map[string]int64) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// matchRun runs match with args (the first is "run") over a copy of the
// case in dir, after its setup, and returns what it did as want/ would
// hold it: exit, stdout, stderr and file.* for each file written, with the
// copy's directory as $DIR.
func matchRun(t *testing.T, dir string, args []string) map[string]string {
	t.Helper()
	tmp := copyCase(t, dir)
	setup(t, dir, tmp)
	before := listDir(t, tmp)
	cmd := exec.Command(matchBin, expand(args, tmp)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("match %s: %v", strings.Join(args, " "), err)
	}
	got := map[string]string{
		"exit":   fmt.Sprintln(cmd.ProcessState.ExitCode()),
		"stdout": stdout.String(),
		"stderr": strings.ReplaceAll(stderr.String(), tmp, "$DIR"),
	}
	for name := range listDir(t, tmp) {
		if !before[name] {
			b, _ := os.ReadFile(filepath.Join(tmp, name))
			got["file."+name] = strings.ReplaceAll(string(b), tmp, "$DIR")
		}
	}
	return got
}

// copyCase copies the files of the case in dir to a new temporary
// directory, its $DIR, and returns it.
func copyCase(t *testing.T, dir string) string {
	t.Helper()
	tmp := t.TempDir()
	ins, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, in := range ins {
		if fi, err := os.Stat(in); err == nil && fi.Mode().IsRegular() {
			b, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(tmp, filepath.Base(in)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return tmp
}

// setup runs the setup lines of the case in dir, if it has any, with match
// over its copy in tmp.
func setup(t *testing.T, dir, tmp string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "setup"))
	if err != nil {
		return
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		runMatch(t, strings.Fields(strings.ReplaceAll(line, "$DIR", tmp))...)
	}
}

// expand returns args with $DIR replaced by tmp.
func expand(args []string, tmp string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, "$DIR", tmp)
	}
	return out
}

// fixedHistory writes a history file of the privacy guards with a fixed
// salt and secret, and returns its path.
func fixedHistory(t *testing.T) string {
	t.Helper()
	salt, secret := make([]byte, 32), make([]byte, 32)
	for i := range salt {
		salt[i], secret[i] = byte(i), byte(100+i)
	}
	b, _ := json.Marshal(map[string]any{"version": 2, "salt": salt, "secret": secret, "lists": map[string]any{}})
	path := filepath.Join(t.TempDir(), "history.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// setFlag returns a copy of args with the flag name set to v: its value
// replaced, or the flag added.
func setFlag(args []string, name, v string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if a == name && i+1 < len(out) {
			out[i+1] = v
			return out
		}
		if strings.HasPrefix(a, name+"=") {
			out[i] = name + "=" + v
			return out
		}
	}
	return append(out, name, v)
}

// runMatch runs the root's match command, which must succeed.
func runMatch(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(matchBin, args...).CombinedOutput(); err != nil {
		t.Fatalf("match %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// readArgs reads a golden case's args: one argument a line.
func readArgs(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// readWant reads a golden case's want/: exit, stdout, stderr and file.*.
func readWant(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := make(map[string]string)
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		want[e.Name()] = string(b)
	}
	return want
}

// flagValue returns the value of the flag name in args ("--name value" or
// "--name=value"), or "".
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func listDir(t *testing.T, dir string) map[string]bool {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]bool)
	for _, e := range es {
		m[e.Name()] = true
	}
	return m
}
