package ledger

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/internal/synth"
)

// BenchmarkImport records a generated event log (1M events over 200k
// users, three purposes) into a new ledger, with fsync at every commit, at
// several batch sizes; events/s is the figure.
func BenchmarkImport(b *testing.B) {
	cfg := synth.Config{Seed: 1, Users: 200_000, OptOutRate: 0.05, Events: 1_000_000}
	var rows []Row
	for e := range synth.Events(cfg) {
		c, _ := consent.ParseChoice(e.Choice)
		rows = append(rows, Row{Line: int64(len(rows) + 2), Event: consent.Event{UserID: e.UserID, Purpose: e.Purpose, Choice: c, Time: e.Time, Source: e.Source}})
	}
	seq := func(yield func(Row) bool) {
		for _, r := range rows {
			if !yield(r) {
				return
			}
		}
	}
	for _, size := range []int{10_000, 100_000} {
		b.Run("batch="+strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := Open(filepath.Join(b.TempDir(), "c.db"), nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Import(context.Background(), seq, &ImportOptions{Name: "events", BatchSize: size}); err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
			b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkSnapshot takes a snapshot of a ledger of 1M users with an "ads"
// event each, 5% of them opt-outs: the fixed cost consent adds to a match
// (with the snapshot cache defeated by a write between snapshots).
func BenchmarkSnapshot(b *testing.B) {
	const n = 1_000_000
	s, err := Open(filepath.Join(b.TempDir(), "c.db"), &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	seq := func(yield func(Row) bool) {
		for i := range n {
			c := consent.OptIn
			if i%20 == 0 {
				c = consent.OptOut
			}
			id := "u" + strconv.Itoa(1_000_000_000 + i*7919%n)[1:]
			if !yield(Row{Line: int64(i + 2), Event: consent.Event{UserID: id, Purpose: "ads", Choice: c, Time: t0, Source: "web"}}) {
				return
			}
		}
	}
	if _, err := s.Import(context.Background(), seq, &ImportOptions{BatchSize: n}); err != nil {
		b.Fatal(err)
	}
	for _, p := range []consent.Policy{consent.PolicyOptOut, consent.PolicyOptIn} {
		b.Run("policy="+p.String(), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				s.Record(context.Background(), ev("x"+strconv.Itoa(i), "other", consent.OptIn, 0, ""))
				b.StartTimer()
				snap, err := s.Snapshot("ads", p)
				if err != nil || !snap.Excludes("nobody") == (p == consent.PolicyOptIn) {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("excludes", func(b *testing.B) {
		snap, _ := s.Snapshot("ads", consent.PolicyOptOut)
		ids := make([]string, 1024)
		for i := range ids {
			ids[i] = "u" + strconv.Itoa(1_000_000_000 + i*104729%n)[1:]
		}
		b.ReportAllocs()
		var k int
		for i := 0; b.Loop(); i++ {
			if snap.Excludes(ids[i%len(ids)]) {
				k++
			}
		}
		_ = k
	})
}
