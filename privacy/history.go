package privacy

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Window and MaxPerAdvertiser bound a History: audiences released more
// than Window ago are forgotten, and at most MaxPerAdvertiser of the most
// recent are kept for each advertiser.
const (
	Window           = 30 * 24 * time.Hour
	MaxPerAdvertiser = 100
)

// History is the file of audiences released recently, per advertiser: a
// Sketch and the exact size of each. It holds a random salt, the sketches'
// salted hashes of user ids, sizes and times; no user id, phone or digest.
//
// Open locks the file against other processes until Close; a History is
// not safe for concurrent use by goroutines.
type History struct {
	path string
	lock *os.File
	file historyFile
}

type historyFile struct {
	Version     int                  `json:"version"`
	Salt        []byte               `json:"salt"`
	Advertisers map[string][]release `json:"advertisers"`
}

type release struct {
	Time   time.Time `json:"time"`
	Size   int64     `json:"size"`
	Sketch string    `json:"sketch"`        // base64 of little-endian uint64s, sorted
	Run    string    `json:"run,omitempty"` // the run that released it, if named
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
		h.file = historyFile{Version: 1, Salt: make([]byte, 32), Advertisers: map[string][]release{}}
		if _, err := rand.Read(h.file.Salt); err != nil {
			h.Close()
			return nil, err
		}
	case err != nil:
		h.Close()
		return nil, err
	default:
		if err := json.Unmarshal(b, &h.file); err != nil || h.file.Version != 1 || len(h.file.Salt) != 32 {
			h.Close()
			return nil, fmt.Errorf("%s: not a history file of version 1", path)
		}
		if h.file.Advertisers == nil {
			h.file.Advertisers = map[string][]release{}
		}
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

// NewSketch returns an empty Sketch salted for this history.
func (h *History) NewSketch() *Sketch {
	s := &Sketch{}
	copy(s.salt[:], h.file.Salt)
	return s
}

// Nearest returns the least estimated difference, in users, between the
// audience s and the audiences released to advertiser within Window of
// now, and whether there was any. An identical audience gives 0.
func (h *History) Nearest(advertiser string, s *Sketch, now time.Time) (diff int64, any bool, err error) {
	vals := s.values()
	for _, r := range h.file.Advertisers[advertiser] {
		if now.Sub(r.Time) > Window {
			continue
		}
		past, err := decodeSketch(r.Sketch)
		if err != nil {
			return 0, false, fmt.Errorf("%s: %w", h.path, err)
		}
		d := difference(vals, s.n, past, r.Size)
		if !any || d < diff {
			diff, any = d, true
		}
	}
	return diff, any, nil
}

// Check returns the Decision for releasing audience s to advertiser: below
// minAudience users it is BelowMinimum; if it differs from a recent
// audience of the advertiser by more than zero and fewer than minAudience
// users, TooCloseToPast; else Released. nearest is as Nearest's.
func (h *History) Check(advertiser string, s *Sketch, minAudience int64, now time.Time) (d Decision, nearest *int64, err error) {
	if s.n < minAudience {
		return BelowMinimum, nil, nil
	}
	diff, any, err := h.Nearest(advertiser, s, now)
	if err != nil || !any {
		return Released, nil, err
	}
	if diff > 0 && diff < minAudience {
		return TooCloseToPast, &diff, nil
	}
	return Released, &diff, nil
}

// Record adds the released audience s of advertiser and writes the history
// whole: to a temporary file, synced, renamed into place. run, if not
// empty, names the run that released it: a run already recorded is not
// recorded again, so that a step a distributed runner retries counts once.
func (h *History) Record(advertiser string, s *Sketch, now time.Time, run string) error {
	var kept []release
	for _, r := range h.file.Advertisers[advertiser] {
		if run != "" && r.Run == run {
			return nil
		}
		if now.Sub(r.Time) <= Window {
			kept = append(kept, r)
		}
	}
	kept = append(kept, release{Time: now.UTC(), Size: s.n, Sketch: encodeSketch(s.values()), Run: run})
	if len(kept) > MaxPerAdvertiser {
		kept = kept[len(kept)-MaxPerAdvertiser:]
	}
	h.file.Advertisers[advertiser] = kept
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
