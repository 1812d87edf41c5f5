package main

import (
	"errors"
	"strings"

	"github.com/audiencematch/audiencematch/internal/idcols"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

// detailed returns err as a rejects file shows it: a row refused for
// several identifiers names each (matcher.Detail); any other err is
// returned as it is.
func detailed(err error) error {
	if _, ok := errors.AsType[matcher.KeysError](err); ok {
		return errors.New(matcher.Detail(err))
	}
	return err
}

// keysHeader is the header of match hash's output for a list of several
// identifier columns: each column's label and "_hash".
func keysHeader(cols *idcols.List) string {
	var b strings.Builder
	for i, c := range cols.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Label)
		b.WriteString("_hash")
	}
	b.WriteByte('\n')
	return b.String()
}

// workKeys hashes the lines of chunks of a list of several identifier
// columns: each identifier normalized and hashed in its kind's format, or
// decoded if it is a digest already, and encoded again; one output line a
// line, with an empty cell for an absent or refused identifier. The rules
// are match run's (matcher.Digester): a line none of whose identifiers is
// valid is refused with each one's reason.
func (j *hashJob) workKeys(chunks []*hashChunk) {
	sp := j.list.r.Splitter()
	dg, err := matcher.NewDigester(&matcher.Options{Format: j.o.format, EmailFormat: j.o.email, Region: j.o.region})
	if err != nil {
		panic(err) // the options were checked when the command started
	}
	cols, country := j.cols, j.country
	var (
		keys  []matcher.Key
		ds    []matcher.KeyDigest
		cells = make([]*[32]byte, len(cols.Columns))
	)
	for _, c := range chunks {
		c.out, c.rejects, c.rows = c.out[:0], c.rejects[:0], 0
		sp.SplitLines(&c.Chunk, func(line int64, fields [][]byte, err error) bool {
			c.rows++
			clear(cells)
			if err == nil {
				// The strings alias the chunk for the call only; the
				// Digester keeps none of them.
				keys = cols.Keys(keys[:0], fields, transient, j.o.format, j.o.email)
				e := matcher.Entry{Line: line, Region: regionOf(fields, country, transient), Keys: keys}
				ds, err = dg.Entry(&e, ds[:0])
				for i := range ds {
					if ds[i].Err == nil {
						cells[ds[i].Key] = &ds[i].Digest
					}
				}
			}
			for i, d := range cells {
				if i > 0 {
					c.out = append(c.out, ',')
				}
				if d != nil {
					c.out = normalize.AppendEncode(c.out, *d, j.family(cols.Columns[i].Kind))
				}
			}
			c.out = append(c.out, '\n')
			if err != nil {
				c.rejects = append(c.rejects, refused{line, err})
			}
			return true
		})
	}
}

// family returns the format of identifiers of kind k.
func (j *hashJob) family(k normalize.Kind) normalize.Format {
	if k == normalize.KindEmail {
		return j.o.email
	}
	return j.o.format
}
