// Command match normalizes, hashes and matches phone lists against a user
// base. See "match help" or the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/audiencematch/audiencematch/internal/tempfile"
)

// usage is the summary of "match help": every command with all of its
// flags, required ones bare, optional ones in brackets, alternatives in
// parentheses. TestUsage_Flags checks it against each command's FlagSet.
const usage = `match: custom-audience matching over CSV files.

Usage:
  match hash    --in LIST.csv [--format e164|digits|uid2] [--email-format email|email-uid2]
                [--region CC] [--out FILE] [--rejects FILE]
  match run     (--users USERS.csv [--build-side users|list|auto] |
                 --index BASE.idx [--key-file KEY]) --list LIST.csv
                [--optouts OPTOUTS.csv] [--consent CONSENT.db [--policy opt-out|opt-in]
                [--purpose ads] [--allow-new-purpose] [--lock-timeout D]] [--region CC]
                [--hash-format e164|digits|uid2] [--email-hash-format email|email-uid2]
                [--min-audience N] [--epsilon E]
                [--budget B] [--advertiser ID --history FILE] [--audit FILE]
                [--out FILE] [--report FILE] [--rejects FILE]
  match index   build --users USERS.csv --out BASE.idx [--region CC] [--rejects FILE]
                [--key-file KEY]
  match index   info [--verify] [--json] BASE.idx
  match prune   --audience AUDIENCE.csv --consent CONSENT.db [--policy opt-out|opt-in]
                [--purpose ads] [--allow-new-purpose] [--lock-timeout D] [--out FILE]
  match consent import --db CONSENT.db [--rejects FILE] [--batch N] [--lock-timeout D] EVENTS.csv
  match consent set --db CONSENT.db --user ID --choice opt-out|opt-in [--purpose ads]
                [--time RFC3339] [--source TEXT] [--lock-timeout D]
  match consent get --db CONSENT.db --user ID [--lock-timeout D]
  match consent export --db CONSENT.db [--out FILE] [--lock-timeout D]
  match psi     users --users USERS.csv --key-file PLATFORM.key --out U.psi [--region CC]
                [--email-format email|email-uid2] [--only-regions CC,CC]
  match psi     list --list LIST.csv --users U.psi --out REPLY.psi [--key-file ADV.key]
                [--save-key FILE] [--region CC] [--rejects FILE] [--max-users N]
  match psi     finish --users USERS.csv --key-file PLATFORM.key --reply REPLY.psi
                [--optouts OPTOUTS.csv] [--consent CONSENT.db [--policy opt-out|opt-in]
                [--purpose ads] [--allow-new-purpose] [--lock-timeout D]]
                [--min-audience N] [--epsilon E] [--budget B]
                [--advertiser ID --history FILE] [--audit FILE]
                [--out FILE] [--report FILE]
  match version
  match help

Examples:
  match hash --in customers.csv --format digits --out hashed.csv
  match run --users testdata/demo/users.csv --optouts testdata/demo/optouts.csv \
      --list testdata/demo/list.csv --report report.json \
      --advertiser acme --history history.json
  match consent import --db consent.db testdata/demo/consent.csv
  match run --users testdata/demo/users.csv --consent consent.db \
      --list testdata/demo/list.csv --report report.json --min-audience 0 --epsilon 0
  match prune --audience audience.csv --consent consent.db --out audience-today.csv

An input file may be compressed with gzip or zstd; one named - is read from
stdin (one input per command). An output named *.gz or *.zst is compressed.
"match COMMAND -h" shows a command's flags.
`

// collectAt sets the GC percent of a command whose live heap is large all
// along and which makes garbage as it goes, for which Go's default, 100,
// would let the heap grow to twice what is alive: index build, at 50. It
// leaves a GOGC the user has set alone. (The other commands run at Go's
// default: a higher percent, 400, trades memory for fewer collections,
// but fresh memory is not free either: each page is a fault the first
// time it is written, several microseconds on a virtual machine. match run
// of 2M users by a 1M-row hashed list at 400: 70k faults, 2.9-3.4 s of
// CPU, 290 MB; at 100: 46-49k faults, 2.5-2.8 s, 200 MB; against the
// index, 23-24k faults and 1.8-2.2 s against 10-11k and 1.6-1.8 s; match
// hash, which keeps little alive, the same either way.)
func collectAt(percent int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if handlingSignals != nil {
		handlingSignals()
	}
	done := make(chan int, 1)
	go func() { done <- run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr) }()
	os.Exit(wait(ctx, stop, done, os.Stderr))
}

// handlingSignals, if not nil, is called once SIGINT and SIGTERM are
// handled: the signal tests send theirs only then.
var handlingSignals func()

// stopGrace is how long a command has to stop after SIGINT or SIGTERM.
const stopGrace = 500 * time.Millisecond

// wait returns the exit status of the command that reports it on done,
// and stops it on a signal: the signal cancels ctx, which every loop of
// the work checks, and the command then stops within milliseconds,
// removing its outputs, exit status 1. A command blocked where no check
// can see ctx (opening a named pipe that has no writer yet, reading a
// pipe or a network file system that sends nothing) is abandoned after
// stopGrace: the temporary files this process made are removed, once any
// output being moved into place is (so outputs are all as before, or all
// new), and the status is 1. Past the first signal, stop restores the
// default action: a second one ends the process at once, leaving its
// temporary files for the next command to remove (see internal/tempfile).
func wait(ctx context.Context, stop func(), done <-chan int, stderr io.Writer) int {
	select {
	case code := <-done:
		stop()
		return code
	case <-ctx.Done():
		stop()
	}
	select {
	case code := <-done:
		return code
	case <-time.After(stopGrace):
		tempfile.Abandon()
		fmt.Fprintln(stderr, "match: interrupted")
		return exitFailure
	}
}

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1 // an I/O failure mid-run
	exitUsage       = 2 // a bad invocation or an unreadable or ill-formed input file
	exitNotReleased = 3 // match run: the audience was withheld by a privacy guard
)

// errNotReleased ends a run whose audience a privacy guard withheld: the
// report and the rejects are written, the audience is not. Exit status 3.
var errNotReleased = errors.New("audience not released")

// run is the whole command, with its environment passed in, so that tests
// call it with buffers (a nil stdin reads as empty). It returns the exit
// status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	name := args[0]
	if isVersion(name) {
		name = "version" // match --version is match version
	}
	var err error
	switch c, g := lookup("", name), lookupGroup(name); {
	case c != nil:
		err = c.run(ctx, args[1:], stdin, stdout, stderr)
	case g != nil:
		err = g.run(ctx, args[1:], stdin, stdout, stderr)
	case isHelp(args[0]):
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "match: unknown command %q\nTry: match help\n", args[0])
		return exitUsage
	}
	return exitCode(err, stderr)
}

// usageError is a bad invocation or a bad input file: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return usageError{fmt.Errorf(format, a...)}
}

// errHelp is returned when -h was given: the usage is printed, exit 0.
var errHelp = errors.New("help")

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errNotReleased):
		return exitNotReleased // the reason is on stderr already
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "match: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "match: %v\n", err)
		return exitFailure
	}
}
