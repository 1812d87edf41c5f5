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
	for name, body := range inputFixtures {
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
		j, err := openRun(o, strings.NewReader(inputFixtures["users.csv"]), io.Discard, io.Discard)
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
		code := run(context.Background(), []string{"consent", "import", "--db", db, "-"}, strings.NewReader(inputFixtures["events.csv"]), &stdout, &stderr)
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
