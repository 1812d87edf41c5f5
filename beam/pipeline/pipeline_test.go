package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/internal/buildinfo"
	"github.com/audiencematch/audiencematch/internal/synth"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/privacy"
)

// matchBin is the root module's match command, built once by TestMain:
// the reference every pipeline run is compared with.
var matchBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "match-beam-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	matchBin = filepath.Join(dir, "match")
	build := exec.Command("go", "build", "-C", "../..", "-o", matchBin, "./cmd/match")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building match:", err)
		return 1
	}
	return ptest.MainRet(m) // the prism runner, in process
}

// outputs are the files of one match.
type outputs struct {
	audience, report, rejects []byte
}

// matchRun runs match run over cfg's inputs, as the reference. Its
// opt-outs are optouts (a consent export means nothing to it).
func matchRun(t *testing.T, cfg Config, optouts string, extra ...string) outputs {
	t.Helper()
	dir := t.TempDir()
	args := []string{"run", "--users", cfg.Users, "--list", cfg.List,
		"--out", filepath.Join(dir, "audience.csv"), "--report", filepath.Join(dir, "report.json"),
		"--rejects", filepath.Join(dir, "rejects.csv"), "--hash-format", cfg.Format.String()}
	if optouts != "" {
		args = append(args, "--optouts", optouts)
	}
	if cfg.Region != "" {
		args = append(args, "--region", cfg.Region)
	}
	args = append(args, "--min-audience", fmt.Sprint(cfg.MinAudience), "--epsilon", fmt.Sprint(cfg.Epsilon))
	if cfg.Budget != 0 {
		args = append(args, "--budget", fmt.Sprint(cfg.Budget))
	}
	if cfg.History != "" {
		args = append(args, "--advertiser", cfg.Advertiser, "--history", cfg.History)
	}
	args = append(args, extra...)
	cmd := exec.Command(matchBin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	var exit *exec.ExitError
	if err := cmd.Run(); err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 3) {
		t.Fatalf("match %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return readOutputs(t, dir)
}

func readOutputs(t *testing.T, dir string) outputs {
	t.Helper()
	var o outputs
	for _, f := range []struct {
		name string
		b    *[]byte
	}{{"audience.csv", &o.audience}, {"report.json", &o.report}, {"rejects.csv", &o.rejects}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		*f.b = b
	}
	return o
}

// runPipeline runs the pipeline on prism with cfg's outputs in a fresh
// directory, and returns them with the counters.
func runPipeline(t *testing.T, cfg Config) (outputs, map[string]int64) {
	t.Helper()
	dir := t.TempDir()
	cfg.Out = filepath.Join(dir, "audience.csv")
	cfg.Report = filepath.Join(dir, "report.json")
	cfg.Rejects = filepath.Join(dir, "rejects.csv")
	p, s := beam.NewPipelineWithRoot()
	if err := Build(context.Background(), s, cfg); err != nil {
		t.Fatal(err)
	}
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	return readOutputs(t, dir), counters(res)
}

// counters sums each counter of the namespace over the steps it is in.
func counters(res beam.PipelineResult) map[string]int64 {
	c := make(map[string]int64)
	for _, r := range res.Metrics().AllMetrics().Counters() {
		if r.Key.Namespace == CounterNamespace {
			c[r.Key.Name] += r.Result()
		}
	}
	return c
}

// sameOutputs compares the pipeline's outputs with match run's. A
// withheld audience is no file on both sides, and its report says so.
func sameOutputs(t *testing.T, got, want outputs) {
	t.Helper()
	if len(want.audience) == 0 && (len(want.report) == 0 || bytes.Contains(want.report, []byte(`"status": "released"`))) {
		t.Fatal("match run wrote no audience, and did not withhold it")
	}
	for _, f := range []struct {
		name      string
		got, want []byte
	}{{"audience", got.audience, want.audience}, {"report", got.report, want.report}, {"rejects", got.rejects, want.rejects}} {
		if !bytes.Equal(f.got, f.want) {
			t.Errorf("%s differs from match run's\ngot:\n%s\nwant:\n%s", f.name, clip(f.got), clip(f.want))
		}
	}
}

func clip(b []byte) []byte {
	if len(b) > 2000 {
		return append(b[:2000:2000], "…"...)
	}
	return b
}

// TestBuild_Golden runs every match run case of the root's golden CLI
// tests through the pipeline, with each build side and with the bloom
// filter on and off, and compares the audience, report and rejects with
// match run's, byte for byte.
func TestBuild_Golden(t *testing.T) {
	cases := []struct {
		dir     string
		format  normalize.Format
		optouts bool
	}{
		{"run-demo", normalize.E164Hex, true},
		{"run-hashed", normalize.E164Hex, true},
		{"run-digits", normalize.Digits, false},
		{"run-uid2", normalize.UID2, false},
	}
	for _, c := range cases {
		dir, err := filepath.Abs(filepath.Join("../../testdata/cli", c.dir))
		if err != nil {
			t.Fatal(err)
		}
		// The golden cases are tiny: no minimum audience, as their args say.
		cfg := Config{Users: filepath.Join(dir, "users.csv"), List: filepath.Join(dir, "list.csv"), Format: c.format, MinAudience: 0}
		if c.optouts {
			cfg.Optouts = filepath.Join(dir, "optouts.csv")
		}
		want := matchRun(t, cfg, cfg.Optouts)
		for _, side := range []Side{SideUsers, SideList} {
			for _, pre := range []matcher.Prefilter{matcher.PrefilterBloom, matcher.PrefilterNone} {
				t.Run(fmt.Sprintf("%s/side=%v/bloom=%v", c.dir, side, pre == matcher.PrefilterBloom), func(t *testing.T) {
					cfg := cfg
					cfg.BuildSide, cfg.Prefilter = side, pre
					got, _ := runPipeline(t, cfg)
					sameOutputs(t, got, want)
				})
			}
		}
	}
}

// TestBuild_Demo checks the demo's figures outright, so that the
// comparison with match run is not the only check.
func TestBuild_Demo(t *testing.T) {
	demo, _ := filepath.Abs("../../testdata/demo")
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	got, c := runPipeline(t, Config{Users: filepath.Join(demo, "users.csv"), List: filepath.Join(demo, "list.csv"),
		Optouts: filepath.Join(demo, "optouts.csv"), Audit: audit})
	for _, want := range []string{`"rows": 32`, `"status": "released"`, `"audience_size": 22`, `"min_audience": 0`} {
		if !bytes.Contains(got.report, []byte(want)) {
			t.Errorf("report lacks %s:\n%s", want, got.report)
		}
	}
	if b, _ := os.ReadFile(audit); !bytes.Contains(b, []byte(`"matched":24,"unmatched":3,"audience_size":22`)) {
		t.Errorf("audit lacks the exact figures: %s", b)
	} else if !bytes.Contains(b, []byte(`"engine":"`+buildinfo.Read("match-beam").String()+`"`)) {
		t.Errorf("audit lacks the engine that decided: %s", b)
	}
	ids := strings.Fields(string(got.audience))
	if ids[0] != "user_id" || len(ids) != 23 || ids[1] != "u001" {
		t.Errorf("audience: %q", ids)
	}
	for _, opted := range []string{"u004", "u019", "u025"} {
		if slices.Contains(ids, opted) {
			t.Errorf("opted-out user %s in the audience", opted)
		}
	}
	if c[CounterListIn] != 27 || c[CounterProbePassed] > c[CounterProbeIn] || c[CounterShuffled] == 0 {
		t.Errorf("counters: %v", c)
	}
}

// scenario is a generated data set in a directory: bench's users, opt-outs
// and list, with rows added so that some users have two phones and some
// phones two users, and a consent export.
type scenario struct {
	dir                           string
	users, list, optouts, consent string
	ids                           []string     // every user id, in file order
	rows                          []consentRow // the consent export's lines
}

// consentRow is a line of a consent export, as the test writes it.
type consentRow struct {
	id, purpose, choice string
	at                  time.Time
	zone                *time.Location
}

func newScenario(t *testing.T, cfg synth.Config) *scenario {
	t.Helper()
	dir := t.TempDir()
	sc := &scenario{dir: dir,
		users: filepath.Join(dir, "users.csv"), list: filepath.Join(dir, "list.csv"),
		optouts: filepath.Join(dir, "optouts.csv"), consent: filepath.Join(dir, "consent.csv")}
	rng := rand.New(rand.NewPCG(cfg.Seed, 99))

	var users bytes.Buffer
	if err := synth.WriteUsers(&users, cfg); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(users.String(), "\n")
	lines = lines[1 : len(lines)-1] // no header, no empty tail
	for _, l := range lines {
		sc.ids = append(sc.ids, l[:strings.IndexByte(l, ',')])
	}
	// A user with a second phone: another user's, so that phone is shared.
	extra := users.Bytes()
	for range len(lines) / 20 {
		a, b := lines[rng.IntN(len(lines))], lines[rng.IntN(len(lines))]
		extra = fmt.Appendf(extra, "%s%s", a[:strings.IndexByte(a, ',')], b[strings.IndexByte(b, ','):])
	}
	write(t, sc.users, extra)

	var list bytes.Buffer
	if err := synth.WriteList(&list, cfg); err != nil {
		t.Fatal(err)
	}
	// Some lines repeated further down, and a blank line.
	ll := strings.SplitAfter(list.String(), "\n")
	ll = ll[1 : len(ll)-1]
	for range len(ll) / 20 {
		list.WriteString(ll[rng.IntN(len(ll))])
	}
	list.WriteString("\n")
	write(t, sc.list, list.Bytes())

	var optouts bytes.Buffer
	if err := synth.WriteOptOuts(&optouts, cfg); err != nil {
		t.Fatal(err)
	}
	write(t, sc.optouts, optouts.Bytes())

	// The consent export: most users have choices, for ads or email, at
	// times that sometimes coincide (written in another zone), and ids
	// that are not users have some too. Lines come in random order.
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	zones := []*time.Location{time.UTC, time.FixedZone("", 2*3600), time.FixedZone("", -5*3600)}
	var rows []consentRow
	ids := append(slices.Clone(sc.ids), "x1", "x2", "x3")
	for _, id := range ids {
		for range rng.IntN(4) {
			r := consentRow{id: id, purpose: []string{"ads", "ads", "email"}[rng.IntN(3)],
				choice: []string{"opt-out", "opt-in"}[rng.IntN(2)],
				at:     base.Add(time.Duration(rng.IntN(4)) * time.Hour), zone: zones[rng.IntN(len(zones))]}
			rows = append(rows, r)
		}
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	var export bytes.Buffer
	export.WriteString("user_id,purpose,choice,time,source\n")
	for _, r := range rows {
		fmt.Fprintf(&export, "%s,%s,%s,%s,app\n", r.id, r.purpose, r.choice, r.at.In(r.zone).Format(time.RFC3339))
	}
	write(t, sc.consent, export.Bytes())
	sc.rows = rows
	return sc
}

func write(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// excludedBy returns the ids of users that the consent export excludes
// under policy for purpose: a plain fold of the export, independent of the
// pipeline's code, which match run is then given as opt-outs.
func (sc *scenario) excludedBy(policy, purpose string) []string {
	type choice struct {
		at     time.Time
		optOut bool
	}
	latest := make(map[string]choice)
	for _, r := range sc.rows {
		if r.purpose != purpose {
			continue
		}
		c := choice{r.at, r.choice == "opt-out"}
		old, seen := latest[r.id]
		if !seen || c.at.After(old.at) || (c.at.Equal(old.at) && c.optOut) {
			latest[r.id] = c
		}
	}
	var out []string
	for _, id := range sc.ids {
		c, seen := latest[id]
		switch policy {
		case "opt-out":
			if seen && c.optOut {
				out = append(out, id)
			}
		case "opt-in":
			if !seen || c.optOut {
				out = append(out, id)
			}
		}
	}
	return out
}

// optoutsFile writes an opt-out file of the given ids and of the lines of
// the files named.
func (sc *scenario) optoutsFile(t *testing.T, ids []string, also ...string) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("user_id\n")
	for _, id := range ids {
		b.WriteString(id + "\n")
	}
	for _, f := range also {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(raw[len("user_id\n"):])
	}
	f, err := os.CreateTemp(sc.dir, "optouts-*.csv")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(b.Bytes())
	f.Close()
	return f.Name()
}

// genConfig is the generated scenario of the tests: small, since Prism,
// the local runner, is slow and memory-hungry at scale (about 35 µs and
// 4 KB a row, bench/RESULTS.md); this takes about a second a run.
var genConfig = synth.Config{Seed: 7, Users: 4000, OptOutRate: 0.05, ListRows: 3000, MatchRate: 0.5, BadRate: 0.03}

// TestBuild_Generated compares the pipeline with match run on a generated
// scenario, under each consent input and policy. match run has no consent
// export: it is given, as opt-outs, the users that the policy excludes,
// found by the test's own fold of the export.
func TestBuild_Generated(t *testing.T) {
	sc := newScenario(t, genConfig)
	optOut, optIn := sc.excludedBy("opt-out", "ads"), sc.excludedBy("opt-in", "ads")
	if len(optOut) == 0 || len(optIn) <= len(optOut) || len(optIn) == len(sc.ids) {
		t.Fatalf("scenario: %d users, %d excluded under opt-out, %d under opt-in", len(sc.ids), len(optOut), len(optIn))
	}
	cases := []struct {
		name    string
		cfg     Config
		optouts string // match run's equivalent
	}{
		{"optouts", Config{Optouts: sc.optouts}, sc.optouts},
		{"consent/opt-out", Config{Consent: sc.consent}, sc.optoutsFile(t, optOut)},
		{"consent/opt-in", Config{Consent: sc.consent, Policy: consent.PolicyOptIn}, sc.optoutsFile(t, optIn)},
		{"optouts+consent/opt-out", Config{Optouts: sc.optouts, Consent: sc.consent}, sc.optoutsFile(t, optOut, sc.optouts)},
		{"optouts+consent/opt-in/side=list", Config{Optouts: sc.optouts, Consent: sc.consent, Policy: consent.PolicyOptIn, BuildSide: SideList},
			sc.optoutsFile(t, optIn, sc.optouts)},
		{"consent/opt-in/no-bloom", Config{Consent: sc.consent, Policy: consent.PolicyOptIn, Prefilter: matcher.PrefilterNone}, sc.optoutsFile(t, optIn)},
		{"consent/opt-in/purpose=email", Config{Consent: sc.consent, Policy: consent.PolicyOptIn, Purpose: "email"},
			sc.optoutsFile(t, sc.excludedBy("opt-in", "email"))},
		{"none", Config{}, ""},
	}
	audiences := make(map[string]string)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Users, cfg.List = sc.users, sc.list
			want := matchRun(t, cfg, c.optouts)
			got, _ := runPipeline(t, cfg)
			sameOutputs(t, got, want)
			audiences[c.name] = string(got.audience)
		})
	}
	// Each consent input changed the answer: the test is not vacuous.
	for _, name := range []string{"optouts", "consent/opt-out", "consent/opt-in"} {
		if audiences[name] == audiences["none"] {
			t.Errorf("%s: the same audience as with no exclusion", name)
		}
	}
}

// TestBuild_Bloom checks the semi-join reduction on a list where most rows
// match no one: the filter drops most of them before the shuffle, and the
// answer is the same without it.
func TestBuild_Bloom(t *testing.T) {
	cfg := genConfig
	cfg.MatchRate = 0.1
	sc := newScenario(t, cfg)
	base := Config{Users: sc.users, List: sc.list, Optouts: sc.optouts, BuildSide: SideUsers}
	with, cw := runPipeline(t, base)
	base.Prefilter = matcher.PrefilterNone
	without, cn := runPipeline(t, base)
	sameOutputs(t, with, without)
	t.Logf("with the filter: %v", cw)
	t.Logf("without: %v", cn)
	if cw[CounterProbeIn] != cw[CounterListIn] || cn[CounterProbeIn] != 0 {
		t.Errorf("probe_in: %d with the filter (want list_in %d), %d without (want 0)",
			cw[CounterProbeIn], cw[CounterListIn], cn[CounterProbeIn])
	}
	if want := cn[CounterUsersIn] + cn[CounterListIn]; cn[CounterShuffled] != want {
		t.Errorf("shuffled without the filter: %d, want users_in + list_in = %d", cn[CounterShuffled], want)
	}
	if want := cw[CounterUsersIn] + cw[CounterProbePassed]; cw[CounterShuffled] != want {
		t.Errorf("shuffled with the filter: %d, want users_in + probe_passed = %d", cw[CounterShuffled], want)
	}
	// About 10% of the list matches, and 1% of the rest passes falsely.
	if passed, in := cw[CounterProbePassed], cw[CounterProbeIn]; passed*4 > in {
		t.Errorf("the filter let %d of %d list rows through", passed, in)
	}
}

// TestBuild_Errors checks that bad configurations and input files are
// refused before anything runs.
func TestBuild_Errors(t *testing.T) {
	dir := t.TempDir()
	demo, _ := filepath.Abs("../../testdata/demo")
	users, list := filepath.Join(demo, "users.csv"), filepath.Join(demo, "list.csv")
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		write(t, p, []byte(content))
		return p
	}
	out := filepath.Join(dir, "out.csv")
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no users", Config{List: list, Out: out}, "no user base"},
		{"no list", Config{Users: users, Out: out}, "no list"},
		{"no out", Config{Users: users, List: list}, "no output"},
		{"bad region", Config{Users: users, List: list, Out: out, Region: "XX"}, `region "XX"`},
		{"missing users", Config{Users: filepath.Join(dir, "nope.csv"), List: list, Out: out}, "nope.csv"},
		{"users without phone", Config{Users: file("u.csv", "user_id,tel\nu1,1\n"), List: list, Out: out}, `missing column "phone"`},
		{"list without phone or hash", Config{Users: users, List: file("l.csv", "number\n1\n"), Out: out}, `missing column "phone" or "email" or "hash"`},
		{"list with both", Config{Users: users, List: file("l2.csv", "phone,hash\n1,2\n"), Out: out}, "both"},
		{"empty list", Config{Users: users, List: file("l3.csv", ""), Out: out}, "no header line"},
		{"optouts without user_id", Config{Users: users, List: list, Out: out, Optouts: file("o.csv", "id\nu1\n")}, `missing column "user_id"`},
		{"consent not an export", Config{Users: users, List: list, Out: out, Consent: file("c.csv", "user_id,choice\nu1,opt-out\n")}, "a consent export"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, s := beam.NewPipelineWithRoot()
			err := Build(context.Background(), s, c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Build: %v, want an error with %q", err, c.want)
			}
			var fe *FileError
			if !errors.Is(err, ErrConfig) && !errors.As(err, &fe) {
				t.Errorf("Build: %v is neither ErrConfig nor a *FileError", err)
			}
		})
	}
}

// TestBuild_BadConsentLine checks that a malformed line of a consent export
// fails the run and leaves no output: it could be someone's opt-out.
func TestBuild_BadConsentLine(t *testing.T) {
	for _, line := range []string{
		"u004,ads,opt-out,yesterday,app",          // bad time
		"u004,ads,maybe,2026-01-01T00:00:00Z,app", // bad choice
		"u004,ads,opt-out,2026-01-01T00:00:00Z",   // wrong number of fields
		"u004,ads,opt-out,2263-01-01T00:00:00Z,x", // time out of the ledger's range
		"u004,,opt-out,2026-01-01T00:00:00Z,x",    // empty purpose
		" ,ads,opt-out,2026-01-01T00:00:00Z,x",    // empty user id
	} {
		t.Run(line, func(t *testing.T) {
			dir := t.TempDir()
			demo, _ := filepath.Abs("../../testdata/demo")
			consent := filepath.Join(dir, "consent.csv")
			write(t, consent, []byte("user_id,purpose,choice,time,source\nu001,ads,opt-in,2026-01-01T00:00:00Z,app\n"+line+"\n"))
			cfg := Config{Users: filepath.Join(demo, "users.csv"), List: filepath.Join(demo, "list.csv"), Consent: consent,
				Out: filepath.Join(dir, "audience.csv"), Report: filepath.Join(dir, "report.json")}
			p, s := beam.NewPipelineWithRoot()
			if err := Build(context.Background(), s, cfg); err != nil {
				t.Fatal(err)
			}
			if err := ptest.Run(p); err == nil {
				t.Fatal("the pipeline ran")
			}
			left, _ := os.ReadDir(dir)
			if len(left) != 1 {
				t.Errorf("files left: %v", left)
			}
		})
	}
}

func TestExcluded(t *testing.T) {
	at := func(sec int64, c consent.Choice) event { return event{Choice: uint8(c), Time: sec * 1e9} }
	in, out := consent.OptIn, consent.OptOut
	optout := event{OptOut: true}
	cases := []struct {
		name          string
		events        []event
		consent       bool
		optOut, optIn bool // want, under each policy
	}{
		{"nothing, no export", nil, false, false, false},
		{"nothing", nil, true, false, true},
		{"opt-out file", []event{optout}, false, true, true},
		{"opt-out file beats opt-in", []event{at(5, in), optout}, true, true, true},
		{"opted in", []event{at(1, in)}, true, false, false},
		{"opted out", []event{at(1, out)}, true, true, true},
		{"in, then out", []event{at(1, in), at(2, out)}, true, true, true},
		{"out, then in", []event{at(2, in), at(1, out)}, true, false, false},
		{"same time: out wins", []event{at(3, in), at(3, out), at(3, in)}, true, true, true},
		{"nanoseconds count", []event{{Choice: uint8(out), Time: 3e9}, {Choice: uint8(in), Time: 3e9 + 1}}, true, false, false},
		{"before 1970", []event{at(-2, in), at(-3, out)}, true, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := excluded(consent.PolicyOptOut, c.consent, c.events); got != c.optOut {
				t.Errorf("opt-out policy: excluded = %v, want %v", got, c.optOut)
			}
			if got := excluded(consent.PolicyOptIn, c.consent, c.events); got != c.optIn {
				t.Errorf("opt-in policy: excluded = %v, want %v", got, c.optIn)
			}
		})
	}
}

// TestBuild_Edges compares the pipeline with match run on inputs with
// nothing to match: empty sides, all rows refused, no digest in common,
// and odd user ids.
func TestBuild_Edges(t *testing.T) {
	users := "user_id,phone,country\nu1,+16502530000,US\n\"u,2\",(212) 555-0143,US\nu3,+442071838750,GB\n,+16502530001,US\n"
	cases := []struct {
		name, users, list string
		format            normalize.Format
	}{
		{"header-only list", users, "phone\n", normalize.E164Hex},
		{"header-only users", "user_id,phone\n", "phone\n+1 650-253-0000\n", normalize.E164Hex},
		{"all refused", users, "phone,country\n,US\nn/a,US\n\"x,US\n1,2,3\n", normalize.E164Hex},
		{"no digest in common", users, "phone\n+1 650 253 0002\n+1 650 253 0003\n", normalize.E164Hex},
		{"hashes, none valid", users, "hash\nabc\n\n" + strings.Repeat("z", 64) + "\n", normalize.Digits},
		{"odd ids, repeated lines", users, "phone,country\n(212) 555-0143,US\n020 7183 8750,GB\n+1 212 555 0143,\n", normalize.E164Hex},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{Users: filepath.Join(dir, "users.csv"), List: filepath.Join(dir, "list.csv"), Format: c.format, MinAudience: 0}
			write(t, cfg.Users, []byte(c.users))
			write(t, cfg.List, []byte(c.list))
			want := matchRun(t, cfg, "")
			for _, side := range []Side{SideUsers, SideList} {
				cfg.BuildSide = side
				got, _ := runPipeline(t, cfg)
				sameOutputs(t, got, want)
			}
		})
	}
}

// fixedHistory writes a history file with a fixed salt and secret at
// path, so that the noise of a decision is the same on every run, and the
// same for match run and the pipeline given a copy each.
func fixedHistory(t *testing.T, path string) string {
	t.Helper()
	salt, secret := make([]byte, 32), make([]byte, 32)
	for i := range salt {
		salt[i], secret[i] = byte(i), byte(100+i)
	}
	b, _ := json.Marshal(map[string]any{"version": 2, "salt": salt, "secret": secret, "lists": map[string]any{}})
	write(t, path, b)
	return path
}

// TestBuild_Guards: the privacy guards decide as match run's do, noise
// included: given copies of one history, both withhold the demo under the
// default minimum with the same report, release a list of 150 users with
// the same noisy figure, and refuse a list one row away from it; and a
// spent budget stops the pipeline before it is built.
func TestBuild_Guards(t *testing.T) {
	demo, _ := filepath.Abs("../../testdata/demo")
	dir := t.TempDir()
	var users strings.Builder
	users.WriteString("user_id,phone\n")
	for i := range 300 {
		fmt.Fprintf(&users, "u%03d,+1650253%04d\n", i, i)
	}
	write(t, filepath.Join(dir, "users.csv"), []byte(users.String()))
	list := func(n int) string {
		var b strings.Builder
		b.WriteString("phone\n")
		for j := range n {
			fmt.Fprintf(&b, "+1650253%04d\n", j)
		}
		name := filepath.Join(dir, fmt.Sprintf("list%d.csv", n))
		write(t, name, []byte(b.String()))
		return name
	}
	guards := func(history string) Config {
		return Config{MinAudience: privacy.DefaultMinAudience, Epsilon: privacy.DefaultEpsilon, Budget: privacy.DefaultBudget,
			Advertiser: "adv", History: history}
	}
	mine, theirs := fixedHistory(t, filepath.Join(dir, "pipeline.json")), fixedHistory(t, filepath.Join(dir, "run.json"))
	for _, c := range []struct {
		name, users, list string
		status            string
	}{
		{"demo", filepath.Join(demo, "users.csv"), filepath.Join(demo, "list.csv"), "below minimum audience"},
		{"150 users", filepath.Join(dir, "users.csv"), list(150), "released"},
		{"151 users", filepath.Join(dir, "users.csv"), list(151), "too close to a recent list"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := guards(mine)
			cfg.Users, cfg.List = c.users, c.list
			want := matchRun(t, Config{Users: c.users, List: c.list, MinAudience: cfg.MinAudience, Epsilon: cfg.Epsilon,
				Budget: cfg.Budget, Advertiser: "adv", History: theirs}, "")
			got, counters := runPipeline(t, cfg)
			sameOutputs(t, got, want)
			if !bytes.Contains(got.report, []byte(`"status": "`+c.status+`"`)) || (counters[CounterWithheld] == 0) != (c.status == "released") {
				t.Errorf("report %s, counters %v; want %s", got.report, counters, c.status)
			}
		})
	}

	spent := guards(fixedHistory(t, filepath.Join(dir, "spent.json")))
	spent.Budget = privacy.DefaultEpsilon / 2
	spent.Users, spent.List, spent.Out = filepath.Join(dir, "users.csv"), list(150), filepath.Join(dir, "out.csv")
	_, s := beam.NewPipelineWithRoot()
	if err := Build(context.Background(), s, spent); !errors.Is(err, privacy.ErrBudget) {
		t.Errorf("Build over budget: %v, want ErrBudget", err)
	}
}

// TestWriteFn_Retried: a runner that retries the write step (after its
// outputs failed, say) gets one audit line and one history release for
// the run, and the same outputs.
func TestWriteFn_Retried(t *testing.T) {
	dir := t.TempDir()
	fn := &writeFn{
		Out: filepath.Join(dir, "audience.csv"), Report: filepath.Join(dir, "report.json"), List: "list.csv",
		MinAudience: 0, Audit: filepath.Join(dir, "audit.jsonl"), Advertiser: "adv", History: filepath.Join(dir, "history.json"),
		Run: "run-1",
	}
	ids := []string{"u1", "u2", "u3"}
	attempt := func() {
		t.Helper()
		i := 0
		audience := func(id *string, r *rank) bool {
			if i == len(ids) {
				return false
			}
			*id, *r = ids[i], rank{ListLine: int64(i + 2), UserLine: int64(i + 2)}
			i++
			return true
		}
		refused := func(*reject) bool { return false }
		j := 0
		uploaded := func(d *[]byte, k *listKey) bool {
			if j == len(ids) {
				return false
			}
			*d, *k = []byte(fmt.Sprintf("%032d", j)), listKey{Line: int64(j + 2)}
			j++
			return true
		}
		m := 0
		matched := func(k *listKey) bool {
			if m == len(ids) {
				return false
			}
			*k = listKey{Line: int64(m + 2)}
			m++
			return true
		}
		counted := func(*keyStat, *int) bool { return false }
		if err := fn.ProcessElement(context.Background(), nil, audience, refused, once(3), matched, counted, uploaded); err != nil {
			t.Fatal(err)
		}
	}
	attempt()
	first, err := os.ReadFile(fn.Out)
	if err != nil {
		t.Fatal(err)
	}
	attempt()
	again, err := os.ReadFile(fn.Out)
	if err != nil || !bytes.Equal(first, again) {
		t.Errorf("audience after a retry: %q, %v; want %q", again, err, first)
	}
	audit, err := os.ReadFile(fn.Audit)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(audit, []byte("\n")); n != 1 || !bytes.Contains(audit, []byte(`"run":"run-1"`)) {
		t.Errorf("audit log after a retry, %d lines:\n%s", n, audit)
	}
	history, err := os.ReadFile(fn.History)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(history, []byte(`"run":"run-1"`)); n != 1 {
		t.Errorf("history after a retry holds the run %d times:\n%s", n, history)
	}
}

// once returns a side input's iterator over the single value v.
func once[T any](v T) func(*T) bool {
	done := false
	return func(p *T) bool {
		if done {
			return false
		}
		*p, done = v, true
		return true
	}
}
