package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/audiencematch/audiencematch/internal/csvrow"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/privacy"
)

const runUsage = `Usage: match run (--users USERS.csv | --index BASE.idx) --list LIST.csv [--optouts OPTOUTS.csv]
                 [--consent CONSENT.db [--policy opt-out|opt-in] [--purpose ads]] [--region CC]
                 [--hash-format e164|digits|uid2] [--out FILE] [--report FILE] [--rejects FILE]

Matches a contact list against the user base and writes the audience: the
ids of the users whose phone is on the list, each once, opted-out users
never, under the header "user_id", in the order of the list row that first
matched them.

USERS.csv:   header with user_id, phone and optionally country.
BASE.idx:    an index of the user base from "match index build": the same
             answer as --users with that file, without reading it again.
OPTOUTS.csv: header with user_id.
CONSENT.db:  a consent ledger (see match consent), read as of the start of
             the run. Under --policy opt-out (the default) a user whose
             latest --purpose choice is opt-out is excluded; under opt-in
             every user whose latest choice is not opt-in is, users the
             ledger does not know included. With --optouts too, a user
             either excludes is excluded.
LIST.csv:    header with either phone (and optionally country) of raw numbers,
             or hash, of values hashed in --hash-format.

The report (--report) is JSON: rows, accepted, rejected, rejected_by (reason:
count), matched, unmatched and audience_size, all counted after opt-outs are
removed; rows = matched + unmatched + rejected. No raw phone number is ever
written to an output or to stderr.

Examples:
  match run --users users.csv --optouts optouts.csv --list list.csv \
      --out audience.csv --report report.json --rejects rejects.csv
  match run --users users.csv --consent consent.db --policy opt-in \
      --list list.csv --out audience.csv

Flags:
`

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", runUsage, stderr)
	var (
		usersPath   = fs.String("users", "", "the user base `CSV` (this or --index)")
		indexPath   = fs.String("index", "", "the user base as an index `FILE` from match index build (this or --users)")
		keyFile     = fs.String("key-file", "", "the secret `KEY` a keyed --index was built with")
		listPath    = fs.String("list", "", "the contact list `CSV` (required)")
		optoutsPath = fs.String("optouts", "", "`CSV` of opted-out user ids")
		region      = fs.String("region", normalize.DefaultRegion, "`region` of rows without a country")
		format      = fs.String("hash-format", "e164", "`format` of a hashed list: e164, digits or uid2")
		out         = fs.String("out", "", "write the audience to `FILE` (default stdout)")
		reportPath  = fs.String("report", "", "write the JSON report to `FILE`")
		rejects     = fs.String("rejects", "", "write refused list rows as line,reason to `FILE`")
		side        = fs.String("build-side", "auto", "`side` the hash table is built on: users, list, or auto (the smaller file)")
		minAudience = fs.Int64("min-audience", privacy.DefaultMinAudience, "release no audience of fewer than `N` users (0: no minimum)")
		advertiser  = fs.String("advertiser", "", "the advertiser `ID` the list comes from, for --history")
		historyPath = fs.String("history", "", "refuse audiences within --min-audience users of one released to --advertiser in the last 30 days, as kept in `FILE`")
		auditPath   = fs.String("audit", "", "append the exact figures and the decision to the audit log `FILE` (JSON lines)")
		cf          = addConsentFlags(fs)
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, err := parseFormat("hash-format", *format)
	if err != nil {
		return err
	}
	if err := checkRegion(*region); err != nil {
		return err
	}
	switch {
	case *usersPath == "" && *indexPath == "":
		return usageErrorf("run: missing --users or --index\nTry: match run -h")
	case *usersPath != "" && *indexPath != "":
		return usageErrorf("run: --users and --index both given; the index is the user base")
	case *keyFile != "" && *indexPath == "":
		return usageErrorf("run: --key-file goes with --index")
	case *indexPath != "" && *side != "auto":
		return usageErrorf("run: --build-side does not apply to --index")
	case *listPath == "":
		return usageErrorf("run: missing --list\nTry: match run -h")
	case *minAudience < 0:
		return usageErrorf("run: --min-audience %d: want 0 or more", *minAudience)
	case (*advertiser == "") != (*historyPath == ""):
		return usageErrorf("run: --advertiser and --history go together")
	}

	// Open every input first, so a bad file is reported before any work.
	var (
		users                 *input
		ix                    *matcher.Index
		uid, uphone, ucountry int
	)
	if *indexPath != "" {
		key, err := readKey(*keyFile)
		if err != nil {
			return err
		}
		if ix, err = openIndex(*indexPath, key); err != nil {
			return err
		}
		defer ix.Close()
	} else {
		if users, err = openInput(*usersPath, "users", stderr); err != nil {
			return err
		}
		defer users.Close()
		if uid, err = users.column("user_id", true); err != nil {
			return err
		}
		if uphone, err = users.column("phone", true); err != nil {
			return err
		}
		ucountry, _ = users.column("country", false)
	}

	list, err := openInput(*listPath, "list", stderr)
	if err != nil {
		return err
	}
	defer list.Close()
	lphone, _ := list.column("phone", false)
	lhash, _ := list.column("hash", false)
	lcountry, _ := list.column("country", false)
	switch {
	case lphone < 0 && lhash < 0:
		return usageErrorf("%s: missing column \"phone\" or \"hash\"", list.name)
	case lphone >= 0 && lhash >= 0:
		return usageErrorf("%s: has both a \"phone\" and a \"hash\" column; keep one", list.name)
	}

	// Who may not be matched: the opt-out file's users and the ledger's.
	var gate consents
	if *optoutsPath != "" {
		excl, err := readOptouts(*optoutsPath, stderr)
		if err != nil {
			return err
		}
		gate = append(gate, excl)
	}
	snap, err := cf.snapshot()
	if err != nil {
		return err
	}
	if snap != nil {
		gate = append(gate, snap)
	}
	excl := gate.consent()

	joinSide := "index"
	if ix == nil {
		if joinSide, err = buildSide(*side, users, list); err != nil {
			return err
		}
	}

	// The audience's differencing history, locked for the run.
	var hist *privacy.History
	if *historyPath != "" {
		if hist, err = privacy.OpenHistory(*historyPath); err != nil {
			return usageErrorf("%v", err)
		}
		defer hist.Close()
	}

	// The outputs, written whole or not at all; the audience is held
	// until the guards have decided it may leave.
	o, err := createOutput(*out, stdout)
	if err != nil {
		return err
	}
	o.hold()
	outs := outputs{o}
	rj, err := newRejects(*rejects, stdout)
	if err != nil {
		outs.abort()
		return err
	}
	if rj != nil {
		outs = append(outs, rj.output)
	}
	var rep *output
	if *reportPath != "" {
		if rep, err = createOutput(*reportPath, stdout); err != nil {
			outs.abort()
			return err
		}
		outs = append(outs, rep)
	}

	userRows := func(yield func(matcher.User) bool) {
		users.rows(func(line int64, fields [][]byte, err error) bool {
			u := matcher.User{Line: line, Err: err}
			if err == nil {
				u.ID, u.Phone, u.Region = users.field(fields, uid), users.field(fields, uphone), users.region(fields, ucountry)
				if u.ID == "" {
					u.Err = matcher.ErrEmptyUserID
				}
			}
			return yield(u)
		})
	}
	entries := func(yield func(matcher.Entry) bool) {
		list.rows(func(line int64, fields [][]byte, err error) bool {
			e := matcher.Entry{Line: line, Err: err}
			if err == nil {
				if lhash >= 0 {
					e.Hash = list.arena.String(trimHash(fields[lhash]))
					if e.Hash == "" {
						e.Err = normalize.ErrEmpty
					}
				} else {
					e.Phone, e.Region = list.field(fields, lphone), list.region(fields, lcountry)
				}
			}
			return yield(e)
		})
	}
	w := csv.NewWriter(o)
	w.Write([]string{"user_id"})
	rec := make([]string, 1)
	var sketch *privacy.Sketch
	if hist != nil {
		sketch = hist.NewSketch()
	}
	emit := func(m matcher.Match) error {
		if sketch != nil {
			sketch.Add(m.UserID)
		}
		rec[0] = m.UserID
		return w.Write(rec)
	}
	onReject := func(r matcher.Reject) { rj.add(r.Line, r.Err) }
	var userRejects int64
	onUserReject := func(matcher.Reject) { userRejects++ }

	// The join, with the hash table on the smaller side.
	opts := &matcher.Options{Format: f, Region: *region}
	var st matcher.Stats
	switch joinSide {
	case "index":
		st, err = ix.Match(ctx, entries, opts, excl, emit, onReject)
		if errors.Is(err, matcher.ErrIndexCorrupt) {
			err = usageError{err}
		}
	case "users":
		// An opted-out user never enters the base. (List.Match drops them
		// itself as it reads the users.)
		baseRows := func(yield func(matcher.User) bool) {
			for u := range userRows {
				if u.Err == nil && excl != nil && excl.Excludes(u.ID) {
					continue
				}
				if !yield(u) {
					return
				}
			}
		}
		var base *matcher.Base
		base, err = matcher.BuildBase(ctx, baseRows, opts, onUserReject)
		if err == nil && users.err == nil {
			st, err = base.Match(ctx, entries, excl, emit, onReject)
		}
	default:
		var l *matcher.List
		l, err = matcher.BuildList(ctx, entries, opts, onReject)
		if err == nil && list.err == nil {
			st, err = l.Match(ctx, userRows, excl, emit, onUserReject)
		}
	}
	if err == nil && users != nil {
		err = users.err
	}
	if err == nil {
		err = list.err
	}
	if err == nil {
		w.Flush()
		err = w.Error()
	}
	if err != nil {
		outs.abort()
		return err
	}

	// The guards decide; the audience leaves only if released.
	rel, err := privacy.Decide(privacy.Outcome{Stats: st, Sketch: sketch, List: list.name, HashFormat: hashFormat(lhash, f)},
		privacy.Guards{MinAudience: *minAudience, Advertiser: *advertiser, History: hist}, time.Now())
	if err != nil {
		outs.abort()
		return err
	}
	if rep != nil {
		if err := privacy.WriteReport(rep, rel.Report); err != nil {
			outs.abort()
			return err
		}
	}
	if !rel.Released() {
		o.Abort() // the audience does not leave; the report and rejects do
		outs = outs[1:]
	}
	if err := rel.Log(*auditPath); err != nil {
		outs.abort()
		return err
	}
	if err := outs.commit(); err != nil {
		return err
	}
	if users != nil && userRejects > 0 {
		// A count of the platform's own malformed rows, for its engineers;
		// opted-out users are not in it, and it is in no advertiser figure.
		fmt.Fprintf(stderr, "match: %s: %d rows skipped (bad phone or row)\n", users.name, userRejects)
	}
	fmt.Fprintf(stderr, "match: %s: %d rows, %d accepted, %d rejected; ", list.name, st.Rows, st.Accepted, st.Rejected)
	if !rel.Released() {
		fmt.Fprintf(stderr, "audience not released: %s (%d)\n", rel.Decision, *minAudience)
		return errNotReleased
	}
	fmt.Fprintf(stderr, "audience %d (rounded down to two digits)\n", *rel.Report.AudienceSize)
	return nil
}

// buildSide resolves --build-side: "auto" picks the smaller file.
func buildSide(side string, users, list *input) (string, error) {
	switch side {
	case "users", "list":
		return side, nil
	case "auto":
		us, lerr := users.f.Stat()
		ls, uerr := list.f.Stat()
		if lerr == nil && uerr == nil && ls.Size() < us.Size() {
			return "list", nil
		}
		return "users", nil
	}
	return "", usageErrorf("--build-side %q: want users, list or auto", side)
}

func hashFormat(hashCol int, f normalize.Format) string {
	if hashCol >= 0 {
		return f.String()
	}
	return ""
}

// trimHash returns a hash field without surrounding blanks.
func trimHash(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
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
func readOptouts(name string, stderr io.Writer) (*matcher.Exclusions, error) {
	in, err := openInput(name, "optouts", stderr)
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
				bad = usageErrorf("%s: line %d: %v; an opt-out file must be whole", name, line, err)
				return false
			}
			if id := in.field(fields, col); id != "" {
				return yield(id)
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
