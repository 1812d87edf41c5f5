package pipeline

// The outputs, byte for byte as match run writes them:
//
//	audience  CSV, header "user_id", one line per user of the audience,
//	          in rank order (see rank); encoding/csv quoting, "\n" ends.
//	report    privacy.Report, the advertiser's view, as privacy.WriteReport
//	          writes it: the list's row counts, the status, and the
//	          audience size rounded down to two significant digits only if
//	          released. The privacy guards decide as in match run: the
//	          minimum audience, then the advertiser's history; a withheld
//	          audience is not written, and the withheld counter is 1.
//	audit     privacy.Audit, the exact figures, appended if asked for,
//	          once per run however often the step is retried (writeFn.Run).
//	rejects   CSV, header "line,reason", one line per refused list row in
//	          line order.
//
// They are written by one DoFn call, once the whole audience is known:
// the audience is sorted in that worker's memory (about 50 bytes a user),
// since a single ordered file is what match run gives. Each output is
// written to a temporary file beside it, and all are renamed into place
// only when all are whole.

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/audiencematch/audiencematch/internal/buildinfo"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/privacy"
)

// writeFn writes the outputs. Its main input is a single impulse; the
// figures come as side inputs.
type writeFn struct {
	Out, Report, Rejects string // Rejects and Report may be ""
	List                 string // the list's name, as given
	ListKind             string // for the report: phone, hash or keys
	HashFormat           string // of the list's phone digests, for the report; "" for none
	EmailHashFormat      string // of its email digests; "" for none

	MinAudience                int64   // privacy.Guards'
	Epsilon, Budget            float64 // privacy.Guards
	Audit, Advertiser, History string  // as in Config

	// Run names the pipeline run, made when the pipeline is built and so
	// the same in every attempt of this step: a retried step logs its
	// decision and records its release once.
	Run string
}

func (fn *writeFn) ProcessElement(ctx context.Context, _ []byte,
	audience func(*string, *rank) bool, refused func(*reject) bool,
	accepted func(*int) bool, matched func(*listKey) bool, counted func(*keyStat, *int) bool, uploaded func(*[]byte, *listKey) bool) error {
	res := gather(audience, refused, accepted, matched, counted)
	rel, closeHist, err := fn.release(res, uploaded)
	if err != nil {
		return err
	}
	defer closeHist()
	if !rel.Released() {
		withheld.Inc(ctx, 1)
	}
	files := fn.files(res, rel)
	if err := rel.Log(fn.Audit); err != nil {
		return err
	}
	if err := writeAll(ctx, files); err != nil {
		return errors.Join(err, rel.Fail(fn.Audit))
	}
	return nil
}

// result is what the match found, gathered from the side inputs: the
// audience in match run's order, the refused list rows in line order, and
// the exact figures.
type result struct {
	audience []string
	rejects  []reject
	stats    matcher.Stats
}

func gather(audience func(*string, *rank) bool, refused func(*reject) bool,
	accepted func(*int) bool, matched func(*listKey) bool, counted func(*keyStat, *int) bool) result {
	type member struct {
		id string
		r  rank
	}
	var ms []member
	var m member
	for audience(&m.id, &m.r) {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b member) int { return a.r.compare(b.r) })
	res := result{audience: make([]string, len(ms)), stats: matcher.Stats{RejectedBy: map[string]int64{}}}
	for i, m := range ms {
		res.audience[i] = m.id
	}

	var rj reject
	for refused(&rj) {
		res.rejects = append(res.rejects, rj)
	}
	slices.SortFunc(res.rejects, func(a, b reject) int { return cmp.Compare(a.Line, b.Line) })

	st := &res.stats
	var n int
	for accepted(&n) {
		st.Accepted += int64(n)
	}
	lines := map[int64]bool{} // the matched rows
	var k listKey
	for matched(&k) {
		lines[k.Line] = true
		kindOf(st, k.Kind).Matched++
	}
	st.Matched = int64(len(lines))
	var ks keyStat
	for counted(&ks, &n) {
		if ks.Reason == "" {
			kindOf(st, ks.Kind).Accepted += int64(n)
			continue
		}
		kst := kindOf(st, ks.Kind)
		kst.Rejected += int64(n)
		if kst.RejectedBy == nil {
			kst.RejectedBy = map[string]int64{}
		}
		kst.RejectedBy[ks.Reason] += int64(n)
	}
	for _, r := range res.rejects {
		st.Rejected++
		st.RejectedBy[r.Reason]++
	}
	st.Rows = st.Accepted + st.Rejected
	st.Unmatched = st.Accepted - st.Matched
	st.Audience = int64(len(res.audience))
	return res
}

// kindOf returns the figures of identifiers of kind k in st.
func kindOf(st *matcher.Stats, k uint8) *matcher.KindStats {
	if normalize.Kind(k) == normalize.KindEmail {
		return &st.Email
	}
	return &st.Phone
}

// release asks privacy.Decide, as match run does, whether the audience
// may leave; this step only writes what it returns. The history, if any,
// stays locked until the returned close is called.
func (fn *writeFn) release(res result, uploaded func(*[]byte, *listKey) bool) (*privacy.Release, func(), error) {
	g := privacy.Guards{MinAudience: fn.MinAudience, Epsilon: fn.Epsilon, Budget: fn.Budget, Advertiser: fn.Advertiser, Run: fn.Run}
	o := privacy.Outcome{Stats: res.stats, List: fn.List, ListKind: fn.ListKind, HashFormat: fn.HashFormat, EmailHashFormat: fn.EmailHashFormat}
	closeHist := func() {}
	if fn.History != "" {
		var err error
		if g.History, err = privacy.OpenHistory(fn.History); err != nil {
			return nil, nil, err
		}
		closeHist = func() { g.History.Close() }
		o.Audience, o.Uploaded = g.History.NewSketch(), g.History.NewListSketch()
		for _, id := range res.audience {
			o.Audience.Add(id)
		}
		var key []byte
		var lk listKey
		var d [32]byte
		for uploaded(&key, &lk) {
			copy(d[:], key)
			o.Uploaded.Add(&d)
		}
	}
	rel, err := privacy.Decide(o, g, time.Now())
	if err != nil {
		closeHist()
		return nil, nil, err
	}
	rel.Audit.Version = buildinfo.Read("match-beam").String() // the worker's build decided
	return rel, closeHist, nil
}

// files returns the outputs to write: the audience only if released, the
// report and the rejects if asked for.
func (fn *writeFn) files(res result, rel *privacy.Release) []file {
	var files []file
	if rel.Released() {
		files = append(files, file{fn.Out, func(w io.Writer) error {
			cw := csv.NewWriter(w)
			cw.Write([]string{"user_id"})
			rec := make([]string, 1)
			for _, id := range res.audience {
				rec[0] = id
				cw.Write(rec)
			}
			cw.Flush()
			return cw.Error()
		}})
	}
	if fn.Report != "" {
		files = append(files, file{fn.Report, func(w io.Writer) error { return privacy.WriteReport(w, rel.Report) }})
	}
	if fn.Rejects != "" {
		files = append(files, file{fn.Rejects, func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			bw.WriteString("line,reason\n")
			for _, r := range res.rejects {
				fmt.Fprintf(bw, "%d,%s\n", r.Line, csvQuote(r.Detail))
			}
			return bw.Flush()
		}})
	}
	return files
}

// file is an output: its name and what writes it.
type file struct {
	name  string
	write func(io.Writer) error
}

// writeAll writes each file to a temporary name beside it, then renames
// them all into place: a failure before the renames leaves none of them.
func writeAll(ctx context.Context, files []file) error {
	tmps := make([]string, len(files))
	defer func() {
		for _, t := range tmps {
			if t != "" {
				remove(ctx, t)
			}
		}
	}()
	for i, f := range files {
		tmps[i] = tempName(f.name)
		if err := writeFile(ctx, tmps[i], f.write); err != nil {
			return err
		}
	}
	for i, f := range files {
		fs, err := filesystem.New(ctx, f.name)
		if err != nil {
			return err
		}
		err = filesystem.Rename(ctx, fs, tmps[i], f.name)
		fs.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		tmps[i] = ""
	}
	return nil
}

func writeFile(ctx context.Context, name string, write func(io.Writer) error) error {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return err
	}
	defer fs.Close()
	w, err := fs.OpenWrite(ctx, name)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func remove(ctx context.Context, name string) {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return
	}
	defer fs.Close()
	if rm, ok := fs.(filesystem.Remover); ok {
		rm.Remove(ctx, name)
	}
}

// tempName returns a fresh name in the directory of name.
func tempName(name string) string {
	var b [6]byte
	rand.Read(b[:])
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i+1], name[i+1:]
	}
	return dir + "." + base + ".tmp" + hex.EncodeToString(b[:])
}

// csvQuote quotes a reason as match run's rejects file does.
func csvQuote(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") || strings.TrimSpace(s) != s {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
