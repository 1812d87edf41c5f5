package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

// psiRun is one command of a test: its exit status and what it wrote.
type psiRun struct {
	code           int
	stdout, stderr string
}

func runPsi(t *testing.T, args ...string) psiRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, nil, &stdout, &stderr)
	return psiRun{code, stdout.String(), stderr.String()}
}

// caseArgs returns the arguments of a golden case, $DIR replaced by dir.
func caseArgs(t *testing.T, caseDir, dir string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(caseDir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, a := range strings.Fields(string(raw)) {
		args = append(args, strings.ReplaceAll(a, "$DIR", dir))
	}
	return args
}

// copyCase copies a golden case's input files to a new directory and runs
// its setup there.
func copyCase(t *testing.T, caseDir string) string {
	t.Helper()
	dir := t.TempDir()
	ins, _ := filepath.Glob(filepath.Join(caseDir, "*"))
	for _, in := range ins {
		if fi, err := os.Stat(in); err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(in)
			os.WriteFile(filepath.Join(dir, filepath.Base(in)), b, 0o644)
		}
	}
	if setup, err := os.ReadFile(filepath.Join(caseDir, "setup")); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(setup)), "\n") {
			if r := runPsi(t, strings.Fields(strings.ReplaceAll(line, "$DIR", dir))...); r.code != 0 {
				t.Fatalf("setup %q: exit %d: %s", line, r.code, r.stderr)
			}
		}
	}
	return dir
}

// psiArgs turns the arguments of a match run into those of the three psi
// steps: the users and the key for psi users; the list, its region and
// its rejects for psi list; the exclusions, guards and outputs for psi
// finish, each output renamed with the prefix "psi-".
func psiArgs(t *testing.T, runCmd []string, dir string) (users, list, finish []string) {
	t.Helper()
	key := filepath.Join(dir, "platform.key")
	os.WriteFile(key, bytes.Repeat([]byte("k"), 32), 0o600)
	u, r := filepath.Join(dir, "u.psi"), filepath.Join(dir, "reply.psi")
	renamed := func(v string) string { return filepath.Join(dir, "psi-"+filepath.Base(v)) }
	users = []string{"psi", "users", "--key-file", key, "--out", u}
	list = []string{"psi", "list", "--users", u, "--out", r}
	finish = []string{"psi", "finish", "--key-file", key, "--reply", r}
	for i := 1; i < len(runCmd); i++ {
		name, value := runCmd[i], ""
		if i+1 < len(runCmd) {
			value = runCmd[i+1]
		}
		switch name {
		case "--users":
			users = append(users, name, value)
			finish = append(finish, name, value)
		case "--list":
			list = append(list, name, value)
		case "--region":
			users = append(users, name, value)
			list = append(list, name, value)
		case "--rejects":
			list = append(list, name, renamed(value))
		case "--out", "--report", "--audit":
			finish = append(finish, name, renamed(value))
		case "--hash-format", "--email-hash-format":
			// psi hashes no list to a format, but matches emails in
			// the normal form of match run's email format, which the
			// platform chooses in psi users.
			email, _ := parseEmailFormat(name, "", normalize.E164Hex)
			if name == "--email-hash-format" {
				email, _ = parseEmailFormat(name, value, normalize.E164Hex)
			} else if f, err := normalize.ParseFormat(value); err == nil {
				email = normalize.EmailFormatFor(f)
			}
			users = append(users, "--email-format", email.String())
		case "--build-side":
			// The join is psi's.
		case "--allow-new-purpose":
			finish = append(finish, name)
			continue
		default:
			finish = append(finish, name, value)
		}
		i++
	}
	return users, list, finish
}

// sortedLines returns the lines of s, its header first, the rest sorted.
func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) > 1 {
		slices.Sort(lines[1:])
	}
	return lines
}

// reportOf returns a report without its list's name, which psi finish
// gives as the reply's.
func reportOf(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("report: %v\n%s", err, b)
	}
	delete(m, "list")
	return m
}

// auditOf returns the decision and the exact figures of an audit log's
// one record.
func auditOf(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("audit: %v\n%s", err, b)
	}
	return map[string]any{"decision": m["decision"], "exact": m["exact"], "reported": m["reported_audience_size"],
		"min_audience": m["min_audience"]}
}

// psiCannot are the golden run cases private matching cannot take, and
// why: each is refused by psi list with exit 2.
var psiCannot = map[string]string{
	"run-digits":            "a column of hashes",
	"run-uid2":              "a column of hashes",
	"run-hashed":            "a column of hashes",
	"run-hashed-side-list":  "a column of hashes",
	"run-hashed-side-users": "a column of hashes",
	"run-keys-hashed":       "a column of hashes",
	"run-google-hashed":     "holds a hash", // digests in raw columns
	"run-meta-hashed":       "holds a hash",
}

// TestPsi_SameAsRun runs every golden case of match run (testdata/cli/run-*)
// through the three psi steps, and match run itself with an audit log:
// the same exit status, audience (as a set: psi gives it in the users'
// order), report (but the list's name, and the hash format: psi takes no
// digests), rejects and audit decision and figures, the rows matched
// aside for a list of several identifiers a row (psi counts a matched
// identifier as a matched row: see psiStats). A case of a hashed list is
// refused by psi list, exit 2 (psiCannot). No phone or address of the
// case reaches any psi output or message.
func TestPsi_SameAsRun(t *testing.T) {
	cases, _ := filepath.Glob("../../testdata/cli/run-*")
	if len(cases) == 0 {
		t.Fatal("no golden run cases")
	}
	cases = append(cases, "demo-guarded")
	for _, caseDir := range cases {
		t.Run(filepath.Base(caseDir), func(t *testing.T) {
			t.Parallel()
			var dir string
			var args []string
			if caseDir == "demo-guarded" {
				// The guards on, with a history each (psi's list sketch
				// differs from run's in its rows that match no one, so
				// one history would see two lists close to each other).
				caseDir = "../../testdata/cli/run-demo"
				dir = copyCase(t, caseDir)
				hist, _ := os.ReadFile("../../testdata/demo/history.json")
				os.WriteFile(filepath.Join(dir, "history.json"), hist, 0o644)
				os.WriteFile(filepath.Join(dir, "psi-history.json"), hist, 0o644)
				args = caseArgs(t, caseDir, dir)
				args = slices.DeleteFunc(args, func(a string) bool { return a == "--min-audience" || a == "--epsilon" || a == "0" })
				args = append(args, "--min-audience", "10", "--epsilon", "1", "--advertiser", "demo")
			} else {
				dir = copyCase(t, caseDir)
				args = caseArgs(t, caseDir, dir)
			}
			users, list, finish := psiArgs(t, args, dir)
			if slices.Contains(args, "demo") {
				finish = append(finish, "--history", filepath.Join(dir, "psi-history.json"))
				args = append(args, "--history", filepath.Join(dir, "history.json"))
			}
			args = append(args, "--audit", filepath.Join(dir, "audit.jsonl"))
			finish = append(finish, "--audit", filepath.Join(dir, "psi-audit.jsonl"))

			want := runPsi(t, args...)
			got := map[string]string{}
			r1 := runPsi(t, users...)
			if r1.code != 0 {
				t.Fatalf("psi users: exit %d: %s", r1.code, r1.stderr)
			}
			r2 := runPsi(t, list...)
			got["stderr"] = r1.stderr + r2.stderr
			if why, ok := psiCannot[filepath.Base(caseDir)]; ok {
				if r2.code != exitUsage || !strings.Contains(r2.stderr, why) || !strings.Contains(r2.stderr, "private matching starts from raw") {
					t.Errorf("psi list of hashes: exit %d, %q; want exit 2, %q", r2.code, r2.stderr, why)
				}
				checkNoRawPhones(t, caseDir, got)
				checkNoEmails(t, caseDir, got)
				return
			}
			if r2.code != 0 {
				t.Fatalf("psi list: exit %d: %s", r2.code, r2.stderr)
			}
			r3 := runPsi(t, finish...)
			got["stderr"] += r3.stderr
			got["stdout"] = r3.stdout
			if r3.code != want.code {
				t.Fatalf("psi finish: exit %d, match run %d\npsi: %s\nrun: %s", r3.code, want.code, r3.stderr, want.stderr)
			}
			if g, w := sortedLines(r3.stdout), sortedLines(want.stdout); !slices.Equal(g, w) {
				t.Errorf("stdout: psi %q, run %q", g, w)
			}
			for _, name := range []string{"audience.csv", "rejects.csv", "report.json"} {
				w, werr := os.ReadFile(filepath.Join(dir, name))
				g, gerr := os.ReadFile(filepath.Join(dir, "psi-"+name))
				got[name] = string(g)
				switch {
				case (werr == nil) != (gerr == nil):
					t.Errorf("%s: psi made it: %v, run: %v", name, gerr == nil, werr == nil)
				case werr != nil:
				case name == "report.json":
					g, w := reportOf(t, g), reportOf(t, w)
					if f, ok := g["hash_format"]; ok {
						t.Errorf("report: psi gives hash_format %v; it takes no digests", f)
					}
					delete(w, "hash_format")
					if slices.Contains(args, "--history") {
						// The noise is drawn from the list's sketch,
						// which psi sees only in part: another draw.
						for _, m := range []map[string]any{g, w} {
							delete(m, "audience_size")
							delete(m, "match_rate")
						}
					}
					if !equalJSON(g, w) {
						t.Errorf("report: psi %v\nrun %v", g, w)
					}
				case name == "audience.csv":
					if g, w := sortedLines(string(g)), sortedLines(string(w)); !slices.Equal(g, w) {
						t.Errorf("audience: psi %q\nrun %q", g, w)
					}
				case !bytes.Equal(g, w):
					t.Errorf("%s: psi %q\nrun %q", name, g, w)
				}
			}
			g, w := auditOf(t, filepath.Join(dir, "psi-audit.jsonl")), auditOf(t, filepath.Join(dir, "audit.jsonl"))
			if caseDir == "../../testdata/cli/run-demo" && slices.Contains(args, "--history") {
				// Noise drawn from the list's sketch: the same decision,
				// not the same noisy size.
				g, w = map[string]any{"decision": g["decision"]}, map[string]any{"decision": w["decision"]}
			}
			ge, _ := g["exact"].(map[string]any)
			we, _ := w["exact"].(map[string]any)
			if ge != nil && we != nil && listHeaderOf(t, dir) != "phone" {
				// Rows matched: psi knows matched identifiers, not rows.
				gm, wm := ge["matched"].(float64), we["matched"].(float64)
				if gm < wm || gm+ge["unmatched"].(float64) != we["matched"].(float64)+we["unmatched"].(float64) {
					t.Errorf("audit: psi matched %v unmatched %v, run %v and %v: want psi's matched at least run's, the same sum",
						gm, ge["unmatched"], wm, we["unmatched"])
				}
				for _, m := range []map[string]any{ge, we} {
					delete(m, "matched")
					delete(m, "unmatched")
				}
			}
			if !equalJSON(g, w) {
				t.Errorf("audit: psi %v\nrun %v", g, w)
			}
			checkNoRawPhones(t, caseDir, got)
			checkNoEmails(t, caseDir, got)
		})
	}
}

// listHeaderOf returns "phone" if the list of the case copied to dir is
// one raw phone column (and country), else "keys".
func listHeaderOf(t *testing.T, dir string) string {
	t.Helper()
	l, err := openList(filepath.Join(dir, "list.csv"), nil, nil, normalize.E164Hex, normalize.EmailHex)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.kind()
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// psiDemo runs psi users and psi list on the demo's files and returns the
// directory, with u.psi, reply.psi and platform.key in it.
func psiDemo(t *testing.T) string {
	t.Helper()
	return psiCase(t, "../../testdata/cli/run-demo", "email")
}

// psiCase runs psi users, with --email-format email, and psi list on the
// files of a golden case and returns the directory, with u.psi,
// reply.psi and platform.key in it.
func psiCase(t *testing.T, caseDir, email string) string {
	t.Helper()
	dir := copyCase(t, caseDir)
	users, list, _ := psiArgs(t, []string{"run", "--users", filepath.Join(dir, "users.csv"), "--list", filepath.Join(dir, "list.csv")}, dir)
	users = append(users, "--email-format", email)
	for _, args := range [][]string{users, list} {
		if r := runPsi(t, args...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args[:2], r.code, r.stderr)
		}
	}
	return dir
}

// TestPsi_NoIdentifiers scans the users' file and the reply for every
// phone and email address of the user base and the list, in every form:
// a phone's E.164 string and its digits, an address trimmed and
// lower-cased and in UID2's form (both email families), and the SHA-256
// of each of these, raw (and its first 8 bytes), in hex and in base64.
// None may be there: for the demo (phones), and for a list of several
// phones and emails a row with emails in either normal form.
func TestPsi_NoIdentifiers(t *testing.T) {
	for _, c := range []struct {
		caseDir, email string
		phones, emails int // the least identifiers the case must have
	}{
		{"../../testdata/cli/run-demo", "email", 20, 0},
		{"../../testdata/cli/run-keys", "email", 10, 15},
		{"../../testdata/cli/run-keys", "email-uid2", 10, 15},
	} {
		t.Run(filepath.Base(c.caseDir)+"/"+c.email, func(t *testing.T) {
			dir := psiCase(t, c.caseDir, c.email)
			var forms []string
			add := func(s string) {
				d := sha256.Sum256([]byte(s))
				forms = append(forms, s, string(d[:]), string(d[:8]), hex.EncodeToString(d[:]), hex.EncodeToString(d[:8]),
					base64.StdEncoding.EncodeToString(d[:]), base64.StdEncoding.EncodeToString(d[:6]))
			}
			phones, emails := 0, 0
			for _, csv := range []string{"users.csv", "list.csv"} {
				// A user base reads as a list: its user_id is no
				// identifier column.
				in, err := openList(filepath.Join(dir, csv), nil, nil, normalize.E164Hex, normalize.EmailHex)
				if err != nil {
					t.Fatal(err)
				}
				for e := range in.entries {
					if e.Err != nil {
						continue
					}
					region := e.Region
					if region == "" {
						region = normalize.DefaultRegion
					}
					keys := append([]matcher.Key{{Kind: normalize.KindPhone, Value: e.Phone}}, e.Keys...)
					for _, k := range keys {
						if k.Kind == normalize.KindPhone {
							if e164, err := normalize.E164(k.Value, region); err == nil {
								phones++
								add(e164)
								add(e164[1:])
							}
							continue
						}
						for _, f := range []normalize.Format{normalize.EmailHex, normalize.EmailUID2} {
							if m, err := normalize.Email(k.Value, f); err == nil {
								emails++
								add(m)
							}
						}
					}
				}
				in.Close()
			}
			if phones < c.phones || emails < c.emails {
				t.Fatalf("%d phones and %d email forms read, want %d and %d or more", phones, emails, c.phones, c.emails)
			}
			for _, name := range []string{"u.psi", "reply.psi"} {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range forms {
					if bytes.Contains(b, []byte(f)) {
						t.Errorf("%s holds %x, a form of a phone or an address", name, f)
					}
				}
			}
		})
	}
}

// TestPsi_BadFiles: a damaged, truncated, extended, reordered or foreign
// file, or one of the wrong step, is refused with exit 2 and a message
// that names the file, and nothing is written.
func TestPsi_BadFiles(t *testing.T) {
	dir := psiDemo(t)
	u, _ := os.ReadFile(filepath.Join(dir, "u.psi"))
	reply, _ := os.ReadFile(filepath.Join(dir, "reply.psi"))
	users, _ := os.ReadFile(filepath.Join(dir, "users.csv"))
	flip := func(b []byte, i int) []byte { b = slices.Clone(b); b[i] ^= 1; return b }
	// version marks a file of another version (psi's TestReader_Version1
	// reads real files of version 1): refused as such, before the rest.
	version := func(b []byte, v byte) []byte { b = slices.Clone(b); b[8] = v; return b }
	maxUsers := filepath.Join(dir, "max-users.out")
	if r := runPsi(t, "psi", "list", "--list", filepath.Join(dir, "list.csv"), "--users", filepath.Join(dir, "u.psi"),
		"--out", maxUsers, "--max-users", "28"); r.code != exitUsage || !strings.Contains(r.stderr, "29 users' identifiers, more than --max-users 28") {
		t.Errorf("--max-users 28 of 29: exit %d, stderr %q; want exit 2", r.code, r.stderr)
	}
	if _, err := os.Stat(maxUsers); err == nil {
		t.Errorf("%s written", maxUsers)
	}
	// swap swaps the elements at offsets i and j, which must differ: the
	// list's elements are sorted, and equal for a phone on two rows.
	swap := func(b []byte, i, j int) []byte {
		if bytes.Equal(b[i:i+32], b[j:j+32]) {
			t.Fatalf("elements at %d and %d are equal: swapping them changes nothing", i, j)
		}
		b = slices.Clone(b)
		x := slices.Clone(b[i : i+32])
		copy(b[i:], b[j:j+32])
		copy(b[j:], x)
		return b
	}
	first := func(b []byte, n int) int { return len(b) - 32 - 32*n } // the first element of a file of n
	nu, nr := 29, 27+29
	for _, c := range []struct {
		name, step string // step: "list" reads u.psi, "finish" reads reply.psi
		bytes      []byte
	}{
		{"users/header", "list", flip(u, 9)},
		{"users/count", "list", flip(u, 80)},
		{"users/element", "list", flip(u, first(u, nu)+40)},
		{"users/trailer", "list", flip(u, len(u)-1)},
		{"users/truncated", "list", u[:len(u)/2]},
		{"users/truncated-trailer", "list", u[:len(u)-1]},
		{"users/extended", "list", append(slices.Clone(u), 0)},
		{"users/reordered", "list", swap(u, first(u, nu), first(u, nu)+32)},
		{"users/empty", "list", nil},
		{"users/csv", "list", users},
		{"users/a-reply", "list", reply},
		{"reply/header", "finish", flip(reply, 50)},
		{"reply/element", "finish", flip(reply, first(reply, nr)+3)},
		{"reply/trailer", "finish", flip(reply, len(reply)-5)},
		{"reply/truncated", "finish", reply[:len(reply)-100]},
		{"reply/extended", "finish", append(slices.Clone(reply), '\n')},
		{"reply/reordered-list", "finish", swap(reply, first(reply, nr), first(reply, 29)-32)},
		{"reply/reordered-users", "finish", swap(reply, first(reply, 29), first(reply, 29)+32)},
		{"reply/csv", "finish", users},
		{"reply/users-file", "finish", u},
		{"users/version-1", "list", version(u, 1)},
		{"reply/version-1", "finish", version(reply, 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := filepath.Join(dir, strings.ReplaceAll(c.name, "/", "-")+".psi")
			os.WriteFile(bad, c.bytes, 0o644)
			out := filepath.Join(dir, strings.ReplaceAll(c.name, "/", "-")+".out")
			var args []string
			if c.step == "list" {
				args = []string{"psi", "list", "--list", filepath.Join(dir, "list.csv"), "--users", bad, "--out", out}
			} else {
				args = []string{"psi", "finish", "--users", filepath.Join(dir, "users.csv"), "--key-file", filepath.Join(dir, "platform.key"),
					"--reply", bad, "--out", out, "--report", out + ".json", "--min-audience", "0", "--epsilon", "0"}
			}
			r := runPsi(t, args...)
			if r.code != exitUsage || !strings.HasPrefix(r.stderr, "match: "+bad+": ") || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line about %s", r.code, r.stderr, bad)
			}
			for _, o := range []string{out, out + ".json"} {
				if _, err := os.Stat(o); err == nil {
					t.Errorf("%s written", o)
				}
			}
			checkNoRawPhones(t, "../../testdata/cli/run-demo", map[string]string{"stderr": r.stderr})
		})
	}
}

// TestPsi_OtherUsersOrKey: psi finish refuses, exit 2, a user base that
// is not the one U.psi was made from, and a key that is not the one.
func TestPsi_OtherUsersOrKey(t *testing.T) {
	dir := psiDemo(t)
	users, _ := os.ReadFile(filepath.Join(dir, "users.csv"))
	other := filepath.Join(dir, "other-users.csv")
	os.WriteFile(other, bytes.Replace(users, []byte("u001,"), []byte("u999,"), 1), 0o644)
	otherKey := filepath.Join(dir, "other.key")
	os.WriteFile(otherKey, bytes.Repeat([]byte("o"), 32), 0o600)
	for _, c := range []struct{ name, users, key, want string }{
		{"users", other, filepath.Join(dir, "platform.key"), other + ": not the user base"},
		{"key", filepath.Join(dir, "users.csv"), otherKey, "psi key mismatch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+"-audience.csv")
			r := runPsi(t, "psi", "finish", "--users", c.users, "--key-file", c.key, "--reply", filepath.Join(dir, "reply.psi"),
				"--out", out, "--min-audience", "0", "--epsilon", "0")
			if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s written", out)
			}
		})
	}
}

// TestPsi_Flags: bad invocations are refused before any file is opened.
func TestPsi_Flags(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"users/stdin", []string{"psi", "users", "--users", "-", "--key-file", "$DIR/k", "--out", "$DIR/u.psi"}, "--users must be a file"},
		{"users/gz", []string{"psi", "users", "--users", "$DIR/u.csv", "--key-file", "$DIR/k", "--out", "$DIR/u.psi.gz"}, "does not compress"},
		{"users/out-is-input", []string{"psi", "users", "--users", "$DIR/u.csv", "--key-file", "$DIR/k", "--out", "$DIR/u.csv"}, "--out"},
		{"list/two-keys", []string{"psi", "list", "--list", "$DIR/l.csv", "--users", "$DIR/u.psi", "--key-file", "$DIR/k", "--save-key", "$DIR/k2", "--out", "$DIR/r.psi"}, "--save-key"},
		{"list/stdin-twice", []string{"psi", "list", "--list", "-", "--users", "-", "--out", "$DIR/r.psi"}, "both read stdin"},
		{"finish/guards", []string{"psi", "finish", "--users", "$DIR/u.csv", "--key-file", "$DIR/k", "--reply", "$DIR/r.psi", "--epsilon", "1"}, "psi finish: the privacy guards need --advertiser and --history"},
		{"finish/policy", []string{"psi", "finish", "--users", "$DIR/u.csv", "--key-file", "$DIR/k", "--reply", "$DIR/r.psi", "--policy", "opt-in", "--min-audience", "0", "--epsilon", "0"}, "--policy needs --consent"},
		{"finish/missing-reply", []string{"psi", "finish", "--users", "$DIR/u.csv", "--key-file", "$DIR/k"}, "missing --reply"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			r := runPsi(t, args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, c.want)
			}
			if es, _ := os.ReadDir(dir); len(es) > 0 {
				t.Errorf("files made: %v", es[0].Name())
			}
		})
	}
}

// TestPsi_SaveKey: a saved advertiser key is private to its owner and
// makes the same reply's list elements again.
func TestPsi_SaveKey(t *testing.T) {
	dir := psiDemo(t)
	key := filepath.Join(dir, "adv.key")
	list := []string{"psi", "list", "--list", filepath.Join(dir, "list.csv"), "--users", filepath.Join(dir, "u.psi")}
	if r := runPsi(t, append(list, "--out", filepath.Join(dir, "r1.psi"), "--save-key", key)...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("saved key: %v, %v; want 32 bytes, mode 0600", fi, err)
	}
	if r := runPsi(t, append(list, "--out", filepath.Join(dir, "r2.psi"), "--key-file", key)...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r1, _ := os.ReadFile(filepath.Join(dir, "r1.psi"))
	r2, _ := os.ReadFile(filepath.Join(dir, "r2.psi"))
	if !bytes.Equal(r1, r2) {
		t.Error("the same list, users' file and key gave two replies")
	}
	r0, _ := os.ReadFile(filepath.Join(dir, "reply.psi"))
	if bytes.Equal(r0[200:400], r1[200:400]) {
		t.Error("a fresh key and a saved one gave the same list elements")
	}
}

// TestPsi_OnlyRegions: U.psi restricted to the calling codes of some
// regions gives the audience match run gives over the users of those
// codes alone: for phones alone (the demo), over the users whose phone
// has them; with addresses (run-keys), whose addresses are all kept, over
// the users with their other phones blanked, and not match run's over
// every phone (a user named on the list by such a phone only).
func TestPsi_OnlyRegions(t *testing.T) {
	for _, c := range []struct {
		name, caseDir, regions string
		// kept returns a user row (its fields) as match run should see
		// it, and false to drop it, given its phone in E.164 or "".
		kept func(f []string, e164 string) (string, bool)
	}{
		{"phones", "../../testdata/cli/run-demo", "us,GB", func(f []string, e164 string) (string, bool) {
			return strings.Join(f, ","), strings.HasPrefix(e164, "+1") || strings.HasPrefix(e164, "+44")
		}},
		{"emails", "../../testdata/cli/run-keys", "US", func(f []string, e164 string) (string, bool) {
			if e164 != "" && !strings.HasPrefix(e164, "+1") {
				f[1] = ""
			}
			return strings.Join(f, ","), true
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyCase(t, c.caseDir)
			users, _ := os.ReadFile(filepath.Join(dir, "users.csv"))
			lines := strings.Split(strings.TrimSpace(string(users)), "\n")
			kept, changed := []string{lines[0]}, 0
			country := slices.Index(strings.Split(lines[0], ","), "country")
			for _, line := range lines[1:] {
				f := strings.Split(line, ",") // user_id,phone[,email],country
				region := normalize.DefaultRegion
				if f[country] != "" {
					region = f[country]
				}
				e164, _ := normalize.E164(f[1], region)
				k, ok := c.kept(f, e164)
				if ok {
					kept = append(kept, k)
				}
				if !ok || k != line {
					changed++
				}
			}
			if changed < 1 || len(kept) < 5 {
				t.Fatalf("%d of %d users changed, %d kept: the case tests nothing", changed, len(lines)-1, len(kept)-1)
			}
			os.WriteFile(filepath.Join(dir, "kept.csv"), []byte(strings.Join(kept, "\n")+"\n"), 0o644)
			runCmd := []string{"run", "--users", filepath.Join(dir, "users.csv"), "--list", filepath.Join(dir, "list.csv"),
				"--optouts", filepath.Join(dir, "optouts.csv"), "--out", filepath.Join(dir, "audience.csv"), "--min-audience", "0", "--epsilon", "0"}
			u, l, f := psiArgs(t, runCmd, dir)
			u = append(u, "--only-regions", c.regions)
			for _, args := range [][]string{u, l, f, runCmd} {
				if r := runPsi(t, args...); r.code != 0 {
					t.Fatalf("%v: exit %d: %s", args[:2], r.code, r.stderr)
				}
			}
			all, _ := os.ReadFile(filepath.Join(dir, "audience.csv"))
			runCmd[2] = filepath.Join(dir, "kept.csv")
			if r := runPsi(t, runCmd...); r.code != 0 {
				t.Fatalf("run: exit %d: %s", r.code, r.stderr)
			}
			g, _ := os.ReadFile(filepath.Join(dir, "psi-audience.csv"))
			w, _ := os.ReadFile(filepath.Join(dir, "audience.csv"))
			g2, w2, a2 := sortedLines(string(g)), sortedLines(string(w)), sortedLines(string(all))
			if !slices.Equal(g2, w2) || len(w2) < 3 {
				t.Errorf("audience: psi %q\nrun over the kept users %q", g2, w2)
			}
			if slices.Equal(g2, a2) {
				t.Errorf("audience: psi %q is match run's over every user: the case tests nothing", g2)
			}
		})
	}
}

// TestPsi_PhoneColumns: a list of several phone columns and no email
// column gives match run's report, which names no email form, and its
// audience.
func TestPsi_PhoneColumns(t *testing.T) {
	dir := copyCase(t, "../../testdata/cli/run-keys")
	os.WriteFile(filepath.Join(dir, "list.csv"), []byte("phone,phone2,country\n"+
		"(650) 555-0102,+1 650 555 0101,US\n020 7183 8750,,GB\n+1 650 555 0199,12,US\n,,\n"), 0o644)
	runCmd := []string{"run", "--users", filepath.Join(dir, "users.csv"), "--list", filepath.Join(dir, "list.csv"),
		"--out", filepath.Join(dir, "audience.csv"), "--report", filepath.Join(dir, "report.json"), "--min-audience", "0", "--epsilon", "0"}
	u, l, f := psiArgs(t, runCmd, dir)
	for _, args := range [][]string{u, l, f, runCmd} {
		if r := runPsi(t, args...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args[:2], r.code, r.stderr)
		}
	}
	read := func(name string) []byte { b, _ := os.ReadFile(filepath.Join(dir, name)); return b }
	g, w := reportOf(t, read("psi-report.json")), reportOf(t, read("report.json"))
	delete(w, "hash_format")
	if !equalJSON(g, w) || g["list_kind"] != "keys" || g["email_hash_format"] != nil {
		t.Errorf("report: psi %v\nrun %v; want them equal, of a list of kind keys with no email form", g, w)
	}
	if g, w := sortedLines(string(read("psi-audience.csv"))), sortedLines(string(read("audience.csv"))); !slices.Equal(g, w) || len(w) < 4 {
		t.Errorf("audience: psi %q\nrun %q", g, w)
	}
}
