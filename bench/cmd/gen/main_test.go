package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun_Files(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, dir := range dirs {
		var stderr bytes.Buffer
		args := []string{"-seed", "5", "-users", "500", "-list", "400", "-optout-rate", "0.1", "-out", dir}
		if code := run(args, &stderr); code != 0 {
			t.Fatalf("run(%q) = %d, stderr %q", args, code, stderr.String())
		}
	}
	for _, c := range []struct{ name, header string }{
		{"users.csv", "user_id,phone,country\n"},
		{"optouts.csv", "user_id\n"},
		{"list.csv", "phone,country\n"},
	} {
		a, err := os.ReadFile(filepath.Join(dirs[0], c.name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dirs[1], c.name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs with the same flags differ", c.name)
		}
		if !bytes.HasPrefix(a, []byte(c.header)) {
			t.Errorf("%s starts %q, want header %q", c.name, a[:min(len(a), 30)], c.header)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dirs[0], ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %q", left)
	}
}

func TestRun_Usage(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"help", []string{"-h"}, 0, "Usage: gen"},
		{"unknown flag", []string{"-bogus"}, 2, "gen: flag provided but not defined: -bogus"},
		{"bad rate", []string{"-match-rate", "2"}, 2, "gen: -match-rate 2: want 0..1"},
		{"rates above 1", []string{"-match-rate", "0.8", "-bad-rate", "0.3"}, 2, "gen: -match-rate 0.8 plus -bad-rate 0.3"},
		{"negative users", []string{"-users", "-1"}, 2, "gen: -users -1"},
		{"unknown region", []string{"-regions", "US,ZZ"}, 2, `unknown region "ZZ"`},
		{"extra argument", []string{"out"}, 2, `gen: unexpected argument "out"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(c.args, &stderr); code != c.code || !strings.Contains(stderr.String(), c.msg) {
				t.Errorf("run(%q) = %d, stderr %q; want %d and %q", c.args, code, stderr.String(), c.code, c.msg)
			}
		})
	}
}

func TestRun_Unwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"-users", "10", "-list", "10", "-out", file}, &stderr); code != 1 {
		t.Errorf("-out naming a file: exit %d, stderr %q; want 1", code, stderr.String())
	}
}

// TestRun_Mess checks the -mess knob: the default list carries the mess of
// real exports (bytes beyond ASCII), -mess=false writes ASCII only, and
// the users are the same either way.
func TestRun_Mess(t *testing.T) {
	read := func(dir, name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	messy, clean := t.TempDir(), t.TempDir()
	for _, c := range []struct {
		dir  string
		args []string
	}{{messy, nil}, {clean, []string{"-mess=false"}}} {
		var stderr bytes.Buffer
		args := append([]string{"-seed", "5", "-users", "500", "-list", "2000", "-out", c.dir}, c.args...)
		if code := run(args, &stderr); code != 0 {
			t.Fatalf("run(%q) = %d, stderr %q", args, code, stderr.String())
		}
	}
	ascii := func(b []byte) bool {
		for _, c := range b {
			if c >= 0x80 {
				return false
			}
		}
		return true
	}
	if ascii(read(messy, "list.csv")) {
		t.Errorf("the default list is ASCII only: no mess")
	}
	if !ascii(read(clean, "list.csv")) {
		t.Errorf("the -mess=false list holds bytes beyond ASCII")
	}
	if !bytes.Equal(read(messy, "users.csv"), read(clean, "users.csv")) {
		t.Errorf("-mess changes users.csv")
	}
}
