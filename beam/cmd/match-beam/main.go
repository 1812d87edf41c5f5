// Command match-beam is match run as an Apache Beam pipeline: the same
// flags for the files, the same audience, report and rejects, plus the
// Beam SDK's runner flags to run it locally on Prism (the default) or on
// Flink, Spark or Dataflow. See the README's Scale-out section.
//
// The binary is also the pipeline's worker: a runner that starts it with
// --worker gets the Beam worker harness, not the command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx" // every runner, and the gcs and local filesystems

	"github.com/audiencematch/audiencematch/beam/pipeline"
	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/privacy"
)

const usage = `Usage: match-beam --users USERS.csv --list LIST.csv --out FILE [--optouts OPTOUTS.csv]
                  [--consent EXPORT.csv [--policy opt-out|opt-in] [--purpose ads]
                  [--allow-new-purpose]]
                  [--region CC] [--hash-format e164|digits|uid2] [--email-hash-format email|email-uid2]
                  [--report FILE] [--rejects FILE]
                  [--build-side auto|users|list] [--bloom=false] [--min-audience N]
                  [--epsilon E] [--budget B]
                  [--audit FILE] [--advertiser ID --history FILE] [Beam runner flags]

Runs match run's match as an Apache Beam pipeline: the ids of the users
whose phone is on the list, each once, excluded users never, under the
header "user_id", in the order of the list row that first matched them;
the report and rejects exactly as match run writes them, under the same
privacy guards, decided by the same function (noisy size, minimum
audience, budget per advertiser, differencing on lists, audit log: see
PRIVACY.md); a withheld audience is not written, exit status 3. The guards
need --advertiser and --history, files of the machine that builds the
pipeline and of the worker that writes (the same file on Prism); for the
platform's own runs, --min-audience 0 --epsilon 0.

Consent: --optouts is a CSV of opted-out user ids; --consent is a consent
export (user_id,purpose,choice,time,source). Under --policy opt-out a user
is excluded if their latest choice for --purpose is opt-out; under opt-in,
unless it is opt-in. A user excluded by either file is excluded.

The bloom filter of the smaller side (--build-side) drops rows of the other
side that match no one before the join's shuffle; --bloom=false turns it
off. Counters show its effect (stderr, at the end).

Paths are read and written by the pipeline's workers: on a distributed
runner use shared storage (gs://...). --out is required: workers do not
write to this terminal.

Example (locally, on Prism):
  match-beam --users users.csv --optouts optouts.csv --list list.csv \
      --out audience.csv --report report.json --advertiser acme --history history.json

Example (Flink job server on localhost:8099, the platform's own run):
  match-beam --runner flink --endpoint localhost:8099 --environment_type LOOPBACK \
      --users users.csv --list list.csv --out audience.csv --min-audience 0 --epsilon 0

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses, as match's.
const (
	exitOK          = 0
	exitFailure     = 1 // the pipeline failed
	exitUsage       = 2 // a bad invocation or an unreadable or ill-formed input file
	exitNotReleased = 3 // a privacy guard withheld the audience, as match run's exit 3
)

// run is the command. It returns the exit status.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	if workerMode(args) {
		// Started by a runner as the pipeline's worker: the harness takes
		// over and exits the process.
		flag.CommandLine.Parse(args)
		beam.Init()
		fmt.Fprintln(stderr, "match-beam: --worker without a runner's worker flags")
		return exitUsage
	}
	cfg, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "match-beam: %v\n", err)
		return exitUsage
	}
	initOnce.Do(func() {
		// Prism logs every step of a job at level info; a batch command
		// keeps stderr for its own lines and for warnings.
		beamlog.LogLevel = "warn"
		beam.Init()
	})

	p, s := beam.NewPipelineWithRoot()
	err = pipeline.Build(ctx, s, cfg)
	if errors.Is(err, privacy.ErrBudget) {
		fmt.Fprintf(stderr, "match-beam: advertiser %q: %v for the last 30 days; no list was read\n", privacy.CanonicalAdvertiser(cfg.Advertiser), err)
		return exitNotReleased
	}
	if err != nil {
		fmt.Fprintf(stderr, "match-beam: %v\n", unwrapConfig(err))
		return exitUsage
	}
	res, err := beamx.RunWithMetrics(ctx, p)
	if err != nil {
		fmt.Fprintf(stderr, "match-beam: the pipeline failed, nothing was written: %v\n", err)
		return exitFailure
	}
	if res != nil && summary(stderr, cfg.List, res) {
		fmt.Fprintf(stderr, "match-beam: %s: audience not released by a privacy guard: see the report\n", cfg.List)
		return exitNotReleased
	}
	return exitOK
}

// initOnce initializes the Beam SDK once per process (run is called many
// times by the tests, while the previous job's goroutines may still read
// the log level).
var initOnce sync.Once

// workerMode reports whether a runner started the binary as a worker.
func workerMode(args []string) bool {
	for _, a := range args {
		if a == "--worker" || a == "-worker" || strings.HasPrefix(a, "--worker=") || strings.HasPrefix(a, "-worker=") {
			return true
		}
	}
	return false
}

// parseArgs parses the command line into a Config, setting Beam's runner
// flags on the way.
func parseArgs(args []string, stderr io.Writer) (pipeline.Config, error) {
	var cfg pipeline.Config
	fs := flag.NewFlagSet("match-beam", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		format  = fs.String("hash-format", "e164", "`format` of hashed phones: e164, digits or uid2")
		email   = fs.String("email-hash-format", "", "`format` of hashed emails: email or email-uid2 (default: email-uid2 with --hash-format uid2, else email)")
		side    = fs.String("build-side", "auto", "`side` the bloom filter is built on: users, list, or auto (the smaller file)")
		policy  = fs.String("policy", "opt-out", "consent `policy`: opt-out (excluded if the latest choice is opt-out) or opt-in (excluded unless it is opt-in)")
		bloomOn = fs.Bool("bloom", true, "filter the larger side with a bloom filter of the smaller before the join")
		minAud  = fs.Int64("min-audience", privacy.DefaultMinAudience, "release no audience of fewer than `N` users, by its noisy size (0: no minimum)")
	)
	fs.StringVar(&cfg.Audit, "audit", "", "append the exact figures and the decision to the audit log `FILE` (JSON lines)")
	fs.StringVar(&cfg.Advertiser, "advertiser", "", "the advertiser `ID` the list comes from, for --history")
	fs.StringVar(&cfg.History, "history", "", "the guards' state `FILE`: the noise's secret, --advertiser's spending and recent lists")
	fs.Float64Var(&cfg.Epsilon, "epsilon", privacy.DefaultEpsilon, "privacy loss `E` of one decision: the noise on the audience size (0, with --min-audience 0: exact figures, for the platform's own runs)")
	fs.Float64Var(&cfg.Budget, "budget", privacy.DefaultBudget, "privacy loss `B` an advertiser may spend in 30 days")
	fs.StringVar(&cfg.Users, "users", "", "the user base `CSV` (required)")
	fs.StringVar(&cfg.List, "list", "", "the contact list `CSV` (required)")
	fs.StringVar(&cfg.Optouts, "optouts", "", "`CSV` of opted-out user ids")
	fs.StringVar(&cfg.Consent, "consent", "", "consent export `CSV` (user_id,purpose,choice,time,source)")
	fs.StringVar(&cfg.Purpose, "purpose", consent.DefaultPurpose, "consent `purpose` of the match")
	fs.BoolVar(&cfg.AllowNewPurpose, "allow-new-purpose", false, "match for a --purpose the consent export has no choice for (by default refused: a typo would exclude no one)")
	fs.StringVar(&cfg.Region, "region", normalize.DefaultRegion, "`region` of rows without a country")
	fs.StringVar(&cfg.Out, "out", "", "write the audience to `FILE` (required)")
	fs.StringVar(&cfg.Report, "report", "", "write the JSON report to `FILE`")
	fs.StringVar(&cfg.Rejects, "rejects", "", "write refused list rows as line,reason to `FILE`")
	help := flag.NewFlagSet("match-beam", flag.ContinueOnError) // match's own flags, for -h
	help.SetOutput(stderr)
	fs.VisitAll(func(f *flag.Flag) { help.Var(f.Value, f.Name, f.Usage) })
	addBeamFlags(fs)

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			help.PrintDefaults()
			fmt.Fprint(stderr, beamUsage)
			beamHelp(stderr).PrintDefaults()
			return cfg, err
		}
		return cfg, fmt.Errorf("%v\nTry: match-beam -h", err)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q\nTry: match-beam -h", fs.Arg(0))
	}
	var err error
	if cfg.Format, err = normalize.ParseFormat(*format); err != nil || cfg.Format.Kind() != normalize.KindPhone {
		return cfg, fmt.Errorf("--hash-format %q: want e164, digits or uid2", *format)
	}
	if *email != "" {
		if cfg.EmailFormat, err = normalize.ParseFormat(*email); err != nil || cfg.EmailFormat.Kind() != normalize.KindEmail {
			return cfg, fmt.Errorf("--email-hash-format %q: want email or email-uid2", *email)
		}
	}
	if cfg.BuildSide, err = pipeline.ParseSide(*side); err != nil {
		return cfg, fmt.Errorf("--build-side %q: want users, list or auto", *side)
	}
	if cfg.Policy, err = consent.ParsePolicy(*policy); err != nil {
		return cfg, fmt.Errorf("--policy %q: want opt-out or opt-in", *policy)
	}
	if !*bloomOn {
		cfg.Prefilter = matcher.PrefilterNone
	}
	cfg.MinAudience = *minAud
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case !normalize.ValidRegion(cfg.Region):
		return cfg, fmt.Errorf("--region %q: not a region code libphonenumber knows (want ISO 3166-1 alpha-2, e.g. US, GB)", cfg.Region)
	case cfg.Users == "":
		return cfg, errors.New("missing --users\nTry: match-beam -h")
	case cfg.List == "":
		return cfg, errors.New("missing --list\nTry: match-beam -h")
	case cfg.Out == "" || cfg.Out == "-" || cfg.Report == "-" || cfg.Rejects == "-":
		return cfg, errors.New("--out, --report and --rejects must name files: the pipeline's workers write them\nTry: match-beam -h")
	case (set["policy"] || set["purpose"] || set["allow-new-purpose"]) && cfg.Consent == "":
		return cfg, errors.New("--policy and --purpose apply to a --consent export; none given")
	case *minAud < 0:
		return cfg, fmt.Errorf("--min-audience %d: want 0 or more", *minAud)
	case cfg.Epsilon < 0 || cfg.Budget < 0:
		return cfg, fmt.Errorf("--epsilon %v, --budget %v: want 0 or more", cfg.Epsilon, cfg.Budget)
	case *minAud > 0 && cfg.Epsilon == 0:
		return cfg, errors.New("--min-audience without noise tells whether one person is a user; give --epsilon, or --min-audience 0 too")
	case cfg.Epsilon > 0 && cfg.History == "":
		return cfg, errors.New("the privacy guards need --advertiser and --history (the noise's secret and the advertiser's budget live there)\nTry: --advertiser ID --history FILE, or --min-audience 0 --epsilon 0 for the platform's own runs")
	case (cfg.Advertiser == "") != (cfg.History == ""):
		return cfg, errors.New("--advertiser and --history go together")
	}
	return cfg, nil
}

// unwrapConfig drops the "bad configuration: " of a pipeline.ErrConfig,
// which the flag checks above mostly prevent.
func unwrapConfig(err error) error {
	if errors.Is(err, pipeline.ErrConfig) {
		return errors.New(strings.TrimPrefix(err.Error(), pipeline.ErrConfig.Error()+": "))
	}
	return err
}

// summary prints the counters: the rows of each side and what the bloom
// filter did. It reports whether the audience was withheld.
func summary(w io.Writer, list string, res beam.PipelineResult) (withheld bool) {
	c := make(map[string]int64)
	for _, r := range res.Metrics().AllMetrics().Counters() {
		if r.Key.Namespace == pipeline.CounterNamespace {
			c[r.Key.Name] += r.Result()
		}
	}
	if c[pipeline.CounterUsersRejected] > 0 {
		// The platform's own malformed rows, for its engineers; excluded
		// users are not in it.
		fmt.Fprintf(w, "match-beam: users: %d rows skipped (bad phone or row)\n", c[pipeline.CounterUsersRejected])
	}
	fmt.Fprintf(w, "match-beam: %s: %d user rows and %d list rows accepted; bloom filter passed %d of %d; %d rows shuffled into the join\n",
		list, c[pipeline.CounterUsersIn], c[pipeline.CounterListIn], c[pipeline.CounterProbePassed], c[pipeline.CounterProbeIn], c[pipeline.CounterShuffled])
	return c[pipeline.CounterWithheld] > 0
}
