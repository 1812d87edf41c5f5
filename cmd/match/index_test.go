package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// runArgs runs the command and returns its exit status, stdout and stderr.
func runArgs(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestRunIndex_SameAsUsers replays every "run" golden case with --users
// replaced by an index built from that file: every output must be the
// same, byte for byte.
func TestRunIndex_SameAsUsers(t *testing.T) {
	cases, _ := filepath.Glob("../../testdata/cli/run-*")
	if len(cases) < 5 {
		t.Fatalf("only %d run cases", len(cases))
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			var outputs [2]map[string]string
			for i, mode := range []string{"users", "index"} {
				tmp := t.TempDir()
				ins, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
				for _, in := range ins {
					b, _ := os.ReadFile(in)
					os.WriteFile(filepath.Join(tmp, filepath.Base(in)), b, 0o644)
				}
				if setup, err := os.ReadFile(filepath.Join(dir, "setup")); err == nil {
					for _, line := range strings.Split(strings.TrimSpace(string(setup)), "\n") {
						if code, _, stderr := runArgs(strings.Fields(strings.ReplaceAll(line, "$DIR", tmp))...); code != 0 {
							t.Fatalf("setup %q: exit %d: %s", line, code, stderr)
						}
					}
				}
				args := strings.Fields(strings.ReplaceAll(string(raw), "$DIR", tmp))
				if mode == "index" {
					region := "US"
					if j := slices.Index(args, "--region"); j >= 0 {
						region = args[j+1]
					}
					idx := filepath.Join(t.TempDir(), "base.idx")
					if code, _, stderr := runArgs("index", "build", "--users", filepath.Join(tmp, "users.csv"), "--out", idx, "--region", region); code != 0 {
						t.Fatalf("index build: %d %s", code, stderr)
					}
					j := slices.Index(args, "--users")
					args[j], args[j+1] = "--index", idx
					if j := slices.Index(args, "--build-side"); j >= 0 {
						args = slices.Delete(args, j, j+2)
					}
				}
				code, stdout, stderr := runArgs(args...)
				if code != 0 {
					t.Fatalf("--%s: exit %d: %s", mode, code, stderr)
				}
				got := map[string]string{"exit": string(rune('0' + code)), "stdout": stdout,
					"stderr": regexp.MustCompile(`(?m)^match: \S*users.csv: \d+ rows skipped.*\n`).ReplaceAllString(strings.ReplaceAll(stderr, tmp, "$DIR"), "")}
				for _, name := range []string{"audience.csv", "report.json", "rejects.csv"} {
					if b, err := os.ReadFile(filepath.Join(tmp, name)); err == nil {
						got[name] = strings.ReplaceAll(string(b), tmp, "$DIR")
					}
				}
				outputs[i] = got
			}
			for k, v := range outputs[0] {
				if outputs[1][k] != v {
					t.Errorf("%s with --users:\n%s\nwith --index:\n%s", k, v, outputs[1][k])
				}
			}
			if len(outputs[1]) != len(outputs[0]) {
				t.Errorf("outputs with --users %d, with --index %d", len(outputs[0]), len(outputs[1]))
			}
		})
	}
}

func TestIndexCommands(t *testing.T) {
	dir := t.TempDir()
	idx := filepath.Join(dir, "demo.idx")
	rejects := filepath.Join(dir, "rejects.csv")
	code, _, stderr := runArgs("index", "build", "--users", "../../testdata/demo/users.csv", "--out", idx, "--rejects", rejects)
	if code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`users.csv: 31 rows, 30 indexed \(30 users\), 1 rejected\n`).MatchString(stderr) {
		t.Errorf("build summary: %s", stderr)
	}
	if b, _ := os.ReadFile(rejects); string(b) != "line,reason\n27,not a phone number\n" {
		t.Errorf("rejects: %q", b)
	}

	code, stdout, stderr := runArgs("index", "info", idx, "--verify")
	if code != 0 {
		t.Fatalf("info: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"version:     2\n", "rows:        30 ", "users:       30\n", "keys:        29 e164 (and uid2), 29 digits, 0 email (both forms, 0 entries)\n", "bloom:       576 bits, 7 hashes", "verified:    every page"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("info lacks %q:\n%s", want, stdout)
		}
	}
	if code, stdout, _ := runArgs("index", "info", "--json", idx); code != 0 || !strings.Contains(stdout, `"users": 30,`) {
		t.Errorf("info --json: %d %s", code, stdout)
	}

	// A damaged index: a flipped byte in the keys fails the match, exit 2,
	// with a message naming the file and the problem, and no output.
	data, _ := os.ReadFile(idx)
	data[8192+5] ^= 1 // the e164 keys
	bad := filepath.Join(dir, "bad.idx")
	os.WriteFile(bad, data, 0o644)
	out := filepath.Join(dir, "audience.csv")
	code, _, stderr = runArgs("run", "--index", bad, "--list", "../../testdata/demo/list.csv", "--out", out, "--min-audience", "0", "--epsilon", "0")
	if code != 2 || !strings.Contains(stderr, "bad.idx: index file is corrupt: page 1 (offset 8192) fails its checksum") {
		t.Errorf("damaged index: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("damaged index: an audience was written")
	}
	if code, _, stderr := runArgs("index", "info", "--verify", bad); code != 2 || !strings.Contains(stderr, "fails its checksum") {
		t.Errorf("info --verify of a damaged index: exit %d: %s", code, stderr)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--index", filepath.Join(dir, "none.idx"), "--list", "x.csv", "--min-audience", "0", "--epsilon", "0"}, "none.idx: no such file or directory"},
		{[]string{"run", "--index", "../../testdata/demo/users.csv", "--list", "../../testdata/demo/list.csv", "--min-audience", "0", "--epsilon", "0"}, "users.csv: not an index file"},
		{[]string{"run", "--index", idx, "--users", "u.csv", "--list", "x.csv", "--min-audience", "0", "--epsilon", "0"}, "--users and --index both given"},
		{[]string{"run", "--index", idx, "--build-side", "list", "--list", "x.csv", "--min-audience", "0", "--epsilon", "0"}, "--build-side does not apply to --index"},
		{[]string{"index", "info", filepath.Join(dir, "truncated.idx")}, "index file is corrupt: truncated"},
		{[]string{"index", "build", "--users", "../../testdata/demo/users.csv"}, "missing --out"},
		{[]string{"index", "build", "--out", idx}, "missing --users"},
		{[]string{"index", "frob"}, `unknown command "frob"`},
		{[]string{"index", "info"}, "index info: missing the index file"},
	} {
		os.WriteFile(filepath.Join(dir, "truncated.idx"), data[:len(data)-10], 0o644)
		code, _, stderr := runArgs(tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestIndexCommands_Keyed(t *testing.T) {
	dir := t.TempDir()
	key, other := filepath.Join(dir, "index.key"), filepath.Join(dir, "other.key")
	os.WriteFile(key, []byte(strings.Repeat("s", 32)), 0o600)
	os.WriteFile(other, []byte(strings.Repeat("t", 32)), 0o600)
	idx := filepath.Join(dir, "keyed.idx")
	if code, _, stderr := runArgs("index", "build", "--users", "../../testdata/demo/users.csv", "--out", idx, "--key-file", key); code != 0 {
		t.Fatalf("build: %d %s", code, stderr)
	}
	list, optouts := "../../testdata/demo/list.csv", "../../testdata/demo/optouts.csv"
	_, want, _ := runArgs("run", "--users", "../../testdata/demo/users.csv", "--optouts", optouts, "--list", list, "--min-audience", "0", "--epsilon", "0")
	code, got, stderr := runArgs("run", "--index", idx, "--key-file", key, "--optouts", optouts, "--list", list, "--min-audience", "0", "--epsilon", "0")
	if code != 0 || got != want || len(want) < 50 {
		t.Fatalf("keyed run: exit %d %s\ngot  %q\nwant %q", code, stderr, got, want)
	}
	if code, stdout, _ := runArgs("index", "info", idx); code != 0 || !strings.Contains(stdout, "keyed:       true\n") {
		t.Errorf("info: %d %s", code, stdout)
	}
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("abc"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--index", idx, "--list", list, "--min-audience", "0", "--epsilon", "0"}, "the index is keyed; its key is needed"},
		{[]string{"run", "--index", idx, "--key-file", other, "--list", list, "--min-audience", "0", "--epsilon", "0"}, "not the key the index was built with"},
		{[]string{"run", "--index", idx, "--key-file", short, "--list", list, "--min-audience", "0", "--epsilon", "0"}, "key shorter than 32 bytes"},
		{[]string{"run", "--index", idx, "--key-file", filepath.Join(dir, "none.key"), "--list", list, "--min-audience", "0", "--epsilon", "0"}, "none.key: no such file"},
		{[]string{"run", "--users", "u.csv", "--key-file", key, "--list", list, "--min-audience", "0", "--epsilon", "0"}, "--key-file goes with --index"},
		{[]string{"index", "build", "--users", "../../testdata/demo/users.csv", "--out", filepath.Join(dir, "x.idx"), "--key-file", short}, "key shorter than 32 bytes"},
	} {
		code, _, stderr := runArgs(tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestIndexBuild_KeepsOldIndex checks that a build that fails (a read
// error in the middle of the user base, once rows have been indexed)
// leaves the index it would have replaced as it was, and no rejects.
func TestIndexBuild_KeepsOldIndex(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	users := bytes.ReplaceAll(phoneList(200_000), []byte("\n+"), []byte("\nu,+"))
	users = bytes.Replace(users, []byte("phone,country"), []byte("user_id,phone,country"), 1)
	os.WriteFile(p("users.csv"), users, 0o644)
	os.WriteFile(p("cut.csv.gz"), truncate(gzipText(t, users), 0.6), 0o644)
	mustRun(t, "index", "build", "--users", p("users.csv"), "--out", p("base.idx"))
	old, err := os.ReadFile(p("base.idx"))
	if err != nil {
		t.Fatal(err)
	}
	before := listDir(t, dir)
	code, _, stderr := runArgs("index", "build", "--users", p("cut.csv.gz"), "--out", p("base.idx"), "--rejects", p("rejects.csv"))
	if want := "match: " + p("cut.csv.gz") + ": gzip: truncated or corrupt data (unexpected EOF)\n"; code != exitFailure || stderr != want {
		t.Errorf("exit %d, stderr %q; want exit %d, %q", code, stderr, exitFailure, want)
	}
	if now, _ := os.ReadFile(p("base.idx")); !bytes.Equal(now, old) {
		t.Errorf("the index was replaced or removed (%d bytes, was %d)", len(now), len(old))
	}
	if after := listDir(t, dir); len(after) != len(before) {
		t.Errorf("files before %v, after %v", before, after)
	}
}
