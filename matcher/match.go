package matcher

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/audiencematch/audiencematch/internal/hugemem"
	"github.com/audiencematch/audiencematch/internal/parallel"
	"github.com/audiencematch/audiencematch/normalize"
)

// Entry is one row of a contact list as the caller read it: a raw phone, or
// a hash made on the advertiser's side, and any further identifiers
// (keys.go).
type Entry struct {
	Line   int64  // the caller's line number, reported back with a reject
	Phone  string // a raw phone in any format E164 reads; used when Hash is ""
	Region string // the region of the row's raw phones; "" means the base's Options.Region
	Hash   string // a digest encoded in the base's Options.Format
	Keys   []Key  // further phones and emails, raw or hashed; blank ones are absent
	Err    error  // if non-nil, the caller refused the row already: it is rejected with this error
}

// Match is one user of the audience.
type Match struct {
	UserID string
	Line   int64 // the list line that first matched the user
}

// Stats are the figures of one Match call. They count after exclusion: a
// row whose identifiers belong only to opted-out users is Unmatched, and
// Audience counts only users that were yielded.
//
// Rows == Matched + Unmatched + Rejected always holds. Phone and Email
// count identifiers, not rows (see KindStats).
type Stats struct {
	Rows       int64            `json:"rows"`        // list rows read
	Accepted   int64            `json:"accepted"`    // rows with at least one valid identifier
	Rejected   int64            `json:"rejected"`    // rows refused, each passed to onReject
	RejectedBy map[string]int64 `json:"rejected_by"` // Rejected by Reason
	Matched    int64            `json:"matched"`     // accepted rows that matched at least one user in the audience
	Unmatched  int64            `json:"unmatched"`   // accepted rows that did not
	Audience   int64            `json:"audience_size"`
	Phone      KindStats        `json:"phone"` // the rows' phones, raw or hashed
	Email      KindStats        `json:"email"` // the rows' email addresses, raw or hashed
}

func (s *Stats) reject(r Reject, onReject func(Reject)) {
	s.Rejected++
	if s.RejectedBy == nil {
		s.RejectedBy = make(map[string]int64)
	}
	s.RejectedBy[r.Reason()]++
	if onReject != nil {
		onReject(r)
	}
}

// Match streams list through the base and calls yield once for each user
// of the audience: every user whose phone is on the list and whom consent
// does not exclude, in the order of the list row that first matched them;
// users matched by the same row come in the order of their rows holding
// that phone. Normalizing and hashing run on the base's Options.Workers
// goroutines; yield and onReject are called from one
// goroutine at a time, in list order, so the result is deterministic.
//
// A refused row is passed to onReject (if not nil) and counted; Match goes
// on. Match stops at the first error from yield or ctx and returns it with
// the figures so far; once ctx is done, yield is not called again. A panic
// of list, consent, yield, onReject or Options.OnAccept is returned as a
// *PanicError. A nil list or yield is an error (ErrNilArgument). Opted-out
// users are dropped inside Match: yield never sees them, and no figure in
// Stats counts them.
func (b *Base) Match(ctx context.Context, list iter.Seq[Entry], consent Consent, yield func(Match) error, onReject func(Reject)) (Stats, error) {
	switch {
	case b == nil:
		return Stats{}, errNil("Base.Match", "the *Base")
	case list == nil:
		return Stats{}, errNil("Base.Match", "list")
	case yield == nil:
		return Stats{}, errNil("Base.Match", "yield")
	}
	return match(ctx, b, &b.opts, list, consent, yield, onReject)
}

// keyset is the side of a match that holds the users: a Base in memory or
// an Index on disk.
type keyset interface {
	// sizes returns the bounds of key and user numbers.
	sizes() (keys, users int)
	// lookup returns the key of digest d in family f, or -1. It is
	// called from several goroutines at once. An error means the keyset
	// cannot be trusted: the match stops. A keyset that keys its digests
	// replaces *d by its own form, which holders then receives.
	lookup(d *[32]byte, f normalize.Format, prefilter bool) (int, error)
	// holders appends to dst the users holding key k, the key of digest
	// d, in the order of their rows, each once. It is called from several
	// goroutines at once, as lookup is, and returns ctx's error if ctx is
	// done before it has finished.
	holders(ctx context.Context, k int, d *[32]byte, dst []holder) ([]holder, error)
}

// batchKeyset is a keyset that looks up a batch of digests faster than
// one at a time, so that the batch's cache misses (and page faults)
// overlap: an index, whose memory it touches in passes over the batch,
// and a Base, whose table it probes in groups.
type batchKeyset interface {
	keyset
	// lookups sets the key (or -1) or the error of each probe, as lookup
	// would, and replaces each *ps[i].d as lookup does.
	lookups(ps []probe, prefilter bool)
	// readyHolders prepares the reads of holders for the keys of ps: a
	// hint, that changes no result.
	readyHolders(ps []probe)
}

// probe is one lookup of a batch.
type probe struct {
	d   *[32]byte        // the digest; the keyset's form once looked up
	f   normalize.Format // its family
	key int              // its key, or -1, once looked up
	err error            // the keyset failed
}

// probePool holds the probes of a batch, BatchSize or so a batch.
var probePool = sync.Pool{New: func() any { return new([]probe) }}

// holder is a user holding a key: a number that is the same for every row
// of the user, and the user's id.
type holder struct {
	user int
	id   string
}

// match is Match over any keyset, with the options o.
//
// The workers normalize, hash and look up each row; the sink counts the
// rows and yields the users of each key at its first row in list order.
// A key's holders are read and checked against consent once per match,
// not once per row: the first worker to meet a key claims it and reads
// them, side by side with the other workers, as reading them from an
// index is most of a match's time. A key met by two workers at once may
// be claimed by the later row in list order; the sink then reads the
// holders itself at the earlier row, so a key's holders are read at most
// twice, and a list that names one phone of many holders on every row
// costs its rows plus its holders, not their product.
func match(ctx context.Context, ks keyset, o *Options, list iter.Seq[Entry], consent Consent, yield func(Match) error, onReject func(Reject)) (Stats, error) {
	consent = orNone(consent)
	type row struct {
		e Entry
		idents
		err  error // the row is refused
		fail error // the keyset failed or ctx is done: the match stops
	}
	nkeys, nusers := ks.sizes()
	var (
		st        Stats
		keys      = newKeyStates(nkeys)
		yielded   = hugemem.Make[uint64]((nusers + 63) / 64)[:(nusers+63)/64] // users already yielded, by number
		prefilter = o.Prefilter == PrefilterBloom
		spare     []holder // the sink's room for holders it reads itself
	)
	src := rowsOf(list, func(e Entry) row { return row{e: e} })
	bks, batched := ks.(batchKeyset)
	work := func(rows []row) {
		// In three passes over the batch: digests, then lookups, then the
		// holders of the keys the batch claims. A keyset that looks up a
		// batch at once (an index) then touches its memory in passes too,
		// so that the cache misses and page faults of a batch overlap
		// instead of waiting one after another.
		g := o.digester()
		for i := range rows {
			r := &rows[i]
			if r.fail = ctx.Err(); r.fail != nil {
				rows = rows[:i] // the sink stops at this row, or before
				break
			}
			r.err = g.entryIdents(&r.e, &r.idents)
		}
		var ps *[]probe
		if batched {
			ps = probePool.Get().(*[]probe)
			*ps = (*ps)[:0]
			for i := range rows {
				r := &rows[i]
				if r.err != nil {
					continue
				}
				for j := range r.n {
					if id := r.at(j); id.err == nil {
						id.k = id.d
						*ps = append(*ps, probe{d: &id.k, f: o.family(id.kind)})
					}
				}
			}
			bks.lookups(*ps, prefilter)
		}
		// Lookups, claims in row order, and what the batch must read.
		next, nclaimed := 0, 0 // the next probe; the claimed ones, moved to the front
		for i := range rows {
			r := &rows[i]
			if r.err != nil {
				continue
			}
			for j := range r.n {
				id := r.at(j)
				id.claimed, id.hs = false, nil
				if id.err != nil {
					continue
				}
				if batched {
					p := &(*ps)[next]
					next++
					if id.key = p.key; r.fail == nil {
						r.fail = p.err
					}
				} else if r.fail == nil {
					id.k = id.d
					id.key, r.fail = ks.lookup(&id.k, o.family(id.kind), prefilter)
				}
				if r.fail == nil && id.key >= 0 && keys.claim(id.key) {
					id.claimed = true
					if batched {
						(*ps)[nclaimed] = (*ps)[next-1]
						nclaimed++
					}
				}
			}
		}
		if batched {
			bks.readyHolders((*ps)[:nclaimed])
			clear(*ps) // no digest pointers kept alive
			probePool.Put(ps)
		}
		free := make([]holder, 0, 256) // room for the batch's holders
		var held []*ident              // the batch's claimed identifiers, their holders read
		for i := range rows {
			r := &rows[i]
			if r.err != nil || r.fail != nil {
				continue
			}
			for j := range r.n {
				id := r.at(j)
				if !id.claimed {
					continue // unknown, or another row reads the key's holders
				}
				if cap(free) < 16 {
					// Room for the next rows' holders at once, not grown
					// from nothing for each of them.
					free = make([]holder, 0, 256)
				}
				var hs []holder
				if hs, r.fail = ks.holders(ctx, id.key, &id.k, free); r.fail != nil {
					break
				}
				id.hs, free = hs[:len(hs):len(hs)], hs[len(hs):]
				held = append(held, id)
			}
		}
		if err := dropExcluded(ctx, consent, held); err != nil {
			for i := range rows {
				if rows[i].fail == nil {
					rows[i].fail = err
				}
			}
		}
	}
	var yieldHolders func(ctx context.Context, id *ident, line int64) (uint64, error)
	sink := func(rows []row) error {
		for i := range rows {
			if err := ctx.Err(); err != nil {
				return err
			}
			r := &rows[i]
			if r.fail != nil {
				return r.fail
			}
			st.Rows++
			if r.err != nil {
				for j := range r.n {
					st.kind(r.at(j).kind).reject(r.at(j).err)
				}
				st.reject(Reject{Line: r.e.Line, Err: r.err}, onReject)
				continue
			}
			st.Accepted++
			matched := false
			for j := range r.n {
				id := r.at(j)
				kst := st.kind(id.kind)
				if id.err != nil {
					kst.reject(id.err)
					continue
				}
				kst.Accepted++
				if o.OnAccept != nil {
					o.OnAccept(&id.d)
				}
				if id.key < 0 {
					continue
				}
				state := keys.state(id.key)
				if state&keySeen == 0 {
					var err error
					if state, err = yieldHolders(ctx, id, r.e.Line); err != nil {
						return err
					}
				}
				if state&keyLive != 0 {
					kst.Matched++
					matched = true
				}
			}
			if matched {
				st.Matched++
			} else {
				st.Unmatched++
			}
		}
		return nil
	}
	// yieldHolders yields the holders of id's key, seen for the first
	// time at list line, not yet yielded, marks the key seen, and live if
	// it has a holder consent allows, and returns its state.
	yieldHolders = func(ctx context.Context, id *ident, line int64) (uint64, error) {
		hs := id.hs
		if !id.claimed {
			// A later row's worker claimed the key first.
			var err error
			if hs, err = allowed(ctx, ks, consent, id.key, &id.k, spare[:0]); err != nil {
				return 0, err
			}
			spare = hs
		}
		state := uint64(keySeen)
		if len(hs) > 0 {
			state |= keyLive
		}
		keys.set(id.key, state)
		for _, h := range hs {
			if yielded[h.user/64]&(1<<(h.user%64)) != 0 {
				continue // the user's other identifier matched first
			}
			if err := ctx.Err(); err != nil {
				return 0, err // not one match after ctx is done
			}
			yielded[h.user/64] |= 1 << (h.user % 64)
			st.Audience++
			if err := yield(Match{UserID: h.id, Line: line}); err != nil {
				return 0, err
			}
		}
		return state, nil
	}
	err := ordered(ctx, o.Workers, src, work, sink)
	return st, err
}

// keyStates holds a match's four bits a key: keyClaimed, set by the
// worker that reads the key's holders, and keySeen and keyLive, set by the
// sink at the key's first row. They share a word so that the sink, which
// reads a key's state at every row naming it, finds the word in the cache
// where the worker's claim left it: a byte a key of their own, 200 MB at
// 100M users read at random, was a cache miss a row, nine tenths of the
// sink's time.
type keyStates []atomic.Uint64

const (
	keyClaimed = 1 << iota // a worker reads the key's holders
	keySeen                // the sink has met the key
	keyLive                // the key has a user in the audience
)

func newKeyStates(n int) keyStates {
	w := (n + 15) / 16
	return hugemem.Make[atomic.Uint64](w)[:w]
}

// claim sets key k's keyClaimed bit and reports whether the caller set
// it: the first of any number of goroutines to claim a key gets true.
func (s keyStates) claim(k int) bool {
	w, bit := &s[k/16], uint64(keyClaimed)<<(k%16*4)
	return w.Load()&bit == 0 && w.Or(bit)&bit == 0
}

// state returns key k's bits.
func (s keyStates) state(k int) uint64 { return s[k/16].Load() >> (k % 16 * 4) & 0xf }

// set sets bits of key k.
func (s keyStates) set(k int, bits uint64) { s[k/16].Or(bits << (k % 16 * 4)) }

// allowed appends to dst the holders of key k, the key of digest d, whom
// consent does not exclude, in the order of their rows.
func allowed(ctx context.Context, ks keyset, consent Consent, k int, d *[32]byte, dst []holder) ([]holder, error) {
	hs, err := ks.holders(ctx, k, d, dst)
	if err != nil {
		return dst, err
	}
	id := ident{hs: hs[len(dst):]}
	if err := dropExcluded(ctx, consent, []*ident{&id}); err != nil {
		return dst, err
	}
	return hs[:len(dst)+len(id.hs)], nil
}

// dropExcluded removes from the holders of each identifier the users
// consent excludes, keeping the others in order. It asks consent about
// checkEvery users at a time (excludedEach), and looks at ctx between.
func dropExcluded(ctx context.Context, consent Consent, ids []*ident) error {
	// The scratch List.Match asks consent with, from batch to batch.
	buf := probes.Get().(*probeBuf)
	defer probes.Put(buf)
	users := buf.ids[:0]
	for _, id := range ids {
		for _, h := range id.hs {
			users = append(users, h.id)
		}
	}
	defer clear(users) // no ids kept alive in the pool
	buf.ids = users
	excluded := slices.Grow(buf.excluded[:0], len(users))[:len(users)]
	buf.excluded = excluded
	for start := 0; start < len(users); start += checkEvery {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+checkEvery, len(users))
		excludedEach(consent, users[start:end], excluded[start:end])
	}
	k := 0
	for _, id := range ids {
		kept := id.hs[:0]
		for _, h := range id.hs {
			if !excluded[k] {
				kept = append(kept, h)
			}
			k++
		}
		id.hs = kept
	}
	return nil
}

// checkEvery is how many steps a long loop takes between looks at its
// context: a few milliseconds of work at most.
const checkEvery = 4096

// ordered is parallel.Ordered, with a panic on one of its goroutines
// returned as a *PanicError.
func ordered[T any](ctx context.Context, workers int, src iter.Seq[T], work func([]T), sink func([]T) error) error {
	err := parallel.Ordered(ctx, workers, src, work, sink)
	if p, ok := errors.AsType[*parallel.PanicError](err); ok {
		return &PanicError{Value: p.Value, Stack: p.Stack}
	}
	return err
}

// rowsOf turns the caller's sequence into the rows of a pipeline.
func rowsOf[In, Row any](seq iter.Seq[In], row func(In) Row) iter.Seq[Row] {
	return func(yield func(Row) bool) {
		for x := range seq {
			if !yield(row(x)) {
				return
			}
		}
	}
}
