package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/internal/csvrow"
	"github.com/audiencematch/audiencematch/internal/idcols"
	"github.com/audiencematch/audiencematch/internal/samefile"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/privacy"
)

// Config says what one match reads and writes, as the flags of match run
// do. Paths are Beam filesystem paths: a local path, or a URL such as
// gs://bucket/users.csv whose scheme's filesystem is linked in. On a
// distributed runner every path must be one the workers can reach.
type Config struct {
	// Users is the user base CSV: user_id, phone or email or both, and
	// optionally country. Required.
	Users string

	// List is the contact list CSV: phone (and optionally country) of raw
	// numbers, or hash, of values hashed in Format; or the identifier
	// columns of package idcols (several phones and emails, raw or
	// hashed; Meta's and Google's templates). Required.
	List string

	// Optouts is a CSV with a user_id column of opted-out users. "": none.
	Optouts string

	// Consent is a consent export (match consent export): header
	// user_id,purpose,choice,time,source, choice opt-out or opt-in, time
	// in RFC 3339. Only rows of Purpose count. "": none.
	Consent string

	// Policy says what Consent means for a user. The zero value is
	// consent.PolicyOptOut.
	Policy consent.Policy

	// AllowNewPurpose lets a match run for a Purpose that the consent
	// export holds no choice for; by default that is refused before the
	// pipeline runs, as match run refuses a purpose its ledger never
	// recorded (a typo would exclude no one).
	AllowNewPurpose bool

	// Purpose is the consent purpose the match is for, compared as the
	// ledger compares purposes (consent.MatchPurpose: without blanks, in
	// any case). "": consent.DefaultPurpose.
	Purpose string

	// Region reads phones of rows without a country. "":
	// normalize.DefaultRegion.
	Region string

	// Format is the format of a hashed list's phones, and the digest
	// family both sides' phones are keyed by. The zero value is
	// normalize.E164Hex.
	Format normalize.Format

	// EmailFormat is the format of a list's hashed email addresses, and
	// the family both sides' addresses are keyed by: normalize.EmailHex
	// or normalize.EmailUID2. The zero value (a phone format) means
	// normalize.EmailFormatFor(Format), as for matcher.Options.
	EmailFormat normalize.Format

	// Out is where the audience is written. Required.
	Out string

	// Report is where the JSON report is written. "": no report.
	Report string

	// Rejects is where refused list rows are written as line,reason. "":
	// not written.
	Rejects string

	// BuildSide is the side whose digests make the bloom filter; the
	// other side is filtered with it before the join. The zero value,
	// SideAuto, picks the smaller file.
	BuildSide Side

	// Prefilter chooses whether the bloom filter runs. The zero value,
	// matcher.PrefilterAuto, means matcher.PrefilterBloom here: in a
	// pipeline the filter saves a shuffle, not a probe.
	Prefilter matcher.Prefilter

	// The privacy guards, decided by privacy.Decide as for match run.
	// MinAudience is privacy.Guards.MinAudience, taken literally: the
	// least audience released, so the zero value releases every audience
	// (match-beam, like match run, defaults to privacy.DefaultMinAudience).
	// Audit, if not "", is the audit log appended to. Advertiser and
	// History, both or neither, are the differencing defence's advertiser
	// id and history file; these three are files of the machine that runs
	// the writing step.
	MinAudience int64
	// Epsilon and Budget are privacy.Guards'. Epsilon 0 is the exact
	// size (with MinAudience 0: the guards off, for the platform's own
	// runs); above 0, Advertiser and History are needed.
	Epsilon    float64
	Budget     float64
	Audit      string
	Advertiser string
	History    string
}

// Side is a side of the join.
type Side uint8

const (
	SideAuto  Side = iota // the smaller file, by size in bytes
	SideUsers             // the user base
	SideList              // the contact list
)

var sideNames = [...]string{SideAuto: "auto", SideUsers: "users", SideList: "list"}

// String returns "auto", "users" or "list".
func (s Side) String() string {
	if int(s) < len(sideNames) {
		return sideNames[s]
	}
	return fmt.Sprintf("Side(%d)", int(s))
}

// ParseSide returns the Side named s: "auto", "users" or "list".
func ParseSide(s string) (Side, error) {
	for i, name := range sideNames {
		if s == name {
			return Side(i), nil
		}
	}
	return 0, fmt.Errorf("%w: build side %q: want users, list or auto", ErrConfig, s)
}

// plan is a Config checked against its inputs' headers, with defaults
// filled in: what the transforms are made from.
type plan struct {
	Config
	listKind        string // for the report (idcols.List.Kind)
	hashFormat      string // for the report (idcols.List.HashFormats)
	emailHashFormat string
	buildSide       Side // SideUsers or SideList
}

// sameFiles refuses a configuration that writes a file it reads or
// writes otherwise (an output onto the user base, the report onto the
// audience), as match run does: compared by samefile, by name for files
// that are not local.
func sameFiles(c Config) error {
	var files []samefile.File
	add := func(what, name string, use samefile.Use) {
		if name != "" {
			files = append(files, samefile.File{What: what, Name: name, Use: use})
		}
	}
	add("--users", c.Users, samefile.Reads)
	add("--list", c.List, samefile.Reads)
	add("--optouts", c.Optouts, samefile.Reads)
	add("--consent", c.Consent, samefile.Reads)
	add("--history", c.History, samefile.Updates)
	add("--audit", c.Audit, samefile.Updates)
	add("--out", c.Out, samefile.Writes)
	add("--report", c.Report, samefile.Writes)
	add("--rejects", c.Rejects, samefile.Writes)
	if err := samefile.Check(files...); err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return nil
}

// check fills in cfg's defaults and reads the header of every input, so
// that a bad configuration or input file is reported before the pipeline
// runs. The error is an ErrConfig or a *FileError.
func check(ctx context.Context, cfg Config) (*plan, error) {
	p := &plan{Config: cfg}
	p.Purpose = consent.MatchPurpose(p.Purpose)
	if p.Region == "" {
		p.Region = normalize.DefaultRegion
	}
	switch {
	case p.Users == "":
		return nil, fmt.Errorf("%w: no user base", ErrConfig)
	case p.List == "":
		return nil, fmt.Errorf("%w: no list", ErrConfig)
	case p.Out == "":
		return nil, fmt.Errorf("%w: no output", ErrConfig)
	case !normalize.ValidRegion(p.Region):
		return nil, fmt.Errorf("%w: region %q: not a region code libphonenumber knows", ErrConfig, p.Region)
	case p.Format > normalize.UID2:
		return nil, fmt.Errorf("%w: %v", ErrConfig, normalize.ErrUnknownFormat)
	case p.EmailFormat != 0 && p.EmailFormat.Kind() != normalize.KindEmail || p.EmailFormat > normalize.EmailUID2:
		return nil, fmt.Errorf("%w: email format %d: %v", ErrConfig, p.EmailFormat, normalize.ErrUnknownFormat)
	case p.Policy > consent.PolicyOptIn:
		return nil, fmt.Errorf("%w: %v", ErrConfig, p.Policy)
	case p.MinAudience < 0:
		return nil, fmt.Errorf("%w: minimum audience %d: want 0 or more", ErrConfig, p.MinAudience)
	case p.BuildSide > SideList:
		return nil, fmt.Errorf("%w: %v", ErrConfig, p.BuildSide)
	case p.Prefilter > matcher.PrefilterNone:
		return nil, fmt.Errorf("%w: prefilter %d", ErrConfig, p.Prefilter)
	case (p.Advertiser == "") != (p.History == ""):
		return nil, fmt.Errorf("%w: an advertiser and a history go together", ErrConfig)
	}
	if err := sameFiles(p.Config); err != nil {
		return nil, err
	}
	if p.EmailFormat == 0 {
		p.EmailFormat = normalize.EmailFormatFor(p.Format)
	}
	if err := admit(p); err != nil {
		return nil, err
	}
	if p.Prefilter == matcher.PrefilterAuto {
		p.Prefilter = matcher.PrefilterBloom
	}

	users, err := requireColumns(ctx, p.Users, "user_id")
	if err != nil {
		return nil, err
	}
	if _, missing := idcols.ParseUsers(users); missing != nil {
		return nil, &FileError{Name: p.Users, Err: fmt.Errorf("line 1: %w", &csvrow.MissingColumnError{Want: missing, Header: users})}
	}
	f, err := openCSVRepeat(ctx, p.List, idcols.Repeatable)
	if err != nil {
		return nil, err
	}
	f.Close()
	cols, ok, err := idcols.ParseList(f.header)
	switch {
	case errors.Is(err, idcols.ErrBothPhoneAndHash):
		return nil, &FileError{Name: p.List, Err: err}
	case err != nil:
		return nil, &FileError{Name: p.List, Err: fmt.Errorf("line 1: %w", err)}
	case !ok:
		return nil, &FileError{Name: p.List, Err: &csvrow.MissingColumnError{Want: []string{"phone", "email", "hash"}, Header: f.header}}
	}
	p.listKind = cols.Kind()
	p.hashFormat, p.emailHashFormat = cols.HashFormats(p.Format, p.EmailFormat)
	if p.Optouts != "" {
		if _, err := requireColumns(ctx, p.Optouts, "user_id"); err != nil {
			return nil, err
		}
	}
	if p.Consent != "" {
		if _, err := requireColumns(ctx, p.Consent, consentRequired...); err != nil {
			var fe *FileError
			if errors.As(err, &fe) && strings.HasPrefix(fe.Err.Error(), "missing column") {
				fe.Err = fmt.Errorf("%w; want a consent export (%s)", fe.Err, strings.Join(consent.Columns, ","))
			}
			return nil, err
		}
		if !p.AllowNewPurpose {
			if err := checkPurpose(ctx, p.Consent, p.Purpose); err != nil {
				return nil, err
			}
		}
	}

	p.buildSide = p.BuildSide
	if p.buildSide == SideAuto {
		p.buildSide = SideUsers
		us, uerr := fileSize(ctx, p.Users)
		ls, lerr := fileSize(ctx, p.List)
		if uerr == nil && lerr == nil && ls < us {
			p.buildSide = SideList
		}
	}
	return p, nil
}

// requireColumns reads the header of the named file and checks it has the
// named columns.
func requireColumns(ctx context.Context, name string, cols ...string) ([]string, error) {
	f, err := openCSV(ctx, name, cols...)
	if err != nil {
		return nil, err
	}
	f.Close()
	return f.header, nil
}

// openRead opens a file through the Beam filesystem of its scheme.
func openRead(ctx context.Context, name string) (io.ReadCloser, error) {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return nil, &FileError{Name: name, Err: err}
	}
	r, err := fs.OpenRead(ctx, name)
	if err != nil {
		fs.Close()
		return nil, &FileError{Name: name, Err: unwrapPath(err)}
	}
	return closeBoth{r, fs}, nil
}

type closeBoth struct {
	io.ReadCloser
	fs filesystem.Interface
}

func (c closeBoth) Close() error {
	err := c.ReadCloser.Close()
	c.fs.Close()
	return err
}

func fileSize(ctx context.Context, name string) (int64, error) {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return 0, err
	}
	defer fs.Close()
	return fs.Size(ctx, name)
}

// unwrapPath drops the "open NAME:" of an *os.PathError, since a FileError
// names the file already.
func unwrapPath(err error) error {
	if u := errors.Unwrap(err); u != nil && strings.HasPrefix(err.Error(), "open ") {
		return u
	}
	return err
}

// admit checks the guards' settings and, with a history, that the
// advertiser's budget pays for one more decision: before the pipeline
// reads anything, so that a refusal is the same whatever the list. The
// history is a file of the machine that builds the pipeline (as of the one
// that writes: see Config).
func admit(p *plan) error {
	g := privacy.Guards{MinAudience: p.MinAudience, Epsilon: p.Epsilon, Budget: p.Budget, Advertiser: p.Advertiser}
	if p.History == "" {
		if err := g.Check(); err != nil {
			return fmt.Errorf("%w: %v", ErrConfig, err)
		}
		return nil
	}
	h, err := privacy.OpenHistory(p.History)
	if err != nil {
		return &FileError{Name: p.History, Err: err}
	}
	defer h.Close()
	g.History = h
	switch err := g.Admit(time.Now()); {
	case errors.Is(err, privacy.ErrBudget):
		return err
	case err != nil:
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return nil
}

// checkPurpose refuses a purpose that the consent export holds no choice
// for: it reads the export's purpose column until it finds one. A
// malformed line is left to the pipeline, which fails on it.
func checkPurpose(ctx context.Context, name, purpose string) error {
	f, err := openCSV(ctx, name, consentRequired...)
	if err != nil {
		return err
	}
	defer f.Close()
	col, found := f.col("purpose"), false
	errFound := errors.New("found")
	err = f.rows(func(_ int64, fields [][]byte, err error) error {
		if err == nil && consent.CanonicalPurpose(string(fields[col])) == purpose {
			found = true
			return errFound
		}
		return nil
	})
	if err != nil && err != errFound {
		return err
	}
	if !found {
		return &FileError{Name: name, Err: fmt.Errorf("--purpose %q: the export has no choice for this purpose; AllowNewPurpose if the purpose is new", purpose)}
	}
	return nil
}
