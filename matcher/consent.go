package matcher

import (
	"iter"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/internal/idset"
)

// Consent says which users may not be matched. Match asks it about every
// user it is about to yield or count, and drops those it excludes, so no
// output of Match reflects them. Excludes may be called from several
// goroutines at once and must give the same answer for the same id for the
// whole of one Match call: a consent store hands Match a snapshot.
//
// A nil Consent excludes no one. *Exclusions, a fixed set of opted-out ids,
// is the simplest Consent.
type Consent interface {
	Excludes(userID string) bool
}

// BatchConsent is a Consent that can answer for many users at once faster
// than one at a time. Match asks it about the holders of a batch of list
// rows together. ExcludesEach sets excluded[i] to Excludes(userIDs[i]) for
// each i; the two slices have the same length.
type BatchConsent interface {
	Consent
	ExcludesEach(userIDs []string, excluded []bool)
}

// excludedEach sets excluded[i] to whether c excludes userIDs[i]: in one
// call if c is a BatchConsent, one id at a time if not.
func excludedEach(c Consent, userIDs []string, excluded []bool) {
	if bc, ok := c.(BatchConsent); ok {
		bc.ExcludesEach(userIDs, excluded)
		return
	}
	for i, id := range userIDs {
		excluded[i] = c.Excludes(id)
	}
}

// orNone returns c, or a Consent that excludes no one if c is nil.
func orNone(c Consent) Consent {
	if c == nil {
		return (*Exclusions)(nil)
	}
	return c
}

// Exclusions is the set of users who have opted out of ad targeting. Match
// drops them before a match leaves the engine: no match, count or statistic
// it returns includes an excluded user.
//
// An Exclusions is immutable once made and safe for concurrent use. The
// nil *Exclusions excludes no one.
type Exclusions struct {
	ids *idset.Set
}

// NewExclusions returns the set of the given user ids. Ids are compared
// as the consent model compares them (consent.CanonicalUserID: without
// surrounding blanks), here and in Excludes, so an opt-out file that lists
// " u1" excludes the user "u1", as a consent ledger would. Repeated ids
// count once; a blank id excludes no one. NewExclusions copies the ids: it
// keeps none of the strings ids yields.
func NewExclusions(ids iter.Seq[string]) *Exclusions {
	var b idset.Builder
	for id := range ids {
		if id = consent.CanonicalUserID(id); id != "" {
			b.Add(id)
		}
	}
	return &Exclusions{ids: b.Set()}
}

// Excludes reports whether the user id has opted out.
func (e *Exclusions) Excludes(id string) bool {
	if e == nil {
		return false
	}
	return e.ids.Has(consent.CanonicalUserID(id))
}

// ExcludesEach sets excluded[i] to Excludes(ids[i]) for each i, in one
// pass that overlaps the set's cache misses (see BatchConsent).
func (e *Exclusions) ExcludesEach(ids []string, excluded []bool) {
	if e == nil {
		clear(excluded)
		return
	}
	e.ids.HasEach(excluded, func(i int) string { return consent.CanonicalUserID(ids[i]) })
}

// Len returns the number of distinct ids in the set. It counts the opt-out
// list, not the matches it removed: it says nothing about any audience.
func (e *Exclusions) Len() int {
	if e == nil {
		return 0
	}
	return e.ids.Len()
}
