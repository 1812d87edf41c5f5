package bench_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/audiencematch/audiencematch/internal/synth"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

// The stage benchmarks. Each reports rows/s; the pairs (engine vs baseline,
// bloom vs none) are meant for benchstat in one run:
//
//	go test -run='^$' -bench=. -count=6 ./bench | tee new.txt
//	go run golang.org/x/perf/cmd/benchstat@latest new.txt

func corpus(users, list int) synth.Config {
	return synth.Config{Seed: 42, Users: users, OptOutRate: 0.05, ListRows: list, MatchRate: 0.5, BadRate: 0.01}
}

func rowsPerSec(b *testing.B, rowsPerOp int) {
	b.ReportMetric(float64(rowsPerOp)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkNormalize is the library path of normalize on the generator's
// mixed corpus: every format style, 50 regions, about half national.
func BenchmarkNormalize(b *testing.B) {
	rows := slices.Collect(synth.List(corpus(20_000, 20_000)))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		for _, r := range rows {
			region := r.Country
			if region == "" {
				region = "US"
			}
			buf, _ = normalize.AppendE164(buf[:0], r.Phone, region)
		}
	}
	rowsPerSec(b, len(rows))
}

// BenchmarkSHA256 is the hash alone, on E.164 strings: the floor.
func BenchmarkSHA256(b *testing.B) {
	var phones [][]byte
	for u := range synth.Users(corpus(20_000, 0)) {
		e, err := normalize.AppendE164(nil, u.Phone, u.Country)
		if err == nil {
			phones = append(phones, e)
		}
	}
	b.ReportAllocs()
	var sink byte
	for b.Loop() {
		for _, p := range phones {
			d := normalize.Sum(p, normalize.E164Hex)
			sink ^= d[0]
		}
	}
	rowsPerSec(b, len(phones))
	_ = sink
}

// BenchmarkMatch is the whole match of a raw list against a user base, from
// rows in memory: the engine (parallel, table on the users) against the
// script a user would write by hand (sequential Parse + Format + SHA-256
// into a Go map).
func BenchmarkMatch(b *testing.B) {
	const n = 50_000
	cfg := corpus(n, n)
	users := slices.Collect(synth.Users(cfg))
	optouts := slices.Collect(synth.OptOuts(cfg))
	list := slices.Collect(synth.List(cfg))
	excl := matcher.NewExclusions(slices.Values(optouts))

	b.Run("impl=engine", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			base, err := matcher.BuildBase(context.Background(), func(yield func(matcher.User) bool) {
				for i, u := range users {
					if !yield(matcher.User{Line: int64(i + 2), ID: u.ID, Phone: u.Phone, Region: u.Country}) {
						return
					}
				}
			}, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			_, err = base.Match(context.Background(), func(yield func(matcher.Entry) bool) {
				for i, r := range list {
					if !yield(matcher.Entry{Line: int64(i + 2), Phone: r.Phone, Region: r.Country}) {
						return
					}
				}
			}, excl, func(matcher.Match) error { return nil }, nil)
			if err != nil {
				b.Fatal(err)
			}
		}
		rowsPerSec(b, len(users)+len(list))
	})
	b.Run("impl=baseline", func(b *testing.B) {
		b.ReportAllocs()
		opted := map[string]bool{}
		for _, id := range optouts {
			opted[id] = true
		}
		hash := func(raw, region string) ([32]byte, bool) {
			if region == "" {
				region = "US"
			}
			num, err := phonenumbers.Parse(raw, region)
			if err != nil || !phonenumbers.IsPossibleNumber(num) {
				return [32]byte{}, false
			}
			return sha256.Sum256([]byte(phonenumbers.Format(num, phonenumbers.E164))), true
		}
		for b.Loop() {
			byKey := map[[32]byte][]string{}
			for _, u := range users {
				if d, ok := hash(u.Phone, u.Country); ok {
					byKey[d] = append(byKey[d], u.ID)
				}
			}
			seen := map[string]bool{}
			for _, r := range list {
				if d, ok := hash(r.Phone, r.Country); ok {
					for _, id := range byKey[d] {
						if !opted[id] {
							seen[id] = true
						}
					}
				}
			}
		}
		rowsPerSec(b, len(users)+len(list))
	})
}

// BenchmarkMatchHashed matches a pre-hashed list, where normalization is
// out of the way and the join itself is measured, with and without the
// bloom prefilter, at realistic match rates.
func BenchmarkMatchHashed(b *testing.B) {
	const n = 1_000_000
	cfg := corpus(n, 0)
	var users []matcher.User
	var digests [][32]byte
	for u := range synth.Users(cfg) {
		users = append(users, matcher.User{ID: u.ID, Phone: u.Phone, Region: u.Country})
		e, _ := normalize.AppendE164(nil, u.Phone, u.Country)
		digests = append(digests, normalize.Sum(e, normalize.E164Hex))
	}
	for _, pf := range []struct {
		name string
		p    matcher.Prefilter
	}{{"bloom", matcher.PrefilterBloom}, {"none", matcher.PrefilterNone}} {
		base, err := matcher.BuildBase(context.Background(), slices.Values(users), &matcher.Options{Prefilter: pf.p}, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, rate := range []float64{0.3, 0.5, 0.7} {
			list := make([]matcher.Entry, 200_000)
			for i := range list {
				var d [32]byte
				if float64(i%100) < rate*100 {
					d = digests[(i*7919)%len(digests)]
				} else {
					d = sha256.Sum256(fmt.Appendf(nil, "+1%010d", i))
				}
				list[i] = matcher.Entry{Line: int64(i + 2), Hash: normalize.Encode(d, normalize.E164Hex)}
			}
			b.Run(fmt.Sprintf("match=%.0f%%/prefilter=%s", rate*100, pf.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := base.Match(context.Background(), slices.Values(list), nil, func(matcher.Match) error { return nil }, nil); err != nil {
						b.Fatal(err)
					}
				}
				rowsPerSec(b, len(list))
			})
		}
	}
}
