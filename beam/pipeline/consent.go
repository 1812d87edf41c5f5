package pipeline

import "github.com/apache/beam/sdks/v2/go/pkg/beam"

// exclude drops every user that the opt-out file or the consent export
// excludes, before anything else sees the user base: the users are joined
// with the consent events by user id (a CoGroupByKey, so the exclusion
// scales with the base, unlike a side input of opted-out ids).
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

func keyByID(u userRow) (string, userRow) { return u.ID, u }

// excludeFn passes on the rows of a user unless the user is excluded. It
// counts nothing: a count of excluded users would be a figure about them.
type excludeFn struct {
	Policy  Policy
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
// opt-out line, or, if consent applies, by the latest choice under policy.
// Of two choices at the same time, opt-out is the latest.
func excluded(policy Policy, consent bool, events []event) bool {
	var latest *event
	for i := range events {
		e := &events[i]
		if e.OptOut {
			return true
		}
		if latest == nil || later(e, latest) {
			latest = e
		}
	}
	if !consent {
		return false
	}
	if policy == PolicyOptIn {
		return latest == nil || latest.Choice != choiceOptIn
	}
	return latest != nil && latest.Choice == choiceOptOut
}

// later reports whether choice a supersedes choice b.
func later(a, b *event) bool {
	if a.Sec != b.Sec {
		return a.Sec > b.Sec
	}
	if a.Nsec != b.Nsec {
		return a.Nsec > b.Nsec
	}
	return a.Choice == choiceOptOut && b.Choice != choiceOptOut
}
