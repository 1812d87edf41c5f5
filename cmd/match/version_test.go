package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

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

// TestBuild checks what match version and the audit say of builds with
// and without VCS stamping, and with phonenumbers replaced.
func TestBuild(t *testing.T) {
	rev := "1809186c3f2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c"
	pn := &debug.Module{Path: phonenumbersPath, Version: "v1.8.1"}
	for _, tc := range []struct {
		name       string
		info       *debug.BuildInfo
		text, line string
	}{
		{"stamped", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Deps: []*debug.Module{pn},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}},
			"match:        v1.2.0\nrevision:     " + rev + "\ngo:           go1.26.8\nphonenumbers: v1.8.1\n",
			"match v1.2.0, revision 1809186c3f2a, go1.26.8, phonenumbers v1.8.1"},
		{"modified", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Deps: []*debug.Module{pn},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}},
			"match:        (devel)\nrevision:     " + rev + " (modified)\ngo:           go1.26.8\nphonenumbers: v1.8.1\n",
			"match (devel), revision 1809186c3f2a (modified), go1.26.8, phonenumbers v1.8.1"},
		{"unstamped", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Deps: []*debug.Module{pn}},
			"match:        (devel)\nrevision:     unknown (built without VCS stamping)\ngo:           go1.26.8\nphonenumbers: v1.8.1\n",
			"match (devel), go1.26.8, phonenumbers v1.8.1"},
		{"replaced", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"},
			Deps: []*debug.Module{{Path: phonenumbersPath, Version: "v1.8.1", Replace: &debug.Module{Path: "../phonenumbers"}}}},
			"match:        v1.2.0\nrevision:     unknown (built without VCS stamping)\ngo:           go1.26.8\nphonenumbers: v1.8.1 => ../phonenumbers\n",
			"match v1.2.0, go1.26.8, phonenumbers v1.8.1 => ../phonenumbers"},
		{"no info", nil,
			"match:        unknown\nrevision:     unknown (built without VCS stamping)\ngo:           " + runtime.Version() + "\nphonenumbers: unknown\n",
			"match unknown, " + runtime.Version() + ", phonenumbers unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := buildOf(tc.info)
			if got := b.text(); got != tc.text {
				t.Errorf("text:\n%s\nwant:\n%s", got, tc.text)
			}
			if got := b.String(); got != tc.line {
				t.Errorf("String: %s\nwant:   %s", got, tc.line)
			}
		})
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
	if want := readBuild().String(); a.Version != want || !strings.Contains(string(b), `"engine":"match `) {
		t.Errorf("audit engine %q, want %q: %s", a.Version, want, b)
	}
}
