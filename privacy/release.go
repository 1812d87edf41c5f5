package privacy

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/audiencematch/audiencematch/matcher"
)

// Guards are the settings of the privacy guards for one decision. match
// run and the Beam pipeline both fill one and call Decide: there is no
// other place where an audience is judged.
//
// The guards are on or off as a whole. On (the commands' default): a
// MinAudience, noise of parameter Epsilon on the size the decision and the
// report use, a Budget of privacy loss per advertiser, and the
// differencing defence, all kept in the History under the Advertiser's
// name. Off, for the platform's own runs: MinAudience 0 and Epsilon 0, the
// exact figures, every audience released.
type Guards struct {
	// MinAudience is the least audience released: an audience whose noisy
	// size is below it is withheld (BelowMinimum). 0 releases every
	// audience, the empty one included: "no minimum", everywhere.
	MinAudience int64

	// Epsilon is the privacy loss of one decision: the audience size is
	// the exact one plus two-sided geometric noise of parameter
	// exp(-Epsilon) (see noise). 0: the exact size. A MinAudience needs
	// noise, or its decision tells whether one person is a user.
	Epsilon float64

	// Budget is the privacy loss an advertiser may spend within Window;
	// a decision that would go past it is refused (BudgetSpent) before
	// it is made. Commands default to DefaultBudget.
	Budget float64

	// Advertiser and History, both or neither: who asks (compared as
	// CanonicalAdvertiser), and the file that keeps the noise's secret,
	// the advertiser's spending and recent lists. Noise needs them.
	Advertiser string
	History    *History

	// Run, if not empty, names the run that decides: a step a distributed
	// runner retries appends its audit record and spends its budget once,
	// and Release.Fail can take back what Log recorded.
	Run string
}

// On reports whether the guards are on: a minimum or noise.
func (g *Guards) On() bool { return g.MinAudience > 0 || g.Epsilon > 0 }

// ErrGuards is returned by Check for settings that guard nothing sensible.
var ErrGuards = errors.New("bad privacy guards")

// ErrBudget is returned by Admit when the advertiser's budget cannot pay
// for one more decision.
var ErrBudget = errors.New("the advertiser's privacy budget is spent")

// Check reports whether g can be applied: no negative figure; an advertiser
// and a history together; noise with both; and a minimum only with noise.
func (g *Guards) Check() error {
	bad := func(why string) error { return fmt.Errorf("%w: %s", ErrGuards, why) }
	switch {
	case g.MinAudience < 0:
		return bad("the minimum audience is negative")
	case g.Epsilon < 0 || math.IsNaN(g.Epsilon) || math.IsInf(g.Epsilon, 0):
		return bad("epsilon is negative or not a number")
	case g.Budget < 0 || math.IsNaN(g.Budget):
		return bad("the budget is negative or not a number")
	case (g.Advertiser == "") != (g.History == nil):
		return bad("an advertiser and a history go together")
	case g.Epsilon > 0 && g.History == nil:
		return bad("noise needs an advertiser and a history (its secret and the budget live there)")
	case g.MinAudience > 0 && g.Epsilon == 0:
		return bad("a minimum audience without noise tells whether one person is a user; give epsilon too")
	}
	return nil
}

// Admit reports whether the advertiser may have one more decision: it is
// ErrBudget if the decision's Epsilon would take the advertiser's spending
// within Window past Budget. It reads only the History, never the list,
// so a run can be refused before it reads anything, the same way for
// every list.
func (g *Guards) Admit(now time.Time) error {
	if err := g.Check(); err != nil {
		return err
	}
	if g.History == nil || g.Epsilon == 0 {
		return nil
	}
	if g.History.Spent(g.Advertiser, now)+g.Epsilon > g.Budget*(1+1e-9) {
		return ErrBudget
	}
	return nil
}

// Outcome is what a match found, exactly, after exclusions: what Decide
// judges.
type Outcome struct {
	// Stats are the exact figures of the list (rows, accepted, matched,
	// unmatched, rejected by reason) and the exact audience size, every
	// one counted after excluded users were dropped.
	Stats matcher.Stats

	// Audience is the sketch of the audience's users (History.NewSketch)
	// and Uploaded that of the list's accepted digests
	// (History.NewListSketch). Both are required with a History and
	// ignored without one.
	Audience *Sketch
	Uploaded *ListSketch

	// List names the list in the report and the audit record; HashFormat
	// is the format of a hashed list, "" for a list of raw phones.
	List       string
	HashFormat string

	// ListKind, if not empty, is the list's kind for the report: "phone",
	// "hash" or "keys" (several identifier columns or emails). Empty:
	// "hash" if HashFormat is set, else "phone". EmailHashFormat is the
	// format of a list's email digests, "" for a list without emails.
	ListKind        string
	EmailHashFormat string
}

// Release is the decision about one audience, with everything that may be
// written about it: the advertiser's Report and the platform's Audit
// record. A caller writes the audience only if Released, writes the
// Report, and calls Log once before it makes its outputs visible (and
// Fail if it then cannot).
type Release struct {
	Decision Decision
	Report   Report
	Audit    Audit

	guards   Guards
	uploaded *ListSketch
	now      time.Time
}

// Released reports whether the audience may leave the engine.
func (r *Release) Released() bool { return r.Decision == Released }

// Decide applies the guards g to the outcome o at time now. In order:
//
//  1. The budget: a decision that the advertiser cannot pay for is
//     BudgetSpent (Admit, asked before matching, says so sooner).
//  2. The differencing defence, on the list: a list whose distinct
//     identifiers differ from a recent list of the advertiser's by more
//     than zero and fewer than MinAudience is TooCloseToPast, whoever its
//     rows are; that depends on the advertiser's own lists only.
//  3. The noisy size: the exact audience plus noise drawn from the
//     History's secret, the advertiser, the list and the audience, so the
//     same list and audience get the same answer. Released if it reaches
//     MinAudience, else BelowMinimum; either spends Epsilon.
//
// The Report gives the noisy size, rounded down to two significant digits,
// and a match rate made from it, only if released; the Audit keeps the
// exact figures. Decide writes nothing: see Release.Log.
func Decide(o Outcome, g Guards, now time.Time) (*Release, error) {
	if err := g.Check(); err != nil {
		return nil, err
	}
	if g.History != nil && (o.Audience == nil || o.Uploaded == nil) {
		return nil, fmt.Errorf("%w: a history needs the audience's and the list's sketches", ErrGuards)
	}
	a := Audit{Time: now.UTC(), Advertiser: CanonicalAdvertiser(g.Advertiser), List: o.List,
		MinAudience: g.MinAudience, Epsilon: g.Epsilon, Exact: o.Stats, Run: g.Run}
	decided := func(d Decision, noisy int64) *Release {
		st := o.Stats
		st.Audience = max(noisy, 0)
		rp := NewReport(st, d, g.MinAudience)
		rp.List, rp.ListKind, rp.HashFormat, rp.EmailHashFormat = o.List, o.ListKind, o.HashFormat, o.EmailHashFormat
		switch {
		case rp.ListKind != "":
		case o.HashFormat != "":
			rp.ListKind = "hash"
		default:
			rp.ListKind = "phone"
		}
		a.Decision = d
		if rp.AudienceSize != nil {
			a.Reported = *rp.AudienceSize
		}
		return &Release{Decision: d, Report: rp, Audit: a, guards: g, uploaded: o.Uploaded, now: now}
	}

	if g.History != nil {
		if g.Admit(now) != nil {
			return decided(BudgetSpent, 0), nil
		}
		diff, any, err := g.History.NearestList(g.Advertiser, o.Uploaded, now)
		if err != nil {
			return nil, err
		}
		if any {
			a.Nearest = &diff
			if diff > 0 && diff < g.MinAudience {
				return decided(TooCloseToPast, 0), nil
			}
		}
	}
	noisy := o.Stats.Audience
	if g.Epsilon > 0 {
		noisy += noise(g.History.file.Secret, CanonicalAdvertiser(g.Advertiser),
			o.Uploaded.s.Fingerprint(), o.Audience.Fingerprint(), g.Epsilon)
		a.Noisy = &noisy
		spent := math.Round((g.History.Spent(g.Advertiser, now)+g.Epsilon)*1e9) / 1e9
		a.Spent = &spent
	}
	if noisy >= g.MinAudience {
		return decided(Released, noisy), nil
	}
	return decided(BelowMinimum, noisy), nil
}

// spends reports whether the decision was made on the audience, and so
// spent Epsilon and is remembered: released or below the minimum.
func (r *Release) spends() bool { return r.Decision == Released || r.Decision == BelowMinimum }

// Log appends the audit record to the log at auditPath ("" for none) and,
// with a History, records the list of a decision made on the audience
// (released or below the minimum), spending Epsilon from the advertiser's
// budget. A caller calls it once, after its outputs are written and before
// they are made visible.
func (r *Release) Log(auditPath string) error {
	if auditPath != "" {
		if err := AppendAudit(auditPath, r.Audit); err != nil {
			return err
		}
	}
	if r.spends() && r.guards.History != nil {
		return r.guards.History.record(r.guards.Advertiser, upload{
			Time: r.now.UTC(), Rows: r.uploaded.Distinct(), Sketch: encodeSketch(r.uploaded.s.values()),
			Epsilon: r.guards.Epsilon, Decision: r.Decision, Run: r.guards.Run,
		})
	}
	return nil
}

// Fail takes a logged decision back after the run failed to make its
// outputs visible: it appends an audit record of decision Failed and
// removes the run's list from the History, so that nothing was released,
// spent or remembered. The guards must have a Run.
func (r *Release) Fail(auditPath string) error {
	if r.guards.Run == "" {
		return fmt.Errorf("%w: a decision without a run cannot be taken back", ErrGuards)
	}
	a := r.Audit
	a.Decision, a.Reported, a.Run = Failed, 0, r.guards.Run+"/failed"
	var errs []error
	if auditPath != "" {
		errs = append(errs, AppendAudit(auditPath, a))
	}
	if r.spends() && r.guards.History != nil {
		errs = append(errs, r.guards.History.forget(r.guards.Advertiser, r.guards.Run))
	}
	return errors.Join(errs...)
}

// NewRun returns a fresh name for a run (see Guards.Run).
func NewRun() string { return rand.Text() }
