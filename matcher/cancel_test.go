package matcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// endlessUsers yields users with distinct phones without end, or until
// stop.
func endlessUsers(yield func(User) bool) {
	for i := 0; ; i++ {
		if !yield(User{Line: int64(i + 2), ID: fmt.Sprint("u", i), Phone: fmt.Sprintf("+1650%07d", 2_000_000+i%8_000_000)}) {
			return
		}
	}
}

// endlessList yields list rows, one in two a phone of endlessUsers's
// first 1000, without end.
func endlessList(yield func(Entry) bool) {
	for i := 0; ; i++ {
		p := fmt.Sprintf("+1650%07d", 2_000_000+i%1000)
		if i%2 == 1 {
			p = fmt.Sprintf("+1415%07d", 2_000_000+i%8_000_000)
		}
		if !yield(Entry{Line: int64(i + 2), Phone: p}) {
			return
		}
	}
}

// take returns the first n items of seq.
func take[T any](seq func(func(T) bool), n int) []T {
	var out []T
	for x := range seq {
		if len(out) == n {
			break
		}
		out = append(out, x)
	}
	return out
}

// TestMatch_CancelledInYield: once ctx is done, not one more match is
// yielded, though the rest of the batch is worked out already.
func TestMatch_CancelledInYield(t *testing.T) {
	users := take(endlessUsers, 5000)
	list := take(endlessList, 10_000)
	base := build(t, slices.Values(users), nil)
	ix, err := OpenIndex(writeIndex(t, users, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	joins := map[string]func(context.Context, func(Match) error) (Stats, error){
		"Base": func(ctx context.Context, y func(Match) error) (Stats, error) {
			return base.Match(ctx, slices.Values(list), nil, y, nil)
		},
		"Index": func(ctx context.Context, y func(Match) error) (Stats, error) {
			return ix.Match(ctx, slices.Values(list), nil, nil, y, nil)
		},
		"List": func(ctx context.Context, y func(Match) error) (Stats, error) {
			l, err := BuildList(ctx, slices.Values(list), nil, nil)
			if err != nil {
				return Stats{}, err
			}
			return l.Match(ctx, slices.Values(users), nil, y, nil)
		},
	}
	for name, match := range joins {
		for _, at := range []int{1, 3, 400} {
			t.Run(fmt.Sprintf("%s/at=%d", name, at), func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				n := 0
				st, err := match(ctx, func(Match) error {
					if n++; n == at {
						cancel()
					}
					return nil
				})
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
				if n != at || st.Audience != int64(at) {
					t.Errorf("%d matches yielded, Audience %d; want %d: none after cancel", n, st.Audience, at)
				}
			})
		}
	}
}

// cancelling is a Consent that cancels a match on its first question and
// counts them.
type cancelling struct {
	cancel context.CancelFunc
	asked  atomic.Int64
}

func (c *cancelling) Excludes(string) bool {
	if c.asked.Add(1) == 1 {
		c.cancel()
	}
	return false
}

// TestMatch_CancelledInHolders: a key of many holders is read and checked
// against consent in a loop that looks at ctx as it goes, not to its end.
func TestMatch_CancelledInHolders(t *testing.T) {
	n := 5 * checkEvery
	users, list := sharedBase(n, 3)
	base := build(t, slices.Values(users), nil)
	ix, err := OpenIndex(writeIndex(t, users, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for name, match := range map[string]func(context.Context, Consent, func(Match) error) (Stats, error){
		"Base": func(ctx context.Context, c Consent, y func(Match) error) (Stats, error) {
			return base.Match(ctx, slices.Values(list), c, y, nil)
		},
		"Index": func(ctx context.Context, c Consent, y func(Match) error) (Stats, error) {
			return ix.Match(ctx, slices.Values(list), nil, c, y, nil)
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := &cancelling{cancel: cancel}
			yielded := 0
			_, err := match(ctx, c, func(Match) error { yielded++; return nil })
			if !errors.Is(err, context.Canceled) || yielded != 0 {
				t.Errorf("err = %v after %d matches, want context.Canceled after none", err, yielded)
			}
			if got := c.asked.Load(); got > checkEvery {
				t.Errorf("consent asked about %d of the key's %d holders after cancel, want at most %d", got, n, checkEvery)
			}
		})
	}
}

// TestBuild_CancelledAfterReading: ctx done once every row is read stops
// the building that follows: no base, no index file.
func TestBuild_CancelledAfterReading(t *testing.T) {
	users := take(endlessUsers, 3*checkEvery)
	users = append(users, User{Line: int64(len(users) + 2), ID: "last", Phone: "not a phone"})
	dir := t.TempDir()
	for name, build := range map[string]func(context.Context, func(Reject)) error{
		"BuildBase": func(ctx context.Context, onReject func(Reject)) error {
			b, err := BuildBase(ctx, slices.Values(users), &Options{Prefilter: PrefilterBloom}, onReject)
			if b != nil {
				t.Errorf("a base of %d users, with an error %v", b.Len(), err)
			}
			return err
		},
		"WriteIndex": func(ctx context.Context, onReject func(Reject)) error {
			info, err := WriteIndex(ctx, filepath.Join(dir, "base.idx"), slices.Values(users), nil, onReject)
			if info != nil {
				t.Errorf("an index of %d rows, with an error %v", info.Rows, err)
			}
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// The last row is refused: the reading is over.
			if err := build(ctx, func(Reject) { cancel() }); !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("left behind: %v", ents)
			}
		})
	}
}

// TestCalls_CancelledPromptly: every long call, given endless input,
// returns ctx's error within a second of ctx being cancelled.
func TestCalls_CancelledPromptly(t *testing.T) {
	users := take(endlessUsers, 2000)
	base := build(t, slices.Values(users), nil)
	ix, err := OpenIndex(writeIndex(t, users, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	l, err := BuildList(context.Background(), slices.Values(take(endlessList, 2000)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	yield := func(Match) error { return nil }
	dir := t.TempDir()
	for name, call := range map[string]func(context.Context) error{
		"Base.Match": func(ctx context.Context) error {
			_, err := base.Match(ctx, endlessList, nil, yield, nil)
			return err
		},
		"Index.Match": func(ctx context.Context) error {
			_, err := ix.Match(ctx, endlessList, nil, nil, yield, nil)
			return err
		},
		"List.Match": func(ctx context.Context) error {
			_, err := l.Match(ctx, endlessUsers, nil, yield, nil)
			return err
		},
		"BuildBase": func(ctx context.Context) error {
			_, err := BuildBase(ctx, endlessUsers, nil, nil)
			return err
		},
		"BuildList": func(ctx context.Context) error {
			_, err := BuildList(ctx, endlessList, nil, nil)
			return err
		},
		"WriteIndex": func(ctx context.Context) error {
			_, err := WriteIndex(ctx, filepath.Join(dir, "x.idx"), endlessUsers, nil, nil)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- call(ctx) }()
			time.Sleep(50 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
			case <-time.After(time.Second):
				t.Fatal("still running a second after cancel")
			}
		})
	}
}
