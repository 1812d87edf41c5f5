package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signalArgsEnv carries the command line of the subprocess that
// TestRun_Signal stops.
const signalArgsEnv = "MATCH_SIGNAL_ARGS"

// signalReadyEnv names a file the subprocess makes once it handles
// signals: one sent earlier would kill it, as it would any process.
const signalReadyEnv = "MATCH_SIGNAL_READY"

// startChild starts the subprocess with the command line args and waits
// until it handles signals. It returns the command and a channel that
// reports its end.
func startChild(t *testing.T, args []string, stdin io.Reader, stderr io.Writer) (*exec.Cmd, <-chan error) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalChild$")
	cmd.Env = append(os.Environ(), signalArgsEnv+"="+strings.Join(args, "\x1f"), signalReadyEnv+"="+ready)
	cmd.Stdin, cmd.Stderr = stdin, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			return cmd, done
		}
		select {
		case err := <-done:
			t.Fatalf("ended before it handled signals (%v)\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("not handling signals 30s after it started\n%s", stderr)
		}
	}
}

// TestSignalChild is the subprocess: the real main, signal handling
// included, with the arguments of $MATCH_SIGNAL_ARGS. It does nothing in a
// normal test run.
func TestSignalChild(t *testing.T) {
	args := os.Getenv(signalArgsEnv)
	if args == "" {
		t.Skip("only run as the subprocess of TestRun_Signal")
	}
	os.Args = append([]string{"match"}, strings.Split(args, "\x1f")...)
	if ready := os.Getenv(signalReadyEnv); ready != "" {
		handlingSignals = func() { os.WriteFile(ready, nil, 0o644) }
	}
	main() // exits
}

// sharers is how many users of writeSignalInputs's base share one phone.
const sharers = 100_000

// writeSignalInputs writes a user base of n users, and sharers more who
// share one phone, and a list of n rows, half of them users' phones,
// written as people write them, the shared one every 1000th.
func writeSignalInputs(t *testing.T, dir string, n int) (users, list string) {
	t.Helper()
	users, list = filepath.Join(dir, "users.csv"), filepath.Join(dir, "list.csv")
	write := func(name, header string, row func(w io.Writer, i int)) {
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		w.WriteString(header)
		for i := range n {
			row(w, i)
		}
		if err := errors.Join(w.Flush(), f.Close()); err != nil {
			t.Fatal(err)
		}
	}
	write(users, "user_id,phone\n", func(w io.Writer, i int) {
		fmt.Fprintf(w, "u%d,+1650%07d\n", i, 2_000_000+i)
		if i < sharers {
			fmt.Fprintf(w, "s%d,+12125550143\n", i)
		}
	})
	write(list, "phone\n", func(w io.Writer, i int) {
		if i%1000 == 0 {
			fmt.Fprintln(w, "(212) 555-0143")
			return
		}
		j := 2_000_000 + (i*7919)%n
		if i%2 == 1 {
			j += n // no user's
		}
		fmt.Fprintf(w, "(650) %03d-%04d\n", j/10_000, j%10_000)
	})
	return users, list
}

// TestRun_Signal stops match run with SIGTERM in the middle of its work,
// in a subprocess running the real main: it must exit with status 1
// within a second and leave no output, not even a temporary file. Each
// case is stopped at two moments: just after it has created its outputs
// (reading the user base or the list), and a while later (matching). The
// phone of many users makes every match read a long list of holders once.
func TestRun_Signal(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	n, wait := 1_500_000, time.Second
	if raceEnabled {
		// The subprocess is the race-enabled test binary, ten times
		// slower, and its exit as slow: on a busy machine, 2s.
		n, wait = 300_000, 2*time.Second
	}
	dir := t.TempDir()
	users, list := writeSignalInputs(t, dir, n)
	idx := filepath.Join(dir, "base.idx")
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"index", "build", "--users", users, "--out", idx}, nil, io.Discard, &stderr); code != 0 {
		t.Fatalf("index build: exit %d: %s", code, &stderr)
	}
	own := []string{"--min-audience", "0", "--epsilon", "0", "--list", list}
	cases := []struct {
		name string
		args []string
	}{
		{"users", []string{"--users", users, "--build-side", "users"}},
		{"list", []string{"--users", users, "--build-side", "list"}},
		{"index", []string{"--index", idx}},
	}
	for _, c := range cases {
		for _, after := range []time.Duration{0, 300 * time.Millisecond} {
			t.Run(fmt.Sprintf("%s/after=%v", c.name, after), func(t *testing.T) {
				out := t.TempDir()
				args := append([]string{"run"}, c.args...)
				args = append(args, own...)
				args = append(args, "--out", filepath.Join(out, "audience.csv"),
					"--report", filepath.Join(out, "report.json"), "--rejects", filepath.Join(out, "rejects.csv"))
				var stderr bytes.Buffer
				cmd, done := startChild(t, args, nil, &stderr)
				// The outputs are created once every input is open: the
				// work has begun. (Or, if they cannot be seen, a moment:
				// opening takes milliseconds.)
				for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
					if ents, _ := os.ReadDir(out); len(ents) > 0 {
						break
					}
				}
				time.Sleep(after)
				select {
				case err := <-done:
					t.Fatalf("match run ended before the signal (%v): the input is too small\n%s", err, &stderr)
				default:
				}
				if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				sent := time.Now()
				select {
				case err := <-done:
					took := time.Since(sent)
					var exit *exec.ExitError
					if !errors.As(err, &exit) || exit.ExitCode() != exitFailure {
						t.Errorf("exit: %v, want status %d\n%s", err, exitFailure, &stderr)
					}
					t.Logf("exited %v after the signal: %s", took.Round(time.Millisecond), strings.TrimSpace(stderr.String()))
					if took > wait {
						t.Errorf("exited %v after the signal, want within %v", took, wait)
					}
				case <-time.After(10 * time.Second):
					cmd.Process.Kill()
					t.Fatalf("match run still running 10s after SIGTERM\n%s", &stderr)
				}
				if ents, _ := os.ReadDir(out); len(ents) != 0 {
					var names []string
					for _, e := range ents {
						names = append(names, e.Name())
					}
					t.Errorf("left behind: %q", names)
				}
			})
		}
	}
}

// TestRun_SignalBlocked stops commands blocked where no check of the
// context can see the signal: opening a named pipe that has no writer,
// and reading a pipe on stdin that sends nothing more, before and after
// the outputs are made. Each must exit with status 1 within a second,
// leaving no file behind, not even a temporary one.
func TestRun_SignalBlocked(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	for _, tc := range []struct {
		name  string
		args  string // $FIFO, $OUT: a named pipe, the outputs' directory
		stdin string // sent on a pipe that then stays open; "" for none
	}{
		{"fifo-no-writer", "hash --in $FIFO --out $OUT/hashed.csv", ""},
		{"fifo-run-list", "run --users $USERS --list $FIFO --min-audience 0 --epsilon 0 --out $OUT/audience.csv --report $OUT/report.json", ""},
		{"stdin-header", "run --users $USERS --list - --min-audience 0 --epsilon 0 --out $OUT/audience.csv", "pho"},
		{"stdin-rows", "hash --in - --out $OUT/hashed.csv --rejects $OUT/rejects.csv", "phone\n+16505551234\n"},
		{"stdin-import", "consent import --db $OUT/consent.db -", "user_id,purpose,choice,time\nu1,ads,opt-out,2024-05-01T00:00:00Z\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, out := t.TempDir(), t.TempDir()
			fifo, users := filepath.Join(dir, "fifo.csv"), filepath.Join(dir, "users.csv")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skip("no named pipes:", err)
			}
			os.WriteFile(users, []byte("user_id,phone\nu1,+16505551234\n"), 0o644)
			r := strings.NewReplacer("$FIFO", fifo, "$OUT", out, "$USERS", users)
			var stderr bytes.Buffer
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pw.Close() // never closed before: the reader waits on
			pw.WriteString(tc.stdin)
			cmd, done := startChild(t, strings.Fields(r.Replace(tc.args)), pr, &stderr)
			pr.Close()
			time.Sleep(300 * time.Millisecond) // blocked by now
			select {
			case err := <-done:
				t.Fatalf("ended before the signal (%v)\n%s", err, &stderr)
			default:
			}
			cmd.Process.Signal(syscall.SIGTERM)
			sent := time.Now()
			select {
			case err := <-done:
				took := time.Since(sent)
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != exitFailure {
					t.Errorf("exit: %v, want status %d\n%s", err, exitFailure, &stderr)
				}
				if took > time.Second {
					t.Errorf("exited %v after the signal, want within 1s", took.Round(time.Millisecond))
				}
				t.Logf("exited %v after the signal: %s", took.Round(time.Millisecond), strings.TrimSpace(stderr.String()))
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 10s after SIGTERM\n%s", &stderr)
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 && !(tc.name == "stdin-import" && len(ents) == 1 && ents[0].Name() == "consent.db") {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("left behind: %q", names)
			}
		})
	}
}
