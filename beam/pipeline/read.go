package pipeline

// The inputs, read with package csvrow as match run reads them, so that
// line numbers and reject reasons are the same:
//
//	users     user_id,phone|email[,country] u001,+16502530000,US
//	list      phone[,country]  or  hash, or the identifier columns of
//	          package idcols (phone2, email, email_hash, Meta's and
//	          Google's templates, …), read with idcols as match run
//	          reads them
//	optouts   user_id                       u004
//	consent   user_id,purpose,choice,time,source
//	          u004,ads,opt-out,2026-03-01T10:00:00Z,app
//
// Each file is read whole by one DoFn call, in line order: a line number
// is a position in the file, which a split read would have to count
// first. The rows are then redistributed (Reshuffle, or the consent join)
// so that normalizing and hashing run on every worker.
//
// A refused user row is skipped and counted, as match run does. A refused
// list row goes on with its reason, to be counted in the report. A refused
// line in the opt-out or consent file fails the pipeline: it may be
// someone's opt-out, and skipping it could put that user in an audience.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/internal/csvrow"
	"github.com/audiencematch/audiencematch/internal/idcols"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

// userRow is a well-formed line of the user base.
type userRow struct {
	Line   int64
	ID     string
	Phone  string
	Email  string
	Region string // the trimmed country field; "" means the Config's region
}

// listRow is a line of the list, as idcols makes a matcher.Entry of it:
// a phone and its region, or a hash, or identifier cells; or the reason
// the reader refused the line.
type listRow struct {
	Line   int64
	Phone  string
	Region string
	Hash   string    // the trimmed hash field, for a hashed list
	Keys   []keyCell // the identifier cells of a list of several columns
	Reason string    // non-empty: the line was refused with this reason
}

// keyCell is a matcher.Key, as a row of the pipeline carries it.
type keyCell struct {
	Kind   uint8 // a normalize.Kind
	Value  string
	Hashed bool
	Column string
}

// entry returns r as the matcher.Entry match run makes of its line.
func (r *listRow) entry() matcher.Entry {
	e := matcher.Entry{Line: r.Line, Phone: r.Phone, Region: r.Region, Hash: r.Hash}
	for _, k := range r.Keys {
		e.Keys = append(e.Keys, matcher.Key{Kind: normalize.Kind(k.Kind), Value: k.Value, Hashed: k.Hashed, Column: k.Column})
	}
	return e
}

// event is what the consent inputs say about one user: an opt-out line,
// or a choice of a consent export, for the Config's purpose.
type event struct {
	OptOut bool   // a line of the opt-out file
	Choice uint8  // from a consent export: a consent.Choice
	Time   int64  // the choice's effective time, ns since 1970 (the ledger's range)
	Source string // and its source, which breaks ties as the ledger does
}

// consentRequired are the columns a consent export must have: those of
// consent.Columns but the optional source.
var consentRequired = consent.Columns[:4]

// csvFile is an input file being read, its header read.
type csvFile struct {
	name   string
	rc     io.ReadCloser
	r      *csvrow.Reader
	header []string
}

// openCSV opens the named file and reads its header, which must have the
// required columns.
func openCSV(ctx context.Context, name string, required ...string) (*csvFile, error) {
	return openCSVRepeat(ctx, name, nil, required...)
}

// openCSVRepeat is openCSV with the names of the columns that may repeat
// (a list's: idcols.Repeatable).
func openCSVRepeat(ctx context.Context, name string, repeatable func(string) bool, required ...string) (*csvFile, error) {
	rc, err := openRead(ctx, name)
	if err != nil {
		return nil, err
	}
	f := &csvFile{name: name, rc: rc, r: csvrow.NewReader(rc)}
	f.r.Repeatable = repeatable
	if f.header, err = f.r.Header(); err != nil {
		rc.Close()
		return nil, &FileError{Name: name, Err: err}
	}
	for _, c := range required {
		if f.col(c) < 0 {
			rc.Close()
			// The header is described, never shown: it may be a row of
			// phones in a file that lacks one.
			return nil, &FileError{Name: name, Err: &csvrow.MissingColumnError{Want: []string{c}, Header: f.header}}
		}
	}
	return f, nil
}

// col returns the position of the named column, -1 if it is absent.
func (f *csvFile) col(name string) int { return csvrow.Index(f.header, name)[0] }

// rows calls fn for each data line: its number and fields, or the reason
// it was refused. An I/O error, or fn's, ends the read and is returned.
func (f *csvFile) rows(fn func(line int64, fields [][]byte, err error) error) error {
	var le *csvrow.LineError
	for {
		line, fields, err := f.r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if !errors.As(err, &le) {
				return &FileError{Name: f.name, Err: err}
			}
			err = le.Err
		}
		if err := fn(line, fields, err); err != nil {
			return err
		}
	}
}

func (f *csvFile) Close() { f.rc.Close() }

// field returns fields[i] as a string, "" when the column is absent.
func field(fields [][]byte, i int) string {
	if i < 0 {
		return ""
	}
	return string(fields[i])
}

// region returns a row's country field trimmed, "" if empty or absent.
func region(fields [][]byte, i int) string {
	if i < 0 {
		return ""
	}
	return string(bytes.TrimSpace(fields[i]))
}

// readUsersFn reads the user base named by its input element.
type readUsersFn struct{}

func (readUsersFn) ProcessElement(ctx context.Context, name string, emit func(userRow)) error {
	f, err := openCSV(ctx, name, "user_id")
	if err != nil {
		return err
	}
	defer f.Close()
	cols, missing := idcols.ParseUsers(f.header)
	if missing != nil {
		return &FileError{Name: name, Err: &csvrow.MissingColumnError{Want: missing, Header: f.header}}
	}
	return f.rows(func(line int64, fields [][]byte, err error) error {
		if err == nil {
			if id := field(fields, cols.ID); id != "" {
				emit(userRow{Line: line, ID: id, Phone: field(fields, cols.Phone), Email: field(fields, cols.Email), Region: region(fields, cols.Country)})
				return nil
			}
		}
		usersRejected.Inc(ctx, 1)
		return nil
	})
}

// readListFn reads the list named by its input element; every line comes
// out, a refused one with its reason. Digests a raw column holds are
// found as match run finds them, in Format and EmailFormat.
type readListFn struct {
	Format, EmailFormat normalize.Format
}

func (fn *readListFn) ProcessElement(ctx context.Context, name string, emit func(listRow)) error {
	f, err := openCSVRepeat(ctx, name, idcols.Repeatable)
	if err != nil {
		return err
	}
	defer f.Close()
	cols, ok, err := idcols.ParseList(f.header)
	if err != nil || !ok {
		return &FileError{Name: name, Err: fmt.Errorf("identifier columns: %v", err)}
	}
	str := func(b []byte) string { return string(b) }
	return f.rows(func(line int64, fields [][]byte, err error) error {
		r := listRow{Line: line}
		if err != nil {
			r.Reason = matcher.Reason(err)
			emit(r)
			return nil
		}
		var e matcher.Entry
		cols.Entry(&e, fields, str, fn.Format, fn.EmailFormat)
		r.Phone, r.Hash, r.Region = e.Phone, e.Hash, region(fields, cols.Country)
		for _, k := range e.Keys {
			r.Keys = append(r.Keys, keyCell{Kind: uint8(k.Kind), Value: k.Value, Hashed: k.Hashed, Column: k.Column})
		}
		emit(r)
		return nil
	})
}

// readOptoutsFn reads an opt-out file: one event per non-empty user id,
// keyed by the id in canonical form.
type readOptoutsFn struct{}

func (readOptoutsFn) ProcessElement(ctx context.Context, name string, emit func(string, event)) error {
	f, err := openCSV(ctx, name, "user_id")
	if err != nil {
		return err
	}
	defer f.Close()
	id := f.col("user_id")
	return f.rows(func(line int64, fields [][]byte, err error) error {
		if errors.Is(err, csvrow.ErrBlank) {
			return nil
		}
		if err != nil {
			return &FileError{Name: name, Err: fmt.Errorf("line %d: %w; an opt-out file must be whole", line, err)}
		}
		if id := consent.CanonicalUserID(field(fields, id)); id != "" {
			emit(id, event{OptOut: true})
		}
		return nil
	})
}

// readConsentFn reads a consent export (or any file of events, as match
// consent import reads them): one event per line whose purpose is the
// match's. Every line is parsed with consent.ParseEvent, the ledger's
// rules, whatever its purpose: a malformed export fails the pipeline.
type readConsentFn struct {
	Purpose string // as given; compared as consent.MatchPurpose
}

func (fn *readConsentFn) ProcessElement(ctx context.Context, name string, emit func(string, event)) error {
	f, err := openCSV(ctx, name, consentRequired...)
	if err != nil {
		return err
	}
	defer f.Close()
	want, now := consent.MatchPurpose(fn.Purpose), time.Now()
	id, purpose, choice, at, source := f.col("user_id"), f.col("purpose"), f.col("choice"), f.col("time"), f.col("source")
	return f.rows(func(line int64, fields [][]byte, err error) error {
		if errors.Is(err, csvrow.ErrBlank) {
			return nil
		}
		if err == nil {
			var e consent.Event
			e, err = consent.ParseEvent(field(fields, id), field(fields, purpose), field(fields, choice), field(fields, at), field(fields, source))
			if err == nil {
				err = e.CheckTime(now)
			}
			if err == nil {
				if e.Purpose == want {
					emit(e.UserID, event{Choice: uint8(e.Choice), Time: e.Time.UnixNano(), Source: e.Source})
				}
				return nil
			}
		}
		return &FileError{Name: name, Err: fmt.Errorf("line %d: %w; a consent export must be whole", line, err)}
	})
}

// Counters, in namespace CounterNamespace. None counts an excluded user.
var (
	usersRejected = beam.NewCounter(CounterNamespace, CounterUsersRejected)
)
