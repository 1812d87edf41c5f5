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
stdin (one input per command).
"match COMMAND -h" shows a command's flags.
`

func main() {
	// A batch tool that keeps little alive: trade a little memory for
	// fewer collections, unless the user has set GOGC.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
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
