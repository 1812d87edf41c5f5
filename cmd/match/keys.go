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
// line, with an empty cell for an absent or refused identifier. A line
// none of whose identifiers is valid is refused with each one's reason,
// as match run refuses it.
func (j *hashJob) workKeys(chunks []*hashChunk) {
	sp := j.list.r.Splitter()
	h := normalize.NewHasher()
	var buf []byte
	cols, country, region := j.cols, j.country, j.o.region
	var keys []matcher.Key
	var errs matcher.KeysError
	for _, c := range chunks {
		c.out, c.rejects, c.rows = c.out[:0], c.rejects[:0], 0
		sp.SplitLines(&c.Chunk, func(line int64, fields [][]byte, err error) bool {
			c.rows++
			if err != nil {
				c.out = append(c.out, strings.Repeat(",", len(cols.Columns)-1)...)
				c.out = append(c.out, '\n')
				c.rejects = append(c.rejects, refused{line, err})
				return true
			}
			reg := regionOf(fields, country, transient)
			if reg == "" {
				reg = region
			}
			// The strings alias the chunk for the call only; normalize
			// keeps none of them.
			keys = cols.Keys(keys[:0], fields, transient, j.o.format, j.o.email)
			errs = errs[:0]
			present, valid := 0, 0
			for i, k := range keys {
				if i > 0 {
					c.out = append(c.out, ',')
				}
				if strings.TrimSpace(k.Value) == "" {
					continue
				}
				present++
				f := j.o.format
				if k.Kind == normalize.KindEmail {
					f = j.o.email
				}
				var d [32]byte
				var err error
				switch {
				case k.Hashed:
					d, err = normalize.Decode(k.Value, f)
				case k.Kind == normalize.KindEmail:
					if buf, err = normalize.AppendEmail(buf[:0], k.Value, f); err == nil {
						d = h.Sum(buf, f)
					}
				default:
					if buf, err = normalize.AppendE164(buf[:0], k.Value, reg); err == nil {
						d = h.Sum(buf, f)
					}
				}
				if err != nil {
					errs = append(errs, matcher.KeyError{Column: k.Column, Err: err})
					continue
				}
				valid++
				c.out = normalize.AppendEncode(c.out, d, f)
			}
			c.out = append(c.out, '\n')
			switch {
			case valid > 0:
			case present == 0:
				c.rejects = append(c.rejects, refused{line, normalize.ErrEmpty})
			case present == 1:
				c.rejects = append(c.rejects, refused{line, errs[0].Err})
			default:
				c.rejects = append(c.rejects, refused{line, slicesClone(errs)})
			}
			return true
		})
	}
}

func slicesClone(e matcher.KeysError) matcher.KeysError { return append(matcher.KeysError(nil), e...) }
