package matcher

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"slices"

	"github.com/audiencematch/audiencematch/internal/hugemem"
	"github.com/audiencematch/audiencematch/normalize"
)

// User is one row of a user base as the caller read it.
type User struct {
	Line   int64  // the caller's line number, reported back with a reject
	ID     string // the platform's user id
	Phone  string // the verified phone, raw: E.164 or any format E164 reads; "" for none
	Email  string // the verified email address, raw; "" for none (see keys.go)
	Region string // the phone's region; "" means Options.Region
	Err    error  // if non-nil, the caller refused the row already: it is rejected with this error
}

// Options configure a Base. The nil *Options means all defaults.
type Options struct {
	// Format is the format of hashed list values, and so the digest family
	// the base is keyed by (see normalize.Format.Family). The zero value is
	// normalize.E164Hex. Raw phone lists match whatever the format.
	Format normalize.Format

	// EmailFormat is the format of hashed email addresses on lists, and
	// so the email digest family: normalize.EmailHex or
	// normalize.EmailUID2. The zero value (normalize.E164Hex, a phone
	// format) means normalize.EmailFormatFor(Format): EmailUID2 with
	// UID2, EmailHex otherwise. Another phone format is an error
	// (ErrBadOptions). Raw addresses match whatever the format.
	EmailFormat normalize.Format

	// Region reads phones of rows without a region. "" means
	// normalize.DefaultRegion ("US").
	Region string

	// Workers bounds the goroutines that normalize and hash: 0 means
	// GOMAXPROCS, and 1 to MaxWorkers that many. A negative value or one
	// above MaxWorkers is an error (ErrBadOptions).
	Workers int

	// Prefilter chooses whether a bloom filter is asked before the hash
	// table. The zero value is the measured default; a value other than
	// the Prefilter constants is an error (ErrBadOptions).
	Prefilter Prefilter

	// OnAccept, if not nil, is called with the digest of every accepted
	// identifier of the list, in list order and, within a row, in the
	// order of its identifiers, from one goroutine at a time (the privacy
	// guards sketch the list with it). d is valid for the call only. Nil:
	// not called.
	OnAccept func(d *[32]byte)

	// SizeHint is the number of rows expected on the side that is built
	// (the users of BuildBase, the list of BuildList), an
	// estimate such as a file's size divided by its rows' length. The
	// tables are made at that size at once instead of growing (and being
	// copied and faulted in again) as the rows come: a wrong hint costs
	// only memory or growth, never a result. 0 means none; a negative
	// value is an error (ErrBadOptions). It is capped at 2^27 rows;
	// other functions ignore it.
	SizeHint int

	// Key, if not nil, is the secret of a keyed index: WriteIndex stores
	// digests keyed with it (see MinKeyLen and OpenKeyedIndex). Base and
	// List do not use it.
	Key []byte
}

// MaxWorkers is the largest Options.Workers. Each worker may have eight
// batches of 1024 rows in flight, about 1.5 MB in a match, so a mistyped
// value could ask for any amount of memory; the work itself gains nothing
// past the number of cores.
const MaxWorkers = 1024

// withDefaults checks o and returns it with its defaults filled in. An
// error wraps ErrBadOptions and, for a region or a format, the sentinel
// of package normalize.
func (o *Options) withDefaults() (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Region == "" {
		r.Region = normalize.DefaultRegion
	}
	switch {
	case !normalize.ValidRegion(r.Region):
		return r, fmt.Errorf("matcher: Options.Region %q: %w: %w", r.Region, ErrBadOptions, normalize.ErrUnknownRegion)
	case r.Format > normalize.UID2:
		return r, fmt.Errorf("matcher: Options.Format %d: %w: %w", r.Format, ErrBadOptions, normalize.ErrUnknownFormat)
	case r.EmailFormat != 0 && r.EmailFormat.Kind() != normalize.KindEmail || r.EmailFormat > normalize.EmailUID2:
		return r, fmt.Errorf("matcher: Options.EmailFormat %d: want EmailHex or EmailUID2: %w: %w", r.EmailFormat, ErrBadOptions, normalize.ErrUnknownFormat)
	case r.Workers < 0 || r.Workers > MaxWorkers:
		return r, fmt.Errorf("matcher: Options.Workers %d: want 0 (GOMAXPROCS) to %d: %w", r.Workers, MaxWorkers, ErrBadOptions)
	case r.SizeHint < 0:
		return r, fmt.Errorf("matcher: Options.SizeHint %d: want 0 (none) or a number of rows: %w", r.SizeHint, ErrBadOptions)
	case r.Prefilter > PrefilterNone:
		return r, fmt.Errorf("matcher: Options.Prefilter %d: want PrefilterAuto, PrefilterBloom or PrefilterNone: %w", r.Prefilter, ErrBadOptions)
	}
	if r.EmailFormat == 0 {
		r.EmailFormat = normalize.EmailFormatFor(r.Format)
	}
	if r.Workers == 0 {
		r.Workers = runtime.GOMAXPROCS(0)
	}
	if r.Prefilter == PrefilterAuto {
		r.Prefilter = defaultPrefilter
	}
	return r, nil
}

// maxSizeHint bounds what a SizeHint reserves up front: 2^27 rows, about
// 8 GiB of a List's tables. A larger side still grows past it.
const maxSizeHint = 1 << 27

// sizeHint is o.SizeHint, capped at maxSizeHint.
func (o *Options) sizeHint() int { return min(o.SizeHint, maxSizeHint) }

// Base is a user base ready to be matched: every user's phone normalized,
// hashed in the base's digest family and put in a hash table, with a bloom
// filter in front when Options.Prefilter asks for one.
//
// A user id that appears on several rows is one user with several phones
// and addresses; a phone or an address shared by several users matches
// all of them. Phones are keyed in Options.Format's family, addresses in
// Options.EmailFormat's, in one table (see keys.go). A Base is immutable
// and safe for concurrent use by many Match calls.
type Base struct {
	opts  Options
	ids   []string   // user ids, in order of first appearance
	keys  [][32]byte // distinct digests
	first []int32    // per key: index into users of its first user
	users []int32    // user indices, grouped by key in key order (CSR with first)
	tab   table
	bloom *digestBloom
}

// BuildBase reads users, normalizes and hashes their phones in parallel, and
// returns the Base. A row whose phone is refused is passed to onReject (if
// not nil) in line order and left out; BuildBase goes on. The error is
// non-nil only for bad options (ErrBadOptions), a nil users
// (ErrNilArgument), a cancelled ctx, or a panic of users or onReject
// (*PanicError).
func BuildBase(ctx context.Context, users iter.Seq[User], opts *Options, onReject func(Reject)) (*Base, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if users == nil {
		return nil, errNil("BuildBase", "users")
	}
	type row struct {
		u   User
		d   [2][32]byte // the phone's and the address's, valid ones first
		n   int
		err error
	}
	var (
		n       = o.sizeHint()
		index   = make(map[string]int32, n)
		ids     = hugemem.Make[string](n)
		digests = hugemem.Make[[32]byte](n) // per accepted identifier
		owners  = hugemem.Make[int32](n)    // per accepted identifier: the user
	)
	src := rowsOf(users, func(u User) row { return row{u: u} })
	work := func(rows []row) {
		g := o.digester()
		for i := range rows {
			r := &rows[i]
			r.d, _, r.n, r.err = g.userDigests(&r.u)
		}
	}
	sink := func(rows []row) error {
		for i := range rows {
			r := &rows[i]
			if r.err != nil {
				if onReject != nil {
					onReject(Reject{Line: r.u.Line, Err: r.err})
				}
				continue
			}
			u, ok := index[r.u.ID]
			if !ok {
				u = int32(len(ids))
				index[r.u.ID] = u
				ids = append(ids, r.u.ID)
			}
			for _, d := range r.d[:r.n] {
				digests = append(digests, d)
				owners = append(owners, u)
			}
		}
		return nil
	}
	if err := ordered(ctx, o.Workers, src, work, sink); err != nil {
		return nil, err
	}
	// The table is built once the number of rows is known, at its final
	// size: no rehashing as it grows.
	tab := newTable(len(digests))
	keys := hugemem.Make[[32]byte](len(digests))
	pairs := hugemem.Make[pair](len(digests))[:len(digests)]
	for i := range digests {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		k, _ := tab.add(&digests[i], &keys)
		pairs[i] = pair{key: k, user: owners[i]}
	}
	return newBase(ctx, o, ids, slices.Clip(keys), pairs, tab)
}

type pair struct{ key, user int32 }

// newBase groups the (key, user) pairs by key, dropping repeats, and adds
// the bloom filter. It returns ctx's error if ctx is done first.
func newBase(ctx context.Context, o Options, ids []string, keys [][32]byte, pairs []pair, tab table) (*Base, error) {
	b := &Base{opts: o, ids: ids, keys: keys, tab: tab}
	b.first = hugemem.Make[int32](len(keys) + 1)[:len(keys)+1]
	for _, p := range pairs {
		b.first[p.key+1]++
	}
	for k := range keys {
		b.first[k+1] += b.first[k]
	}
	fill := hugemem.Make[int32](len(keys))[:len(keys)]
	copy(fill, b.first[:len(keys)])
	b.users = hugemem.Make[int32](len(pairs))[:len(pairs)]
	for _, p := range pairs {
		b.users[fill[p.key]] = p.user
		fill[p.key]++
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Drop a user listed twice under one key (the same phone on two of its
	// rows), keeping the order of the user rows.
	w := int32(0)
	for k := range keys {
		if k%checkEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		g := b.users[b.first[k]:b.first[k+1]]
		b.first[k] = w
		w += int32(copy(b.users[w:], dedupe(g)))
	}
	b.first[len(keys)] = w
	b.users = b.users[:w:w]
	if o.Prefilter == PrefilterBloom {
		b.bloom = newDigestBloom(len(keys))
		for i := range keys {
			if i%checkEvery == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			b.bloom.add(&keys[i])
		}
	}
	return b, nil
}

// dedupe removes repeated users from g in place, keeping first occurrences
// in order.
func dedupe(g []int32) []int32 {
	if len(g) < 2 {
		return g
	}
	out := g[:0]
	if len(g) <= 32 {
		for i, u := range g {
			if !slices.Contains(g[:i], u) {
				out = append(out, u)
			}
		}
		return out
	}
	seen := make(map[int32]bool, len(g))
	for _, u := range g {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// Len returns the number of distinct users in the base.
func (b *Base) Len() int { return len(b.ids) }

// Keys returns the number of distinct phone digests in the base.
func (b *Base) Keys() int { return len(b.keys) }

// Options returns the options the base was built with, defaults filled in.
func (b *Base) Options() Options { return b.opts }

// The keyset of a Base: the family and the prefilter are those it was
// built with.

func (b *Base) sizes() (keys, users int) { return len(b.keys), len(b.ids) }

func (b *Base) lookup(d *[32]byte, _ normalize.Format, _ bool) (int, error) {
	if b.bloom != nil && !b.bloom.test(d) {
		return -1, nil
	}
	return int(b.tab.find(d, b.keys)), nil
}

// lookups looks up each probe as lookup does, the table's probes in
// groups (findEach), so that their cache misses overlap.
func (b *Base) lookups(ps []probe, _ bool) {
	buf := probes.Get().(*probeBuf)
	buf.ds = buf.ds[:0]
	for i := range ps {
		p := &ps[i]
		p.key, p.err = -1, nil
		if b.bloom == nil || b.bloom.test(p.d) {
			p.key = pending
			buf.ds = append(buf.ds, *p.d)
		}
	}
	found := buf.find(&b.tab, b.keys)
	for i := range ps {
		if ps[i].key == pending {
			ps[i].key, found = int(found[0]), found[1:]
		}
	}
	probes.Put(buf)
}

// readyHolders is a hint a Base does without: its holders are a few
// loads from memory, which the table's probes dominate.
func (b *Base) readyHolders([]probe) {}

func (b *Base) holders(ctx context.Context, k int, _ *[32]byte, dst []holder) ([]holder, error) {
	for i, u := range b.users[b.first[k]:b.first[k+1]] {
		if i%checkEvery == checkEvery-1 && ctx.Err() != nil {
			return dst, ctx.Err()
		}
		dst = append(dst, holder{user: int(u), id: b.ids[u]})
	}
	return dst, nil
}

// A digester normalizes and hashes phones in o.Format's family for one
// goroutine, reusing its buffer and Hasher from row to row.
type digester struct {
	o   *Options
	buf []byte // the last E.164 string
	h   *normalize.Hasher
}

func (o *Options) digester() *digester {
	return &digester{o: o, h: normalize.NewHasher()}
}

// userE164 returns a user row's phone in E.164, valid until the next call,
// or why the row is refused.
func (g *digester) userE164(u *User) ([]byte, error) {
	if u.Err != nil {
		return nil, u.Err
	}
	if u.ID == "" {
		return nil, ErrEmptyUserID
	}
	return g.e164(u.Phone, u.Region)
}

// phone normalizes a raw phone (region "" means o.Region) and hashes it.
func (g *digester) phone(phone, region string) (d [32]byte, err error) {
	e164, err := g.e164(phone, region)
	if err == nil {
		d = g.h.Sum(e164, g.o.Format.Family())
	}
	return d, err
}

// e164 normalizes a raw phone, region "" meaning o.Region; the result is
// valid until the next call.
func (g *digester) e164(phone, region string) (_ []byte, err error) {
	if region == "" {
		region = g.o.Region
	}
	g.buf, err = normalize.AppendE164(g.buf[:0], phone, region)
	return g.buf, err
}
