package ledger

// Import and crash safety.
//
// Import records events in batches of ImportOptions.BatchSize, one bbolt
// transaction each. A batch commits whole or not at all, so after a crash
// the ledger holds every event of every committed batch and none of the
// batch in flight.
//
// So that a rerun does the rest exactly once, each batch's transaction also
// records the progress of its source, under the source's Name in the
// imports bucket: the line of the last row of the batch, and a digest of
// every row up to it (SHA-256, see rowDigest). A rerun under the same Name
// reads the rows up to that line again, without recording them, and
// compares digests: if equal, the source starts as the committed part did
// and the rerun records only the rows after it; if not (the file was
// changed or replaced), it records every row. Either way the ledger ends
// right, since recording an event twice changes nothing (see Record): the
// digest saves the work, it does not guard correctness. A rerun of an import
// that finished finds nothing left to do; a source that grew since (a log
// appended to) records only its new rows.
//
// The digest is over the rows as parsed, not the bytes: each row adds its
// line number (8 bytes, big-endian), then 0 for a refused row, or 1 and the
// normalized event: user id, purpose and source each as a 4-byte big-endian
// length and the bytes, the choice byte and the time as 8 bytes of
// nanoseconds. Two sources with the same rows up to a line record the same
// events up to it, whatever their bytes.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"iter"
	"time"

	"github.com/audiencematch/audiencematch/consent"
	bolt "go.etcd.io/bbolt"
)

// DefaultBatchSize is the number of rows Import commits per transaction
// unless told otherwise. Every commit rewrites each B+tree page it touches,
// and random user ids touch pages all over the tree, so small batches
// multiply the bytes written: importing 10M events over 1M users took 264 s
// in batches of 10k and 70 s in batches of 100k (bench/RESULTS.md). A
// crash loses at most one batch's work, well under a second of it.
const DefaultBatchSize = 100_000

// Row is one line of an event source: its line number, and its event or
// the reason it was refused (a CSV error, an unknown choice, a bad time).
// Line numbers must increase from row to row.
type Row struct {
	Line  int64
	Event consent.Event
	Err   error
}

// ImportOptions are the options of Import. A nil *ImportOptions is the zero
// ImportOptions.
type ImportOptions struct {
	// Name identifies the source across imports (the CLI uses the file's
	// absolute path): an import under a Name resumes after the last batch
	// an earlier import under the same Name committed, if the source starts
	// with the same rows (see import.go). Empty: no progress is kept, and
	// every row is recorded.
	Name string

	// BatchSize is the number of rows per transaction. Zero:
	// DefaultBatchSize.
	BatchSize int

	// OnReject, if not nil, is called with each refused row, in order:
	// rows with Err set, and rows whose Event does not Normalize (Err is
	// then set to the reason). It is called for refused rows before the
	// resumption point too, so it sees every refused row of the source.
	OnReject func(Row)
}

// ImportStats counts the rows of one Import. Lines = Accepted + Rejected.
type ImportStats struct {
	Lines    int64 // rows read
	Accepted int64 // valid events
	Rejected int64 // refused rows
	Resumed  int64 // the line after which recording resumed; 0 if from the start
	Recorded int64 // accepted events of the rows after Resumed: the events this import recorded
	Batches  int64 // transactions committed
}

// Import records the events of rows, in batches. rows is ranged over once,
// or twice if an earlier import under opts.Name committed part of it (see
// ImportOptions.Name). Every committed batch is durable; if ctx is canceled
// or a write fails, Import returns the error with the stats so far, and the
// batch in flight is not recorded: a rerun under the same Name completes
// it. An event that does not Supersede the ledger's changes nothing, so
// rerunning an import, or importing events out of order, gives the same
// ledger as importing each event once in any order.
func (s *Store) Import(ctx context.Context, rows iter.Seq[Row], opts *ImportOptions) (ImportStats, error) {
	var st ImportStats
	if s.readOnly {
		return st, ErrReadOnly
	}
	if opts == nil {
		opts = &ImportOptions{}
	}
	size := opts.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}

	skip := int64(0) // rows up to this line are in the ledger already
	if opts.Name != "" {
		prog, ok, err := s.progress(opts.Name)
		if err != nil {
			return st, err
		}
		if ok && prefixDigest(rows, prog.line) == prog.digest {
			skip = prog.line
		}
	}
	st.Resumed = skip

	d := newRowDigest()
	b := newBatch(size)
	pending := 0   // rows read since the last commit
	var last int64 // line of the last row read
	var err error  // what stopped the rows early
	now := time.Now()
	for r := range rows {
		if r.Err == nil {
			if r.Event, r.Err = r.Event.Normalize(); r.Err == nil {
				r.Err = r.Event.CheckTime(now)
			}
			if r.Err != nil {
				r.Event = consent.Event{}
			}
		}
		d.add(r)
		st.Lines++
		last = r.Line
		if r.Err != nil {
			st.Rejected++
			if opts.OnReject != nil {
				opts.OnReject(r)
			}
		} else {
			st.Accepted++
			if r.Line > skip {
				b.add(r.Event)
				st.Recorded++
			}
		}
		if st.Lines%1024 == 0 {
			if err = ctx.Err(); err != nil {
				st.Recorded -= int64(len(b.events))
				break
			}
		}
		if r.Line <= skip {
			continue
		}
		pending++
		if pending >= size {
			if err = ctx.Err(); err == nil {
				err = s.commit(b, opts.Name, &progress{last, d.sum()})
			}
			if err != nil {
				st.Recorded -= int64(len(b.events))
				break
			}
			st.Batches++
			b, pending = newBatch(size), 0
		}
	}
	if err == nil && pending > 0 {
		if err = ctx.Err(); err == nil {
			err = s.commit(b, opts.Name, &progress{last, d.sum()})
		}
		if err != nil {
			st.Recorded -= int64(len(b.events))
		} else {
			st.Batches++
		}
	}
	return st, err
}

// progress is how far an import of a named source got.
type progress struct {
	line   int64
	digest [sha256.Size]byte
}

func (p *progress) encode() []byte {
	v := make([]byte, 8+sha256.Size)
	binary.BigEndian.PutUint64(v, uint64(p.line))
	copy(v[8:], p.digest[:])
	return v
}

// progress returns the recorded progress of the source name.
func (s *Store) progress(name string) (progress, bool, error) {
	var p progress
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketImports).Get([]byte(name))
		if len(v) != 8+sha256.Size {
			return nil
		}
		p.line = int64(binary.BigEndian.Uint64(v))
		copy(p.digest[:], v[8:])
		ok = true
		return nil
	})
	return p, ok, err
}

// Progress returns the last line of the source name that an import
// committed, and false if none did.
func (s *Store) Progress(name string) (int64, bool, error) {
	p, ok, err := s.progress(name)
	return p.line, ok, err
}

// prefixDigest returns the digest of the rows up to line, or a zero digest
// if rows ends before it.
func prefixDigest(rows iter.Seq[Row], line int64) [sha256.Size]byte {
	d := newRowDigest()
	for r := range rows {
		if r.Line > line {
			break
		}
		if r.Err == nil {
			if r.Event, r.Err = r.Event.Normalize(); r.Err != nil {
				r.Event = consent.Event{}
			}
		}
		d.add(r)
		if r.Line == line {
			return d.sum()
		}
	}
	return [sha256.Size]byte{}
}

// rowDigest is the running digest of a source's rows (see import.go).
type rowDigest struct {
	h   hash.Hash
	buf []byte
}

func newRowDigest() *rowDigest { return &rowDigest{h: sha256.New()} }

// add adds a row whose Event is normalized, or whose Err is set.
func (d *rowDigest) add(r Row) {
	b := binary.BigEndian.AppendUint64(d.buf[:0], uint64(r.Line))
	if r.Err != nil {
		b = append(b, 0)
	} else {
		e := r.Event
		b = append(b, 1)
		for _, s := range []string{e.UserID, e.Purpose, e.Source} {
			b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
			b = append(b, s...)
		}
		b = append(b, byte(e.Choice))
		b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	}
	d.h.Write(b)
	d.buf = b
}

func (d *rowDigest) sum() (s [sha256.Size]byte) {
	copy(s[:], d.h.Sum(nil))
	return s
}
