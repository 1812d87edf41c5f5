package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/audiencematch/audiencematch/consent/ledger"
	"github.com/audiencematch/audiencematch/internal/csvrow"
	"github.com/audiencematch/audiencematch/matcher"
)

const pruneUsage = `Usage: match prune --audience AUDIENCE.csv --consent CONSENT.db [--policy opt-out|opt-in]
                   [--purpose ads] [--allow-new-purpose] [--lock-timeout D] [--out FILE]

Re-applies today's consent to an audience built earlier, so that an opt-out
reaches audiences that already exist: writes the users of AUDIENCE.csv that
the ledger does not exclude now, in the same order, under the header
"user_id". Excluded users are left out and never named; stderr says only
how many users were kept.

AUDIENCE.csv: header with user_id, as match run writes it. A malformed line
stops the command (exit 2): an audience must be whole to be pruned.

Example:
  match prune --audience audience.csv --consent consent.db --out audience-today.csv

Flags:
`

// pruneOptions are the flags of match prune, parsed and checked.
type pruneOptions struct {
	audience string         // --audience: the audience to prune
	out      string         // --out; "" for stdout
	consent  consentOptions // --consent, required, and how to read it
}

// pruneFlags returns the FlagSet of match prune, bound to o.
func pruneFlags(o *pruneOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("prune", pruneUsage, stderr)
	fs.StringVar(&o.audience, "audience", "", "the audience `CSV`, or - for stdin (required)")
	fs.StringVar(&o.out, "out", "", "write the pruned audience to `FILE` (default stdout)")
	o.consent.flags(fs, true)
	return fs
}

// parsePrune parses and checks the arguments of match prune.
func parsePrune(args []string, stderr io.Writer) (*pruneOptions, error) {
	o := new(pruneOptions)
	fs := pruneFlags(o, stderr)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if o.audience == "" {
		return nil, usageErrorf("prune: missing --audience\nTry: match prune -h")
	}
	if o.consent.path == "" {
		return nil, usageErrorf("prune: missing --consent\nTry: match prune -h")
	}
	if err := o.consent.check(fs); err != nil {
		return nil, err
	}
	if err := checkFiles(inputFile("--audience", o.audience), inputFile("--consent", o.consent.path), stdoutFile("--out", o.out)); err != nil {
		return nil, err
	}
	return o, nil
}

// runPrune is match prune: open the audience, snapshot the ledger and
// create the output, prune, then commit the output.
func runPrune(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parsePrune(args, stderr)
	if err != nil {
		return err
	}
	p, err := openPrune(o, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	defer p.in.Close()
	if err := p.prune(ctx); err != nil {
		p.out.Abort()
		return err
	}
	if err := (outputs{p.out}).commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "match: %s: kept %d of %d users\n", p.in.name, p.kept, p.rows)
	return nil
}

// pruning is a match prune at work: the audience open, the ledger's
// snapshot, and the pruned audience, written whole or not at all.
type pruning struct {
	in         *input
	col        int // the audience's user_id column
	snap       *ledger.Snapshot
	out        *output
	rows, kept int64
}

// openPrune opens the audience, takes the ledger's snapshot and creates
// the output.
func openPrune(o *pruneOptions, stdin io.Reader, stdout, stderr io.Writer) (_ *pruning, err error) {
	p := new(pruning)
	if p.in, err = openInput(o.audience, "audience", stdin, stderr, nil); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			p.in.Close()
		}
	}()
	if p.col, err = p.in.column("user_id", true); err != nil {
		return nil, err
	}
	if p.snap, err = o.consent.snapshot(); err != nil {
		return nil, err
	}
	if p.out, err = createOutput(o.out, stdout); err != nil {
		return nil, err
	}
	// An audience is used whole or not at all: to stdout or a device
	// too, nothing of it leaves before the last line is read.
	p.out.hold()
	return p, nil
}

// prune writes the users of the audience that the snapshot does not
// exclude, in order. A malformed line stops it.
func (p *pruning) prune(ctx context.Context) error {
	w := csv.NewWriter(p.out)
	w.Write([]string{"user_id"})
	rec := make([]string, 1)
	var bad error
	p.in.rows(func(line int64, fields [][]byte, err error) bool {
		if errors.Is(err, csvrow.ErrBlank) {
			return true
		}
		if err == nil && len(fields[p.col]) == 0 {
			err = matcher.ErrEmptyUserID
		}
		if err != nil {
			bad = usageErrorf("%s: line %d: %v; an audience must be whole to be pruned", p.in.name, line, err)
			return false
		}
		if p.rows++; p.rows%4096 == 0 && ctx.Err() != nil {
			bad = ctx.Err()
			return false
		}
		id := p.in.arena.String(fields[p.col])
		if p.snap.Excludes(id) {
			return true
		}
		p.kept++
		rec[0] = id
		w.Write(rec)
		return true
	})
	if bad == nil {
		bad = p.in.err
	}
	if bad == nil {
		w.Flush()
		bad = w.Error()
	}
	return bad
}
