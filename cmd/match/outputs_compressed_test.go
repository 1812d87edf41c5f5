package main

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestOutputs_Compressed checks that an output whose name ends in ".gz"
// or ".zst" holds, once decompressed by another reader than the one
// match uses, exactly what the plain output holds, for every command
// and every output; and that a run that withholds its audience leaves
// no compressed audience either.
func TestOutputs_Compressed(t *testing.T) {
	const guards = " --min-audience 0 --epsilon 0"
	for _, tc := range []struct {
		name    string
		setup   string
		args    string // $OUT, $REJECTS, $REPORT are the outputs
		outputs []string
	}{
		{name: "hash", args: "hash --in $DIR/list.csv --out $OUT --rejects $REJECTS", outputs: []string{"OUT", "REJECTS"}},
		{name: "run", args: "run --users $DIR/users.csv --list $DIR/list.csv --optouts $DIR/optouts.csv --out $OUT --rejects $REJECTS --report $REPORT" + guards,
			outputs: []string{"OUT", "REJECTS", "REPORT"}},
		{name: "index-build", args: "index build --users $DIR/users.csv --out $DIR/base.idx --rejects $REJECTS", outputs: []string{"REJECTS"}},
		{name: "prune", setup: "consent import --db $DIR/consent.db $DIR/events.csv",
			args: "prune --audience $DIR/audience.csv --consent $DIR/consent.db --out $OUT", outputs: []string{"OUT"}},
		{name: "consent-export", setup: "consent import --db $DIR/consent.db $DIR/events.csv",
			args: "consent export --db $DIR/consent.db --out $OUT", outputs: []string{"OUT"}},
		{name: "consent-import", args: "consent import --db $DIR/consent.db --rejects $REJECTS $DIR/events.csv", outputs: []string{"REJECTS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// runWith runs the case with its outputs named NAME+ext and
			// returns their texts.
			runWith := func(ext string) map[string]string {
				dir := t.TempDir()
				for name, body := range inputFixtures {
					os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
				}
				expand := func(s string) []string {
					s = strings.ReplaceAll(s, "$DIR", dir)
					for _, o := range tc.outputs {
						s = strings.ReplaceAll(s, "$"+o, filepath.Join(dir, strings.ToLower(o)+ext))
					}
					return strings.Fields(s)
				}
				if tc.setup != "" {
					mustRun(t, expand(tc.setup)...)
				}
				mustRun(t, expand(tc.args)...)
				got := map[string]string{}
				for _, o := range tc.outputs {
					b, err := os.ReadFile(filepath.Join(dir, strings.ToLower(o)+ext))
					if err != nil {
						t.Fatal(err)
					}
					got[o] = strings.ReplaceAll(decompressed(t, ext, b), dir, "$DIR")
				}
				return got
			}
			plain := runWith(".csv")
			for _, ext := range []string{".csv.gz", ".csv.zst", ".CSV.GZ"} {
				got := runWith(ext)
				for o, want := range plain {
					if want == "" {
						t.Fatalf("%s: empty plain output", o)
					}
					if got[o] != want {
						t.Errorf("%s %s:\n%s\nplain:\n%s", ext, o, got[o], want)
					}
				}
			}
		})
	}
}

// decompressed returns the text of an output named with the ending ext.
func decompressed(t *testing.T, ext string, b []byte) string {
	t.Helper()
	var r io.Reader
	var err error
	switch strings.ToLower(filepath.Ext(ext)) {
	case ".gz":
		r, err = stdgzip.NewReader(bytes.NewReader(b))
	case ".zst":
		var z *zstd.Decoder
		z, err = zstd.NewReader(bytes.NewReader(b))
		if err == nil {
			defer z.Close()
		}
		r = z
	default:
		return string(b)
	}
	if err != nil {
		t.Fatalf("%s: %v", ext, err)
	}
	text, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", ext, err)
	}
	return string(text)
}

// TestOutputs_CompressedWithheld checks that a withheld or failed run
// leaves no compressed output, and that a compressed audience reads back
// as an input.
func TestOutputs_CompressedWithheld(t *testing.T) {
	dir := t.TempDir()
	for name, body := range inputFixtures {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	before := listDir(t, dir)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"run", "--users", p("users.csv"), "--list", p("list.csv"),
		"--min-audience", "1000", "--advertiser", "a", "--history", p("history.json"), "--out", p("out.csv.zst"), "--report", p("report.json.gz")}, nil, &stdout, &stderr)
	if code != exitNotReleased {
		t.Fatalf("exit %d, want %d: %s", code, exitNotReleased, &stderr)
	}
	after := listDir(t, dir)
	for name := range after {
		if !before[name] && name != "report.json.gz" && !strings.HasPrefix(name, "history.json") {
			t.Errorf("a withheld run left %s", name)
		}
	}
	mustRun(t, "run", "--users", p("users.csv"), "--list", p("list.csv"), "--min-audience", "0", "--epsilon", "0", "--out", p("out.csv.zst"))
	mustRun(t, "consent", "import", "--db", p("consent.db"), p("events.csv"))
	mustRun(t, "prune", "--audience", p("out.csv.zst"), "--consent", p("consent.db"), "--out", p("pruned.csv"))
	if got, want := readLines(t, p("pruned.csv")), []string{"u2", "u5"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("pruned %v, want %v", got, want)
	}
}
