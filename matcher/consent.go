package matcher

import "iter"

// Exclusions is the set of users who have opted out of ad targeting. Match
// drops them before a match leaves the engine: no match, count or statistic
// it returns includes an excluded user.
//
// An Exclusions is immutable once made and safe for concurrent use. The
// nil *Exclusions excludes no one.
type Exclusions struct {
	ids map[string]struct{}
}

// NewExclusions returns the set of the given user ids. Repeated ids count
// once.
func NewExclusions(ids iter.Seq[string]) *Exclusions {
	e := &Exclusions{ids: make(map[string]struct{})}
	for id := range ids {
		e.ids[id] = struct{}{}
	}
	return e
}

// Excludes reports whether the user id has opted out.
func (e *Exclusions) Excludes(id string) bool {
	if e == nil {
		return false
	}
	_, ok := e.ids[id]
	return ok
}

// Len returns the number of distinct ids in the set. It counts the opt-out
// list, not the matches it removed: it says nothing about any audience.
func (e *Exclusions) Len() int {
	if e == nil {
		return 0
	}
	return len(e.ids)
}
