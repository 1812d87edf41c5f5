package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun_IOFailure checks that a write failing mid-run ends with exit 1 and
// leaves no output file behind, not even the ones that were written whole.
func TestRun_IOFailure(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	dir := t.TempDir()
	audience := filepath.Join(dir, "audience.csv")
	rejects := filepath.Join(dir, "rejects.csv")
	hashed := filepath.Join(dir, "hashed.csv")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"report", []string{"run", "--users", "../../testdata/demo/users.csv", "--list", "../../testdata/demo/list.csv",
			"--out", audience, "--rejects", rejects, "--report", "/dev/full", "--min-audience", "0", "--epsilon", "0"}},
		{"out", []string{"run", "--users", "../../testdata/demo/users.csv", "--list", "../../testdata/demo/list.csv",
			"--out", "/dev/full", "--rejects", rejects, "--min-audience", "0", "--epsilon", "0"}},
		{"hash", []string{"hash", "--in", "../../testdata/demo/list.csv", "--out", hashed, "--rejects", "/dev/full"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, nil, &stdout, &stderr)
			if code != exitFailure {
				t.Errorf("exit = %d, want %d; stderr: %s", code, exitFailure, &stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, "match: /dev/full: ") {
				t.Errorf("last line of stderr = %q, want a match: line naming /dev/full", last)
			}
			es, _ := os.ReadDir(dir)
			for _, e := range es {
				t.Errorf("left behind: %s", e.Name())
			}
		})
	}
}

// TestConsent_IOFailure checks the same of prune, consent export and
// consent import's rejects file.
func TestConsent_IOFailure(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	db := filepath.Join(t.TempDir(), "consent.db")
	mustRun(t, "consent", "import", "--db", db, "../../testdata/demo/consent.csv")
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"prune", []string{"prune", "--audience", "../../testdata/cli/prune/audience.csv", "--consent", db, "--out", "/dev/full"}},
		{"export", []string{"consent", "export", "--db", db, "--out", "/dev/full"}},
		{"import", []string{"consent", "import", "--db", filepath.Join(dir, "new.db"), "--rejects", "/dev/full", "../../testdata/cli/consent-import/events.csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, nil, &stdout, &stderr); code != exitFailure {
				t.Errorf("exit = %d, want %d; stderr: %s", code, exitFailure, &stderr)
			}
			if !strings.Contains(stderr.String(), "/dev/full") {
				t.Errorf("stderr %q does not name /dev/full", &stderr)
			}
			es, _ := os.ReadDir(dir)
			for _, e := range es {
				if e.Name() != "new.db" {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}
