package privacy

import (
	"errors"
	"time"

	"github.com/audiencematch/audiencematch/matcher"
)

// Guards are the settings of the privacy guards for one release. match run
// and the Beam pipeline both fill one and call Decide: there is no other
// place where an audience is judged.
type Guards struct {
	// MinAudience is the least audience released: an audience of fewer
	// users is withheld (BelowMinimum). It is taken literally, so 0
	// releases every audience, the empty one included: that is what "no
	// minimum" means, everywhere. The commands default to
	// DefaultMinAudience; negative values are refused by Check.
	MinAudience int64

	// Advertiser and History, both or neither, are the differencing
	// defence: an audience that differs from one released to Advertiser
	// within Window by more than zero and fewer than MinAudience users is
	// withheld (TooCloseToPast). A nil History turns the defence off.
	Advertiser string
	History    *History

	// Run, if not empty, names the run that decides: a step a distributed
	// runner retries appends its audit record and records its release
	// once (see AppendAudit and History.Record).
	Run string
}

// ErrGuards is returned by Check for settings that guard nothing sensible.
var ErrGuards = errors.New("bad privacy guards")

// Check reports whether g can be applied: MinAudience is not negative, and
// Advertiser and History come together.
func (g *Guards) Check() error {
	switch {
	case g.MinAudience < 0:
		return errors.Join(ErrGuards, errors.New("the minimum audience is negative"))
	case (g.Advertiser == "") != (g.History == nil):
		return errors.Join(ErrGuards, errors.New("an advertiser and a history go together"))
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

	// Sketch is the audience's sketch, made with the History's NewSketch
	// from every user of the audience. Required with a History, ignored
	// without one.
	Sketch *Sketch

	// List names the list in the report and the audit record; HashFormat
	// is the format of a hashed list, "" for a list of raw phones.
	List       string
	HashFormat string
}

// Release is the decision about one audience, with everything that may be
// written about it: the advertiser's Report and the platform's Audit
// record. A caller writes the audience only if Released, writes the
// Report, and calls Log once before it makes its outputs visible.
type Release struct {
	Decision Decision
	Report   Report
	Audit    Audit

	guards Guards
	sketch *Sketch
	now    time.Time
}

// Released reports whether the audience may leave the engine.
func (r *Release) Released() bool { return r.Decision == Released }

// Decide applies the guards g to the outcome o at time now: the minimum
// audience first, then, with a History, the differencing defence. It
// returns the decision, the advertiser's Report (the audience size only if
// released, rounded down to two significant digits) and the Audit record
// (the exact figures). It writes nothing: see Release.Log.
func Decide(o Outcome, g Guards, now time.Time) (*Release, error) {
	if err := g.Check(); err != nil {
		return nil, err
	}
	if g.History != nil && o.Sketch == nil {
		return nil, errors.Join(ErrGuards, errors.New("a history needs the audience's sketch"))
	}
	d, nearest := Released, (*int64)(nil)
	if o.Stats.Audience < g.MinAudience {
		d = BelowMinimum
	} else if g.History != nil {
		var err error
		if d, nearest, err = g.History.Check(g.Advertiser, o.Sketch, g.MinAudience, now); err != nil {
			return nil, err
		}
	}
	rp := NewReport(o.Stats, d, g.MinAudience)
	rp.List, rp.ListKind, rp.HashFormat = o.List, "phone", o.HashFormat
	if o.HashFormat != "" {
		rp.ListKind = "hash"
	}
	a := Audit{Time: now.UTC(), Advertiser: g.Advertiser, List: o.List, Decision: d,
		MinAudience: g.MinAudience, Exact: o.Stats, Nearest: nearest, Run: g.Run}
	if rp.AudienceSize != nil {
		a.Reported = *rp.AudienceSize
	}
	return &Release{Decision: d, Report: rp, Audit: a, guards: g, sketch: o.Sketch, now: now}, nil
}

// Log appends the audit record to the log at auditPath ("" for none) and,
// if the audience is released and the guards have a History, records it
// there. A caller calls it once, after its outputs are written and before
// they are made visible.
func (r *Release) Log(auditPath string) error {
	if auditPath != "" {
		if err := AppendAudit(auditPath, r.Audit); err != nil {
			return err
		}
	}
	if r.Released() && r.guards.History != nil {
		return r.guards.History.Record(r.guards.Advertiser, r.sketch, r.now, r.guards.Run)
	}
	return nil
}
