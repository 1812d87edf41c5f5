package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/audiencematch/audiencematch/internal/parallel"
	"github.com/audiencematch/audiencematch/normalize"
)

const hashUsage = `Usage: match hash --in LIST.csv [--format e164|digits|uid2] [--region CC] [--out FILE] [--rejects FILE]

Normalizes every phone of LIST.csv to E.164 and writes its SHA-256 hash, one
row per accepted input row, in input order, under the header "hash".
LIST.csv has a header with a "phone" column and an optional "country"
column (ISO 3166-1 alpha-2) that overrides --region for its row.

Formats: e164   sha256("+16505551234"), lowercase hex
         digits sha256("16505551234"), lowercase hex
         uid2   sha256("+16505551234"), base64 with padding

Example:
  match hash --in customers.csv --format digits --out hashed.csv --rejects rejects.csv

Flags:
`

func runHash(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hash", hashUsage, stderr)
	var (
		in      = fs.String("in", "", "the contact list `CSV` (required)")
		format  = fs.String("format", "e164", "hash `format`: e164, digits or uid2")
		region  = fs.String("region", normalize.DefaultRegion, "`region` of rows without a country")
		out     = fs.String("out", "", "write hashes to `FILE` (default stdout)")
		rejects = fs.String("rejects", "", "write refused rows as line,reason to `FILE`")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, err := parseFormat("format", *format)
	if err != nil {
		return err
	}
	if err := checkRegion(*region); err != nil {
		return err
	}
	list, err := openInput(*in, "in", stderr)
	if err != nil {
		return err
	}
	defer list.Close()
	phoneCol, err := list.column("phone", true)
	if err != nil {
		return err
	}
	countryCol, _ := list.column("country", false)

	o, err := createOutput(*out, stdout)
	if err != nil {
		return err
	}
	rj, err := newRejects(*rejects, stdout)
	if err != nil {
		o.Abort()
		return err
	}
	outs := outputs{o}
	if rj != nil {
		outs = append(outs, rj.output)
	}

	type row struct {
		line   int64
		phone  string
		region string
		enc    [normalize.HexLen + 1]byte // the output line
		n      uint8
		err    error
	}
	src := func(yield func(row) bool) {
		list.rows(func(line int64, fields [][]byte, err error) bool {
			r := row{line: line, err: err}
			if err == nil {
				r.phone, r.region = list.field(fields, phoneCol), list.region(fields, countryCol)
			}
			return yield(r)
		})
	}
	work := func(rows []row) {
		var buf []byte
		for i := range rows {
			r := &rows[i]
			if r.err != nil {
				continue
			}
			reg := r.region
			if reg == "" {
				reg = *region
			}
			buf, r.err = normalize.AppendE164(buf[:0], r.phone, reg)
			if r.err == nil {
				r.n = uint8(len(append(normalize.AppendEncode(r.enc[:0], normalize.Sum(buf, f), f), '\n')))
			}
		}
	}
	var rowsN, accepted, refused int64
	o.WriteString("hash\n")
	sink := func(rows []row) error {
		for i := range rows {
			r := &rows[i]
			rowsN++
			if r.err != nil {
				refused++
				rj.add(r.line, r.err)
				continue
			}
			accepted++
			o.Write(r.enc[:r.n])
		}
		return nil
	}
	err = parallel.Ordered(ctx, 0, src, work, sink)
	if err == nil {
		err = list.err
	}
	if err != nil {
		outs.abort()
		return err
	}
	if err := outs.commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "match: %s: %d rows, %d hashed, %d rejected\n", list.name, rowsN, accepted, refused)
	return nil
}

// newFlagSet returns a flag set that prints its usage text and flags on -h
// and stays quiet on errors, which parseFlags reports in one line.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args and refuses positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {} // on an error, print one line, not the whole usage
	err := fs.Parse(args)
	fs.Usage = usage
	if err != nil {
		if err == flag.ErrHelp {
			usage()
			return errHelp
		}
		return usageErrorf("%s: %v\nTry: match %s -h", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected argument %q\nTry: match %s -h", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}
