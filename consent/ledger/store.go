package ledger

// The ledger file is a bbolt database (go.etcd.io/bbolt: one file, B+trees
// of copy-on-write pages, ACID transactions, fsync at every commit). bbolt
// checksums its two meta pages, which makes a commit atomic: after a crash
// the file opens at the last committed transaction, whole. It does not
// checksum data pages. Inside it, three top-level buckets:
//
//	meta      "format"  -> 0x01                  the format version; Open refuses any other
//	ledger    PURPOSE   -> bucket                one nested bucket per purpose, named by
//	                                             the purpose (lower case)
//	          USER_ID   -> choice | time | source
//	                       1 byte: 1 opt-in, 2 opt-out
//	                       8 bytes: effective time, ns since 1970-01-01 UTC,
//	                                int64 big-endian
//	                       the rest: source, UTF-8, possibly empty
//	imports   NAME      -> line | digest         import progress of a named source
//	                       8 bytes: the last line committed, uint64 big-endian
//	                       32 bytes: SHA-256 of the rows up to it (see import.go)
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
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/audiencematch/audiencematch/consent"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

const formatVersion = 1

var (
	bucketMeta    = []byte("meta")
	bucketLedger  = []byte("ledger")
	bucketImports = []byte("imports")
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
		err = db.View(checkFormat)
	} else {
		err = db.Update(initFormat)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// create makes a new, empty ledger at path if there is no file there, and
// does so atomically: the ledger is made whole under a temporary name
// beside it and linked into place, so a process killed while creating it
// leaves either no file or a whole ledger, never a bbolt file without the
// ledger's buckets (which read-only opens would refuse). If another
// process creates the ledger first, its file is kept.
func create(path string, opts *Options) error {
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil // it exists (or cannot be checked: Open will say why)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new*")
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
	err = db.Update(initFormat)
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

// checkFormat refuses a database that is not a ledger of formatVersion.
func checkFormat(tx *bolt.Tx) error {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return ErrNotLedger
	}
	if v := m.Get(keyFormat); len(v) != 1 || v[0] != formatVersion {
		return fmt.Errorf("%w (format version %x, want %d)", ErrNotLedger, v, formatVersion)
	}
	if tx.Bucket(bucketLedger) == nil || tx.Bucket(bucketImports) == nil {
		return ErrNotLedger
	}
	return nil
}

// initFormat makes an empty database a ledger, and checks any other.
func initFormat(tx *bolt.Tx) error {
	empty := true
	tx.ForEach(func([]byte, *bolt.Bucket) error {
		empty = false
		return nil
	})
	if !empty {
		return checkFormat(tx)
	}
	m, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return err
	}
	if err := m.Put(keyFormat, []byte{formatVersion}); err != nil {
		return err
	}
	if _, err := tx.CreateBucket(bucketLedger); err != nil {
		return err
	}
	_, err = tx.CreateBucket(bucketImports)
	return err
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
	err := s.db.Update(func(tx *bolt.Tx) error {
		led := tx.Bucket(bucketLedger)
		var pb *bolt.Bucket
		var purpose string
		for e := range b.winners() {
			if pb == nil || e.Purpose != purpose {
				var err error
				if pb, err = led.CreateBucketIfNotExists([]byte(e.Purpose)); err != nil {
					return err
				}
				purpose = e.Purpose
			}
			key := []byte(e.UserID)
			if old := pb.Get(key); old != nil {
				if oe, err := decodeValue(old); err == nil && !e.Supersedes(oe) {
					continue
				}
			}
			if err := pb.Put(key, encodeValue(e)); err != nil {
				return err
			}
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
	userID = strings.TrimSpace(userID)
	var out []consent.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		if userID == "" {
			return nil
		}
		led := tx.Bucket(bucketLedger)
		return led.ForEachBucket(func(purpose []byte) error {
			if v := led.Bucket(purpose).Get([]byte(userID)); v != nil {
				e, err := decodeValue(v)
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
		err := s.db.View(func(tx *bolt.Tx) error {
			led := tx.Bucket(bucketLedger)
			type head struct {
				purpose string
				c       *bolt.Cursor
				k, v    []byte
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
					return nil
				}
				e, err := decodeValue(min.v)
				if err != nil {
					return err
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
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLedger).ForEachBucket(func(p []byte) error {
			out = append(out, string(p))
			return nil
		})
	})
	return out, err
}

// encodeValue returns the stored form of e's choice, time and source.
func encodeValue(e consent.Event) []byte {
	v := make([]byte, 9+len(e.Source))
	v[0] = byte(e.Choice)
	binary.BigEndian.PutUint64(v[1:9], uint64(e.Time.UnixNano()))
	copy(v[9:], e.Source)
	return v
}

// errCorrupt is returned for a stored value that is not one encodeValue
// writes.
var errCorrupt = errors.New("consent ledger: corrupt event value")

func decodeValue(v []byte) (consent.Event, error) {
	if len(v) < 9 || (v[0] != byte(consent.OptIn) && v[0] != byte(consent.OptOut)) {
		return consent.Event{}, errCorrupt
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
