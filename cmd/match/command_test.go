package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParse_BeforeFiles checks that each command refuses a bad flag before
// it opens any file: every file named here is missing, yet the message is
// about the flag, and no file is created.
func TestParse_BeforeFiles(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"hash/format", []string{"hash", "--in", "$DIR/nope.csv", "--format", "sha1", "--out", "$DIR/out.csv"}, `--format "sha1": want e164, digits or uid2`},
		{"hash/region", []string{"hash", "--in", "$DIR/nope.csv", "--region", "XX"}, `--region "XX": not a region code`},
		{"run/build-side", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--build-side", "left", "--out", "$DIR/out.csv"}, `--build-side "left": want users, list or auto`},
		{"run/policy", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--consent", "$DIR/nope.db", "--policy", "opt-maybe"}, `--policy "opt-maybe": want opt-out or opt-in`},
		{"run/purpose", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--purpose", "ads"}, `run: --purpose needs --consent`},
		{"run/blank-purpose", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--consent", "$DIR/nope.db", "--purpose", " "}, `--purpose " ": want a purpose name`},
		{"run/min-audience", []string{"run", "--index", "$DIR/nope.idx", "--list", "$DIR/nope.csv", "--min-audience", "-1"}, `run: --min-audience -1: want 0 or more`},
		{"run/history", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--history", "$DIR/history"}, `run: --advertiser and --history go together`},
		{"run/key-file", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--key-file", "$DIR/nope.key"}, `run: --key-file goes with --index`},
		{"prune/policy", []string{"prune", "--audience", "$DIR/nope.csv", "--consent", "$DIR/nope.db", "--policy", "all"}, `--policy "all": want opt-out or opt-in`},
		{"index-build/out", []string{"index", "build", "--users", "$DIR/nope.csv", "--key-file", "$DIR/nope.key", "--out", "-"}, `--out must be a file`},
		{"consent-import/batch", []string{"consent", "import", "--db", "$DIR/new.db", "--batch", "0", "$DIR/nope.csv"}, `--batch 0: want at least 1`},
		{"consent-set/choice", []string{"consent", "set", "--db", "$DIR/new.db", "--user", "u1", "--choice", "maybe"}, `--choice "maybe": want opt-out or opt-in`},
		{"consent-get/db", []string{"consent", "get", "--user", "u1"}, `missing --db`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, nil, &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), exitUsage, c.want)
			}
			if es, _ := os.ReadDir(dir); len(es) > 0 {
				t.Errorf("files made: %v", filepath.Join(dir, es[0].Name()))
			}
		})
	}
}
