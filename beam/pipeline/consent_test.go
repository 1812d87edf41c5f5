package pipeline

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/audiencematch/audiencematch/consent"
)

// match runs the match command of the root module and returns its stderr.
func match(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(matchBin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("match %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stderr.String()
}

// TestBuild_ConsentLedger is the path a platform takes: the consent
// events are imported into a ledger, match run reads the ledger, and the
// pipeline reads its export. Both must exclude the same users whatever
// the case and blanks of --purpose, under both policies: the pipeline once
// compared purposes exactly and let every user who had opted out of "ads"
// into an audience asked for "ADS".
func TestBuild_ConsentLedger(t *testing.T) {
	demo, _ := filepath.Abs("../../testdata/demo")
	dir := t.TempDir()
	db, export := filepath.Join(dir, "c.db"), filepath.Join(dir, "export.csv")
	match(t, "consent", "import", "--db", db, filepath.Join(demo, "consent.csv"))
	match(t, "consent", "export", "--db", db, "--out", export)

	users, list := filepath.Join(demo, "users.csv"), filepath.Join(demo, "list.csv")
	none := matchRun(t, Config{Users: users, List: list}, "")
	for _, policy := range []string{"opt-out", "opt-in"} {
		for _, purpose := range []string{"ads", "ADS", " Ads "} {
			t.Run(policy+"/"+purpose, func(t *testing.T) {
				cfg := Config{Users: users, List: list, Consent: export, Purpose: purpose}
				var err error
				if cfg.Policy, err = consent.ParsePolicy(policy); err != nil {
					t.Fatal(err)
				}
				want := matchRun(t, cfg, "", "--consent", db, "--policy", policy, "--purpose", purpose)
				if bytes.Equal(want.audience, none.audience) {
					t.Fatal("the ledger excluded no one: the test would prove nothing")
				}
				got, _ := runPipeline(t, cfg)
				sameOutputs(t, got, want)
			})
		}
	}
}

// TestBuild_ConsentMessyEvents gives the pipeline a file of events as
// people write them (purposes in any case, blanks around ids, purposes
// and choices) and match run a ledger imported from the same file: the
// same users are excluded, since both read it with consent's rules.
func TestBuild_ConsentMessyEvents(t *testing.T) {
	demo, _ := filepath.Abs("../../testdata/demo")
	dir := t.TempDir()
	events := filepath.Join(dir, "events.csv")
	write(t, events, []byte("User_ID,Purpose,Choice,Time,Source\n"+
		" u004 ,ADS,opt-out,2024-03-01T09:00:00Z,settings\n"+
		"u019, Ads ,OPT-OUT,2024-03-02T10:00:00Z,settings\n"+
		"u001,ads,opt-in,2024-03-04T08:00:00Z,signup\n"+
		"u001,Ads,opt-out,2024-03-04T09:00:00+01:00,app\n"+ // the same instant: opt-out wins
		"u002,ADS, opt-in ,2024-03-04T08:05:00Z,signup\n"+
		"u003,Email,opt-out,2024-03-04T08:10:00Z,web\n"))
	db := filepath.Join(dir, "c.db")
	match(t, "consent", "import", "--db", db, events)

	users, list := filepath.Join(demo, "users.csv"), filepath.Join(demo, "list.csv")
	none := matchRun(t, Config{Users: users, List: list}, "")
	for _, policy := range []string{"opt-out", "opt-in"} {
		t.Run(policy, func(t *testing.T) {
			cfg := Config{Users: users, List: list, Consent: events, Purpose: "ads"}
			cfg.Policy, _ = consent.ParsePolicy(policy)
			want := matchRun(t, cfg, "", "--consent", db, "--policy", policy)
			if bytes.Equal(want.audience, none.audience) {
				t.Fatal("the ledger excluded no one: the test would prove nothing")
			}
			got, _ := runPipeline(t, cfg)
			sameOutputs(t, got, want)
		})
	}
}

// TestBuild_ConsentTimeRange checks that an event time the ledger cannot
// store is refused for the same reason by match consent import (the line
// is rejected) and by the pipeline (the run fails: the line could be an
// opt-out).
func TestBuild_ConsentTimeRange(t *testing.T) {
	demo, _ := filepath.Abs("../../testdata/demo")
	dir := t.TempDir()
	events := filepath.Join(dir, "events.csv")
	write(t, events, []byte("user_id,purpose,choice,time,source\n"+
		"u004,ads,opt-out,2263-01-01T00:00:00Z,x\n"))
	rejects := filepath.Join(dir, "rejects.csv")
	match(t, "consent", "import", "--db", filepath.Join(dir, "c.db"), "--rejects", rejects, events)
	got := readFile(t, rejects)
	if want := "line,reason\n2,time out of range\n"; got != want {
		t.Fatalf("match consent import rejects:\n%s\nwant:\n%s", got, want)
	}
	cfg := Config{Users: filepath.Join(demo, "users.csv"), List: filepath.Join(demo, "list.csv"), Consent: events,
		Out: filepath.Join(dir, "audience.csv")}
	err := runPipelineErr(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "line 2: time out of range") {
		t.Fatalf("pipeline: %v, want it to fail with line 2: time out of range", err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runPipelineErr builds and runs the pipeline of cfg, and returns the
// run's error.
func runPipelineErr(t *testing.T, cfg Config) error {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	if err := Build(context.Background(), s, cfg); err != nil {
		t.Fatal(err)
	}
	return ptest.Run(p)
}
