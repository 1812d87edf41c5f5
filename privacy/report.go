package privacy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/audiencematch/audiencematch/matcher"
)

// Round returns n rounded down to two significant digits: 1234 gives 1200,
// 99 gives 99, 100999 gives 100000.
func Round(n int64) int64 {
	if n < 100 {
		return n
	}
	unit := int64(1)
	for m := n; m >= 100; m /= 10 {
		unit *= 10
	}
	return n / unit * unit
}

// Decision is what happens to an audience.
type Decision string

const (
	Released       Decision = "released"
	BelowMinimum   Decision = "below minimum audience"
	TooCloseToPast Decision = "too close to a recent list"
	BudgetSpent    Decision = "privacy budget spent"
	Failed         Decision = "failed" // in the audit only: a run that failed after its decision
)

// DefaultMinAudience is the least audience released unless the platform
// sets another.
const DefaultMinAudience = 100

// Report is the advertiser's view of one match: counts of the rows the
// advertiser sent, and the audience's size only if it is released, rounded
// down to two significant digits. Nothing in it counts matched rows,
// opted-out users or anything finer than Round.
type Report struct {
	List            string           `json:"list"`
	ListKind        string           `json:"list_kind"` // "phone", "hash" or "keys"
	HashFormat      string           `json:"hash_format,omitempty"`
	EmailHashFormat string           `json:"email_hash_format,omitempty"`
	Rows            int64            `json:"rows"`
	Accepted        int64            `json:"accepted"`
	Rejected        int64            `json:"rejected"`
	RejectedBy      map[string]int64 `json:"rejected_by"`
	// Phones and Emails count the list's identifiers of each kind, as
	// sent: accepted, and rejected by reason. They count no match.
	Phones Identifiers `json:"phones"`
	Emails Identifiers `json:"emails"`
	Status Decision    `json:"status"`
	// AudienceSize is Round of the audience, present only if released.
	AudienceSize *int64 `json:"audience_size,omitempty"`
	// MatchRate is AudienceSize over Accepted, present only if released.
	MatchRate   *float64 `json:"match_rate,omitempty"`
	MinAudience int64    `json:"min_audience"`
}

// Identifiers are the advertiser's figures of one kind of identifier:
// how many of the list's were accepted and rejected, by reason.
type Identifiers struct {
	Accepted   int64            `json:"accepted"`
	Rejected   int64            `json:"rejected"`
	RejectedBy map[string]int64 `json:"rejected_by"`
}

func identifiers(k matcher.KindStats) Identifiers {
	id := Identifiers{Accepted: k.Accepted, Rejected: k.Rejected, RejectedBy: k.RejectedBy}
	if id.RejectedBy == nil {
		id.RejectedBy = map[string]int64{}
	}
	return id
}

// NewReport returns the advertiser's report of a match with the figures st
// and the decision d.
func NewReport(st matcher.Stats, d Decision, minAudience int64) Report {
	r := Report{
		Rows: st.Rows, Accepted: st.Accepted, Rejected: st.Rejected,
		RejectedBy: st.RejectedBy, Status: d, MinAudience: minAudience,
		Phones: identifiers(st.Phone), Emails: identifiers(st.Email),
	}
	if r.RejectedBy == nil {
		r.RejectedBy = map[string]int64{}
	}
	if d == Released {
		size := Round(st.Audience)
		r.AudienceSize = &size
		rate := 0.0
		if st.Accepted > 0 {
			rate = min(1, float64(size)/float64(st.Accepted))
		}
		r.MatchRate = &rate
	}
	return r
}

// Audit is one line of the platform's audit log: the exact figures of a
// match and what was decided. It holds no phone number, digest or user id.
type Audit struct {
	Time        time.Time     `json:"time"`
	Advertiser  string        `json:"advertiser,omitempty"`
	List        string        `json:"list"`
	Decision    Decision      `json:"decision"`
	MinAudience int64         `json:"min_audience"`
	Exact       matcher.Stats `json:"exact"`
	Reported    int64         `json:"reported_audience_size"` // what the report said, 0 if nothing
	// Nearest is the estimated difference, in distinct identifiers, from
	// the closest recent list of the advertiser, when a History was asked.
	Nearest *int64 `json:"nearest_difference,omitempty"`
	// Epsilon is the privacy loss of the decision, Noisy the noisy size it
	// was made on, and Spent the advertiser's spending within Window
	// with it, when noise was added.
	Epsilon float64  `json:"epsilon,omitempty"`
	Noisy   *int64   `json:"noisy_audience,omitempty"`
	Spent   *float64 `json:"spent,omitempty"`
	// Run, if not empty, names the run that decided: a step that a
	// distributed runner retries logs its decision once (see AppendAudit).
	Run string `json:"run,omitempty"`
	// Version, if not empty, names the engine that decided: the build,
	// which the caller sets (Decide leaves it empty).
	Version string `json:"engine,omitempty"`
}

// AppendAudit appends a to the audit log at path as one JSON line, and
// syncs it. A record whose Run is already in the log is not appended
// again.
func AppendAudit(path string, a Audit) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if a.Run != "" {
		// The run's key and value as they are marshalled: a quote inside a
		// string is escaped, so they can match nowhere else.
		key, _ := json.Marshal(a.Run)
		log, err := io.ReadAll(f)
		if err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
		if bytes.Contains(log, append([]byte(`"run":`), key...)) {
			return f.Close()
		}
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// WriteReport writes r as indented JSON.
func WriteReport(w io.Writer, r Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
