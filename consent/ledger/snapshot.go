package ledger

import (
	"errors"
	"fmt"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/internal/idset"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Snapshot is the ledger's answer for one purpose under one policy, as of
// the moment it was taken: later writes to the Store do not change it. It
// holds in memory the users whose choice decides (the opted-out ones under
// PolicyOptOut, the opted-in ones under PolicyOptIn), so Excludes is a probe
// of an in-memory set (internal/idset) and needs no file or lock.
//
// A Snapshot implements matcher.Consent: pass it to Base.Match or
// List.Match. It is immutable and safe for concurrent use. The nil
// *Snapshot excludes no one.
type Snapshot struct {
	policy  consent.Policy
	purpose string
	ids     *idset.Set // users whose latest choice is the policy's deciding choice
}

type snapKey struct {
	purpose string
	policy  consent.Policy
}

// cached is a snapshot and the transaction it was read at.
type cached struct {
	snap *Snapshot
	txid int
}

// Snapshot returns the ledger's answer for purpose (lower-cased and
// trimmed, as events' purposes are; "" is DefaultPurpose) under p, as of
// the last committed write. It reads the purpose's events once, in one read
// transaction, and does not hold it afterwards. A Snapshot of a ledger that
// has not changed since the last Snapshot for the same purpose and policy is
// that same Snapshot, at no cost.
//
// A match that takes its Snapshot when it starts sees every write committed
// before, and none committed after, whatever runs meanwhile.
func (s *Store) Snapshot(purpose string, p consent.Policy) (*Snapshot, error) {
	purpose = consent.MatchPurpose(purpose)
	if p != consent.PolicyOptOut && p != consent.PolicyOptIn {
		return nil, consent.ErrPolicy
	}
	want := p.Deciding()
	key := snapKey{purpose, p}
	var snap *Snapshot
	err := s.view(func(tx *bolt.Tx) error {
		s.mu.Lock()
		c, ok := s.cache[key]
		s.mu.Unlock()
		if ok && c.txid == tx.ID() {
			snap = c.snap
			return nil
		}
		var ids idset.Builder
		var read totals
		if b := tx.Bucket(bucketLedger).Bucket([]byte(purpose)); b != nil {
			cur := b.Cursor()
			for k, v := cur.First(); k != nil; k, v = cur.Next() {
				rv, err := checkValue(s.version, purpose, string(k), v)
				if err != nil {
					return fmt.Errorf("%w: a record of purpose %q", err, purpose)
				}
				if s.version >= 2 {
					read.add(v)
				}
				if consent.Choice(rv[0]) != want {
					continue
				}
				ids.AddBytes(k)
			}
		}
		if err := s.checkTotals(tx, purpose, read); err != nil {
			return err
		}
		snap = &Snapshot{policy: p, purpose: purpose, ids: ids.Set()}
		s.mu.Lock()
		s.cache[key] = cached{snap, tx.ID()}
		s.mu.Unlock()
		return nil
	})
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return nil, ErrClosed
	}
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// Excludes reports whether the user may not be matched: under
// PolicyOptOut, if their latest choice for the purpose is OptOut; under
// PolicyOptIn, unless it is OptIn. The id is compared without surrounding
// blanks, as the ledger stores ids.
func (s *Snapshot) Excludes(userID string) bool {
	if s == nil {
		return false
	}
	// The snapshot holds the users whose latest choice is the policy's
	// deciding one; of the others, it does not matter to the policy
	// whether they chose the other way or not at all.
	ok := s.ids.Has(consent.CanonicalUserID(userID))
	return s.policy.Excludes(consent.Event{Choice: s.policy.Deciding()}, ok)
}

// ExcludesEach sets excluded[i] to Excludes(userIDs[i]) for each i, the
// set's cache misses overlapped (matcher.BatchConsent).
func (s *Snapshot) ExcludesEach(userIDs []string, excluded []bool) {
	if s == nil {
		clear(excluded)
		return
	}
	s.ids.HasEach(excluded, func(i int) string { return consent.CanonicalUserID(userIDs[i]) })
	for i, ok := range excluded {
		excluded[i] = s.policy.Excludes(consent.Event{Choice: s.policy.Deciding()}, ok)
	}
}

// Policy returns the snapshot's policy.
func (s *Snapshot) Policy() consent.Policy { return s.policy }

// Purpose returns the purpose the snapshot answers for.
func (s *Snapshot) Purpose() string { return s.purpose }
