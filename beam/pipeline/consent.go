package pipeline

import (
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/audiencematch/audiencematch/consent"
)

// exclude drops every user that the opt-out file or the consent export
// excludes, before anything else sees the user base: the users are joined
// with the consent events by user id (a CoGroupByKey, so the exclusion
// scales with the base, unlike a side input of opted-out ids). Ids are
// joined in consent's canonical form (consent.CanonicalUserID), as the
// ledger compares them.
func exclude(s beam.Scope, p *plan, users beam.PCollection) beam.PCollection {
	s = s.Scope("Exclude")
	var events []beam.PCollection
	if p.Optouts != "" {
		events = append(events, beam.ParDo(s, &readOptoutsFn{}, beam.Create(s, p.Optouts)))
	}
	if p.Consent != "" {
		events = append(events, beam.ParDo(s, &readConsentFn{Purpose: p.Purpose}, beam.Create(s, p.Consent)))
	}
	if len(events) == 0 {
		return beam.Reshuffle(s, users)
	}
	byID := beam.ParDo(s, keyByID, users)
	grouped := beam.CoGroupByKey(s, byID, beam.Flatten(s, events...))
	return beam.ParDo(s, &excludeFn{Policy: p.Policy, Consent: p.Consent != ""}, grouped)
}

func keyByID(u userRow) (string, userRow) { return consent.CanonicalUserID(u.ID), u }

// excludeFn passes on the rows of a user unless the user is excluded. It
// counts nothing: a count of excluded users would be a figure about them.
type excludeFn struct {
	Policy  consent.Policy
	Consent bool // a consent export is read: Policy applies
}

func (fn *excludeFn) ProcessElement(_ string, rows func(*userRow) bool, events func(*event) bool, emit func(userRow)) {
	var all []event
	var e event
	for events(&e) {
		all = append(all, e)
	}
	if excluded(fn.Policy, fn.Consent, all) {
		return
	}
	var u userRow
	for rows(&u) {
		emit(u)
	}
}

// excluded reports whether a user with these events is excluded: by any
// opt-out line, or, if a consent export is read, by what the policy makes
// of the user's latest choice (consent.Latest, consent.Policy.Excludes:
// the ledger's rules, not a copy of them).
func excluded(policy consent.Policy, fromExport bool, events []event) bool {
	choices := make([]consent.Event, 0, len(events))
	for _, e := range events {
		if e.OptOut {
			return true
		}
		choices = append(choices, e.choice())
	}
	if !fromExport {
		return false
	}
	latest, ok := consent.Latest(choices)
	return policy.Excludes(latest, ok)
}

// choice returns the consent.Event a line of a consent export made; user
// and purpose are the ones the event was grouped and filtered by.
func (e event) choice() consent.Event {
	return consent.Event{Choice: consent.Choice(e.Choice), Time: time.Unix(0, e.Time).UTC(), Source: e.Source}
}
