package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/audiencematch/audiencematch/internal/csvrow"
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

	// The file is read in chunks of whole lines; each worker splits,
	// normalizes, hashes and encodes a chunk's lines into the chunk's own
	// output, and the sink writes the chunks in order.
	type refused struct {
		line int64
		err  error
	}
	type chunk struct {
		csvrow.Chunk
		out     []byte    // the chunk's hash lines
		rejects []refused // its refused rows
		rows    int64
	}
	free := make(chan *chunk, 64) // chunks whose buffers can be used again
	src := func(yield func(*chunk) bool) {
		for {
			var c *chunk
			select {
			case c = <-free:
			default:
				c = new(chunk)
			}
			if !list.readChunk(&c.Chunk) || !yield(c) {
				return
			}
		}
	}
	work := func(chunks []*chunk) {
		sp := list.r.Splitter()
		h := normalize.NewHasher()
		var buf []byte
		for _, c := range chunks {
			c.out, c.rejects, c.rows = c.out[:0], c.rejects[:0], 0
			if need := c.N * (normalize.HexLen + 1); cap(c.out) < need {
				c.out = make([]byte, 0, need+need/4) // not grown row by row, nor for every chunk
			}
			sp.SplitLines(&c.Chunk, func(line int64, fields [][]byte, err error) bool {
				c.rows++
				if err == nil {
					// The strings alias the chunk for the call only;
					// normalize keeps neither.
					reg := regionOf(fields, countryCol, transient)
					if reg == "" {
						reg = *region
					}
					buf, err = normalize.AppendE164(buf[:0], transient(fields[phoneCol]), reg)
				}
				if err != nil {
					c.rejects = append(c.rejects, refused{line, err})
					return true
				}
				c.out = append(normalize.AppendEncode(c.out, h.Sum(buf, f), f), '\n')
				return true
			})
		}
	}
	var rows, rejected int64
	o.WriteString("hash\n")
	sink := func(chunks []*chunk) error {
		for _, c := range chunks {
			rows += c.rows
			rejected += int64(len(c.rejects))
			for _, r := range c.rejects {
				rj.add(r.line, r.err)
			}
			o.Write(c.out)
			select {
			case free <- c:
			default:
			}
		}
		return nil
	}
	err = parallel.OrderedN(ctx, 0, 1, src, work, sink)
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
	fmt.Fprintf(stderr, "match: %s: %d rows, %d hashed, %d rejected\n", list.name, rows, rows-rejected, rejected)
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
