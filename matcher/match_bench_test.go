package matcher

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/audiencematch/audiencematch/normalize"
)

// matchFixture returns a base of n users, one phone each, a few sharing
// (one in 16 shares its phone with the next user), and a list of n/2 rows
// of which half are users' phones: raw, and hashed in E164Hex.
func matchFixture(n int) (users []User, raw, hashed []Entry) {
	phone := func(i int) string { return fmt.Sprintf("+1650%07d", 2_000_000+i) }
	for i := range n {
		p := i
		if i%16 == 1 {
			p = i - 1
		}
		users = append(users, User{Line: int64(i + 2), ID: "u" + strconv.Itoa(i), Phone: phone(p)})
	}
	for i := range n / 2 {
		j := (i * 7919) % n
		if i%2 == 1 {
			j += n // not a user's
		}
		e := Entry{Line: int64(i + 2), Phone: phone(j)}
		raw = append(raw, e)
		e.Hash = normalize.Encode(normalize.Sum([]byte(phone(j)), normalize.E164Hex), normalize.E164Hex)
		e.Phone = ""
		hashed = append(hashed, e)
	}
	return users, raw, hashed
}

// BenchmarkMatch is the common path of each join, on a list with half of
// its rows matching a base of 200k users: Base.Match, Index.Match and
// List.Match (BuildList included, as a one-off match pays for it), on a
// hashed list (the join's own cost) and a raw one. An op is one match of
// the whole list.
func BenchmarkMatch(b *testing.B) {
	const n = 200_000
	users, raw, hashed := matchFixture(n)
	ctx := context.Background()
	base, err := BuildBase(ctx, slices.Values(users), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "base.idx")
	if _, err := WriteIndex(ctx, path, slices.Values(users), nil, nil); err != nil {
		b.Fatal(err)
	}
	ix, err := OpenIndex(path)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	var yielded int
	yield := func(Match) error { yielded++; return nil }
	for _, list := range []struct {
		name string
		rows []Entry
	}{{"hashed", hashed}, {"raw", raw}} {
		for _, join := range []struct {
			name  string
			match func() (Stats, error)
		}{
			{"Base", func() (Stats, error) { return base.Match(ctx, slices.Values(list.rows), nil, yield, nil) }},
			{"Index", func() (Stats, error) { return ix.Match(ctx, slices.Values(list.rows), nil, nil, yield, nil) }},
			{"List", func() (Stats, error) {
				l, err := BuildList(ctx, slices.Values(list.rows), nil, nil)
				if err != nil {
					return Stats{}, err
				}
				return l.Match(ctx, slices.Values(users), nil, yield, nil)
			}},
		} {
			b.Run(fmt.Sprintf("%s/%s", join.name, list.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					yielded = 0
					st, err := join.match()
					if err != nil {
						b.Fatal(err)
					}
					if st.Audience == 0 || int64(yielded) != st.Audience {
						b.Fatalf("audience %d, yielded %d", st.Audience, yielded)
					}
				}
				b.ReportMetric(float64(b.N*len(list.rows))/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
