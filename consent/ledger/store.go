package ledger

// The ledger file is a bbolt database (go.etcd.io/bbolt: one file, B+trees
// of copy-on-write pages, ACID transactions, fsync at every commit). bbolt
// checksums its two meta pages, which makes a commit atomic: after a crash
// the file opens at the last committed transaction, whole. It does not
// checksum data pages, so the ledger does, per record and per purpose.
// Inside it, four top-level buckets:
//
//	meta      "format"  -> 0x02                  the format version; Open reads 1 and 2
//	ledger    PURPOSE   -> bucket                one nested bucket per purpose, named by
//	                                             the purpose (lower case)
//	          USER_ID   -> choice | time | source | crc
//	                       1 byte: 1 opt-in, 2 opt-out
//	                       8 bytes: effective time, ns since 1970-01-01 UTC,
//	                                int64 big-endian
//	                       the rest: source, UTF-8, possibly empty
//	                       4 bytes: CRC-32C (Castagnoli) of PURPOSE, 0x00,
//	                                USER_ID, 0x00 and the bytes before it
//	                                (format 2; format 1 has no crc)
//	sums      PURPOSE   -> count | sum           8 + 8 bytes, big-endian: the purpose's
//	                                             records and the sum of their crcs,
//	                                             mod 2^64 (format 2)
//	imports   NAME      -> line | digest         import progress of a named source
//	                       8 bytes: the last line committed, uint64 big-endian
//	                       32 bytes: SHA-256 of the rows up to it (see import.go)
//
// A record whose crc does not match, or a purpose whose records do not add
// up to its sums (a record lost or added by damage to a page), is
// ErrCorrupt, and so is a panic or a fault of bbolt on a damaged page:
// every reader fails rather than answer from a ledger it cannot trust.
// The first open for writing of a format 1 ledger upgrades it to format 2
// in one transaction.
//
// A ledger keeps, for each (user, purpose), the winning event only: the one
// that Supersedes every other event recorded for it. That is what every
// reader asks for, and it keeps the file the size of the user base rather
// than of the event history: a 10M-event import over 1M users (gen -users
// 1000000 -events 10000000) gives a 1.4M-entry ledger and a file of about
// 100 MB (bench/RESULTS.md has the measured figure).
//
// Keys within a bucket sort bytewise, so a purpose's users come in user id
// order and Events merges the purposes' buckets into (user, purpose) order.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"iter"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/internal/tempfile"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// formatVersion is the version of the ledger's format that Open writes:
// 2 adds a CRC-32C to every record. Version 1 ledgers are read, and
// upgraded in place by the first open for writing.
const formatVersion = 2

var (
	bucketMeta    = []byte("meta")
	bucketLedger  = []byte("ledger")
	bucketImports = []byte("imports")
	bucketSums    = []byte("sums")
	keyFormat     = []byte("format")
)

// Options are the options of Open. A nil *Options is the zero Options.
type Options struct {
	// ReadOnly opens the ledger for reading only, under a shared file lock
	// that other read-only opens share: Record and Import then fail with
	// ErrReadOnly. The file must exist. False: the ledger is opened for
	// reading and writing under an exclusive lock, and created if missing.
	ReadOnly bool

	// Timeout is how long Open waits for the file lock while another
	// process holds it (a writer holds it exclusively for as long as it has
	// the ledger open). Open then fails with ErrLocked. Zero: wait as long
	// as it takes.
	Timeout time.Duration

	// NoSync skips the fsync of each commit: a crash of the machine (not of
	// the process) may then lose or corrupt recent commits. For tests and
	// bulk loads that can be redone. False: every commit is durable when it
	// returns.
	NoSync bool
}

// ErrLocked is returned by Open when another process holds the ledger's
// file lock for longer than Options.Timeout.
var ErrLocked = errors.New("consent ledger locked by another process")

// Store is a consent ledger in one file. Record, Import and Snapshot may be
// called concurrently from any number of goroutines: writes are serialized
// (one write transaction at a time, as bbolt does), and each reader sees the
// ledger as of one committed transaction, never part of a write.
type Store struct {
	db       *bolt.DB
	readOnly bool
	version  byte // the file's format version, 1 or 2

	mu    sync.Mutex         // guards cache
	cache map[snapKey]cached // the last snapshot made for each purpose and policy
}

// Open opens the ledger at path (see Options). A file that is not a bbolt
// database, or not a ledger of this format, is ErrNotLedger; with ReadOnly,
// a missing file is an error satisfying errors.Is(err, fs.ErrNotExist).
// The Store must be closed.
func Open(path string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	if opts.ReadOnly {
		// bbolt would try to initialize an empty file, through a read-only
		// descriptor.
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if fi.Size() == 0 {
			return nil, fmt.Errorf("%s: %w (empty file)", path, ErrNotLedger)
		}
	}
	if !opts.ReadOnly {
		if err := create(path, opts); err != nil {
			return nil, err
		}
	}
	bo := &bolt.Options{
		ReadOnly:     opts.ReadOnly,
		Timeout:      opts.Timeout,
		NoSync:       opts.NoSync,
		FreelistType: bolt.FreelistMapType,
	}
	if !opts.ReadOnly {
		// Address space, not memory: a writer whose file outgrows its
		// mapping must wait for every read transaction to remap it, and
		// copies out every node it holds.
		bo.InitialMmapSize = 1 << 30
	}
	db, err := bolt.Open(path, 0o644, bo)
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%s: %w", path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, fmt.Errorf("%s: %w (%v)", path, ErrNotLedger, err)
	case err != nil:
		return nil, err
	}
	s := &Store{db: db, readOnly: opts.ReadOnly, cache: map[snapKey]cached{}}
	if opts.ReadOnly {
		err = s.view(func(tx *bolt.Tx) (err error) {
			s.version, err = checkFormat(tx)
			return err
		})
	} else {
		err = s.update(func(tx *bolt.Tx) (err error) {
			s.version, err = initFormat(tx)
			return err
		})
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// create makes a new, empty ledger at path if there is no file there, and
// does so atomically: the ledger is made whole under a temporary name
// beside it (".NAME.match-tmp-" and 16 hex digits, see internal/tempfile)
// and linked into place, so a process killed while creating it leaves
// either no file or a whole ledger, never a bbolt file without the
// ledger's buckets (which read-only opens would refuse); the temporary
// file it leaves is removed by a later creation, an hour on. If another
// process creates the ledger first, its file is kept. The ledger's mode is
// bbolt's 0644, less the umask.
func create(path string, opts *Options) error {
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil // it exists (or cannot be checked: Open will say why)
	}
	tmp, err := tempfile.Create(path) // and a killed creation's, an hour on
	if err != nil {
		return err
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name)
	if err := os.Remove(name); err != nil { // bbolt makes the file itself
		return err
	}
	db, err := bolt.Open(name, 0o644, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error { _, err := initFormat(tx); return err })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(name, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// checkFormat refuses a database that is not a ledger of version 1 or
// formatVersion, and returns its version.
func checkFormat(tx *bolt.Tx) (byte, error) {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return 0, ErrNotLedger
	}
	v := m.Get(keyFormat)
	if len(v) != 1 || v[0] < 1 || v[0] > formatVersion {
		return 0, fmt.Errorf("%w (format version %x, want 1 to %d)", ErrNotLedger, v, formatVersion)
	}
	if tx.Bucket(bucketLedger) == nil || tx.Bucket(bucketImports) == nil || (v[0] >= 2 && tx.Bucket(bucketSums) == nil) {
		return 0, ErrNotLedger
	}
	return v[0], nil
}

// initFormat makes an empty database a ledger, upgrades a version 1
// ledger to formatVersion (a checksum on every record), and checks any
// other. It returns the version the file has after it.
func initFormat(tx *bolt.Tx) (byte, error) {
	empty := true
	tx.ForEach(func([]byte, *bolt.Bucket) error {
		empty = false
		return nil
	})
	if !empty {
		v, err := checkFormat(tx)
		if err != nil || v == formatVersion {
			return v, err
		}
		return formatVersion, upgrade(tx)
	}
	m, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return 0, err
	}
	if err := m.Put(keyFormat, []byte{formatVersion}); err != nil {
		return 0, err
	}
	for _, b := range [][]byte{bucketLedger, bucketImports, bucketSums} {
		if _, err := tx.CreateBucket(b); err != nil {
			return 0, err
		}
	}
	return formatVersion, nil
}

// upgrade rewrites every record of a version 1 ledger with its checksum,
// in the transaction that opens it for writing.
func upgrade(tx *bolt.Tx) error {
	led := tx.Bucket(bucketLedger)
	sums, err := tx.CreateBucketIfNotExists(bucketSums)
	if err != nil {
		return err
	}
	err = led.ForEachBucket(func(p []byte) error {
		b := led.Bucket(p)
		type kv struct{ k, v []byte }
		var all []kv
		var t totals
		err := b.ForEach(func(k, v []byte) error {
			e, err := decodeValue(1, string(p), string(k), v)
			if err != nil {
				return err
			}
			nv := encodeValue(string(p), string(k), e)
			t.add(nv)
			all = append(all, kv{slices.Clone(k), nv})
			return nil
		})
		for _, r := range all {
			if err == nil {
				err = b.Put(r.k, r.v)
			}
		}
		if err == nil {
			err = sums.Put(p, t.encode())
		}
		return err
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keyFormat, []byte{formatVersion})
}

// view and update run fn in a read or write transaction. bbolt does not
// checksum data pages, and panics on some damaged ones, or reads past its
// memory map where a damaged offset points (a fault, made a panic here
// with debug.SetPanicOnFault): either is returned as ErrCorrupt, so a
// damaged ledger is an error naming it, never a crash or an answer.
func (s *Store) view(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(&err)
	return s.db.View(fn)
}

func (s *Store) update(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(&err)
	return s.db.Update(fn)
}

func recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w (%v)", ErrCorrupt, r)
	}
}

// Close closes the ledger, waiting for transactions in progress. Snapshots
// taken before stay usable.
func (s *Store) Close() error {
	return s.db.Close()
}

// Path returns the ledger's file name.
func (s *Store) Path() string { return s.db.Path() }

// Record records events in one transaction: when it returns nil, all of
// them are durable; otherwise none is recorded. Each event is normalized
// (see Event.Normalize) and an invalid one fails the whole call with a
// *RowError whose Line is its 1-based position in events; so does an
// event dated more than consent.MaxSkew after now. An event that
// does not Supersede the one recorded for its user and purpose changes
// nothing, so recording an event twice, or an older event after a newer
// one, is harmless.
func (s *Store) Record(ctx context.Context, events ...consent.Event) error {
	if s.readOnly {
		return ErrReadOnly
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b := newBatch(len(events))
	now := time.Now()
	for i, e := range events {
		e, err := e.Normalize()
		if err == nil {
			err = e.CheckTime(now)
		}
		if err != nil {
			return &RowError{Line: int64(i + 1), Err: err}
		}
		b.add(e)
	}
	return s.commit(b, "", nil)
}

// commit writes a batch, and with it, in the same transaction, the import
// progress of the named source if name is not empty.
func (s *Store) commit(b *batch, name string, prog *progress) error {
	err := s.update(func(tx *bolt.Tx) error {
		led, sums := tx.Bucket(bucketLedger), tx.Bucket(bucketSums)
		var pb *bolt.Bucket
		var purpose string
		var t totals
		flush := func() error {
			if pb == nil {
				return nil
			}
			return sums.Put([]byte(purpose), t.encode())
		}
		for e := range b.winners() {
			if pb == nil || e.Purpose != purpose {
				if err := flush(); err != nil {
					return err
				}
				var err error
				if pb, err = led.CreateBucketIfNotExists([]byte(e.Purpose)); err != nil {
					return err
				}
				purpose = e.Purpose
				if t, err = decodeTotals(sums.Get([]byte(purpose))); err != nil {
					return err
				}
			}
			key := []byte(e.UserID)
			old := pb.Get(key)
			if old != nil {
				oe, err := decodeValue(s.version, e.Purpose, e.UserID, old)
				if err != nil {
					return err // a damaged record is not overwritten blindly
				}
				if !e.Supersedes(oe) {
					continue
				}
				t.remove(old)
			}
			v := encodeValue(e.Purpose, e.UserID, e)
			if err := pb.Put(key, v); err != nil {
				return err
			}
			t.add(v)
		}
		if err := flush(); err != nil {
			return err
		}
		if name != "" && prog != nil {
			return tx.Bucket(bucketImports).Put([]byte(name), prog.encode())
		}
		return nil
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Get returns the winning event of each purpose the user has chosen for,
// in purpose order; none if the ledger knows nothing of the user. The id
// is compared without surrounding blanks.
func (s *Store) Get(userID string) ([]consent.Event, error) {
	userID = consent.CanonicalUserID(userID)
	var out []consent.Event
	err := s.view(func(tx *bolt.Tx) error {
		if userID == "" {
			return nil
		}
		led := tx.Bucket(bucketLedger)
		return led.ForEachBucket(func(purpose []byte) error {
			if v := led.Bucket(purpose).Get([]byte(userID)); v != nil {
				e, err := decodeValue(s.version, string(purpose), userID, v)
				if err != nil {
					return err
				}
				e.UserID, e.Purpose = userID, string(purpose)
				out = append(out, e)
			}
			return nil
		})
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return nil, ErrClosed
	}
	return out, err
}

// Events returns the winning event of every (user, purpose) the ledger
// holds, ordered by user id and then purpose, bytewise, as of one moment:
// the sequence reads one read transaction, which it holds while it runs.
// An error ends the sequence.
func (s *Store) Events() iter.Seq2[consent.Event, error] {
	return func(yield func(consent.Event, error) bool) {
		stopped := false
		err := s.view(func(tx *bolt.Tx) error {
			led := tx.Bucket(bucketLedger)
			type head struct {
				purpose string
				c       *bolt.Cursor
				k, v    []byte
				read    totals
			}
			var heads []*head // in purpose order
			err := led.ForEachBucket(func(p []byte) error {
				h := &head{purpose: string(p), c: led.Bucket(p).Cursor()}
				h.k, h.v = h.c.First()
				heads = append(heads, h)
				return nil
			})
			if err != nil {
				return err
			}
			for {
				// The least user id; among equals, the first purpose.
				var min *head
				for _, h := range heads {
					if h.k != nil && (min == nil || string(h.k) < string(min.k)) {
						min = h
					}
				}
				if min == nil {
					for _, h := range heads {
						if err := s.checkTotals(tx, h.purpose, h.read); err != nil {
							return err
						}
					}
					return nil
				}
				e, err := decodeValue(s.version, min.purpose, string(min.k), min.v)
				if err != nil {
					return err
				}
				if s.version >= 2 {
					min.read.add(min.v)
				}
				e.UserID, e.Purpose = string(min.k), min.purpose
				if !yield(e, nil) {
					stopped = true
					return nil
				}
				min.k, min.v = min.c.Next()
			}
		})
		if err != nil && !stopped {
			if errors.Is(err, berrors.ErrDatabaseNotOpen) {
				err = ErrClosed
			}
			yield(consent.Event{}, err)
		}
	}
}

// Purposes returns the purposes the ledger holds events for, sorted.
func (s *Store) Purposes() ([]string, error) {
	var out []string
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLedger).ForEachBucket(func(p []byte) error {
			out = append(out, string(p))
			return nil
		})
	})
	return out, err
}

// encodeValue returns the stored form of e's choice, time and source,
// followed by a CRC-32C (Castagnoli) of the purpose, the user id and the
// rest of the value, so that a damaged or misplaced record is detected.
func encodeValue(purpose, userID string, e consent.Event) []byte {
	v := make([]byte, 9+len(e.Source), 9+len(e.Source)+4)
	v[0] = byte(e.Choice)
	binary.BigEndian.PutUint64(v[1:9], uint64(e.Time.UnixNano()))
	copy(v[9:], e.Source)
	return binary.BigEndian.AppendUint32(v, recordSum(purpose, userID, v))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func recordSum(purpose, userID string, v []byte) uint32 {
	c := crc32.Update(0, castagnoli, []byte(purpose))
	c = crc32.Update(c, castagnoli, []byte{0})
	c = crc32.Update(c, castagnoli, []byte(userID))
	c = crc32.Update(c, castagnoli, []byte{0})
	return crc32.Update(c, castagnoli, v)
}

// totals are the number of records of a purpose and the sum of their
// checksums, kept in the sums bucket under the purpose's name and updated
// with every record written: a reader that adds up the records it read
// and finds other totals knows records were lost or added by damage,
// which a checksum per record cannot tell.
type totals struct {
	n   uint64
	sum uint64
}

func (t *totals) add(v []byte)    { t.n++; t.sum += uint64(binary.BigEndian.Uint32(v[len(v)-4:])) }
func (t *totals) remove(v []byte) { t.n--; t.sum -= uint64(binary.BigEndian.Uint32(v[len(v)-4:])) }

func (t totals) encode() []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, t.n), t.sum)
}

func decodeTotals(b []byte) (totals, error) {
	switch len(b) {
	case 0:
		return totals{}, nil
	case 16:
		return totals{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, nil
	}
	return totals{}, ErrCorrupt
}

// checkTotals compares the totals of what a reader read of a purpose with
// the stored ones (version 2 ledgers only).
func (s *Store) checkTotals(tx *bolt.Tx, purpose string, read totals) error {
	if s.version < 2 {
		return nil
	}
	stored, err := decodeTotals(tx.Bucket(bucketSums).Get([]byte(purpose)))
	if err == nil && stored != read {
		err = ErrCorrupt
	}
	if err != nil {
		return fmt.Errorf("%w: the records of purpose %q do not add up", err, purpose)
	}
	return nil
}

// checkValue returns the value without its checksum, or ErrCorrupt if the
// checksum does not match (version 2) or the value cannot be one (both).
func checkValue(version byte, purpose, userID string, v []byte) ([]byte, error) {
	if version >= 2 {
		if len(v) < 13 {
			return nil, ErrCorrupt
		}
		n := len(v) - 4
		if binary.BigEndian.Uint32(v[n:]) != recordSum(purpose, userID, v[:n]) {
			return nil, ErrCorrupt
		}
		v = v[:n]
	}
	if len(v) < 9 || (v[0] != byte(consent.OptIn) && v[0] != byte(consent.OptOut)) {
		return nil, ErrCorrupt
	}
	return v, nil
}

func decodeValue(version byte, purpose, userID string, v []byte) (consent.Event, error) {
	v, err := checkValue(version, purpose, userID, v)
	if err != nil {
		return consent.Event{}, err
	}
	return consent.Event{
		Choice: consent.Choice(v[0]),
		Time:   time.Unix(0, int64(binary.BigEndian.Uint64(v[1:9]))).UTC(),
		Source: string(v[9:]),
	}, nil
}

// batch holds the normalized events of one commit.
type batch struct {
	events []consent.Event
}

func newBatch(n int) *batch {
	return &batch{events: make([]consent.Event, 0, n)}
}

func (b *batch) add(e consent.Event) { b.events = append(b.events, e) }

// winners sorts the batch by (purpose, user), so that a commit walks each
// B+tree once from left to right, and yields the winning event of each
// (purpose, user) in that order. (A sort and a walk cost less than a map of
// the batch: a million-event batch fits no cache either way.)
func (b *batch) winners() iter.Seq[consent.Event] {
	slices.SortFunc(b.events, func(x, y consent.Event) int {
		if c := strings.Compare(x.Purpose, y.Purpose); c != 0 {
			return c
		}
		return strings.Compare(x.UserID, y.UserID)
	})
	return func(yield func(consent.Event) bool) {
		evs := b.events
		for i := 0; i < len(evs); {
			w := evs[i]
			j := i + 1
			for ; j < len(evs) && evs[j].UserID == w.UserID && evs[j].Purpose == w.Purpose; j++ {
				if evs[j].Supersedes(w) {
					w = evs[j]
				}
			}
			if !yield(w) {
				return
			}
			i = j
		}
	}
}
