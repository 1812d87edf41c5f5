package ledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/matcher"
)

// TestStore_ConcurrentMatches runs matches while a writer records consent
// changes. Each match takes its snapshot at a moment when the test knows
// the ledger's exact state, and its audience must be exactly the users the
// ledger allowed then: no user opted out before the match started, and no
// effect of a write committed after. Run with -race (make test does).
func TestStore_ConcurrentMatches(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	const n = 400
	users := make([]matcher.User, n)
	for i := range users {
		users[i] = matcher.User{Line: int64(i + 2), ID: fmt.Sprintf("u%d", i), Phone: fmt.Sprintf("+1 650 555 %04d", i)}
	}
	list := func(yield func(matcher.Entry) bool) {
		for i, u := range users {
			if !yield(matcher.Entry{Line: int64(i + 2), Phone: u.Phone}) {
				return
			}
		}
	}
	userSeq := func(yield func(matcher.User) bool) {
		for _, u := range users {
			if !yield(u) {
				return
			}
		}
	}
	base, err := matcher.BuildBase(ctx, userSeq, &matcher.Options{Workers: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := matcher.BuildList(ctx, list, &matcher.Options{Workers: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// mu orders writes against snapshots: the writer records and updates
	// state under it, a matcher snapshots under it, so state is the
	// ledger as of the snapshot.
	var mu sync.Mutex
	state := map[string]consent.Choice{} // latest "ads" choice per user

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		r := rand.New(rand.NewPCG(3, 4))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// A few users change their mind, at ever later times; now and
			// then an old event arrives that must change nothing.
			var evs []consent.Event
			for range 1 + r.IntN(5) {
				c := consent.OptOut
				if r.IntN(3) == 0 {
					c = consent.OptIn
				}
				evs = append(evs, consent.Event{UserID: users[r.IntN(n)].ID, Purpose: "ads", Choice: c, Time: t0.Add(time.Duration(i) * time.Second)})
			}
			// (Only the writer writes state, so it may read it unlocked.)
			var stale []consent.Event
			if u := users[r.IntN(n)].ID; state[u] != 0 {
				stale = append(stale, consent.Event{UserID: u, Purpose: "ads", Choice: consent.OptIn, Time: t0.Add(-time.Hour)})
			}
			mu.Lock()
			if err := s.Record(ctx, append(stale, evs...)...); err != nil {
				mu.Unlock()
				t.Error(err)
				return
			}
			for _, e := range reference(evs) {
				state[e.UserID] = e.Choice
			}
			mu.Unlock()
		}
	})

	var matchers sync.WaitGroup
	for g := range 4 {
		matchers.Go(func() {
			for k := range 15 {
				policy := consent.Policy(k % 2)
				mu.Lock()
				snap, err := s.Snapshot("ads", policy)
				allowed := map[string]bool{}
				for _, u := range users {
					c, ok := state[u.ID]
					if policy == consent.PolicyOptOut && !(ok && c == consent.OptOut) || policy == consent.PolicyOptIn && ok && c == consent.OptIn {
						allowed[u.ID] = true
					}
				}
				mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
				got := map[string]bool{}
				yield := func(m matcher.Match) error {
					if !allowed[m.UserID] {
						t.Errorf("matcher %d, match %d (%v): %s matched, but the ledger excluded them when the match started", g, k, policy, m.UserID)
					}
					got[m.UserID] = true
					return nil
				}
				var st matcher.Stats
				if g%2 == 0 {
					st, err = base.Match(ctx, list, snap, yield, nil)
				} else {
					st, err = l.Match(ctx, userSeq, snap, yield, nil)
				}
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) != len(allowed) || st.Audience != int64(len(allowed)) {
					t.Errorf("matcher %d, match %d (%v): audience %d (stats %d), want %d: the match did not see one consistent state",
						g, k, policy, len(got), st.Audience, len(allowed))
				}
			}
		})
	}
	matchers.Wait()
	close(stop)
	wg.Wait()
}
