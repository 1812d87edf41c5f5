package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/audiencematch/audiencematch/internal/csvrow"
	"github.com/audiencematch/audiencematch/internal/idcols"
	"github.com/audiencematch/audiencematch/internal/parallel"
	"github.com/audiencematch/audiencematch/normalize"
)

const hashUsage = `Usage: match hash --in LIST.csv [--format e164|digits|uid2] [--email-format email|email-uid2]
                  [--region CC] [--out FILE] [--rejects FILE]

Normalizes every phone of LIST.csv to E.164 and writes its SHA-256 hash, one
row per accepted input row, in input order, under the header "hash".
LIST.csv has a header with a "phone" column and an optional "country"
column (ISO 3166-1 alpha-2) that overrides --region for its row.

A list with other identifier columns (phone2, phone3, email, email2,
email3, their hashed forms phone_hash, email_hash, …, or Meta's and
Google's templates, whose email and phone columns repeat; see the README)
is hashed column by column: one output row per input line, in input
order, with a column for each identifier column, named for what it
holds (phone_hash, phone2_hash, email_hash, …), empty where the input's
is empty or refused. A line with no valid identifier is also written to
--rejects with the reason of each. A value that is already a digest in
its column's format is written again in that format.

Formats: e164       sha256("+16505551234"), lowercase hex
         digits     sha256("16505551234"), lowercase hex
         uid2       sha256("+16505551234"), base64 with padding
         email      sha256("jane.doe+news@gmail.com"): trimmed, lower case; hex
         email-uid2 sha256("janedoe@gmail.com"): as email, and at gmail.com
                    without dots and "+tag"; base64 with padding

Examples:
  match hash --in customers.csv --format digits --out hashed.csv --rejects rejects.csv
  match hash --in meta-template.csv --format digits --out hashed.csv

Flags:
`

// hashOptions are the flags of match hash, parsed and checked.
type hashOptions struct {
	in         string           // --in: the contact list
	formatName string           // --format as given
	format     normalize.Format // --format, parsed
	emailName  string           // --email-format as given; "" to follow --format
	email      normalize.Format // --email-format, parsed or followed
	region     string           // --region of rows without a country
	out        string           // --out; "" for stdout
	rejects    string           // --rejects; "" for none
}

// hashFlags returns the FlagSet of match hash, bound to o.
func hashFlags(o *hashOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("hash", hashUsage, stderr)
	fs.StringVar(&o.in, "in", "", "the contact list `CSV`, or - for stdin (required)")
	fs.StringVar(&o.formatName, "format", "e164", "hash `format` of phones: e164, digits or uid2")
	fs.StringVar(&o.emailName, "email-format", "", "hash `format` of emails: email or email-uid2 (default: email-uid2 with --format uid2, else email)")
	fs.StringVar(&o.region, "region", normalize.DefaultRegion, "`region` of rows without a country")
	fs.StringVar(&o.out, "out", "", "write hashes to `FILE` (default stdout)")
	fs.StringVar(&o.rejects, "rejects", "", "write refused rows as line,reason to `FILE`")
	return fs
}

// parseHash parses and checks the arguments of match hash.
func parseHash(args []string, stderr io.Writer) (*hashOptions, error) {
	o := new(hashOptions)
	if err := parseFlags(hashFlags(o, stderr), args); err != nil {
		return nil, err
	}
	var err error
	if o.format, err = parseFormat("format", o.formatName); err != nil {
		return nil, err
	}
	if o.email, err = parseEmailFormat("email-format", o.emailName, o.format); err != nil {
		return nil, err
	}
	if err := checkRegion(o.region); err != nil {
		return nil, err
	}
	if o.in == "" {
		return nil, usageErrorf("missing --in")
	}
	if err := checkFiles(inputFile("--in", o.in), stdoutFile("--out", o.out), outputFile("--rejects", o.rejects)); err != nil {
		return nil, err
	}
	return o, nil
}

// runHash is match hash: open the list and create the outputs, hash every
// row, then commit the outputs together.
func runHash(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseHash(args, stderr)
	if err != nil {
		return err
	}
	j, err := openHash(o, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	defer j.list.Close()
	if err := j.hash(ctx); err != nil {
		j.outs.abort()
		return err
	}
	if err := j.outs.commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "match: %s: %d rows, %d hashed, %d rejected\n", j.list.name, j.rows, j.rows-j.rejected, j.rejected)
	return nil
}

// hashJob is a match hash at work: the list, open, with its columns, and
// the outputs, written whole or not at all.
type hashJob struct {
	o              *hashOptions
	list           *input
	phone, country int          // the list's columns; country is -1 if absent
	cols           *idcols.List // the identifier columns of a list that is not one phone column; else nil
	out            *output
	rejects        *rejectsFile
	outs           outputs         // out and rejects, committed together
	free           chan *hashChunk // chunks whose buffers can be used again
	rows, rejected int64
}

// hashChunk is a chunk of whole lines of the list and what hashing made
// of them.
type hashChunk struct {
	csvrow.Chunk
	out     []byte    // the chunk's hash lines
	rejects []refused // its refused rows
	rows    int64
}

// refused is a refused row: its line and why.
type refused struct {
	line int64
	err  error
}

// openHash opens the list, finds its columns and creates the outputs.
func openHash(o *hashOptions, stdin io.Reader, stdout, stderr io.Writer) (_ *hashJob, err error) {
	j := &hashJob{o: o, free: make(chan *hashChunk, 64)}
	if j.list, err = openInput(o.in, "in", stdin, stderr, idcols.Repeatable); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			j.list.Close()
		}
	}()
	cols, ok, err := idcols.ParseList(j.list.header)
	switch {
	case err != nil:
		return nil, usageErrorf("%s: line 1: %v", j.list.name, err)
	case !ok:
		return nil, j.list.missing("phone", "email")
	case cols.Phone < 0:
		j.cols = cols // several identifier columns, or one that is not "phone"
	}
	j.phone, j.country = cols.Phone, cols.Country
	if j.out, err = createOutput(o.out, stdout); err != nil {
		return nil, err
	}
	if j.rejects, err = newRejects(o.rejects, stdout); err != nil {
		j.out.Abort()
		return nil, err
	}
	j.outs = outputs{j.out}
	if j.rejects != nil {
		j.outs = append(j.outs, j.rejects.output)
	}
	return j, nil
}

// hash reads the list in chunks of whole lines; each worker splits,
// normalizes, hashes and encodes a chunk's lines into the chunk's own
// output (work), and the sink writes the chunks in order (write).
func (j *hashJob) hash(ctx context.Context) error {
	work := j.work
	if j.cols != nil {
		j.out.WriteString(keysHeader(j.cols))
		work = j.workKeys
	} else {
		j.out.WriteString("hash\n")
	}
	err := parallel.OrderedN(ctx, 0, 1, j.chunks, work, j.write)
	if err == nil {
		err = j.list.err
	}
	return err
}

// chunks yields the list's chunks, in buffers given back if any.
func (j *hashJob) chunks(yield func(*hashChunk) bool) {
	for {
		var c *hashChunk
		select {
		case c = <-j.free:
		default:
			c = new(hashChunk)
		}
		if !j.list.readChunk(&c.Chunk) || !yield(c) {
			return
		}
	}
}

// work hashes the lines of chunks, each into the chunk's own output. The
// workers call it at once, on chunks of their own.
func (j *hashJob) work(chunks []*hashChunk) {
	sp := j.list.r.Splitter()
	h := normalize.NewHasher()
	var buf []byte
	phone, country, region, f := j.phone, j.country, j.o.region, j.o.format
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
				reg := regionOf(fields, country, transient)
				if reg == "" {
					reg = region
				}
				buf, err = normalize.AppendE164(buf[:0], transient(fields[phone]), reg)
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

// write writes the hashes and rejects of chunks, in order, counts their
// rows, and gives their buffers back.
func (j *hashJob) write(chunks []*hashChunk) error {
	for _, c := range chunks {
		j.rows += c.rows
		j.rejected += int64(len(c.rejects))
		for _, r := range c.rejects {
			j.rejects.add(r.line, detailed(r.err))
		}
		j.out.Write(c.out)
		select {
		case j.free <- c:
		default:
		}
	}
	return nil
}
