package privacy

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Window and MaxPerAdvertiser bound a History: lists decided more than
// Window ago are forgotten (and their privacy loss is spendable again), and
// at most MaxPerAdvertiser of the most recent are kept for each
// advertiser.
const (
	Window           = 30 * 24 * time.Hour
	MaxPerAdvertiser = 100
)

// History is the guards' state, one JSON file: per advertiser, the lists
// decided within Window (a ListSketch of each, its size, the privacy loss
// the decision spent), and two secrets made with crypto/rand when the file
// is created: the salt of every sketch, and the key of the noise that
// Decide adds to audience sizes. It holds no user id, phone or digest.
//
// The file must stay private to the platform: with its secret, the noise
// of a decision can be recomputed and taken off. To rotate the secret,
// start a new history file; the budgets start afresh with it, so do it at
// the end of a Window or keep the old file's spending in mind.
//
// Open locks the file against other processes until Close; a History is
// not safe for concurrent use by goroutines.
type History struct {
	path string
	lock *os.File
	file historyFile
}

// historyVersion is the version of the file. Version 1 files (audience
// sketches, no secret) are read as empty version 2 files with their salt.
const historyVersion = 2

type historyFile struct {
	Version int                 `json:"version"`
	Salt    []byte              `json:"salt"`
	Secret  []byte              `json:"secret"`
	Lists   map[string][]upload `json:"lists"` // by canonical advertiser id
}

// upload is one decided list of an advertiser.
type upload struct {
	Time     time.Time `json:"time"`
	Rows     int64     `json:"rows"`          // distinct accepted identifiers
	Sketch   string    `json:"sketch"`        // base64 of little-endian uint64s, sorted
	Epsilon  float64   `json:"epsilon"`       // the privacy loss the decision spent
	Decision Decision  `json:"decision"`      // released or below minimum
	Run      string    `json:"run,omitempty"` // the run that decided, if named
}

// OpenHistory opens the history at path, creating it if it does not
// exist, and locks it (waiting for another process that has it).
func OpenHistory(path string) (*History, error) {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		lock.Close()
		return nil, fmt.Errorf("%s: lock: %w", path, err)
	}
	h := &History{path: path, lock: lock}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		h.file = historyFile{Version: historyVersion}
	case err != nil:
		h.Close()
		return nil, err
	default:
		if err := json.Unmarshal(b, &h.file); err != nil || h.file.Version < 1 || h.file.Version > historyVersion ||
			len(h.file.Salt) != 32 || (h.file.Version == historyVersion && len(h.file.Secret) != 32) {
			h.Close()
			return nil, fmt.Errorf("%s: not a history file of version 1 or %d", path, historyVersion)
		}
	}
	if h.file.Version < historyVersion {
		h.file.Version, h.file.Lists = historyVersion, nil
	}
	for _, s := range []*[]byte{&h.file.Salt, &h.file.Secret} {
		if len(*s) == 0 {
			*s = make([]byte, 32)
			if _, err := rand.Read(*s); err != nil {
				h.Close()
				return nil, err
			}
		}
	}
	if h.file.Lists == nil {
		h.file.Lists = map[string][]upload{}
	}
	return h, nil
}

// Close releases the lock.
func (h *History) Close() error {
	if h.lock == nil {
		return nil
	}
	err := h.lock.Close()
	h.lock = nil
	return err
}

// NewSketch returns an empty audience Sketch salted for this history.
func (h *History) NewSketch() *Sketch {
	s := &Sketch{}
	copy(s.salt[:], h.file.Salt)
	return s
}

// NewListSketch returns an empty ListSketch salted for this history.
func (h *History) NewListSketch() *ListSketch {
	l := &ListSketch{}
	copy(l.s.salt[:], h.file.Salt)
	l.s.in = make(map[uint64]struct{})
	return l
}

// CanonicalAdvertiser returns an advertiser id as the history keys it:
// without surrounding blanks and lower-cased, so " B" and "b" are one
// advertiser with one budget and one history.
func CanonicalAdvertiser(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// recent returns the advertiser's uploads decided within Window of now.
func (h *History) recent(advertiser string, now time.Time) []upload {
	var out []upload
	for _, u := range h.file.Lists[CanonicalAdvertiser(advertiser)] {
		if now.Sub(u.Time) <= Window {
			out = append(out, u)
		}
	}
	return out
}

// Spent returns the privacy loss the advertiser's decisions within Window
// of now have spent.
func (h *History) Spent(advertiser string, now time.Time) float64 {
	var e float64
	for _, u := range h.recent(advertiser, now) {
		e += u.Epsilon
	}
	return math.Round(e*1e9) / 1e9 // 0.1+0.1+0.1 is 0.3, as people count
}

// NearestList returns the least estimated difference, in distinct
// identifiers, between the list l and the lists decided for advertiser
// within Window of now, and whether there was any. The same list gives 0.
func (h *History) NearestList(advertiser string, l *ListSketch, now time.Time) (diff int64, any bool, err error) {
	vals := l.s.values()
	for _, u := range h.recent(advertiser, now) {
		if u.Sketch == "" {
			continue
		}
		past, err := decodeSketch(u.Sketch)
		if err != nil {
			return 0, false, fmt.Errorf("%s: %w", h.path, err)
		}
		d := difference(vals, l.Distinct(), past, u.Rows)
		if !any || d < diff {
			diff, any = d, true
		}
	}
	return diff, any, nil
}

// record adds a decided list of advertiser and writes the history whole:
// to a temporary file, synced, renamed into place. A run already recorded
// is not recorded again, so that a step a distributed runner retries
// spends once.
func (h *History) record(advertiser string, u upload) error {
	adv := CanonicalAdvertiser(advertiser)
	var kept []upload
	for _, old := range h.file.Lists[adv] {
		if u.Run != "" && old.Run == u.Run {
			return nil
		}
		if u.Time.Sub(old.Time) <= Window {
			kept = append(kept, old)
		}
	}
	kept = append(kept, u)
	// Every upload within Window stays, for its spending; only the
	// MaxPerAdvertiser most recent keep their sketch.
	for i := range max(len(kept)-MaxPerAdvertiser, 0) {
		kept[i].Sketch = ""
	}
	h.file.Lists[adv] = kept
	return h.write()
}

// forget removes the upload of run, a run that failed after its decision,
// and writes the history.
func (h *History) forget(advertiser, run string) error {
	adv := CanonicalAdvertiser(advertiser)
	us := h.file.Lists[adv]
	kept := us[:0]
	for _, u := range us {
		if u.Run != run {
			kept = append(kept, u)
		}
	}
	h.file.Lists[adv] = kept
	return h.write()
}

func (h *History) write() error {
	b, err := json.Marshal(h.file)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), "."+filepath.Base(h.path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), h.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %w", h.path, err)
	}
	return nil
}

func encodeSketch(v []uint64) string {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decodeSketch(s string) ([]uint64, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%8 != 0 {
		return nil, errors.New("a damaged sketch")
	}
	v := make([]uint64, len(b)/8)
	for i := range v {
		v[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return v, nil
}
