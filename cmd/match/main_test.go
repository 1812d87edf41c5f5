package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/cli")

// TestGolden runs each case of testdata/cli/<case>: the file "args" holds
// the command line (one argument a line; $DIR is the case's copy in a
// temporary directory), and want/ holds the expected exit status, stdout,
// stderr and every file the command writes. An optional file "setup" holds
// commands to run first, one a line, arguments separated by spaces (such as
// a "consent import" that makes the ledger a "run --consent" reads); each
// must succeed. Ledgers (*.db) are binary and not compared: cases read them
// back with "consent export" or "consent get". The command reads the case's
// file "stdin.csv", if it has one, on stdin. Run with -update to rewrite
// want/ after a deliberate change, and review the diff.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("../../testdata/cli/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			ins, _ := filepath.Glob(filepath.Join(dir, "*"))
			for _, in := range ins {
				if fi, err := os.Stat(in); err == nil && fi.Mode().IsRegular() {
					b, _ := os.ReadFile(in)
					os.WriteFile(filepath.Join(tmp, filepath.Base(in)), b, 0o644)
				}
			}
			if setup, err := os.ReadFile(filepath.Join(dir, "setup")); err == nil {
				for _, line := range strings.Split(strings.TrimSpace(string(setup)), "\n") {
					args := strings.Fields(strings.ReplaceAll(line, "$DIR", tmp))
					var stderr bytes.Buffer
					if code := run(context.Background(), args, strings.NewReader(""), io.Discard, &stderr); code != 0 {
						t.Fatalf("setup %q: exit %d: %s", line, code, &stderr)
					}
				}
			}
			before := listDir(t, tmp)
			raw, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			var args []string
			for _, a := range strings.Fields(strings.ReplaceAll(string(raw), " ", "\x00")) {
				a = strings.ReplaceAll(a, "\x00", " ")
				args = append(args, strings.ReplaceAll(a, "$DIR", tmp))
			}
			stdin, _ := os.ReadFile(filepath.Join(dir, "stdin.csv"))
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, bytes.NewReader(stdin), &stdout, &stderr)

			got := map[string]string{
				"exit":   strconv.Itoa(code) + "\n",
				"stdout": stdout.String(),
				"stderr": strings.ReplaceAll(stderr.String(), tmp, "$DIR"),
			}
			for name := range listDir(t, tmp) {
				if !before[name] && !strings.HasSuffix(name, ".db") {
					b, _ := os.ReadFile(filepath.Join(tmp, name))
					got["file."+name] = strings.ReplaceAll(string(b), tmp, "$DIR")
				}
			}
			checkNoRawPhones(t, dir, got)
			checkNoEmails(t, dir, got)
			compareGolden(t, filepath.Join(dir, "want"), got)
		})
	}
}

func listDir(t *testing.T, dir string) map[string]bool {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, e := range es {
		m[e.Name()] = true
	}
	return m
}

func compareGolden(t *testing.T, wantDir string, got map[string]string) {
	t.Helper()
	if *update {
		os.RemoveAll(wantDir)
		os.MkdirAll(wantDir, 0o755)
		for name, s := range got {
			if err := os.WriteFile(filepath.Join(wantDir, name), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	es, err := os.ReadDir(wantDir)
	if err != nil {
		t.Fatalf("no golden files (run go test -update): %v", err)
	}
	want := map[string]string{}
	for _, e := range es {
		b, _ := os.ReadFile(filepath.Join(wantDir, e.Name()))
		want[e.Name()] = string(b)
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: not produced, want:\n%s", name, w)
		} else if g != w {
			t.Errorf("%s:\n--- got\n%s--- want\n%s", name, g, w)
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: produced but not expected:\n%s", name, g)
		}
	}
}

var (
	digitRun   = regexp.MustCompile(`\d[\d\s().-]{6,}\d`)
	emailLike  = regexp.MustCompile(`[^\s,"]+@[^\s,"]*`)
	digestLike = regexp.MustCompile(`[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=`)
)

// checkNoEmails asserts that a "match run" case writes no email address
// nor digest of its inputs, lower case or not, to any output or to stderr.
func checkNoEmails(t *testing.T, dir string, got map[string]string) {
	t.Helper()
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if !strings.HasPrefix(string(args), "run\n") {
		return
	}
	ins, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	for _, in := range ins {
		b, _ := os.ReadFile(in)
		found := append(emailLike.FindAllString(string(b), -1), digestLike.FindAllString(string(b), -1)...)
		for _, m := range found {
			local, _, _ := strings.Cut(strings.ToLower(m), "@")
			if len(local) < 3 {
				continue
			}
			for name, s := range got {
				if strings.Contains(strings.ToLower(s), local) {
					t.Errorf("%s contains %q, part of an identifier of %s", name, local, filepath.Base(in))
				}
			}
		}
	}
}

// checkNoRawPhones asserts that a "match run" case writes no phone number
// of its inputs, in any form, to any output or to stderr.
func checkNoRawPhones(t *testing.T, dir string, got map[string]string) {
	t.Helper()
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if !strings.HasPrefix(string(args), "run\n") {
		return
	}
	ins, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	for _, in := range ins {
		b, _ := os.ReadFile(in)
		for _, m := range digitRun.FindAllString(string(b), -1) {
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, m)
			if len(digits) < 7 {
				continue
			}
			national := digits[len(digits)-7:] // the subscriber part is in every format
			for name, s := range got {
				if strings.Contains(s, national) {
					t.Errorf("%s contains %q, part of a phone of %s", name, national, filepath.Base(in))
				}
			}
		}
	}
}
