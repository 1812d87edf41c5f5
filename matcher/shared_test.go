package matcher

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/audiencematch/audiencematch/normalize"
)

// sharedPhone is the phone every user of sharedBase holds.
const sharedPhone = "+16502530000"

// sharedBase returns n users who all hold one phone, and a list of rows
// rows of that phone, raw and hashed alternately, with one row of another
// phone every 100.
func sharedBase(n, rows int) ([]User, []Entry) {
	users := make([]User, n)
	for i := range users {
		users[i] = User{Line: int64(i + 2), ID: "u" + strconv.Itoa(i), Phone: sharedPhone}
	}
	hash := normalize.Encode(normalize.Sum([]byte(sharedPhone), normalize.E164Hex), normalize.E164Hex)
	list := make([]Entry, rows)
	for i := range list {
		list[i] = Entry{Line: int64(i + 2), Phone: sharedPhone}
		switch {
		case i%100 == 99:
			list[i].Phone = "+16502539999"
		case i%2 == 1:
			list[i] = Entry{Line: int64(i + 2), Hash: hash}
		}
	}
	return users, list
}

// TestMatch_SharedPhone: a phone held by many users costs its holders
// once, not once per list row that names it. 100k users share one phone
// and a list names it on every row; each join must take well under a
// second (the holders were read for every row: minutes), and the index
// no more than 5 times the base. Base.Match, List.Match and Index.Match
// must agree, with every user once, at the first row.
func TestMatch_SharedPhone(t *testing.T) {
	n, rows := 100_000, 50_000
	limit := time.Second
	if raceEnabled {
		limit = 10 * time.Second // the race detector slows every access
	}
	users, list := sharedBase(n, rows)
	excl := NewExclusions(slices.Values([]string{"u7", "u99999"}))
	ctx := context.Background()
	base, err := BuildBase(ctx, slices.Values(users), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := OpenIndex(writeIndex(t, users, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	joins := []struct {
		name  string
		match func(ctx context.Context, yield func(Match) error) (Stats, error)
	}{
		{"Base", func(ctx context.Context, yield func(Match) error) (Stats, error) {
			return base.Match(ctx, slices.Values(list), excl, yield, nil)
		}},
		{"List", func(ctx context.Context, yield func(Match) error) (Stats, error) {
			l, err := BuildList(ctx, slices.Values(list), nil, nil)
			if err != nil {
				return Stats{}, err
			}
			return l.Match(ctx, slices.Values(users), excl, yield, nil)
		}},
		{"Index", func(ctx context.Context, yield func(Match) error) (Stats, error) {
			return ix.Match(ctx, slices.Values(list), nil, excl, yield, nil)
		}},
	}
	took := map[string]time.Duration{}
	for _, j := range joins {
		// Stopped at 10 times the limit, so that a quadratic join fails
		// rather than hangs.
		ctx, cancel := context.WithTimeout(ctx, 10*limit)
		var got []Match
		start := time.Now()
		st, err := j.match(ctx, func(m Match) error { got = append(got, m); return nil })
		took[j.name] = time.Since(start)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v after %v", j.name, err, took[j.name])
		}
		if len(got) != n-2 || got[0] != (Match{UserID: "u0", Line: 2}) || got[len(got)-1] != (Match{UserID: "u99998", Line: 2}) {
			t.Errorf("%s: %d users, first %v, last %v; want %d, all at line 2", j.name, len(got), got[0], got[len(got)-1], n-2)
		}
		want := Stats{Rows: int64(rows), Accepted: int64(rows), Matched: int64(rows - rows/100), Unmatched: int64(rows / 100), Audience: int64(n - 2),
			Phone: KindStats{Accepted: int64(rows), Matched: int64(rows - rows/100)}}
		if fmt.Sprint(st) != fmt.Sprint(want) {
			t.Errorf("%s: stats %+v, want %+v", j.name, st, want)
		}
		t.Logf("%s: %v", j.name, took[j.name])
		if took[j.name] > limit {
			t.Errorf("%s: %d users sharing a phone, %d rows naming it: %v, want at most %v", j.name, n, rows, took[j.name], limit)
		}
	}
	// Within 5 times the base, and 20 ms for the noise of a busy machine.
	if took["Index"] > 5*took["Base"]+20*time.Millisecond {
		t.Errorf("Index.Match took %v, more than 5 times Base.Match's %v", took["Index"], took["Base"])
	}
}

// countingKeyset counts the holders a keyset hands out.
type countingKeyset struct {
	keyset
	read atomic.Int64
}

func (c *countingKeyset) holders(ctx context.Context, k int, d *[32]byte, dst []holder) ([]holder, error) {
	n := len(dst)
	dst, err := c.keyset.holders(ctx, k, d, dst)
	c.read.Add(int64(len(dst) - n))
	return dst, err
}

// TestMatch_HoldersOncePerKey: the holders of a key are read once per
// match, or twice when two workers meet the key at once, however many rows
// name it; not once per row.
func TestMatch_HoldersOncePerKey(t *testing.T) {
	const n, rows = 1000, 20_000
	users, list := sharedBase(n, rows)
	// A second phone, held by one user, on every third row.
	users = append(users, User{Line: n + 2, ID: "other", Phone: "+16502530001"})
	for i := 0; i < rows; i += 3 {
		list[i] = Entry{Line: list[i].Line, Phone: "+1 650 253 0001"}
	}
	base, err := BuildBase(context.Background(), slices.Values(users), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			ks := &countingKeyset{keyset: base}
			o := base.opts
			o.Workers = workers
			audience := 0
			if _, err := match(context.Background(), ks, &o, slices.Values(list), nil, func(Match) error { audience++; return nil }, nil); err != nil {
				t.Fatal(err)
			}
			if audience != n+1 {
				t.Errorf("audience %d, want %d", audience, n+1)
			}
			if got := ks.read.Load(); got > 2*(n+1) {
				t.Errorf("%d holders read for 2 keys of %d holders in all, want at most twice that", got, n+1)
			}
		})
	}
}

// TestIndex_Match_CrowdedBucket: a phone of many holders fills its bucket
// of the index, and a phone that falls in the same bucket, after it, must
// still be found without reading through them: a list naming it on every
// row takes about what Base.Match takes, not rows times holders.
func TestIndex_Match_CrowdedBucket(t *testing.T) {
	n, rows := 100_000, 50_000
	limit := time.Second
	if raceEnabled {
		limit = 10 * time.Second
	}
	users, _ := sharedBase(n, 0)
	// The neighbours: a phone for each family whose digest has the shared
	// phone's bucket and sorts after it there.
	bits := bucketBitsFor(n + 2)
	families := []normalize.Format{normalize.E164Hex, normalize.Digits}
	neighbours := make([]string, len(families))
	for f, fam := range families {
		shared := normalize.Sum([]byte(sharedPhone), fam)
		for i := 0; neighbours[f] == ""; i++ {
			p := fmt.Sprintf("+1650%07d", 2_540_000+i)
			d := normalize.Sum([]byte(p), fam)
			if bucketOf(d[:], bits) == bucketOf(shared[:], bits) && compareKeys(d[4:digestPrefix], shared[4:digestPrefix]) > 0 {
				neighbours[f] = p
			}
		}
		users = append(users, User{Line: int64(len(users) + 2), ID: "neighbour " + fam.String(), Phone: neighbours[f]})
	}
	ix, err := OpenIndex(writeIndex(t, users, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ctx := context.Background()
	for f, fam := range families {
		list := make([]Entry, rows)
		for i := range list {
			list[i] = Entry{Line: int64(i + 2), Phone: neighbours[f]}
		}
		base, err := BuildBase(ctx, slices.Values(users), &Options{Format: fam}, nil)
		if err != nil {
			t.Fatal(err)
		}
		took := map[string]time.Duration{}
		for _, j := range []struct {
			name  string
			match func(context.Context, func(Match) error) (Stats, error)
		}{
			{"Base", func(ctx context.Context, y func(Match) error) (Stats, error) {
				return base.Match(ctx, slices.Values(list), nil, y, nil)
			}},
			{"Index", func(ctx context.Context, y func(Match) error) (Stats, error) {
				return ix.Match(ctx, slices.Values(list), &Options{Format: fam}, nil, y, nil)
			}},
		} {
			ctx, cancel := context.WithTimeout(ctx, 10*limit)
			var got []string
			start := time.Now()
			st, err := j.match(ctx, func(m Match) error { got = append(got, m.UserID); return nil })
			took[j.name] = time.Since(start)
			cancel()
			if err != nil {
				t.Fatalf("%s %v: %v after %v", j.name, fam, err, took[j.name])
			}
			if want := []string{"neighbour " + fam.String()}; !slices.Equal(got, want) || st.Matched != int64(rows) {
				t.Errorf("%s %v: audience %q, %d rows matched; want %q, %d", j.name, fam, got, st.Matched, want, rows)
			}
			t.Logf("%s %v: %v", j.name, fam, took[j.name])
			if took[j.name] > limit {
				t.Errorf("%s %v: %v, want at most %v", j.name, fam, took[j.name], limit)
			}
		}
		if took["Index"] > 5*took["Base"]+20*time.Millisecond {
			t.Errorf("%v: Index.Match took %v, more than 5 times Base.Match's %v", fam, took["Index"], took["Base"])
		}
	}
}
