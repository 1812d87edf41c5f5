package main

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// inputFixtures are small inputs for every command, with a bad row or two,
// so that rejects and summaries are compared too.
var inputFixtures = map[string]string{
	"users.csv":    "user_id,phone,country\nu1,+16505551234,\nu2,(650) 555-0101,US\nu3,not a phone,\nu4,020 7946 0018,GB\nu5,+14155550100,\n",
	"list.csv":     "phone,country\n650-555-1234,\n+1 650 555 0101,\nnope,\n02079460018,GB\n+14155550100,\n",
	"optouts.csv":  "user_id\nu5\n",
	"audience.csv": "user_id\nu1\nu2\nu4\n",
	"events.csv":   "user_id,purpose,choice,time\nu1,ads,opt-out,2024-05-01T00:00:00Z\nu2,ads,maybe,2024-05-01T00:00:00Z\nu4,ads,opt-out,2024-05-02T00:00:00Z\n",
}

// An inputVariant is another way to give a command an input file: on
// stdin, compressed, or both.
type inputVariant struct {
	name   string
	stdin  bool                                   // read from stdin ("-")
	encode func(t testing.TB, text []byte) []byte // nil: as is
}

var inputVariants = []inputVariant{
	{"stdin", true, nil},
	{"gzip", false, gzipText},
	{"zstd", false, zstdText},
	{"gzip-stdin", true, gzipText},
	{"zstd-stdin", true, zstdText},
	{"gzip-members", false, gzipMembers},
	{"zstd-frames", false, zstdFrames},
	{"zstd-skippable", false, zstdSkippable},
}

// gzipText compresses text with the standard library's gzip, another
// implementation than the one that reads it.
func gzipText(t testing.TB, text []byte) []byte {
	var b bytes.Buffer
	w := stdgzip.NewWriter(&b)
	w.Write(text)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gzipMembers compresses text as two gzip members, cut in mid-line, as
// "cat a.gz b.gz" makes.
func gzipMembers(t testing.TB, text []byte) []byte {
	half := len(text) / 2
	return append(gzipText(t, text[:half]), gzipText(t, text[half:])...)
}

func zstdText(t testing.TB, text []byte) []byte {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(text, nil)
}

// zstdFrames compresses text as two zstd frames, cut in mid-line.
func zstdFrames(t testing.TB, text []byte) []byte {
	half := len(text) / 2
	return append(zstdText(t, text[:half]), zstdText(t, text[half:])...)
}

// zstdSkippable compresses text as one zstd frame after a skippable frame,
// as pzstd writes it.
func zstdSkippable(t testing.TB, text []byte) []byte {
	skip := binary.LittleEndian.AppendUint32(nil, 0x184d2a50)
	skip = binary.LittleEndian.AppendUint32(skip, 4)
	skip = binary.LittleEndian.AppendUint32(skip, 42)
	return append(skip, zstdText(t, text)...)
}

// TestInputs_SameAsPlainFile runs each command with each of its inputs
// given as a plain file, then in each of inputVariants (on stdin,
// compressed under the same name, or both), and checks that the exit
// status, stdout, stderr (where "stdin" names an input read from it) and
// every file written are the same: line numbers in rejects are the text's.
func TestInputs_SameAsPlainFile(t *testing.T) {
	const runCmd = "run --users $USERS --list $LIST --optouts $OPTOUTS --min-audience 0 --epsilon 0 --out $DIR/out.csv --rejects $DIR/rejects.csv --report $DIR/report.json"
	for _, tc := range []struct {
		name  string
		input string // the file given in other ways
		args  string // $USERS, $LIST, ... are the files; $DIR their directory
		setup string // a command to run first, such as one that makes a ledger
	}{
		{name: "hash", input: "list.csv", args: "hash --in $LIST --out $DIR/out.csv --rejects $DIR/rejects.csv"},
		{name: "hash-stdout", input: "list.csv", args: "hash --in $LIST --format uid2"},
		{name: "run-users", input: "users.csv", args: runCmd},
		{name: "run-users-side-users", input: "users.csv", args: runCmd + " --build-side users"},
		{name: "run-users-side-list", input: "users.csv", args: runCmd + " --build-side list"},
		{name: "run-list", input: "list.csv", args: runCmd},
		{name: "run-list-side-list", input: "list.csv", args: runCmd + " --build-side list"},
		{name: "run-optouts", input: "optouts.csv", args: runCmd},
		{name: "run-index-list", input: "list.csv", setup: "index build --users $USERS --out $DIR/base.idx",
			args: "run --index $DIR/base.idx --list $LIST --min-audience 0 --epsilon 0 --rejects $DIR/rejects.csv"},
		{name: "index-build", input: "users.csv", args: "index build --users $USERS --out $DIR/base.idx --rejects $DIR/rejects.csv"},
		{name: "prune", input: "audience.csv", setup: "consent import --db $DIR/consent.db $EVENTS",
			args: "prune --audience $AUDIENCE --consent $DIR/consent.db --out $DIR/out.csv"},
		{name: "consent-import", input: "events.csv", args: "consent import --db $DIR/consent.db --rejects $DIR/rejects.csv $EVENTS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// runAs runs the case with tc.input given as v says; the zero
			// inputVariant gives it as a plain file.
			runAs := func(v inputVariant) map[string]string {
				dir := t.TempDir()
				expand := func(s string, v inputVariant) []string {
					for name, body := range inputFixtures {
						p := filepath.Join(dir, name)
						b := []byte(body)
						if name == tc.input && v.encode != nil {
							b = v.encode(t, b)
						}
						os.WriteFile(p, b, 0o644)
						if name == tc.input && v.stdin {
							p = "-"
						}
						s = strings.ReplaceAll(s, "$"+strings.ToUpper(strings.TrimSuffix(name, ".csv")), p)
					}
					return strings.Fields(strings.ReplaceAll(s, "$DIR", dir))
				}
				if tc.setup != "" {
					mustRun(t, expand(tc.setup, inputVariant{})...)
				}
				args := expand(tc.args, v)
				var stdin []byte
				if v.stdin {
					stdin, _ = os.ReadFile(filepath.Join(dir, tc.input))
				}
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), args, bytes.NewReader(stdin), &stdout, &stderr)
				clean := func(s string) string {
					return strings.ReplaceAll(strings.ReplaceAll(s, filepath.Join(dir, tc.input), "stdin"), dir, "$DIR")
				}
				g := map[string]string{"exit": string(rune('0' + code)), "stdout": stdout.String(), "stderr": clean(stderr.String())}
				if tc.name == "index-build" {
					g["stderr"], _, _ = strings.Cut(g["stderr"], "\n") // the second line has the time it took
				}
				for _, name := range []string{"out.csv", "rejects.csv", "report.json"} {
					if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
						g[name] = clean(string(b))
					}
				}
				if strings.Contains(tc.args, "consent.db") {
					_, g["ledger"], _ = runArgs("consent", "export", "--db", filepath.Join(dir, "consent.db"))
				}
				if strings.Contains(tc.args, "--out $DIR/base.idx") {
					_, g["index"], _ = runArgs("run", "--index", filepath.Join(dir, "base.idx"), "--list", filepath.Join(dir, "list.csv"),
						"--min-audience", "0", "--epsilon", "0")
				}
				return g
			}
			plain := runAs(inputVariant{})
			if plain["exit"] != "0" {
				t.Fatalf("from the plain file: exit %s: %s", plain["exit"], plain["stderr"])
			}
			for _, v := range inputVariants {
				got := runAs(v)
				for k, want := range plain {
					if got[k] != want {
						t.Errorf("%s: %s from the plain file:\n%s\n%s:\n%s", v.name, k, want, v.name, got[k])
					}
				}
				if len(got) != len(plain) {
					t.Errorf("%s: outputs %v, from the plain file %v", v.name, got, plain)
				}
			}
		})
	}
}
