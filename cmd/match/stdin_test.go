package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stdinFixtures are small inputs for every command, with a bad row or two,
// so that rejects and summaries are compared too.
var stdinFixtures = map[string]string{
	"users.csv":    "user_id,phone,country\nu1,+16505551234,\nu2,(650) 555-0101,US\nu3,not a phone,\nu4,020 7946 0018,GB\nu5,+14155550100,\n",
	"list.csv":     "phone,country\n650-555-1234,\n+1 650 555 0101,\nnope,\n02079460018,GB\n+14155550100,\n",
	"optouts.csv":  "user_id\nu5\n",
	"audience.csv": "user_id\nu1\nu2\nu4\n",
	"events.csv":   "user_id,purpose,choice,time\nu1,ads,opt-out,2024-05-01T00:00:00Z\nu2,ads,maybe,2024-05-01T00:00:00Z\nu4,ads,opt-out,2024-05-02T00:00:00Z\n",
}

// TestStdin_SameAsFile runs each command with each of its inputs given as
// a file, then as "-" with the file on stdin, and checks that the exit
// status, stdout, stderr (where "stdin" names the input) and every file
// written are the same.
func TestStdin_SameAsFile(t *testing.T) {
	const runCmd = "run --users $USERS --list $LIST --optouts $OPTOUTS --min-audience 0 --epsilon 0 --out $DIR/out.csv --rejects $DIR/rejects.csv --report $DIR/report.json"
	for _, tc := range []struct {
		name  string
		input string // the file read from stdin the second time
		args  string // $USERS, $LIST, ... are the files; the one of input becomes "-"
		setup string // a command to run first, such as one that makes a ledger
	}{
		{name: "hash", input: "list.csv", args: "hash --in $LIST --out $DIR/out.csv --rejects $DIR/rejects.csv"},
		{name: "hash-stdout", input: "list.csv", args: "hash --in $LIST --format uid2"},
		{name: "run-users", input: "users.csv", args: runCmd},
		{name: "run-users-side-users", input: "users.csv", args: runCmd + " --build-side users"},
		{name: "run-users-side-list", input: "users.csv", args: runCmd + " --build-side list"},
		{name: "run-list", input: "list.csv", args: runCmd},
		{name: "run-list-side-list", input: "list.csv", args: runCmd + " --build-side list"},
		{name: "run-optouts", input: "optouts.csv", args: runCmd},
		{name: "run-index-list", input: "list.csv", setup: "index build --users $USERS --out $DIR/base.idx",
			args: "run --index $DIR/base.idx --list $LIST --min-audience 0 --epsilon 0 --rejects $DIR/rejects.csv"},
		{name: "index-build", input: "users.csv", args: "index build --users $USERS --out $DIR/base.idx --rejects $DIR/rejects.csv"},
		{name: "prune", input: "audience.csv", setup: "consent import --db $DIR/consent.db $EVENTS",
			args: "prune --audience $AUDIENCE --consent $DIR/consent.db --out $DIR/out.csv"},
		{name: "consent-import", input: "events.csv", args: "consent import --db $DIR/consent.db --rejects $DIR/rejects.csv $EVENTS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]map[string]string
			for i, fromStdin := range []bool{false, true} {
				dir := t.TempDir()
				expand := func(s string, fromStdin bool) []string {
					for name, body := range stdinFixtures {
						p := filepath.Join(dir, name)
						os.WriteFile(p, []byte(body), 0o644)
						if fromStdin && name == tc.input {
							p = "-"
						}
						s = strings.ReplaceAll(s, "$"+strings.ToUpper(strings.TrimSuffix(name, ".csv")), p)
					}
					return strings.Fields(strings.ReplaceAll(s, "$DIR", dir))
				}
				if tc.setup != "" {
					mustRun(t, expand(tc.setup, false)...)
				}
				stdin := ""
				if fromStdin {
					stdin = stdinFixtures[tc.input]
				}
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), expand(tc.args, fromStdin), strings.NewReader(stdin), &stdout, &stderr)
				g := map[string]string{"exit": string(rune('0' + code)), "stdout": stdout.String()}
				// The summary names the input; index build's second line
				// has the time it took.
				msg := strings.ReplaceAll(stderr.String(), filepath.Join(dir, tc.input), "stdin")
				msg = strings.ReplaceAll(msg, dir, "$DIR")
				if tc.name == "index-build" {
					msg, _, _ = strings.Cut(msg, "\n")
				}
				g["stderr"] = msg
				for _, name := range []string{"out.csv", "rejects.csv", "report.json"} {
					if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
						g[name] = strings.ReplaceAll(strings.ReplaceAll(string(b), filepath.Join(dir, tc.input), "stdin"), dir, "$DIR")
					}
				}
				if strings.Contains(tc.args, "consent.db") {
					_, g["ledger"], _ = runArgs("consent", "export", "--db", filepath.Join(dir, "consent.db"))
				}
				if strings.Contains(tc.args, "--out $DIR/base.idx") {
					_, g["index"], _ = runArgs("run", "--index", filepath.Join(dir, "base.idx"), "--list", filepath.Join(dir, "list.csv"),
						"--min-audience", "0", "--epsilon", "0")
				}
				got[i] = g
			}
			if got[0]["exit"] != "0" {
				t.Fatalf("from the file: exit %s: %s", got[0]["exit"], got[0]["stderr"])
			}
			for k, v := range got[0] {
				if got[1][k] != v {
					t.Errorf("%s from the file:\n%s\nfrom stdin:\n%s", k, v, got[1][k])
				}
			}
			if len(got[0]) != len(got[1]) {
				t.Errorf("outputs from the file %v, from stdin %v", got[0], got[1])
			}
		})
	}
}

// failReader fails the test that reads it.
type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Errorf("stdin read")
	return 0, io.EOF
}

// TestStdin_OnlyOne checks that a command given two inputs on stdin
// refuses before any work: exit 2, stdin unread, no file made.
func TestStdin_OnlyOne(t *testing.T) {
	for _, tc := range []struct {
		name, args, want string
	}{
		{"users-list", "run --users - --list - --min-audience 0 --epsilon 0 --out $DIR/out.csv", "run: --users and --list both read stdin"},
		{"list-optouts", "run --users $DIR/users.csv --list - --optouts - --min-audience 0 --epsilon 0 --out $DIR/out.csv", "run: --list and --optouts both read stdin"},
		{"users-optouts", "run --users /dev/stdin --list $DIR/list.csv --optouts - --min-audience 0 --epsilon 0 --out $DIR/out.csv", "run: --users and --optouts both read stdin"},
		{"index", "run --index - --list $DIR/list.csv --min-audience 0 --epsilon 0", "run: --index must be a file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var stdout, stderr bytes.Buffer
			args := strings.Fields(strings.ReplaceAll(tc.args, "$DIR", dir))
			code := run(context.Background(), args, failReader{t}, &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, &stderr, exitUsage, tc.want)
			}
			if es, _ := os.ReadDir(dir); len(es) > 0 {
				t.Errorf("files made: %v", es[0].Name())
			}
		})
	}
}

// TestStdin_BuildSideAuto checks that --build-side auto streams the side
// read from stdin, which it cannot size without reading it, and builds
// the hash table on the file.
func TestStdin_BuildSideAuto(t *testing.T) {
	dir := t.TempDir()
	for name, body := range stdinFixtures {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	for _, tc := range []struct {
		users, list, side string
	}{
		{"-", filepath.Join(dir, "list.csv"), "list"},
		{filepath.Join(dir, "users.csv"), "-", "users"},
	} {
		o, err := parseRun([]string{"--users", tc.users, "--list", tc.list, "--min-audience", "0", "--epsilon", "0"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		j, err := openRun(o, strings.NewReader(stdinFixtures["users.csv"]), io.Discard, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if j.side != tc.side {
			t.Errorf("--users %s --list %s: side %q, want %q", tc.users, tc.list, j.side, tc.side)
		}
		j.outs.abort()
		j.close()
	}
}

// TestStdin_ConsentImportAgain checks that an import from stdin, which
// keeps no resume point, records every event again when rerun, leaving
// the ledger as it was.
func TestStdin_ConsentImportAgain(t *testing.T) {
	db := filepath.Join(t.TempDir(), "consent.db")
	var ledgers []string
	for range 2 {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"consent", "import", "--db", db, "-"}, strings.NewReader(stdinFixtures["events.csv"]), &stdout, &stderr)
		if want := "match: stdin: 3 lines, 2 accepted, 1 rejected; 2 events recorded in 1 batches\n"; code != 0 || stderr.String() != want {
			t.Errorf("exit %d, stderr %q; want 0, %q", code, &stderr, want)
		}
		_, out, _ := runArgs("consent", "export", "--db", db)
		ledgers = append(ledgers, out)
	}
	if ledgers[0] != ledgers[1] || strings.Count(ledgers[0], "\n") != 3 {
		t.Errorf("ledger after one import:\n%safter two:\n%s", ledgers[0], ledgers[1])
	}
}
