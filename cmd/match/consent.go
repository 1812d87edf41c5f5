package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/consent/ledger"
)

const consentUsage = `Usage: match consent COMMAND [flags]

The consent ledger: a durable record of each user's latest choice (opt-out
or opt-in) for each purpose, that "match run --consent" and "match prune"
enforce. The latest effective time wins, whatever the order events arrive
in; at equal times opt-out wins.

Commands:
  import --db CONSENT.db [--rejects FILE] [--batch N] EVENTS.csv
         record a file of events; a rerun after a crash resumes after the
         last committed batch
  set    --db CONSENT.db --user ID --choice opt-out|opt-in [--purpose ads]
         [--time RFC3339] [--source TEXT]
         record one event (time: now)
  get    --db CONSENT.db --user ID
         print the user's latest choice for each purpose, as CSV
  export --db CONSENT.db [--out FILE]
         write the whole ledger as CSV: user_id,purpose,choice,time,source,
         one row per user and purpose, sorted by user_id then purpose

EVENTS.csv has a header with user_id, purpose, choice (opt-out or opt-in)
and time (RFC 3339, e.g. 2024-05-01T12:00:00Z), and optionally source.

Examples:
  match consent import --db consent.db --rejects rejects.csv events.csv
  match consent set --db consent.db --user u42 --choice opt-out
  match consent get --db consent.db --user u42
  match consent export --db consent.db --out ledger.csv

"match consent COMMAND -h" shows a command's flags.
`

func runConsent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, consentUsage)
		return usageErrorf("consent: missing command\nTry: match consent -h")
	}
	switch args[0] {
	case "import":
		return runConsentImport(ctx, args[1:], stdout, stderr)
	case "set":
		return runConsentSet(ctx, args[1:], stderr)
	case "get":
		return runConsentGet(args[1:], stdout, stderr)
	case "export":
		return runConsentExport(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, consentUsage)
		return nil
	}
	return usageErrorf("consent: unknown command %q\nTry: match consent -h", args[0])
}

// lockTimeoutFlag adds --lock-timeout to a command that opens the ledger.
func lockTimeoutFlag(fs *flag.FlagSet) *time.Duration {
	return fs.Duration("lock-timeout", 10*time.Second, "how long to wait while another process has the ledger open for writing")
}

// openLedger opens the ledger at path. A missing file (when reading), a
// file that is no ledger or cannot be opened is a usage error (exit 2); a
// ledger another process keeps locked past the timeout is a failure (exit
// 1): it may well work later.
func openLedger(path, flagName string, readOnly bool, timeout time.Duration) (*ledger.Store, error) {
	if path == "" {
		return nil, usageErrorf("missing --%s", flagName)
	}
	s, err := ledger.Open(path, &ledger.Options{ReadOnly: readOnly, Timeout: timeout})
	switch {
	case err == nil:
		return s, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, usageErrorf("%s: no such consent ledger (create one with match consent import or set)", path)
	case errors.Is(err, ledger.ErrNotLedger):
		return nil, usageErrorf("%s: not a consent ledger", path)
	case errors.Is(err, ledger.ErrLocked):
		return nil, fmt.Errorf("%s: locked by another process that has it open for writing (waited %v)\nTry: again when it is done, or a longer --lock-timeout", path, timeout)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, usageErrorf("%s: %v", path, pe.Err)
	}
	return nil, usageErrorf("%s: %v", path, err)
}

// parseFlagsAndArgs is parseFlags for a command that takes n positional
// arguments, before, between or after its flags.
func parseFlagsAndArgs(fs *flag.FlagSet, args []string, n int, what string) ([]string, error) {
	var pos []string
	for {
		usage := fs.Usage
		fs.Usage = func() {}
		err := fs.Parse(args)
		fs.Usage = usage
		if err != nil {
			if err == flag.ErrHelp {
				usage()
				return nil, errHelp
			}
			return nil, usageErrorf("%s: %v\nTry: match %s -h", fs.Name(), err, fs.Name())
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(pos) < n:
		return nil, usageErrorf("%s: missing %s\nTry: match %s -h", fs.Name(), what, fs.Name())
	case len(pos) > n:
		return nil, usageErrorf("%s: unexpected argument %q\nTry: match %s -h", fs.Name(), pos[n], fs.Name())
	}
	return pos, nil
}

const consentImportUsage = `Usage: match consent import --db CONSENT.db [--rejects FILE] [--batch N] EVENTS.csv

Records the events of EVENTS.csv in the ledger CONSENT.db (created if
missing), in transactions of --batch events. EVENTS.csv has a header with
user_id, purpose, choice (opt-out or opt-in) and time (RFC 3339), and
optionally source, in any order and case. A refused line (empty user id or
purpose, unknown choice, bad time, broken CSV) is skipped and listed in
--rejects as line,reason.

Every committed batch is durable. If an import is interrupted (a crash, a
kill, ^C), running it again resumes after the last committed batch and
records the rest exactly once; importing a file again records nothing new.
Recording an event twice never changes the ledger.

Example:
  match consent import --db consent.db --rejects rejects.csv events.csv

Flags:
`

func runConsentImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("consent import", consentImportUsage, stderr)
	var (
		db      = fs.String("db", "", "the consent ledger `FILE` (required; created if missing)")
		rejects = fs.String("rejects", "", "write refused lines as line,reason to `FILE`")
		batch   = fs.Int("batch", ledger.DefaultBatchSize, "events per transaction")
		timeout = lockTimeoutFlag(fs)
	)
	pos, err := parseFlagsAndArgs(fs, args, 1, "EVENTS.csv")
	if err != nil {
		return err
	}
	if *db == "" {
		return usageErrorf("import: missing --db\nTry: match consent import -h")
	}
	if *batch < 1 {
		return usageErrorf("--batch %d: want at least 1", *batch)
	}
	path := pos[0]

	// Check the file before the ledger is opened (or created).
	in, err := openEvents(path, stderr)
	if err != nil {
		return err
	}
	in.Close()
	name, err := filepath.Abs(path)
	if err != nil {
		return usageErrorf("%s: %v", path, err)
	}

	rj, err := newRejects(*rejects, stdout)
	if err != nil {
		return err
	}
	var outs outputs
	if rj != nil {
		outs = append(outs, rj.output)
	}
	s, err := openLedger(*db, "db", false, *timeout)
	if err != nil {
		outs.abort()
		return err
	}

	var readErr error
	rows := func(yield func(ledger.Row) bool) {
		in, err := openEvents(path, stderr)
		if err != nil {
			readErr = err
			return
		}
		defer in.Close()
		in.eventRows(yield)
		if in.err != nil {
			readErr = in.err
		}
	}
	st, err := s.Import(ctx, rows, &ledger.ImportOptions{
		Name:      name,
		BatchSize: *batch,
		OnReject:  func(r ledger.Row) { rj.add(r.Line, r.Err) },
	})
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = readErr
	}
	if err != nil {
		outs.abort()
		return fmt.Errorf("%s: %w (%d events recorded in %d batches; a rerun resumes after them)", *db, err, st.Recorded, st.Batches)
	}
	if err := outs.commit(); err != nil {
		return err
	}
	msg := fmt.Sprintf("match: %s: %d lines, %d accepted, %d rejected; %d events recorded in %d batches",
		path, st.Lines, st.Accepted, st.Rejected, st.Recorded, st.Batches)
	if st.Resumed > 0 {
		msg += fmt.Sprintf(" (lines up to %d were committed by an earlier import)", st.Resumed)
	}
	fmt.Fprintln(stderr, msg)
	return nil
}

// events is an open events CSV with its columns found.
type events struct {
	*input
	user, purpose, choice, time, source int
}

func openEvents(path string, stderr io.Writer) (*events, error) {
	in, err := openInput(path, "events", stderr)
	if err != nil {
		return nil, err
	}
	ev := &events{input: in}
	for _, c := range []struct {
		name string
		i    *int
	}{{"user_id", &ev.user}, {"purpose", &ev.purpose}, {"choice", &ev.choice}, {"time", &ev.time}} {
		if *c.i, err = in.column(c.name, true); err != nil {
			in.Close()
			return nil, err
		}
	}
	ev.source, _ = in.column("source", false)
	return ev, nil
}

// eventRows yields each line as a ledger.Row.
func (ev *events) eventRows(yield func(ledger.Row) bool) {
	ev.rows(func(line int64, fields [][]byte, err error) bool {
		r := ledger.Row{Line: line, Err: err}
		if err == nil {
			r.Event, r.Err = consent.ParseEvent(ev.field(fields, ev.user), ev.field(fields, ev.purpose),
				string(fields[ev.choice]), string(fields[ev.time]), ev.field(fields, ev.source))
		}
		return yield(r)
	})
}

const consentSetUsage = `Usage: match consent set --db CONSENT.db --user ID --choice opt-out|opt-in [--purpose ads]
                         [--time RFC3339] [--source TEXT]

Records one consent event in the ledger (created if missing), durably. It
wins over the user's earlier choice for the purpose if its time is later (or
equal, for an opt-out); an older event changes nothing.

Example:
  match consent set --db consent.db --user u42 --choice opt-out --source support

Flags:
`

func runConsentSet(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("consent set", consentSetUsage, stderr)
	var (
		db      = fs.String("db", "", "the consent ledger `FILE` (required; created if missing)")
		user    = fs.String("user", "", "the user `id` (required)")
		choice  = fs.String("choice", "", "`opt-out` or opt-in (required)")
		purpose = fs.String("purpose", consent.DefaultPurpose, "the `purpose` chosen for")
		when    = fs.String("time", "", "effective `time`, RFC 3339 (default now)")
		source  = fs.String("source", "cli", "where the choice came from")
		timeout = lockTimeoutFlag(fs)
	)
	if _, err := parseFlagsAndArgs(fs, args, 0, ""); err != nil {
		return err
	}
	if *db == "" {
		return usageErrorf("set: missing --db\nTry: match consent set -h")
	}
	e := consent.Event{UserID: *user, Purpose: *purpose, Source: *source, Time: time.Now().UTC()}
	var err error
	if e.Choice, err = consent.ParseChoice(*choice); err != nil {
		return usageErrorf("--choice %q: want opt-out or opt-in", *choice)
	}
	if *when != "" {
		if e.Time, err = consent.ParseTime(*when); err != nil {
			return usageErrorf("--time %q: %v", *when, err)
		}
	}
	if _, err := e.Normalize(); err != nil {
		return usageErrorf("set: %v\nTry: match consent set -h", err)
	}
	s, err := openLedger(*db, "db", false, *timeout)
	if err != nil {
		return err
	}
	err = s.Record(ctx, e)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *db, err)
	}
	fmt.Fprintf(stderr, "match: %s: recorded\n", *db)
	return nil
}

const consentGetUsage = `Usage: match consent get --db CONSENT.db --user ID

Prints the user's latest choice for each purpose the ledger knows, as CSV
with the header user_id,purpose,choice,time,source (only the header if it
knows none).

Example:
  match consent get --db consent.db --user u42

Flags:
`

func runConsentGet(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("consent get", consentGetUsage, stderr)
	var (
		db      = fs.String("db", "", "the consent ledger `FILE` (required)")
		user    = fs.String("user", "", "the user `id` (required)")
		timeout = lockTimeoutFlag(fs)
	)
	if _, err := parseFlagsAndArgs(fs, args, 0, ""); err != nil {
		return err
	}
	if *user == "" {
		return usageErrorf("get: missing --user\nTry: match consent get -h")
	}
	s, err := openLedger(*db, "db", true, *timeout)
	if err != nil {
		return err
	}
	evs, err := s.Get(*user)
	s.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *db, err)
	}
	w := newEventWriter(stdout)
	for _, e := range evs {
		w.write(e)
	}
	w.Flush()
	return w.Error()
}

const consentExportUsage = `Usage: match consent export --db CONSENT.db [--out FILE]

Writes the ledger as CSV with the header user_id,purpose,choice,time,source:
one row per user and purpose, holding the latest choice, sorted by user_id
then purpose (bytewise); time in RFC 3339, UTC. The ledger is read as of
one moment, even while another process writes.

Example:
  match consent export --db consent.db --out ledger.csv

Flags:
`

func runConsentExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("consent export", consentExportUsage, stderr)
	var (
		db      = fs.String("db", "", "the consent ledger `FILE` (required)")
		out     = fs.String("out", "", "write to `FILE` (default stdout)")
		timeout = lockTimeoutFlag(fs)
	)
	if _, err := parseFlagsAndArgs(fs, args, 0, ""); err != nil {
		return err
	}
	s, err := openLedger(*db, "db", true, *timeout)
	if err != nil {
		return err
	}
	defer s.Close()
	o, err := createOutput(*out, stdout)
	if err != nil {
		return err
	}
	w := newEventWriter(o)
	var n int64
	for e, err := range s.Events() {
		if err != nil {
			o.Abort()
			return fmt.Errorf("%s: %w", *db, err)
		}
		w.write(e)
		n++
	}
	w.Flush()
	if err := w.Error(); err != nil {
		o.Abort()
		return fmt.Errorf("%s: %w", o.displayName(), err)
	}
	if err := (outputs{o}).commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "match: %s: %d rows\n", *db, n)
	return nil
}

// eventWriter writes events as CSV, under the export header.
type eventWriter struct {
	*csv.Writer
	rec []string
}

func newEventWriter(w io.Writer) *eventWriter {
	ew := &eventWriter{Writer: csv.NewWriter(w), rec: make([]string, 5)}
	ew.Write(consent.Columns)
	return ew
}

func (w *eventWriter) write(e consent.Event) {
	w.rec[0], w.rec[1], w.rec[2], w.rec[3], w.rec[4] = e.UserID, e.Purpose, e.Choice.String(), e.Time.UTC().Format(time.RFC3339Nano), e.Source
	w.Write(w.rec)
}

// Consent flags of match run and match prune.
type consentFlags struct {
	path    *string
	policy  *string
	purpose *string
	timeout *time.Duration
	fs      *flag.FlagSet
}

func addConsentFlags(fs *flag.FlagSet) *consentFlags {
	return &consentFlags{
		path:    fs.String("consent", "", "the consent ledger `FILE` (see match consent)"),
		policy:  fs.String("policy", "opt-out", "consent `policy`: opt-out (matchable unless opted out) or opt-in (matchable only if opted in)"),
		purpose: fs.String("purpose", consent.DefaultPurpose, "the consent `purpose` that gates matching"),
		timeout: lockTimeoutFlag(fs),
		fs:      fs,
	}
}

// snapshot checks the flags, then opens the ledger read-only, takes the
// snapshot and closes it, so the ledger is locked no longer than that.
// Without --consent it returns nil.
func (cf *consentFlags) snapshot() (*ledger.Snapshot, error) {
	var set []string
	cf.fs.Visit(func(f *flag.Flag) {
		if f.Name == "policy" || f.Name == "purpose" {
			set = append(set, "--"+f.Name)
		}
	})
	policy, err := consent.ParsePolicy(*cf.policy)
	if err != nil {
		return nil, usageErrorf("--policy %q: want opt-out or opt-in", *cf.policy)
	}
	if *cf.path == "" {
		if len(set) > 0 {
			return nil, usageErrorf("%s: %s needs --consent\nTry: match %s -h", cf.fs.Name(), set[0], cf.fs.Name())
		}
		return nil, nil
	}
	if strings.TrimSpace(*cf.purpose) == "" {
		return nil, usageErrorf("--purpose %q: want a purpose name, e.g. %s", *cf.purpose, consent.DefaultPurpose)
	}
	s, err := openLedger(*cf.path, "consent", true, *cf.timeout)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	snap, err := s.Snapshot(*cf.purpose, policy)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", *cf.path, err)
	}
	return snap, nil
}
