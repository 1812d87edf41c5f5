package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/audiencematch/audiencematch/internal/csvrow"
	"github.com/audiencematch/audiencematch/matcher"
)

const pruneUsage = `Usage: match prune --audience AUDIENCE.csv --consent CONSENT.db [--policy opt-out|opt-in]
                   [--purpose ads] [--out FILE]

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

func runPrune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("prune", pruneUsage, stderr)
	var (
		audience = fs.String("audience", "", "the audience `CSV` (required)")
		out      = fs.String("out", "", "write the pruned audience to `FILE` (default stdout)")
		cf       = addConsentFlags(fs)
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *audience == "" {
		return usageErrorf("prune: missing --audience\nTry: match prune -h")
	}
	if *cf.path == "" {
		return usageErrorf("prune: missing --consent\nTry: match prune -h")
	}
	in, err := openInput(*audience, "audience", stderr)
	if err != nil {
		return err
	}
	defer in.Close()
	col, err := in.column("user_id", true)
	if err != nil {
		return err
	}
	snap, err := cf.snapshot()
	if err != nil {
		return err
	}
	o, err := createOutput(*out, stdout)
	if err != nil {
		return err
	}
	w := csv.NewWriter(o)
	w.Write([]string{"user_id"})
	rec := make([]string, 1)
	var rows, kept int64
	var bad error
	in.rows(func(line int64, fields [][]byte, err error) bool {
		if errors.Is(err, csvrow.ErrBlank) {
			return true
		}
		if err == nil && len(fields[col]) == 0 {
			err = matcher.ErrEmptyUserID
		}
		if err != nil {
			bad = usageErrorf("%s: line %d: %v; an audience must be whole to be pruned", in.name, line, err)
			return false
		}
		if rows++; rows%4096 == 0 && ctx.Err() != nil {
			bad = ctx.Err()
			return false
		}
		id := in.arena.String(fields[col])
		if snap.Excludes(id) {
			return true
		}
		kept++
		rec[0] = id
		w.Write(rec)
		return true
	})
	if bad == nil {
		bad = in.err
	}
	if bad == nil {
		w.Flush()
		bad = w.Error()
	}
	if bad != nil {
		o.Abort()
		return bad
	}
	if err := (outputs{o}).commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "match: %s: kept %d of %d users\n", in.name, kept, rows)
	return nil
}
