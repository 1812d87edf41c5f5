package pipeline

import (
	"cmp"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

// rank places a user in the audience: match run lists users in the order
// of the list line that first matched them, users matched by the same
// line in the order of that line's identifiers, and users matched by the
// same identifier in the order of their rows holding it. So a user's
// place is the least, over the user's rows whose digest is on the list,
// of (the first list line with that digest, its place in the line, the
// user row), compared in that order.
type rank struct {
	ListLine int64
	ListPos  int
	UserLine int64
}

func (a rank) compare(b rank) int {
	return cmp.Or(cmp.Compare(a.ListLine, b.ListLine), cmp.Compare(a.ListPos, b.ListPos), cmp.Compare(a.UserLine, b.UserLine))
}

// minRank is the combiner of a user's ranks.
func minRank(a, b rank) rank {
	if b.compare(a) < 0 {
		return b
	}
	return a
}

// joinFn meets the users and the list identifiers of one digest. If both
// are there, every identifier is matched (the users are past exclusion,
// so each one is in the audience) and goes out, with its line, to be
// counted; and each user gets its rank from this digest. Otherwise
// nothing comes out: the identifiers are unmatched.
type joinFn struct{}

func (joinFn) ProcessElement(_ []byte, users func(*hit) bool, keys func(*listKey) bool, emitRank func(string, rank), emitMatched func(listKey)) {
	var ks []listKey
	var k listKey
	for keys(&k) {
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		return
	}
	first := ks[0]
	for _, k := range ks[1:] {
		if k.Line < first.Line || k.Line == first.Line && k.Pos < first.Pos {
			first = k
		}
	}
	var hs []hit
	var h hit
	for users(&h) {
		hs = append(hs, h)
	}
	if len(hs) == 0 {
		return
	}
	for _, k := range ks {
		emitMatched(k)
	}
	// One rank per user: its first row with this digest.
	slices.SortFunc(hs, func(a, b hit) int { return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Line, b.Line)) })
	for i, h := range hs {
		if i == 0 || h.ID != hs[i-1].ID {
			emitRank(h.ID, rank{ListLine: first.Line, ListPos: first.Pos, UserLine: h.Line})
		}
	}
}

// join matches the users' digests with the list's: it returns the
// audience as PCollection<KV<string, rank>>, one element per user, and
// the matched identifiers of the list as PCollection<listKey>.
func join(s beam.Scope, users, list beam.PCollection) (audience, matched beam.PCollection) {
	s = s.Scope("Join")
	grouped := beam.CoGroupByKey(s, users, list)
	ranks, matched := beam.ParDo2(s, &joinFn{}, grouped)
	return beam.CombinePerKey(s, minRank, ranks), matched
}
