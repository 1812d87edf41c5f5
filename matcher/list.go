package matcher

import (
	"context"
	"hash/maphash"
	"iter"
	"runtime/debug"
	"slices"

	"github.com/audiencematch/audiencematch/internal/hugemem"
	"github.com/audiencematch/audiencematch/normalize"
)

// List is a contact list held in a hash table, for a one-off match against
// a user base larger than the list: the table goes on the smaller side, and
// the base is streamed through it without being held in memory.
//
// List.Match gives exactly what Base.Match gives for the same users, list,
// exclusions and options: the same users in the same order, the same
// Stats. A List is immutable and safe for concurrent use.
type List struct {
	opts  Options
	st    Stats            // Rows, Accepted, Rejected, RejectedBy; Accepted and Rejected of Phone and Email
	keys  [][32]byte       // distinct digests on the list
	first []int64          // per key: the first list line holding it
	kinds []normalize.Kind // per key: the kind of identifier it is the digest of
	count []int64          // per key: the number of rows whose one valid identifier it is
	multi []int32          // the keys of each row of several valid identifiers, each row's followed by -1
	tab   table
}

// BuildList reads list, normalizes and hashes (or decodes) each row in
// parallel, and returns it as a List. Refused rows are passed to onReject
// (if not nil) in line order and counted. The error is non-nil only for bad
// options (ErrBadOptions), a nil list (ErrNilArgument), a cancelled ctx,
// or a panic of list, onReject or Options.OnAccept (*PanicError).
func BuildList(ctx context.Context, list iter.Seq[Entry], opts *Options, onReject func(Reject)) (*List, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if list == nil {
		return nil, errNil("BuildList", "list")
	}
	n := o.sizeHint()
	l := &List{
		opts:  o,
		tab:   newTable(n),
		keys:  hugemem.Make[[32]byte](n),
		first: hugemem.Make[int64](n),
		kinds: make([]normalize.Kind, 0, n),
		count: hugemem.Make[int64](n),
	}
	type row struct {
		e Entry
		idents
		err error
	}
	src := rowsOf(list, func(e Entry) row { return row{e: e} })
	work := func(rows []row) {
		g := o.digester()
		for i := range rows {
			r := &rows[i]
			r.err = g.entryIdents(&r.e, &r.idents)
		}
	}
	var keys []int32 // the row's valid identifiers' keys
	sink := func(rows []row) error {
		// The batch's slots first, loads that do not wait for each
		// other, so that the adds below find them in cache.
		var t uint64
		for i := range rows {
			if r := &rows[i]; r.err == nil {
				for j := range r.n {
					if id := r.at(j); id.err == nil {
						t += l.tab.slot(&id.d)
					}
				}
			}
		}
		touched.Add(uint32(t))
		for i := range rows {
			r := &rows[i]
			l.st.Rows++
			if r.err != nil {
				for j := range r.n {
					id := r.at(j)
					l.st.kind(id.kind).reject(id.err)
				}
				l.st.reject(Reject{Line: r.e.Line, Err: r.err}, onReject)
				continue
			}
			l.st.Accepted++
			keys = keys[:0]
			for j := range r.n {
				id := r.at(j)
				kst := l.st.kind(id.kind)
				if id.err != nil {
					kst.reject(id.err)
					continue
				}
				kst.Accepted++
				if o.OnAccept != nil {
					o.OnAccept(&id.d)
				}
				// The table grows here, while the workers go on.
				k, added := l.tab.add(&id.d, &l.keys)
				if added {
					l.first = append(l.first, r.e.Line)
					l.kinds = append(l.kinds, id.kind)
					l.count = append(l.count, 0)
				}
				keys = append(keys, k)
			}
			if len(keys) == 1 {
				l.count[keys[0]]++
			} else {
				l.multi = append(append(l.multi, keys...), -1)
			}
		}
		return nil
	}
	if err := ordered(ctx, o.Workers, src, work, sink); err != nil {
		return nil, err
	}
	l.keys = slices.Clip(l.keys)
	return l, nil
}

// Match streams users through the list and calls yield once for each user
// of the audience, in the order Base.Match would, after the whole base has
// been read. A refused user row is passed to onUserReject (if not nil). The
// Stats count list rows, as Base.Match's do. Opted-out users are dropped as
// they are read. Like Base.Match, it stops at the first error from yield
// or ctx, yields nothing once ctx is done, returns a panic of a callback
// as a *PanicError, and refuses a nil users or yield (ErrNilArgument).
func (l *List) Match(ctx context.Context, users iter.Seq[User], consent Consent, yield func(Match) error, onUserReject func(Reject)) (st Stats, err error) {
	switch {
	case l == nil:
		return Stats{}, errNil("List.Match", "the *List")
	case users == nil:
		return Stats{}, errNil("List.Match", "users")
	case yield == nil:
		return Stats{}, errNil("List.Match", "yield")
	}
	consent = orNone(consent)
	type row struct {
		u        User
		keys     [2]int32 // the keys of the row's phone and address on the list, -1 for none
		n        int8     // the row's valid identifiers: 0 to 2
		err      error
		optedOut bool
		h        uint64 // the hash of the user id (hitIndex), if a key is on the list
	}
	// A user's hit is its earliest match: the key whose first list line
	// comes first, which is the least key, as keys are numbered in list
	// order (and, within a row, in the order of its identifiers, the order
	// in which Base.Match yields their holders). Hits are kept in the order of the user rows that made them.
	type hit = listHit
	// The audience is seldom larger than the list: the hits are made at
	// that size, not grown; a slice's pages are touched only as it fills.
	// (The map is not: made at that size, it is written whole at once,
	// which costs more than growing it when the audience is small.)
	var (
		hits  = make([]hit, 0, len(l.keys))
		index = newHitIndex() // by user id, its hit in hits
		live  = make([]bool, len(l.keys))
	)
	src := rowsOf(users, func(u User) row { return row{u: u} })
	work := func(rows []row) {
		g := l.opts.digester()
		// The batch's digests are looked up together (findEach), then
		// handed back to their rows in order.
		p := probes.Get().(*probeBuf)
		defer probes.Put(p)
		p.ds, p.ids = p.ds[:0], p.ids[:0]
		for i := range rows {
			if rows[i].u.Err == nil {
				p.ids = append(p.ids, rows[i].u.ID)
			}
		}
		p.excluded = slices.Grow(p.excluded[:0], len(p.ids))[:len(p.ids)]
		excludedEach(consent, p.ids, p.excluded)
		clear(p.ids) // no ids kept alive in the pool
		excluded := p.excluded
		for i := range rows {
			r := &rows[i]
			if r.u.Err == nil {
				r.optedOut, excluded = excluded[0], excluded[1:]
			}
			if r.optedOut {
				continue // dropped before anything else looks at it
			}
			r.keys = [2]int32{-1, -1}
			d, _, n, err := g.userDigests(&r.u)
			if r.err = err; err == nil {
				p.ds = append(p.ds, d[:n]...)
				r.n = int8(n)
			}
		}
		found := p.find(&l.tab, l.keys)
		for i := range rows {
			r := &rows[i]
			found = found[copy(r.keys[:r.n], found):]
			if max(r.keys[0], r.keys[1]) >= 0 {
				r.h = index.hash(r.u.ID) // here, not in the sink
			}
		}
	}
	sink := func(rows []row) error {
		for i := range rows {
			r := &rows[i]
			if r.optedOut {
				continue
			}
			if r.err != nil {
				if onUserReject != nil {
					onUserReject(Reject{Line: r.u.Line, Err: r.err})
				}
				continue
			}
			key := int32(-1) // the row's earliest key on the list
			for _, k := range r.keys {
				if k >= 0 {
					live[k] = true
					if key < 0 || k < key {
						key = k
					}
				}
			}
			if key < 0 {
				continue
			}
			j := index.find(r.h, r.u.ID, hits)
			if j >= 0 {
				if key >= hits[j].key {
					continue
				}
				hits[j].key = -1
			}
			hits = append(hits, hit{id: r.u.ID, key: key, h: r.h})
			index.set(r.h, j, int32(len(hits)-1), hits)
		}
		return nil
	}
	st = l.Stats()
	if err := ordered(ctx, l.opts.Workers, src, work, sink); err != nil {
		return st, err
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	for k, ok := range live {
		if ok {
			st.Matched += l.count[k]
			st.kind(l.kinds[k]).Matched += l.count[k]
		}
	}
	matched := false
	for _, k := range l.multi {
		switch {
		case k < 0:
			if matched {
				st.Matched++
			}
			matched = false
		case live[k]:
			matched = true
			st.kind(l.kinds[k]).Matched++
		}
	}
	st.Unmatched = st.Accepted - st.Matched
	index = hitIndex{}
	// By key, and within a key in user row order: a counting sort, which
	// keeps the rows' order.
	start := make([]int, len(l.keys)+1)
	for _, h := range hits {
		if h.key >= 0 {
			start[h.key+1]++
		}
	}
	for k := range l.keys {
		start[k+1] += start[k]
	}
	order := make([]hit, start[len(l.keys)])
	for _, h := range hits {
		if h.key >= 0 {
			order[start[h.key]] = h
			start[h.key]++
		}
	}
	hits = nil
	// yield runs on the caller's goroutine here, but a panic of it is
	// returned as Base.Match returns it, from its sink's goroutine.
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	for _, h := range order {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		st.Audience++
		if err := yield(Match{UserID: h.id, Line: l.first[h.key]}); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Len returns the number of distinct digests on the list.
func (l *List) Len() int { return len(l.keys) }

// Stats returns the figures of reading the list: Rows, Accepted, Rejected
// and RejectedBy; the others are zero until Match.
func (l *List) Stats() Stats {
	st := l.st
	st.RejectedBy = maps(st.RejectedBy)
	st.Phone.RejectedBy = maps(st.Phone.RejectedBy)
	st.Email.RejectedBy = maps(st.Email.RejectedBy)
	return st
}

func maps(m map[string]int64) map[string]int64 {
	if m == nil {
		return nil
	}
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// listHit is a user matched by List.Match: its id, and its earliest key
// on the list.
type listHit struct {
	id  string
	key int32  // -1: superseded by a later row's earlier match
	h   uint64 // hitIndex's hash of id
}

// hitIndex finds a user's hit by id: an open-addressing table of hit
// numbers, as table is of digests, over hashes of the ids that List.Match's
// workers compute, so that its sink, which runs on one goroutine, only
// probes. (A map[string]int there, hashing each id and growing as the
// audience grows, was 7% of a match run's CPU.) A slot holds the hash's
// high 32 bits and the hit number + 1; zero is empty.
type hitIndex struct {
	seed  maphash.Seed
	slots []uint64
	n     int // hits in the table
}

func newHitIndex() hitIndex {
	return hitIndex{seed: maphash.MakeSeed(), slots: make([]uint64, 1024)}
}

func (x *hitIndex) hash(id string) uint64 { return maphash.String(x.seed, id) }

// find returns the number of the hit of the user id, whose hash is h, or -1.
func (x *hitIndex) find(h uint64, id string, hits []listHit) int {
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return -1
		}
		if s>>32 == h>>32 && hits[s&0xffffffff-1].id == id {
			return int(s&0xffffffff - 1)
		}
	}
}

// set makes hit j the user's, whose hash is h, in place of its hit old
// (or -1 for a user not yet in the table).
func (x *hitIndex) set(h uint64, old int, j int32, hits []listHit) {
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 || int(s&0xffffffff)-1 == old {
			x.slots[i] = h>>32<<32 | uint64(j+1)
			break
		}
	}
	if old >= 0 {
		return
	}
	if x.n++; 2*x.n > len(x.slots) {
		x.grow(hits)
	}
}

// grow doubles the table, with each user's current hit.
func (x *hitIndex) grow(hits []listHit) {
	slots := make([]uint64, 2*len(x.slots))
	mask := uint64(len(slots) - 1)
	for j, hit := range hits {
		if hit.key < 0 {
			continue // superseded: the user's hit is a later one
		}
		i := hit.h & mask
		for slots[i] != 0 {
			i = (i + 1) & mask
		}
		slots[i] = hit.h>>32<<32 | uint64(j+1)
	}
	x.slots = slots
}
