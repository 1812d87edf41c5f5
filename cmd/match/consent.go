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
	"slices"
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
  import --db CONSENT.db [--rejects FILE] [--batch N] [--lock-timeout D] EVENTS.csv
         record a file of events; a rerun after a crash resumes after the
         last committed batch
  set    --db CONSENT.db --user ID --choice opt-out|opt-in [--purpose ads]
         [--time RFC3339] [--source TEXT] [--lock-timeout D]
         record one event (time: now)
  get    --db CONSENT.db --user ID [--lock-timeout D]
         print the user's latest choice for each purpose, as CSV
  export --db CONSENT.db [--out FILE] [--lock-timeout D]
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

// openLedger opens the ledger at path. A missing file (when reading), a
// file that is no ledger or cannot be opened is a usage error (exit 2); a
// ledger another process keeps locked past the timeout is a failure (exit
// 1): it may well work later.
func openLedger(path string, readOnly bool, timeout time.Duration) (*ledger.Store, error) {
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

const consentImportUsage = `Usage: match consent import --db CONSENT.db [--rejects FILE] [--batch N]
                            [--lock-timeout D] EVENTS.csv

Records the events of EVENTS.csv in the ledger CONSENT.db (created if
missing), in transactions of --batch events. EVENTS.csv has a header with
user_id, purpose, choice (opt-out or opt-in) and time (RFC 3339), and
optionally source, in any order and case. A refused line (empty user id or
purpose, unknown choice, bad time, broken CSV) is skipped and listed in
--rejects as line,reason.

Every committed batch is durable. If an import is interrupted (a crash, a
kill, ^C), running it again resumes after the last committed batch and
records the rest exactly once; importing a file again records nothing new.
Recording an event twice never changes the ledger. EVENTS.csv "-" reads
stdin, once: no resume point is kept, and a rerun records every event
again.

Example:
  match consent import --db consent.db --rejects rejects.csv events.csv

Flags:
`

// consentImportOptions are the flags and argument of match consent
// import, parsed and checked.
type consentImportOptions struct {
	db      string        // --db: the ledger, created if missing
	rejects string        // --rejects; "" for none
	batch   int           // --batch: events a transaction, 1 or more
	timeout time.Duration // --lock-timeout
	events  string        // EVENTS.csv
}

// consentImportFlags returns the FlagSet of match consent import, bound
// to o.
func consentImportFlags(o *consentImportOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("consent import", consentImportUsage, stderr)
	fs.StringVar(&o.db, "db", "", "the consent ledger `FILE` (required; created if missing)")
	fs.StringVar(&o.rejects, "rejects", "", "write refused lines as line,reason to `FILE`")
	fs.IntVar(&o.batch, "batch", ledger.DefaultBatchSize, "events per transaction")
	lockTimeoutFlag(fs, &o.timeout)
	return fs
}

// parseConsentImport parses and checks the arguments of match consent
// import.
func parseConsentImport(args []string, stderr io.Writer) (*consentImportOptions, error) {
	o := new(consentImportOptions)
	pos, err := parseFlagsAndArgs(consentImportFlags(o, stderr), args, 1, "EVENTS.csv")
	if err != nil {
		return nil, err
	}
	if o.db == "" {
		return nil, usageErrorf("import: missing --db\nTry: match consent import -h")
	}
	if o.batch < 1 {
		return nil, usageErrorf("--batch %d: want at least 1", o.batch)
	}
	o.events = pos[0]
	if err := checkFiles(inputFile("the events file", o.events), stateFile("--db", o.db), outputFile("--rejects", o.rejects)); err != nil {
		return nil, err
	}
	return o, nil
}

// runConsentImport is match consent import: open the events file and
// check its header, create the rejects, record the events, then commit
// the rejects.
func runConsentImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseConsentImport(args, stderr)
	if err != nil {
		return err
	}
	// Check the file before the ledger is opened (or created).
	ev, name, err := openImport(o.events, stdin, stderr)
	if err != nil {
		return err
	}
	defer ev.Close()
	rj, err := newRejects(o.rejects, stdout)
	if err != nil {
		return err
	}
	var outs outputs
	if rj != nil {
		outs = append(outs, rj.output)
	}
	st, err := o.record(ctx, ev, name, rj, stderr)
	if err != nil {
		outs.abort()
		return err
	}
	if err := outs.commit(); err != nil {
		return err
	}
	msg := fmt.Sprintf("match: %s: %d lines, %d accepted, %d rejected; %d events recorded in %d batches",
		ev.name, st.Lines, st.Accepted, st.Rejected, st.Recorded, st.Batches)
	if st.Resumed > 0 {
		msg += fmt.Sprintf(" (lines up to %d were committed by an earlier import)", st.Resumed)
	}
	fmt.Fprintln(stderr, msg)
	return nil
}

// openImport opens the events file at path, or stdin, and checks its
// header. It returns the name under which the ledger keeps the import's
// progress: the file's absolute path, or "" for stdin, which is read once
// and keeps none (a rerun records every event again, which changes
// nothing).
func openImport(path string, stdin io.Reader, stderr io.Writer) (*events, string, error) {
	ev, err := openEvents(path, stdin, stderr)
	if err != nil {
		return nil, "", err
	}
	if ev.stdin() {
		return ev, "", nil
	}
	name, err := filepath.Abs(path)
	if err != nil {
		ev.Close()
		return nil, "", usageErrorf("%s: %v", path, err)
	}
	return ev, name, nil
}

// record opens the ledger and imports the events of ev into it, as name,
// passing refused lines to rj. The import reads the rows once, from ev,
// or twice, to check where an earlier import under name stopped: then the
// file is opened again for the second pass.
func (o *consentImportOptions) record(ctx context.Context, ev *events, name string, rj *rejectsFile, stderr io.Writer) (ledger.ImportStats, error) {
	s, err := openLedger(o.db, false, o.timeout)
	if err != nil {
		return ledger.ImportStats{}, err
	}
	var readErr error
	first := ev
	rows := func(yield func(ledger.Row) bool) {
		in := first
		first = nil
		if in == nil {
			if ev.stdin() {
				readErr = fmt.Errorf("%s: read twice", ev.name) // no progress name: never
				return
			}
			if in, readErr = openEvents(o.events, nil, stderr); readErr != nil {
				return
			}
			defer in.Close()
		}
		in.eventRows(yield)
		if in.err != nil {
			readErr = in.err
		}
	}
	st, err := s.Import(ctx, rows, &ledger.ImportOptions{
		Name:      name,
		BatchSize: o.batch,
		OnReject:  func(r ledger.Row) { rj.add(r.Line, r.Err) },
	})
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = readErr
	}
	if err != nil {
		return st, fmt.Errorf("%s: %w (%d events recorded in %d batches; a rerun resumes after them)", o.db, err, st.Recorded, st.Batches)
	}
	return st, nil
}

// events is an open events CSV with its columns found.
type events struct {
	*input
	user, purpose, choice, time, source int
}

func openEvents(path string, stdin io.Reader, stderr io.Writer) (*events, error) {
	in, err := openInput(path, "events", stdin, stderr, nil)
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
                         [--time RFC3339] [--source TEXT] [--lock-timeout D]

Records one consent event in the ledger (created if missing), durably. It
wins over the user's earlier choice for the purpose if its time is later (or
equal, for an opt-out); an older event changes nothing.

Example:
  match consent set --db consent.db --user u42 --choice opt-out --source support

Flags:
`

// consentSetOptions are the flags of match consent set, parsed and checked
// into the event to record.
type consentSetOptions struct {
	db      string        // --db: the ledger, created if missing
	user    string        // --user
	choice  string        // --choice as given
	purpose string        // --purpose
	when    string        // --time as given; "" for now
	source  string        // --source
	timeout time.Duration // --lock-timeout
	event   consent.Event // the event of the flags above, checked
}

// consentSetFlags returns the FlagSet of match consent set, bound to o.
func consentSetFlags(o *consentSetOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("consent set", consentSetUsage, stderr)
	fs.StringVar(&o.db, "db", "", "the consent ledger `FILE` (required; created if missing)")
	fs.StringVar(&o.user, "user", "", "the user `id` (required)")
	fs.StringVar(&o.choice, "choice", "", "`opt-out` or opt-in (required)")
	fs.StringVar(&o.purpose, "purpose", consent.DefaultPurpose, "the `purpose` chosen for")
	fs.StringVar(&o.when, "time", "", "effective `time`, RFC 3339 (default now)")
	fs.StringVar(&o.source, "source", "cli", "where the choice came from")
	lockTimeoutFlag(fs, &o.timeout)
	return fs
}

// parseConsentSet parses and checks the arguments of match consent set,
// and makes the event they give.
func parseConsentSet(args []string, stderr io.Writer) (*consentSetOptions, error) {
	o := new(consentSetOptions)
	if _, err := parseFlagsAndArgs(consentSetFlags(o, stderr), args, 0, ""); err != nil {
		return nil, err
	}
	if o.db == "" {
		return nil, usageErrorf("set: missing --db\nTry: match consent set -h")
	}
	e := consent.Event{UserID: o.user, Purpose: o.purpose, Source: o.source, Time: time.Now().UTC()}
	var err error
	if e.Choice, err = consent.ParseChoice(o.choice); err != nil {
		return nil, usageErrorf("--choice %q: want opt-out or opt-in", o.choice)
	}
	if o.when != "" {
		if e.Time, err = consent.ParseTime(o.when); err != nil {
			return nil, usageErrorf("--time %q: %v", o.when, err)
		}
	}
	if n, err := e.Normalize(); err != nil {
		return nil, usageErrorf("set: %v\nTry: match consent set -h", err)
	} else if err := n.CheckTime(time.Now()); err != nil {
		return nil, usageErrorf("--time %q: %v (at most %v from now)", o.when, err, consent.MaxSkew)
	}
	o.event = e
	return o, nil
}

// runConsentSet is match consent set: record the event of the flags.
func runConsentSet(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	o, err := parseConsentSet(args, stderr)
	if err != nil {
		return err
	}
	s, err := openLedger(o.db, false, o.timeout)
	if err != nil {
		return err
	}
	err = s.Record(ctx, o.event)
	var held consent.Event
	if err == nil {
		held, err = heldChoice(s, o.event)
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	var re *ledger.RowError
	switch {
	case errors.As(err, &re):
		return usageErrorf("set: %v", re.Err)
	case err != nil:
		return ledgerError(o.db, err)
	}
	if e, _ := o.event.Normalize(); held.Choice != e.Choice || !held.Time.Equal(e.Time) || held.Source != e.Source {
		return usageErrorf("%s: not recorded: the ledger holds a later choice for this user and purpose (%s at %s), which an older one does not change",
			o.db, held.Choice, held.Time.Format(time.RFC3339Nano))
	}
	fmt.Fprintf(stderr, "match: %s: recorded\n", o.db)
	return nil
}

// heldChoice returns the choice the ledger holds for e's user and purpose.
func heldChoice(s *ledger.Store, e consent.Event) (consent.Event, error) {
	e, _ = e.Normalize()
	evs, err := s.Get(e.UserID)
	for _, h := range evs {
		if h.Purpose == e.Purpose {
			return h, err
		}
	}
	return consent.Event{}, err
}

const consentGetUsage = `Usage: match consent get --db CONSENT.db --user ID [--lock-timeout D]

Prints the user's latest choice for each purpose the ledger knows, as CSV
with the header user_id,purpose,choice,time,source (only the header if it
knows none).

Example:
  match consent get --db consent.db --user u42

Flags:
`

// consentGetOptions are the flags of match consent get, parsed and
// checked.
type consentGetOptions struct {
	db      string        // --db: the ledger
	user    string        // --user
	timeout time.Duration // --lock-timeout
}

// consentGetFlags returns the FlagSet of match consent get, bound to o.
func consentGetFlags(o *consentGetOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("consent get", consentGetUsage, stderr)
	fs.StringVar(&o.db, "db", "", "the consent ledger `FILE` (required)")
	fs.StringVar(&o.user, "user", "", "the user `id` (required)")
	lockTimeoutFlag(fs, &o.timeout)
	return fs
}

// parseConsentGet parses and checks the arguments of match consent get.
func parseConsentGet(args []string, stderr io.Writer) (*consentGetOptions, error) {
	o := new(consentGetOptions)
	if _, err := parseFlagsAndArgs(consentGetFlags(o, stderr), args, 0, ""); err != nil {
		return nil, err
	}
	if o.user == "" {
		return nil, usageErrorf("get: missing --user\nTry: match consent get -h")
	}
	if o.db == "" {
		return nil, usageErrorf("missing --db")
	}
	return o, nil
}

// runConsentGet is match consent get: print the user's latest choices.
func runConsentGet(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	o, err := parseConsentGet(args, stderr)
	if err != nil {
		return err
	}
	s, err := openLedger(o.db, true, o.timeout)
	if err != nil {
		return err
	}
	evs, err := s.Get(o.user)
	s.Close()
	if err != nil {
		return ledgerError(o.db, err)
	}
	w := newEventWriter(stdout)
	for _, e := range evs {
		w.write(e)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("stdout: %w", bareError(err))
	}
	return nil
}

const consentExportUsage = `Usage: match consent export --db CONSENT.db [--out FILE] [--lock-timeout D]

Writes the ledger as CSV with the header user_id,purpose,choice,time,source:
one row per user and purpose, holding the latest choice, sorted by user_id
then purpose (bytewise); time in RFC 3339, UTC. The ledger is read as of
one moment, even while another process writes.

Example:
  match consent export --db consent.db --out ledger.csv

Flags:
`

// consentExportOptions are the flags of match consent export, parsed and
// checked.
type consentExportOptions struct {
	db      string        // --db: the ledger
	out     string        // --out; "" for stdout
	timeout time.Duration // --lock-timeout
}

// consentExportFlags returns the FlagSet of match consent export, bound
// to o.
func consentExportFlags(o *consentExportOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("consent export", consentExportUsage, stderr)
	fs.StringVar(&o.db, "db", "", "the consent ledger `FILE` (required)")
	fs.StringVar(&o.out, "out", "", "write to `FILE` (default stdout)")
	lockTimeoutFlag(fs, &o.timeout)
	return fs
}

// parseConsentExport parses and checks the arguments of match consent
// export.
func parseConsentExport(args []string, stderr io.Writer) (*consentExportOptions, error) {
	o := new(consentExportOptions)
	if _, err := parseFlagsAndArgs(consentExportFlags(o, stderr), args, 0, ""); err != nil {
		return nil, err
	}
	if o.db == "" {
		return nil, usageErrorf("missing --db")
	}
	if err := checkFiles(inputFile("--db", o.db), stdoutFile("--out", o.out)); err != nil {
		return nil, err
	}
	return o, nil
}

// runConsentExport is match consent export: write the whole ledger.
func runConsentExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	o, err := parseConsentExport(args, stderr)
	if err != nil {
		return err
	}
	s, err := openLedger(o.db, true, o.timeout)
	if err != nil {
		return err
	}
	defer s.Close()
	out, err := createOutput(o.out, stdout)
	if err != nil {
		return err
	}
	n, err := o.write(s, out)
	if err != nil {
		out.Abort()
		return err
	}
	if err := (outputs{out}).commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "match: %s: %d rows\n", o.db, n)
	return nil
}

// write writes every event of the ledger s to out and returns how many.
func (o *consentExportOptions) write(s *ledger.Store, out *output) (int64, error) {
	w := newEventWriter(out)
	var n int64
	for e, err := range s.Events() {
		if err != nil {
			return n, ledgerError(o.db, err)
		}
		w.write(e)
		n++
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return n, fmt.Errorf("%s: %w", out.displayName(), err)
	}
	return n, nil
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

// snapshot opens the ledger that --consent names read-only, takes the
// snapshot of --purpose under --policy and closes the ledger, so that it is
// locked no longer than that. Without --consent it returns nil.
func (c *consentOptions) snapshot() (*ledger.Snapshot, error) {
	if c.path == "" {
		return nil, nil
	}
	s, err := openLedger(c.path, true, c.timeout)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := c.checkPurpose(s); err != nil {
		return nil, err
	}
	snap, err := s.Snapshot(c.purpose, c.policy)
	if err != nil {
		return nil, ledgerError(c.path, err)
	}
	return snap, nil
}

// checkPurpose refuses a --purpose the ledger has never recorded a choice
// for, unless --allow-new-purpose: "add" for "ads" would otherwise run,
// exclude no one, and release everyone who opted out of ads.
func (c *consentOptions) checkPurpose(s *ledger.Store) error {
	known, err := s.Purposes()
	if err != nil {
		return ledgerError(c.path, err)
	}
	if c.allowNew || slices.Contains(known, consent.MatchPurpose(c.purpose)) {
		return nil
	}
	return usageErrorf("%s: --purpose %q: the ledger has no choice for this purpose (it has: %s)\nTry: --allow-new-purpose if the purpose is new",
		c.path, c.purpose, strings.Join(known, ", "))
}

// ledgerError names the ledger in err. A damaged ledger is a bad input
// file (exit 2): it cannot say who opted out, so nothing is matched.
func ledgerError(path string, err error) error {
	if errors.Is(err, ledger.ErrCorrupt) {
		return usageErrorf("%s: %v", path, err)
	}
	return fmt.Errorf("%s: %w", path, err)
}
