package consent

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/audiencematch/audiencematch/bench"
)

// BenchmarkImport records a generated event log (1M events over 200k
// users, three purposes) into a new ledger, with fsync at every commit, at
// several batch sizes; events/s is the figure.
func BenchmarkImport(b *testing.B) {
	cfg := bench.Config{Seed: 1, Users: 200_000, OptOutRate: 0.05, Events: 1_000_000}
	var rows []Row
	for e := range bench.Events(cfg) {
		c, _ := ParseChoice(e.Choice)
		rows = append(rows, Row{Line: int64(len(rows) + 2), Event: Event{UserID: e.UserID, Purpose: e.Purpose, Choice: c, Time: e.Time, Source: e.Source}})
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
