package ledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/audiencematch/audiencematch/consent"
)

// rowsOf returns events as rows numbered from line 2 (after a header), as
// a sequence that can be ranged over more than once.
func rowsOf(events []consent.Event) iter.Seq[Row] {
	return func(yield func(Row) bool) {
		for i, e := range events {
			if !yield(Row{Line: int64(i + 2), Event: e}) {
				return
			}
		}
	}
}

// reference is the ledger as a plain fold: for each (user, purpose), the
// event greatest by (time, opt-out over opt-in, source), written without
// Supersedes.
func reference(events []consent.Event) map[batchKey]consent.Event {
	valid := []consent.Event{}
	for _, e := range events {
		if n, err := e.Normalize(); err == nil {
			valid = append(valid, n)
		}
	}
	rank := map[consent.Choice]int{consent.OptIn: 0, consent.OptOut: 1}
	slices.SortStableFunc(valid, func(a, b consent.Event) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(rank[a.Choice], rank[b.Choice]), cmp.Compare(a.Source, b.Source))
	})
	m := map[batchKey]consent.Event{}
	for _, e := range valid {
		m[batchKey{e.Purpose, e.UserID}] = e // the last is the greatest
	}
	return m
}

// randomEvents draws n events over few users, purposes, times and sources,
// so that ties and out-of-order arrivals are common.
func randomEvents(r *rand.Rand, n int) []consent.Event {
	users := []string{"u1", "u2", "u3", " u1", "u4"}
	purposes := []string{"ads", "Ads", "email", "analytics"}
	sources := []string{"", "web", "app"}
	out := make([]consent.Event, n)
	for i := range out {
		c := consent.OptIn
		if r.IntN(2) == 0 {
			c = consent.OptOut
		}
		out[i] = consent.Event{
			UserID:  users[r.IntN(len(users))],
			Purpose: purposes[r.IntN(len(purposes))],
			Choice:  c,
			Time:    t0.Add(time.Duration(r.IntN(8)) * time.Hour),
			Source:  sources[r.IntN(len(sources))],
		}
		if r.IntN(20) == 0 {
			out[i].UserID = "" // refused
		}
	}
	return out
}

// TestLedger_Property checks, for random event streams recorded in random
// ways (Record in chunks, Import in batches, an import run twice or cut
// short and resumed), that the ledger equals the reference fold, and that
// snapshots under both policies answer as the fold says.
func TestLedger_Property(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 7))
		events := randomEvents(r, 1+r.IntN(60))
		s := openTemp(t)
		mode := r.IntN(4)
		switch mode {
		case 0: // Record in chunks of valid events
			var valid []consent.Event
			for _, e := range events {
				if _, err := e.Normalize(); err == nil {
					valid = append(valid, e)
				}
			}
			for len(valid) > 0 {
				k := min(len(valid), 1+r.IntN(7))
				if err := s.Record(ctx, valid[:k]...); err != nil {
					t.Fatal(err)
				}
				valid = valid[k:]
			}
		case 1, 2: // Import, once or twice (mode 2)
			for range mode {
				if _, err := s.Import(ctx, rowsOf(events), &ImportOptions{Name: "src", BatchSize: 1 + r.IntN(10)}); err != nil {
					t.Fatal(err)
				}
			}
		case 3: // an import cut short, then resumed
			cut := r.IntN(len(events) + 1)
			if _, err := s.Import(ctx, rowsOf(events[:cut]), &ImportOptions{Name: "src", BatchSize: 1 + r.IntN(5)}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Import(ctx, rowsOf(events), &ImportOptions{Name: "src", BatchSize: 1 + r.IntN(5)}); err != nil {
				t.Fatal(err)
			}
		}
		checkLedger(t, fmt.Sprintf("seed %d mode %d", seed, mode), s, reference(events))
		s.Close()
	}
}

// checkLedger compares the ledger with want, event by event and through
// snapshots of every purpose under both policies.
func checkLedger(t *testing.T, name string, s *Store, want map[batchKey]consent.Event) {
	t.Helper()
	got := map[batchKey]consent.Event{}
	var prev batchKey
	for e, err := range s.Events() {
		if err != nil {
			t.Fatalf("%s: Events: %v", name, err)
		}
		k := batchKey{e.Purpose, e.UserID}
		if prev.user > k.user || prev.user == k.user && prev.purpose >= k.purpose {
			t.Errorf("%s: Events out of order: %v then %v", name, prev, k)
		}
		prev = k
		got[k] = e
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s: %v = %+v (present %v), want %+v", name, k, g, ok, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %v = %+v, want nothing", name, k, g)
		}
	}
	for _, purpose := range []string{"ads", "email", "analytics", "none"} {
		for _, p := range []consent.Policy{consent.PolicyOptOut, consent.PolicyOptIn} {
			snap, err := s.Snapshot(purpose, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
				e, ok := want[batchKey{purpose, u}]
				var excluded bool
				if p == consent.PolicyOptOut {
					excluded = ok && e.Choice == consent.OptOut
				} else {
					excluded = !(ok && e.Choice == consent.OptIn)
				}
				if got := snap.Excludes(u); got != excluded {
					t.Errorf("%s: %v/%s: Excludes(%s) = %v, want %v", name, p, purpose, u, got, excluded)
				}
			}
		}
	}
}

func TestImport_Stats(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	bad := errors.New("bad quoting")
	rows := []Row{
		{Line: 2, Event: ev("u1", "ads", consent.OptOut, 0, "")},
		{Line: 3, Err: bad},
		{Line: 4, Event: consent.Event{UserID: "u2", Purpose: "", Choice: consent.OptIn, Time: t0}},
		{Line: 6, Event: ev("u2", "ads", consent.OptIn, 0, "")},
	}
	var rejected []Row
	st, err := s.Import(ctx, slices.Values(rows), &ImportOptions{OnReject: func(r Row) { rejected = append(rejected, r) }})
	if err != nil {
		t.Fatal(err)
	}
	want := ImportStats{Lines: 4, Accepted: 2, Rejected: 2, Recorded: 2, Batches: 1}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if len(rejected) != 2 || rejected[0].Line != 3 || rejected[0].Err != bad || rejected[1].Line != 4 || !errors.Is(rejected[1].Err, consent.ErrEmptyPurpose) {
		t.Errorf("rejected = %+v", rejected)
	}
}

func TestImport_Resume(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	events := randomEvents(r, 100)
	accepted := func(evs []consent.Event) (n int64) {
		for _, e := range evs {
			if _, err := e.Normalize(); err == nil {
				n++
			}
		}
		return n
	}

	t.Run("cut short", func(t *testing.T) {
		s := openTemp(t)
		// A source that ends after 45 rows commits 4 batches of 10 and a
		// last one of 5: as far as the rows went.
		st, err := s.Import(ctx, rowsOf(events[:45]), &ImportOptions{Name: "f", BatchSize: 10})
		if err != nil || st.Batches != 5 {
			t.Fatalf("first import: %+v, %v", st, err)
		}
		st, err = s.Import(ctx, rowsOf(events), &ImportOptions{Name: "f", BatchSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		if st.Resumed != 46 || st.Recorded != accepted(events[45:]) || st.Lines != 100 || st.Accepted != accepted(events) {
			t.Errorf("resumed import: %+v; want Resumed 46, Recorded %d", st, accepted(events[45:]))
		}
		if line, ok, _ := s.Progress("f"); !ok || line != 101 {
			t.Errorf("Progress = %d, %v; want 101", line, ok)
		}
		// Again: nothing left.
		st, _ = s.Import(ctx, rowsOf(events), &ImportOptions{Name: "f", BatchSize: 10})
		if st.Resumed != 101 || st.Recorded != 0 || st.Batches != 0 {
			t.Errorf("third import: %+v, want nothing recorded", st)
		}
		checkLedger(t, "resumed", s, reference(events))
	})

	t.Run("canceled", func(t *testing.T) {
		s := openTemp(t)
		cctx, cancel := context.WithCancel(ctx)
		n := 0
		stop := func(yield func(Row) bool) {
			for r := range rowsOf(events) {
				if n++; n == 35 {
					cancel()
				}
				if !yield(r) {
					return
				}
			}
		}
		// The context is checked every 1024 rows and at the end: the
		// canceled import commits nothing after the cancel.
		st, err := s.Import(cctx, stop, &ImportOptions{Name: "f", BatchSize: 10})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want Canceled", err)
		}
		line, _, _ := s.Progress("f")
		if line > 36 || st.Batches != (line-1)/10 {
			t.Errorf("canceled import committed up to line %d in %d batches", line, st.Batches)
		}
		st, err = s.Import(ctx, rowsOf(events), &ImportOptions{Name: "f", BatchSize: 10})
		if err != nil || st.Resumed != line {
			t.Errorf("rerun: %+v, %v; want Resumed %d", st, err, line)
		}
		checkLedger(t, "canceled", s, reference(events))
	})

	t.Run("changed source", func(t *testing.T) {
		s := openTemp(t)
		s.Import(ctx, rowsOf(events[:50]), &ImportOptions{Name: "f", BatchSize: 10})
		changed := slices.Clone(events)
		i := slices.IndexFunc(changed, func(e consent.Event) bool { return e.UserID != "" })
		changed[i].Source = "edited"
		st, err := s.Import(ctx, rowsOf(changed), &ImportOptions{Name: "f", BatchSize: 10})
		if err != nil || st.Resumed != 0 || st.Recorded != accepted(changed) {
			t.Errorf("import of a changed source: %+v, %v; want every event recorded", st, err)
		}
		want := reference(append(slices.Clone(events[:50]), changed...))
		checkLedger(t, "changed", s, want)
	})
}

// batchKey is a ledger entry's key in tests.
type batchKey struct{ purpose, user string }
