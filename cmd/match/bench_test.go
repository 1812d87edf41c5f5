package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/audiencematch/audiencematch/internal/synth"
)

// benchDataEnv names a directory with users.csv, list.csv, optouts.csv and
// consent.db (made by gen and match consent import) for BenchmarkRun_Consent;
// without it the benchmark generates a small data set.
const benchDataEnv = "MATCH_BENCH_DIR"

var benchData struct {
	once sync.Once
	dir  string
	err  error
}

// consentBenchDir returns $MATCH_BENCH_DIR, or a directory with 100k users,
// a 100k-row list and a ledger of 1M events over the users, made once per
// process.
func consentBenchDir(b *testing.B) string {
	if dir := os.Getenv(benchDataEnv); dir != "" {
		return dir
	}
	benchData.once.Do(func() {
		dir, err := os.MkdirTemp("", "match-bench-")
		if err != nil {
			benchData.err = err
			return
		}
		cfg := synth.Config{Seed: 1, Users: 100_000, OptOutRate: 0.05, ListRows: 100_000, MatchRate: 0.5, BadRate: 0.01, Events: 1_000_000}
		for name, w := range map[string]func(io.Writer, synth.Config) error{
			"users.csv": synth.WriteUsers, "list.csv": synth.WriteList, "optouts.csv": synth.WriteOptOuts, "events.csv": synth.WriteEvents,
		} {
			var buf bytes.Buffer
			if benchData.err = w(&buf, cfg); benchData.err != nil {
				return
			}
			if benchData.err = os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); benchData.err != nil {
				return
			}
		}
		var stderr bytes.Buffer
		if run(context.Background(), []string{"consent", "import", "--db", filepath.Join(dir, "consent.db"), filepath.Join(dir, "events.csv")}, nil, io.Discard, &stderr) != 0 {
			benchData.err = &os.PathError{Op: "import", Path: dir, Err: os.ErrInvalid}
		}
		benchData.dir = dir
	})
	if benchData.err != nil {
		b.Fatal(benchData.err)
	}
	return benchData.dir
}

// BenchmarkRun_Consent is the cost of consent in "match run", end to end
// from files: the same run with no exclusions (ledger=none), with the
// opt-out file (ledger=optouts), and with the consent ledger
// (ledger=bbolt: open read-only, snapshot the "ads" opt-outs, close, check
// every user). Run with -count and compare with benchstat; the -count
// repetitions interleave the three.
func BenchmarkRun_Consent(b *testing.B) {
	dir := consentBenchDir(b)
	users, list := filepath.Join(dir, "users.csv"), filepath.Join(dir, "list.csv")
	rows := countLines(b, users) + countLines(b, list)
	for _, c := range []struct {
		name  string
		extra []string
	}{
		{"none", nil},
		{"optouts", []string{"--optouts", filepath.Join(dir, "optouts.csv")}},
		{"bbolt", []string{"--consent", filepath.Join(dir, "consent.db")}},
	} {
		b.Run("ledger="+c.name, func(b *testing.B) {
			args := append([]string{"run", "--users", users, "--list", list, "--out", os.DevNull, "--min-audience", "0", "--epsilon", "0"}, c.extra...)
			cpu0 := cpuTime()
			for b.Loop() {
				var stderr bytes.Buffer
				if code := run(context.Background(), args, nil, io.Discard, &stderr); code != 0 {
					b.Fatalf("exit %d: %s", code, &stderr)
				}
			}
			// CPU time is steadier than wall time on a shared machine.
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func countLines(b *testing.B, path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Count(data, []byte("\n")) - 1
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCommands runs the commands end to end on the benchmark data:
// match hash (of the list plain, gzip and zstd), match index build, match
// run --index and --users. (Its CPU profile, tried as a PGO profile, made
// match hash 1.7x slower.)
func BenchmarkCommands(b *testing.B) {
	dir := consentBenchDir(b)
	out := b.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	idx := filepath.Join(out, "base.idx")
	list, err := os.ReadFile(p("list.csv"))
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, "list.csv.gz"), gzipText(b, list), 0o644)
	os.WriteFile(filepath.Join(out, "list.csv.zst"), zstdText(b, list), 0o644)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"hash", []string{"hash", "--in", p("list.csv"), "--out", filepath.Join(out, "hashed.csv")}},
		{"hash-gzip", []string{"hash", "--in", filepath.Join(out, "list.csv.gz"), "--out", filepath.Join(out, "hashed.csv")}},
		{"hash-zstd", []string{"hash", "--in", filepath.Join(out, "list.csv.zst"), "--out", filepath.Join(out, "hashed.csv")}},
		{"index-build", []string{"index", "build", "--users", p("users.csv"), "--out", idx}},
		{"run-index", []string{"run", "--index", idx, "--optouts", p("optouts.csv"), "--list", p("list.csv"), "--out", filepath.Join(out, "a.csv"), "--min-audience", "0", "--epsilon", "0"}},
		{"run-users", []string{"run", "--users", p("users.csv"), "--optouts", p("optouts.csv"), "--list", p("list.csv"), "--out", filepath.Join(out, "a.csv"), "--min-audience", "0", "--epsilon", "0"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				var stderr bytes.Buffer
				if code := run(context.Background(), c.args, nil, io.Discard, &stderr); code != 0 {
					b.Fatalf("exit %d: %s", code, &stderr)
				}
			}
		})
	}
}
