package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"math"
	"time"
	"unsafe"

	"github.com/audiencematch/audiencematch/internal/buildinfo"
	"github.com/audiencematch/audiencematch/internal/csvrow"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/privacy"
)

const runUsage = `Usage: match run (--users USERS.csv [--build-side users|list|auto] |
                  --index BASE.idx [--key-file KEY]) --list LIST.csv
                 [--optouts OPTOUTS.csv] [--consent CONSENT.db [--policy opt-out|opt-in]
                 [--purpose ads] [--allow-new-purpose] [--lock-timeout D]] [--region CC]
                 [--hash-format e164|digits|uid2] [--email-hash-format email|email-uid2]
                 [--min-audience N] [--epsilon E]
                 [--budget B] [--advertiser ID --history FILE] [--audit FILE]
                 [--out FILE] [--report FILE] [--rejects FILE]

Matches a contact list against the user base and writes the audience: the
ids of the users whose phone is on the list, each once, opted-out users
never, under the header "user_id", in the order of the list row that first
matched them.

USERS.csv:   header with user_id, phone or email or both, and optionally
             country; a user may have any number of rows.
BASE.idx:    an index of the user base from "match index build": the same
             answer as --users with that file, without reading it again.
             A keyed index needs the --key-file it was built with.
OPTOUTS.csv: header with user_id.
CONSENT.db:  a consent ledger (see match consent), read as of the start of
             the run. Under --policy opt-out (the default) a user whose
             latest --purpose choice is opt-out is excluded; under opt-in
             every user whose latest choice is not opt-in is, users the
             ledger does not know included. With --optouts too, a user
             either excludes is excluded. A --purpose the ledger has no
             choice for is refused (a typo would exclude no one) unless
             --allow-new-purpose.
LIST.csv:    header with either phone (and optionally country) of raw numbers,
             or hash, of values hashed in --hash-format; or several
             identifier columns: phone, phone2, phone3, email, email2,
             email3, raw or holding digests, and their hashed forms
             phone_hash, …, email_hash, … (phones in --hash-format, emails
             in --email-hash-format), as in Meta's and Google's upload
             templates, whose repeated email and phone columns are read
             as they are. A row matches every user any of its identifiers
             matches, each user once; a row none of whose identifiers is
             valid is refused with the reason of each.

The privacy guards (PRIVACY.md) need --advertiser and --history: the
history file keeps the noise's secret, the advertiser's spending and its
recent lists. The audience size the guards decide on and report is the
exact one plus noise of privacy loss --epsilon (two-sided geometric: the
same list and audience always get the same noise). An audience whose noisy
size is below --min-audience is not released; each such decision spends
--epsilon of the advertiser's --budget for 30 days, and a run the budget
cannot pay for is refused before any list is read. A list that differs by
more than zero and fewer than --min-audience identifiers from one of the
advertiser's lists of the last 30 days is refused, whoever is on it. A
withheld audience is not written (nor anything on stdout) and the exit
status is 3; the report and the rejects are written. For the platform's
own runs: --min-audience 0 --epsilon 0, the exact figures.

The report (--report) is the advertiser's view, JSON: list, list_kind
(phone, hash, or keys for several identifier columns), hash_format and
email_hash_format (of digests the list may hold), rows, accepted, rejected
and rejected_by (reason: count) of the list as sent, phones and emails
(identifiers accepted, rejected and rejected_by, by kind), status (released,
below minimum audience, too close to a recent list, or privacy budget
spent), min_audience and, only if released, audience_size, the noisy size
rounded down to two significant digits, and match_rate (audience_size
over accepted, at most 1). It counts no matched row and no opted-out
user. The exact figures (rows = matched + unmatched + rejected, all
counted after opt-outs are removed), the noisy size and the decision are
appended to the platform's audit log (--audit). No raw phone number is
ever written to an output or to stderr.

Examples:
  match run --users users.csv --optouts optouts.csv --list list.csv \
      --out audience.csv --report report.json --rejects rejects.csv \
      --advertiser acme --history history.json
  match run --users users.csv --consent consent.db --policy opt-in \
      --list list.csv --out audience.csv --min-audience 0 --epsilon 0

Flags:
`

// runOptions are the flags of match run, parsed and checked.
type runOptions struct {
	users       string           // --users: the user base CSV; or
	index       string           // --index: the user base as an index
	keyFile     string           // --key-file: the index's key; "" if not keyed
	list        string           // --list: the contact list
	optouts     string           // --optouts; "" for none
	consent     consentOptions   // --consent and how to read it
	region      string           // --region of rows without a country
	formatName  string           // --hash-format as given
	format      normalize.Format // --hash-format, parsed
	emailName   string           // --email-hash-format as given; "" to follow --hash-format
	emailFormat normalize.Format // --email-hash-format, parsed or followed
	buildSide   string           // --build-side: users, list or auto
	out         string           // --out; "" for stdout
	report      string           // --report; "" for none
	rejects     string           // --rejects; "" for none
	minAudience int64            // --min-audience, 0 or more
	epsilon     float64          // --epsilon, 0 or more
	budget      float64          // --budget, 0 or more
	advertiser  string           // --advertiser, with --history
	history     string           // --history, with --advertiser
	audit       string           // --audit; "" for none
}

// runFlags returns the FlagSet of match run, bound to o.
func runFlags(o *runOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("run", runUsage, stderr)
	fs.StringVar(&o.users, "users", "", "the user base `CSV`, or - for stdin (this or --index)")
	fs.StringVar(&o.index, "index", "", "the user base as an index `FILE` from match index build (this or --users)")
	fs.StringVar(&o.keyFile, "key-file", "", "the secret `KEY` a keyed --index was built with")
	fs.StringVar(&o.list, "list", "", "the contact list `CSV`, or - for stdin (required)")
	fs.StringVar(&o.region, "region", normalize.DefaultRegion, "`region` of rows without a country")
	fs.StringVar(&o.formatName, "hash-format", "e164", "`format` of hashed phones: e164, digits or uid2")
	fs.StringVar(&o.emailName, "email-hash-format", "", "`format` of hashed emails: email or email-uid2 (default: email-uid2 with --hash-format uid2, else email)")
	fs.StringVar(&o.rejects, "rejects", "", "write refused list rows as line,reason to `FILE`")
	fs.StringVar(&o.buildSide, "build-side", "auto", "`side` the hash table is built on: users, list, or auto (the side of fewer rows)")
	o.releaseFlags(fs)
	return fs
}

// releaseFlags defines the flags of who is excluded, of the privacy
// guards and of the outputs, bound to o: those of match run that match
// psi finish shares.
func (o *runOptions) releaseFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.optouts, "optouts", "", "`CSV` of opted-out user ids, or - for stdin")
	fs.StringVar(&o.out, "out", "", "write the audience to `FILE` (default stdout)")
	fs.StringVar(&o.report, "report", "", "write the JSON report to `FILE`")
	fs.Int64Var(&o.minAudience, "min-audience", privacy.DefaultMinAudience, "release no audience of fewer than `N` users, by its noisy size (0: no minimum)")
	fs.Float64Var(&o.epsilon, "epsilon", privacy.DefaultEpsilon, "privacy loss `E` of one decision: the noise on the audience size (0, with --min-audience 0: exact figures, for the platform's own runs)")
	fs.Float64Var(&o.budget, "budget", privacy.DefaultBudget, "privacy loss `B` an advertiser may spend in 30 days")
	fs.StringVar(&o.advertiser, "advertiser", "", "the advertiser `ID` the list comes from, for --history")
	fs.StringVar(&o.history, "history", "", "the guards' state `FILE`: the noise's secret, --advertiser's spending and recent lists")
	fs.StringVar(&o.audit, "audit", "", "append the exact figures and the decision to the audit log `FILE` (JSON lines)")
	o.consent.flags(fs, false)
}

// parseRun parses and checks the arguments of match run.
func parseRun(args []string, stderr io.Writer) (*runOptions, error) {
	o := new(runOptions)
	fs := runFlags(o, stderr)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	var err error
	if o.format, err = parseFormat("hash-format", o.formatName); err != nil {
		return nil, err
	}
	if o.emailFormat, err = parseEmailFormat("email-hash-format", o.emailName, o.format); err != nil {
		return nil, err
	}
	if err := checkRegion(o.region); err != nil {
		return nil, err
	}
	switch {
	case o.users == "" && o.index == "":
		return nil, usageErrorf("run: missing --users or --index\nTry: match run -h")
	case o.users != "" && o.index != "":
		return nil, usageErrorf("run: --users and --index both given; the index is the user base")
	case o.keyFile != "" && o.index == "":
		return nil, usageErrorf("run: --key-file goes with --index")
	case o.index == "-" || o.index == "/dev/stdin":
		return nil, usageErrorf("run: --index must be a file: the index is memory-mapped")
	case o.index != "" && o.buildSide != "auto":
		return nil, usageErrorf("run: --build-side does not apply to --index")
	case o.buildSide != "users" && o.buildSide != "list" && o.buildSide != "auto":
		return nil, usageErrorf("--build-side %q: want users, list or auto", o.buildSide)
	case o.list == "":
		return nil, usageErrorf("run: missing --list\nTry: match run -h")
	}
	if err := o.checkGuards("run"); err != nil {
		return nil, err
	}
	if err := oneStdin("run", "--users", o.users, "--list", o.list, "--optouts", o.optouts); err != nil {
		return nil, err
	}
	if err := o.consent.check(fs); err != nil {
		return nil, err
	}
	if err := checkFiles(inputFile("--users", o.users), inputFile("--index", o.index), inputFile("--key-file", o.keyFile),
		inputFile("--list", o.list), inputFile("--optouts", o.optouts), inputFile("--consent", o.consent.path),
		stateFile("--history", o.history), stateFile("--audit", o.audit),
		stdoutFile("--out", o.out), outputFile("--rejects", o.rejects), outputFile("--report", o.report)); err != nil {
		return nil, err
	}
	return o, nil
}

// checkGuards checks the flags of the privacy guards of command cmd.
func (o *runOptions) checkGuards(cmd string) error {
	switch {
	case o.minAudience < 0:
		return usageErrorf("%s: --min-audience %d: want 0 or more", cmd, o.minAudience)
	case (o.advertiser == "") != (o.history == ""):
		return usageErrorf("%s: --advertiser and --history go together", cmd)
	case o.epsilon < 0 || o.budget < 0 || math.IsNaN(o.epsilon) || math.IsInf(o.epsilon, 0) || math.IsNaN(o.budget):
		return usageErrorf("%s: --epsilon %v, --budget %v: want 0 or more", cmd, o.epsilon, o.budget)
	case o.minAudience > 0 && o.epsilon == 0:
		return usageErrorf("%s: --min-audience without noise tells whether one person is a user; give --epsilon, or --min-audience 0 too", cmd)
	case o.epsilon > 0 && o.history == "":
		return usageErrorf("%s: the privacy guards need --advertiser and --history (the noise's secret and the advertiser's budget live there)\nTry: --advertiser ID --history FILE, or --min-audience 0 --epsilon 0 for the platform's own runs", cmd)
	}
	return nil
}

// runRun is match run in three steps: open every input and create the
// outputs; match the list against the user base; release the audience
// only if the privacy guards allow it.
func runRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseRun(args, stderr)
	if err != nil {
		return err
	}
	j, err := openRun(o, stdin, stdout, stderr)
	if err != nil {
		return o.refused(err, stderr)
	}
	defer j.close()
	st, err := j.match(ctx)
	if err != nil {
		j.outs.abort()
		return err
	}
	return j.release(st, stderr)
}

// refused returns err, an error of opening a run, unless it is that the
// advertiser's budget is spent: that is said on stderr, and the run ends
// as withheld.
func (o *runOptions) refused(err error, stderr io.Writer) error {
	if errors.Is(err, privacy.ErrBudget) {
		fmt.Fprintf(stderr, "match: advertiser %q: %v for the last 30 days; no list was read\n", privacy.CanonicalAdvertiser(o.advertiser), err)
		return errNotReleased
	}
	return err
}

// runJob is a match run at work: what openRun opens and creates, what
// match writes, and what release decides on.
type runJob struct {
	o           *runOptions
	users       *usersInput         // --users, or
	ix          *matcher.Index      // --index
	list        *listInput          // --list
	excl        matcher.Consent     // who may not be matched; nil for no one
	side        string              // the hash table's side: "index", "users" or "list"
	guards      privacy.Guards      // the guards' settings; History locked for the run, or nil
	sketch      *privacy.Sketch     // the audience's sketch, with a history
	uploaded    *privacy.ListSketch // the list's sketch, with a history
	audience    *output             // held until the guards release it
	rejects     *rejectsFile        // --rejects, or nil
	report      *output             // --report, or nil
	outs        outputs             // audience, rejects and report, committed together
	userRejects int64               // malformed user rows, for the platform alone

	// entries are the list's rows: list.entries, or those psi finish
	// makes of a reply.
	entries iter.Seq[matcher.Entry]

	// listKind, phoneFormat and emailFormat describe the list in the
	// report: the list's kind and formats, or those psi finish gives.
	listKind, phoneFormat, emailFormat string
}

// openRun opens every input first, so that a bad file is reported before
// any work: the user base (or the index), the list, the exclusions, the
// history; then it creates the outputs, written whole or not at all.
func openRun(o *runOptions, stdin io.Reader, stdout, stderr io.Writer) (_ *runJob, err error) {
	j := &runJob{o: o}
	defer func() {
		if err != nil {
			j.close()
		}
	}()
	if err := j.openGuards(); err != nil {
		return nil, err
	}
	if err := j.openBase(stdin, stderr); err != nil {
		return nil, err
	}
	if j.list, err = openList(o.list, stdin, stderr, o.format, o.emailFormat); err != nil {
		return nil, err
	}
	if j.ix != nil && j.ix.Info().Version < 2 && j.list.cols.Has(normalize.KindEmail) {
		return nil, usageErrorf("%s: %v; %s has email columns", o.index, matcher.ErrNoEmailKeys, j.list.name)
	}
	j.entries = j.list.entries
	j.listKind = j.list.kind()
	j.phoneFormat, j.emailFormat = j.list.hashFormats()
	if j.excl, err = o.exclusions(stdin, stderr); err != nil {
		return nil, err
	}
	j.side = j.joinSide()
	if err := j.createOutputs(stdout); err != nil {
		return nil, err
	}
	return j, nil
}

// openGuards opens the history, locked for the run, and asks whether the
// advertiser's budget pays for one more decision: before any input is
// opened, so that a refusal is the same whatever the list.
func (j *runJob) openGuards() (err error) {
	j.guards = privacy.Guards{MinAudience: j.o.minAudience, Epsilon: j.o.epsilon, Budget: j.o.budget,
		Advertiser: j.o.advertiser, Run: privacy.NewRun()}
	if j.o.history == "" {
		return nil
	}
	if j.guards.History, err = privacy.OpenHistory(j.o.history); err != nil {
		return usageErrorf("%v", err)
	}
	j.sketch, j.uploaded = j.guards.History.NewSketch(), j.guards.History.NewListSketch()
	return j.guards.Admit(time.Now())
}

// openBase opens the user base: the index with its key, or the users CSV
// with its columns found.
func (j *runJob) openBase(stdin io.Reader, stderr io.Writer) (err error) {
	if j.o.index == "" {
		j.users, err = openUsers(j.o.users, stdin, stderr)
		return err
	}
	key, err := readKey(j.o.keyFile)
	if err != nil {
		return err
	}
	j.ix, err = openIndex(j.o.index, key)
	return err
}

// exclusions returns who may not be matched: the opt-out file's users and
// the ledger's; nil if neither is given.
func (o *runOptions) exclusions(stdin io.Reader, stderr io.Writer) (matcher.Consent, error) {
	var gate consents
	if o.optouts != "" {
		excl, err := readOptouts(o.optouts, stdin, stderr)
		if err != nil {
			return nil, err
		}
		gate = append(gate, excl)
	}
	snap, err := o.consent.snapshot()
	if err != nil {
		return nil, err
	}
	if snap != nil {
		gate = append(gate, snap)
	}
	return gate.consent(), nil
}

// joinSide returns the side the hash table goes on: "index" with --index,
// else --build-side, where "auto" picks the side of fewer rows (estimated
// from their text, uncompressed: see textRows), since building costs more
// a row than streaming, and a side costs by its rows, not its bytes. A
// side read from stdin cannot be sized without reading it: auto streams
// it, and builds on the file.
func (j *runJob) joinSide() string {
	if j.ix != nil {
		return "index"
	}
	switch {
	case j.o.buildSide != "auto":
		return j.o.buildSide
	case j.users.stdin():
		return "list"
	case j.list.stdin():
		return "users"
	}
	us, uok := j.users.rowCount()
	ls, lok := j.list.rowCount()
	if uok && lok && ls < us {
		return "list"
	}
	return "users"
}

// createOutputs creates the audience, held until the guards have decided
// it may leave, the rejects and the report.
func (j *runJob) createOutputs(stdout io.Writer) (err error) {
	if j.audience, err = createOutput(j.o.out, stdout); err != nil {
		return err
	}
	j.audience.hold()
	j.outs = outputs{j.audience}
	if j.rejects, err = newRejects(j.o.rejects, stdout); err != nil {
		j.outs.abort()
		return err
	}
	if j.rejects != nil {
		j.outs = append(j.outs, j.rejects.output)
	}
	if j.o.report != "" {
		if j.report, err = createOutput(j.o.report, stdout); err != nil {
			j.outs.abort()
			return err
		}
		j.outs = append(j.outs, j.report)
	}
	return nil
}

// close closes the inputs and the history. The outputs are committed or
// aborted by then.
func (j *runJob) close() {
	if j.guards.History != nil {
		j.guards.History.Close()
	}
	if j.list != nil {
		j.list.Close()
	}
	if j.users != nil {
		j.users.Close()
	}
	if j.ix != nil {
		j.ix.Close()
	}
}

// match joins the list and the user base on the side chosen, writes the
// audience (held) and the list's rejects, and returns the exact figures.
func (j *runJob) match(ctx context.Context) (matcher.Stats, error) {
	w := csv.NewWriter(j.audience)
	w.Write([]string{"user_id"})
	rec := make([]string, 1)
	sketch := j.sketch
	emit := func(m matcher.Match) error {
		if sketch != nil {
			sketch.Add(m.UserID)
		}
		rec[0] = m.UserID
		return w.Write(rec)
	}
	opts := &matcher.Options{Format: j.o.format, EmailFormat: j.o.emailFormat, Region: j.o.region}
	if j.uploaded != nil {
		opts.OnAccept = j.uploaded.Add
	}
	switch j.side { // the built side's tables are made at its size at once
	case "users":
		opts.SizeHint = j.users.sizeHint()
	case "list":
		opts.SizeHint = j.list.sizeHint()
	}
	var st matcher.Stats
	var err error
	switch j.side {
	case "index":
		st, err = j.matchIndex(ctx, opts, emit)
	case "users":
		st, err = j.matchBase(ctx, opts, emit)
	default:
		st, err = j.matchList(ctx, opts, emit)
	}
	if err == nil && j.users != nil {
		err = j.users.err
	}
	if err == nil {
		err = j.list.err
	}
	if err == nil {
		w.Flush()
		err = w.Error()
	}
	return st, err
}

// matchIndex streams the list through the index.
func (j *runJob) matchIndex(ctx context.Context, opts *matcher.Options, emit func(matcher.Match) error) (matcher.Stats, error) {
	st, err := j.ix.Match(ctx, j.entries, opts, j.excl, emit, j.onListReject)
	if errors.Is(err, matcher.ErrIndexCorrupt) || errors.Is(err, matcher.ErrNoEmailKeys) {
		err = usageError{err}
	}
	return st, err
}

// matchBase builds the hash table on the user base and streams the list
// through it.
func (j *runJob) matchBase(ctx context.Context, opts *matcher.Options, emit func(matcher.Match) error) (matcher.Stats, error) {
	base, err := matcher.BuildBase(ctx, j.matchableUsers, opts, j.onUserReject)
	if err != nil || j.users.err != nil {
		return matcher.Stats{}, err
	}
	return base.Match(ctx, j.entries, j.excl, emit, j.onListReject)
}

// matchList builds the hash table on the list and streams the user base
// through it, which is then never held in memory.
func (j *runJob) matchList(ctx context.Context, opts *matcher.Options, emit func(matcher.Match) error) (matcher.Stats, error) {
	l, err := matcher.BuildList(ctx, j.entries, opts, j.onListReject)
	if err != nil || j.list.err != nil {
		return matcher.Stats{}, err
	}
	return l.Match(ctx, j.userRows, j.excl, emit, j.onUserReject)
}

// userRows yields the rows of the users CSV; a row without an id is
// refused.
func (j *runJob) userRows(yield func(matcher.User) bool) {
	j.users.rows(func(line int64, fields [][]byte, err error) bool {
		u := j.users.user(line, fields, err)
		if u.Err == nil && u.ID == "" {
			u.Err = matcher.ErrEmptyUserID
		}
		return yield(u)
	})
}

// matchableUsers is userRows without the users excluded: an opted-out
// user never enters the base. (List.Match drops them itself as it reads
// the users.)
func (j *runJob) matchableUsers(yield func(matcher.User) bool) {
	for u := range j.userRows {
		if u.Err == nil && j.excl != nil && j.excl.Excludes(u.ID) {
			continue
		}
		if !yield(u) {
			return
		}
	}
}

func (j *runJob) onListReject(r matcher.Reject) { j.rejects.add(r.Line, detailed(r.Err)) }

func (j *runJob) onUserReject(matcher.Reject) { j.userRejects++ }

// release lets the guards decide (privacy.Decide, the one release
// decision, shared with the Beam pipeline), then writes the report, logs
// the decision (Release.Log) and commits the outputs: the audience only if
// released. Withheld, it returns errNotReleased.
func (j *runJob) release(st matcher.Stats, stderr io.Writer) error {
	rel, err := privacy.Decide(privacy.Outcome{Stats: st, Audience: j.sketch, Uploaded: j.uploaded,
		List: j.list.name, HashFormat: j.phoneFormat, ListKind: j.listKind, EmailHashFormat: j.emailFormat}, j.guards, time.Now())
	if err != nil {
		j.outs.abort()
		return err
	}
	rel.Audit.Version = buildinfo.Read("match").String()
	if err := j.commit(rel); err != nil {
		return err
	}
	j.summarize(st, rel, stderr)
	if !rel.Released() {
		return errNotReleased
	}
	return nil
}

// commit writes the report, drops the audience unless rel releases it,
// logs the decision, and commits the outputs: all of them, or none. If
// they cannot be committed, the decision is taken back (Release.Fail):
// audited as failed, nothing spent or remembered.
func (j *runJob) commit(rel *privacy.Release) error {
	if j.report != nil {
		if err := privacy.WriteReport(j.report, rel.Report); err != nil {
			j.outs.abort()
			return err
		}
	}
	outs := j.outs
	if !rel.Released() {
		j.audience.Abort() // the audience does not leave; the report and rejects do
		outs = outs[1:]
	}
	if err := rel.Log(j.o.audit); err != nil {
		outs.abort()
		return err
	}
	if err := outs.commit(); err != nil {
		return errors.Join(err, rel.Fail(j.o.audit))
	}
	return nil
}

// summarize says on stderr what the run did, in the advertiser's figures,
// and how many user rows were malformed.
func (j *runJob) summarize(st matcher.Stats, rel *privacy.Release, stderr io.Writer) {
	if j.users != nil && j.userRejects > 0 {
		// A count of the platform's own malformed rows, for its engineers;
		// opted-out users are not in it, and it is in no advertiser figure.
		fmt.Fprintf(stderr, "match: %s: %d rows skipped (bad phone, email or row)\n", j.users.name, j.userRejects)
	}
	fmt.Fprintf(stderr, "match: %s: %d rows, %d accepted, %d rejected; ", j.list.name, st.Rows, st.Accepted, st.Rejected)
	if !rel.Released() {
		fmt.Fprintf(stderr, "audience not released: %s (%d)\n", rel.Decision, j.o.minAudience)
		return
	}
	fmt.Fprintf(stderr, "audience %d (rounded down to two digits)\n", *rel.Report.AudienceSize)
}

// consents excludes a user that any of its members excludes.
type consents []matcher.Consent

func (cs consents) Excludes(id string) bool {
	for _, c := range cs {
		if c.Excludes(id) {
			return true
		}
	}
	return false
}

// consent returns the Consent of cs: nil if empty, its only member alone.
func (cs consents) consent() matcher.Consent {
	switch len(cs) {
	case 0:
		return nil
	case 1:
		return cs[0]
	}
	return cs
}

// readOptouts reads the user_id column of an opt-out file. A refused line
// there cannot be skipped silently, since it may be someone's opt-out: it
// fails the run.
func readOptouts(name string, stdin io.Reader, stderr io.Writer) (*matcher.Exclusions, error) {
	in, err := openInput(name, "optouts", stdin, stderr, nil)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	col, err := in.column("user_id", true)
	if err != nil {
		return nil, err
	}
	var bad error
	ids := func(yield func(string) bool) {
		in.rows(func(line int64, fields [][]byte, err error) bool {
			if errors.Is(err, csvrow.ErrBlank) {
				return true
			}
			if err != nil {
				bad = usageErrorf("%s: line %d: %v; an opt-out file must be whole", in.name, line, err)
				return false
			}
			// NewExclusions copies what it keeps: the id can be a view of
			// the reader's buffer, valid until the next row.
			if f := fields[col]; len(f) > 0 {
				return yield(unsafe.String(&f[0], len(f)))
			}
			return true
		})
	}
	excl := matcher.NewExclusions(ids)
	if bad != nil {
		return nil, bad
	}
	if in.err != nil {
		return nil, in.err
	}
	return excl, nil
}
