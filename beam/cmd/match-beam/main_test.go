package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRun_Usage(t *testing.T) {
	demo := "../../../testdata/demo/"
	out := filepath.Join(t.TempDir(), "out.csv")
	files := []string{"--users", demo + "users.csv", "--list", demo + "list.csv", "--out", out, "--min-audience", "0", "--epsilon", "0"}
	cases := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"help", []string{"-h"}, exitOK, "Beam runner flags"},
		{"no args", nil, exitUsage, "missing --users"},
		{"no out", []string{"--users", demo + "users.csv", "--list", demo + "list.csv"}, exitUsage, "must name files"},
		{"report to stdout", append(files, "--report", "-"), exitUsage, "must name files"},
		{"bad format", append(files, "--hash-format", "md5"), exitUsage, `--hash-format "md5"`},
		{"bad region", append(files, "--region", "XX"), exitUsage, `--region "XX"`},
		{"bad side", append(files, "--build-side", "left"), exitUsage, `--build-side "left"`},
		{"bad policy", append(files, "--policy", "maybe"), exitUsage, `--policy "maybe"`},
		{"policy without consent", append(files, "--policy", "opt-in"), exitUsage, "apply to a --consent export"},
		{"unknown flag", append(files, "--colour"), exitUsage, "flag provided but not defined: -colour"},
		{"missing file", []string{"--users", "nope.csv", "--list", demo + "list.csv", "--out", out, "--min-audience", "0", "--epsilon", "0"}, exitUsage, "nope.csv"},
		{"guards without a history", []string{"--users", demo + "users.csv", "--list", demo + "list.csv", "--out", out}, exitUsage, "need --advertiser and --history"},
		{"minimum without noise", append(files, "--min-audience", "5"), exitUsage, "without noise"},
		{"not a consent export", append(files, "--consent", demo+"optouts.csv"), exitUsage, "a consent export"},
		{"out onto the users", []string{"--users", demo + "users.csv", "--list", demo + "list.csv", "--out", demo + "users.csv", "--min-audience", "0", "--epsilon", "0"},
			exitUsage, "users.csv: --out is the same file as --users"},
		{"report onto the opt-outs", append(files, "--optouts", demo+"optouts.csv", "--report", demo+"./optouts.csv"),
			exitUsage, "optouts.csv: --report is the same file as --optouts"},
		{"rejects onto out", append(files, "--rejects", out), exitUsage, "--rejects is the same file as --out"},
		{"audit onto the list", append(files, "--audit", demo+"list.csv"), exitUsage, "--audit is the same file as --list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), c.args, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit %d, want %d; stderr %q, want it to contain %q", code, c.code, stderr.String(), c.want)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused invocation wrote %s", out)
	}
}

// TestParseArgs_BeamFlags checks that Beam's flags are set where the SDK
// reads them, and that Dataflow's --region is --gcp_region.
func TestParseArgs_BeamFlags(t *testing.T) {
	cfg, err := parseArgs([]string{"--users", "u.csv", "--list", "l.csv", "--out", "o.csv",
		"--region", "GB", "--gcp_region", "europe-west1", "--job_name", "m1", "--async=false", "--min-audience", "0", "--epsilon", "0"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "GB" {
		t.Errorf("phone region %q, want GB", cfg.Region)
	}
	set := make(map[string]string)
	flag.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	if set["region"] != "europe-west1" || set["job_name"] != "m1" || set["async"] != "false" {
		t.Errorf("flags set on flag.CommandLine: %v", set)
	}
}

// TestRun_Consent checks that --consent, --policy and --purpose reach the
// pipeline: under opt-in only the users who opted in for the purpose are
// left; under opt-out only those who opted out are gone.
func TestRun_Consent(t *testing.T) {
	demo := "../../../testdata/demo/"
	dir := t.TempDir()
	consent := filepath.Join(dir, "consent.csv")
	os.WriteFile(consent, []byte("user_id,purpose,choice,time,source\n"+
		"u002,ads,opt-in,2026-01-01T00:00:00Z,app\n"+
		"u001,ads,opt-in,2026-01-01T00:00:00Z,app\n"+
		"u001,ads,opt-out,2026-01-02T00:00:00+02:00,web\n"+ // earlier than the next line
		"u001,ads,opt-in,2026-01-02T00:00:00Z,web\n"+
		"u003,email,opt-in,2026-01-01T00:00:00Z,app\n"+
		"u005,ads,opt-out,2026-01-01T00:00:00Z,app\n"), 0o644)
	cases := []struct {
		args []string
		want func(ids []string) bool
	}{
		{[]string{"--policy", "opt-in"}, func(ids []string) bool { return strings.Join(ids, " ") == "user_id u001 u002" }},
		{[]string{"--policy", "opt-in", "--purpose", "email"}, func(ids []string) bool { return strings.Join(ids, " ") == "user_id u003" }},
		{[]string{"--policy", "opt-out"}, func(ids []string) bool {
			return len(ids) == 22 && !slices.Contains(ids, "u005") && !slices.Contains(ids, "u004") && slices.Contains(ids, "u001")
		}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "audience.csv")
			args := append([]string{"--users", demo + "users.csv", "--list", demo + "list.csv", "--optouts", demo + "optouts.csv",
				"--consent", consent, "--out", out, "--min-audience", "0", "--epsilon", "0"}, c.args...)
			var stderr bytes.Buffer
			if code := run(context.Background(), args, &stderr); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr.Bytes())
			}
			b, _ := os.ReadFile(out)
			if ids := strings.Fields(string(b)); !c.want(ids) {
				t.Errorf("audience %q", ids)
			}
		})
	}
}
