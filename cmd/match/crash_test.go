package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/consent/ledger"
	"github.com/audiencematch/audiencematch/internal/synth"
)

// crashArgsEnv carries the command line of the subprocess that
// TestConsentImport_Crash kills.
const crashArgsEnv = "MATCH_CRASH_ARGS"

// TestCrashChild is the subprocess: "match" with the arguments of
// $MATCH_CRASH_ARGS. It does nothing in a normal test run.
func TestCrashChild(t *testing.T) {
	args := os.Getenv(crashArgsEnv)
	if args == "" {
		t.Skip("only run as the subprocess of TestConsentImport_Crash")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\x1f"), nil, os.Stdout, os.Stderr))
}

// TestConsentImport_Crash imports a large event file in a subprocess and
// kills it with SIGKILL at a random moment, several times. After each kill
// the ledger must open, hold every event of every committed batch and
// nothing of any other: exactly the fold of the file's events up to the
// import's recorded progress, which must be a batch boundary. A last
// import, run to the end, must resume there, record the rest exactly once,
// and leave the fold of the whole file.
func TestConsentImport_Crash(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	n, batch := 200_000, 2000
	if raceEnabled {
		n, batch = 60_000, 600
	}
	dir := t.TempDir()
	cfg := synth.Config{Seed: 11, Users: 20_000, OptOutRate: 0.4, Events: n}
	var buf bytes.Buffer
	if err := synth.WriteEvents(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(dir, "events.csv")
	db := filepath.Join(dir, "consent.db")
	if err := os.WriteFile(events, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var all []consent.Event // event i is on line i+2
	for e := range synth.Events(cfg) {
		c, err := consent.ParseChoice(e.Choice)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, consent.Event{UserID: e.UserID, Purpose: e.Purpose, Choice: c, Time: e.Time, Source: e.Source})
	}
	args := []string{"consent", "import", "--db", db, "--batch", strconv.Itoa(batch), events}

	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	killed, last := 0, int64(1)
	for attempt := 0; attempt < 8 && killed < 4; attempt++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), crashArgsEnv+"="+strings.Join(args, "\x1f"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		delay := time.Duration(30+r.IntN(600)) * time.Millisecond
		select {
		case err := <-done:
			// It finished first: it must have succeeded; start over to
			// have something to kill.
			if err != nil {
				t.Fatalf("import exited early: %v\n%s", err, &stderr)
			}
			t.Logf("attempt %d: the import finished within %v; starting over", attempt, delay)
			os.Remove(db)
			last = 1
			continue
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
		killed++
		line := checkCommitted(t, db, events, all, batch)
		t.Logf("kill %d after %v: committed through line %d of %d", killed, delay, line, n+1)
		if line < last {
			t.Fatalf("progress went back from line %d to %d", last, line)
		}
		last = line
	}
	if killed == 0 {
		t.Fatal("no import was killed before it finished")
	}

	// The rerun completes the rest, once.
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, &stderr)
	}
	wantRecorded := len(all) - int(last-1) // every generated event is valid
	m := regexp.MustCompile(`(\d+) events recorded`).FindStringSubmatch(stderr.String())
	if m == nil || m[1] != strconv.Itoa(wantRecorded) {
		t.Errorf("rerun recorded %v events, want %d (those after line %d): %s", m, wantRecorded, last, &stderr)
	}
	if last > 1 && !strings.Contains(stderr.String(), fmt.Sprintf("lines up to %d were committed", last)) {
		t.Errorf("rerun did not resume after line %d: %s", last, &stderr)
	}
	if line := checkCommitted(t, db, events, all, batch); line != int64(n+1) {
		t.Errorf("after the rerun: committed through line %d, want %d", line, n+1)
	}
}

// checkCommitted opens the ledger and checks that it is exactly the fold
// of the events up to its recorded progress, a batch boundary, which it
// returns (1 if nothing was committed).
func checkCommitted(t *testing.T, db, events string, all []consent.Event, batch int) int64 {
	t.Helper()
	s, err := ledger.Open(db, &ledger.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		if os.IsNotExist(err) {
			return 1
		}
		t.Fatalf("the ledger does not open after a kill: %v", err)
	}
	defer s.Close()
	line, ok, err := s.Progress(events)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		line = 1
	}
	if k := int(line - 1); k%batch != 0 && k != len(all) {
		t.Errorf("progress at line %d: not a batch boundary", line)
	}
	want := map[[2]string]consent.Event{}
	for _, e := range all[:line-1] {
		k := [2]string{e.UserID, e.Purpose}
		if old, ok := want[k]; !ok || e.Supersedes(old) {
			want[k] = e
		}
	}
	got := 0
	for e, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		got++
		w, ok := want[[2]string{e.UserID, e.Purpose}]
		if !ok || !w.Time.Equal(e.Time) || w.Choice != e.Choice || w.Source != e.Source {
			t.Fatalf("ledger after a kill at line %d: %+v, want %+v (present %v): not the events of the committed batches", line, e, w, ok)
		}
	}
	if got != len(want) {
		t.Fatalf("ledger after a kill at line %d: %d entries, want %d", line, got, len(want))
	}
	return line
}
