package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/audiencematch/audiencematch/internal/buildinfo"
	"github.com/audiencematch/audiencematch/privacy"
)

// TestVersion checks match version and match --version: the Go version
// and phonenumbers' version, read from the build.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, stdout, stderr := runArgs(args...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
		for _, want := range []string{"match:        ", "revision:     ", "go:           " + runtime.Version() + "\n", "phonenumbers: v1."} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%v: stdout lacks %q:\n%s", args, want, stdout)
			}
		}
	}
	if code, _, stderr := runArgs("version", "extra"); code != exitUsage || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("version extra: exit %d, stderr %q", code, stderr)
	}
}

// TestRun_AuditEngine checks that match run's audit record names the
// engine that decided: the build, on one line.
func TestRun_AuditEngine(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	mustRun(t, "run", "--users", "../../testdata/demo/users.csv", "--list", "../../testdata/demo/list.csv",
		"--min-audience", "0", "--epsilon", "0", "--out", filepath.Join(t.TempDir(), "a.csv"), "--audit", audit)
	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	var a privacy.Audit
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	if want := buildinfo.Read("match").String(); a.Version != want || !strings.Contains(string(b), `"engine":"match `) {
		t.Errorf("audit engine %q, want %q: %s", a.Version, want, b)
	}
}
