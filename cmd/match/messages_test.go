package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// identifiers are the values no message may show: a phone in E.164 and
// national form, an email, and the SHA-256 hex of each. Fixtures name them
// {P}, {N}, {E}, {HP}, {HN} and {HE}.
var identifiers = func() map[string]string {
	m := map[string]string{"{P}": "+16505551234", "{N}": "6505551234", "{E}": "alice@example.com"}
	for _, k := range []string{"P", "N", "E"} {
		sum := sha256.Sum256([]byte(m["{"+k+"}"]))
		m["{H"+k+"}"] = hex.EncodeToString(sum[:])
	}
	return m
}()

// fill replaces the placeholders of s by the identifiers.
func fill(s string) string {
	for k, v := range identifiers {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

// leaks returns the identifiers, or the parts of them, that s shows: each
// whole, the subscriber part of the phone, and the first 16 digits of
// each digest.
func leaks(s string) []string {
	var found []string
	for k, v := range identifiers {
		if strings.Contains(s, v) || strings.HasPrefix(k, "{H") && strings.Contains(s, v[:16]) {
			found = append(found, k)
		}
	}
	if strings.Contains(s, "5551234") {
		found = append(found, "5551234")
	}
	return found
}

// messageCase is one command fed inputs made of identifiers, meant to take
// one of its error paths: the files it reads (placeholders filled), its
// arguments ($DIR is its directory), what it reads on stdin, the exit
// status and a part of stderr that shows the path was taken.
type messageCase struct {
	name   string
	files  map[string]string
	args   string
	stdin  string
	code   int
	want   string
	mangle func(testing.TB, []byte) []byte // if not nil, applied to each file and stdin
}

// messageCases take every error path of every command that reads a CSV.
// Outputs that are the data itself (the audience, the hashes, the ledger)
// are named out.csv or *.db and not checked.
var messageCases = []messageCase{
	// match hash --in
	{name: "hash/no-header", files: map[string]string{"in.csv": "{P}\n{N}\n{E}\n"},
		args: "hash --in $DIR/in.csv --out $DIR/out.csv", code: 2, want: `line 1: missing column "phone"`},
	{name: "hash/no-header-columns", files: map[string]string{"in.csv": "{N},{E},{HP},u1\n{P},x,y,z\n"},
		args: "hash --in $DIR/in.csv --out $DIR/out.csv", code: 2, want: `missing column "phone"`},
	{name: "hash/digests-header", files: map[string]string{"in.csv": "{HP},{HN},{HE}\n"},
		args: "hash --in $DIR/in.csv --out $DIR/out.csv", code: 2, want: `missing column "phone"`},
	{name: "hash/bad-header", files: map[string]string{"in.csv": "\"{P},phone\n{N},x\n"},
		args: "hash --in $DIR/in.csv --out $DIR/out.csv", code: 2, want: "line 1: bad quoting"},
	{name: "hash/duplicate-header", files: map[string]string{"in.csv": "{P},phone,{P}\n"},
		args: "hash --in $DIR/in.csv --out $DIR/out.csv", code: 2, want: "line 1: duplicate column"},
	{name: "hash/long-header", files: map[string]string{"in.csv": strings.Repeat("{P}", 100) + ",phone\n"},
		args: "hash --in $DIR/in.csv --out $DIR/out.csv", code: 2, want: "line 1: field too long"},
	{name: "hash/bad-rows", files: map[string]string{"in.csv": "phone,country\n{E},US\n\"{P},US\n{P}\n{HP},US\n{N},XX\n{N}\"x,US\n" +
		strings.Repeat("{P}", 100) + ",US\n{N}\xff,US\n\n{P},{E}\n"},
		args: "hash --in $DIR/in.csv --out $DIR/out.csv --rejects $DIR/rejects.csv", code: 0, want: "10 rows, 1 hashed, 9 rejected"},

	{name: "hash/stdin-no-header", stdin: "{P}\n{E}\n",
		args: "hash --in - --out $DIR/out.csv", code: 2, want: `stdin: line 1: missing column "phone"`},
	{name: "hash/stdin-bad-rows", stdin: "phone\n{E}\n\"{P}\n{HP}\n",
		args: "hash --in - --out $DIR/out.csv --rejects $DIR/rejects.csv", code: 0, want: "stdin: 3 rows, 0 hashed, 3 rejected"},

	// match run --users, --list, --optouts
	{name: "run/users-no-header", files: map[string]string{"users.csv": "u1,{P}\nu2,{E}\n", "list.csv": "phone\n{N}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: `missing column "user_id"`},
	{name: "run/users-digests-header", files: map[string]string{"users.csv": "{HP},{HE}\n", "list.csv": "phone\n{N}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: `missing column "user_id"`},
	{name: "run/users-phone-missing", files: map[string]string{"users.csv": "user_id,{P}\nu1,{P}\n", "list.csv": "phone\n{N}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: `missing column "phone"`},
	{name: "run/users-bad-header", files: map[string]string{"users.csv": "user_id,\"{P}\n", "list.csv": "phone\n{N}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: "line 1: bad quoting"},
	{name: "run/list-no-header", files: map[string]string{"users.csv": "user_id,phone\nu1,{P}\n", "list.csv": "{N}\n{P}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: `missing column "phone" or "email" or "hash"`},
	{name: "run/list-digests-no-header", files: map[string]string{"users.csv": "user_id,phone\nu1,{P}\n", "list.csv": "{HP},{E}\n{HN},{E}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: `missing column "phone" or "email" or "hash"`},
	{name: "run/list-duplicate-header", files: map[string]string{"users.csv": "user_id,phone\nu1,{P}\n", "list.csv": "{HE},{HE}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: "line 1: duplicate column"},
	{name: "run/optouts-no-header", files: map[string]string{"users.csv": "user_id,phone\nu1,{P}\n", "list.csv": "phone\n{N}\n", "optouts.csv": "{P}\n{E}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --optouts $DIR/optouts.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: `missing column "user_id"`},
	{name: "run/optouts-bad-line", files: map[string]string{"users.csv": "user_id,phone\nu1,{P}\n", "list.csv": "phone\n{N}\n", "optouts.csv": "user_id\nu1\n\"{P}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --optouts $DIR/optouts.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: "line 3: bad quoting"},
	{name: "run/optouts-wrong-count", files: map[string]string{"users.csv": "user_id,phone\nu1,{P}\n", "list.csv": "phone\n{N}\n", "optouts.csv": "user_id\n{P},{E}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --optouts $DIR/optouts.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: "line 2: wrong number of fields"},
	{name: "run/bad-rows", files: map[string]string{
		"users.csv":   "user_id,phone\nu1,{P}\n{E},{HP}\nu3,\"{N}\nu4,{P},{E}\n{P},{E}\n\n",
		"list.csv":    "phone\n{N}\n{E}\n{HP}\n\"{P}\n{P},{E}\n{N}\xff\n",
		"optouts.csv": "user_id\n{E}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --optouts $DIR/optouts.csv --min-audience 0 --epsilon 0 " +
			"--out $DIR/out.csv --rejects $DIR/rejects.csv --report $DIR/report.json --audit $DIR/audit.jsonl",
		// {HP}, a digest in the phone column, is read as one, as the
		// platforms' hashed templates hold them.
		code: 0, want: "6 rows, 2 accepted, 4 rejected"},
	{name: "run/bad-rows-list-side", files: map[string]string{
		"users.csv": "user_id,phone\nu1,{P}\n{E},{HP}\nu3,\"{N}\nu4,{P},{E}\n{P},{E}\n\n",
		"list.csv":  "phone\n{N}\n{E}\n{HP}\n\"{P}\n{P},{E}\n{N}\xff\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --build-side list --min-audience 0 --epsilon 0 " +
			"--out $DIR/out.csv --rejects $DIR/rejects.csv --report $DIR/report.json --audit $DIR/audit.jsonl",
		code: 0, want: "rows skipped"},
	{name: "run/hashed-list-bad-rows", files: map[string]string{
		"users.csv": "user_id,phone\nu1,{P}\n",
		"list.csv":  "hash\n{HP}\n{P}\n{E}\n{HE}x\n{HN}\n"},
		args: "run --users $DIR/users.csv --list $DIR/list.csv --min-audience 0 --epsilon 0 " +
			"--out $DIR/out.csv --rejects $DIR/rejects.csv --report $DIR/report.json --audit $DIR/audit.jsonl",
		code: 0, want: "5 rows, 2 accepted, 3 rejected"},

	{name: "run/stdin-users-no-header", files: map[string]string{"list.csv": "phone\n{N}\n"}, stdin: "u1,{P}\n",
		args: "run --users - --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: `stdin: line 1: missing column "user_id"`},
	{name: "run/stdin-list-no-header", files: map[string]string{"users.csv": "user_id,phone\nu1,{P}\n"}, stdin: "{HP}\n",
		args: "run --users $DIR/users.csv --list - --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: `stdin: line 1: missing column "phone" or "email" or "hash"`},
	{name: "run/stdin-optouts-bad-line", files: map[string]string{"users.csv": "user_id,phone\nu1,{P}\n", "list.csv": "phone\n{N}\n"},
		stdin: "user_id\n\"{P}\n", args: "run --users $DIR/users.csv --list $DIR/list.csv --optouts - --min-audience 0 --epsilon 0 --out $DIR/out.csv",
		code: 2, want: "stdin: line 2: bad quoting"},
	{name: "run/stdin-twice", stdin: "{P}\n",
		args: "run --users - --list - --min-audience 0 --epsilon 0 --out $DIR/out.csv", code: 2, want: "both read stdin"},

	// match index build --users
	{name: "index/no-header", files: map[string]string{"users.csv": "{P},u1\n{E},u2\n"},
		args: "index build --users $DIR/users.csv --out $DIR/base.idx", code: 2, want: `missing column "user_id"`},
	{name: "index/bad-header", files: map[string]string{"users.csv": "user_id,phone,\"{HE}\"x\n"},
		args: "index build --users $DIR/users.csv --out $DIR/base.idx", code: 2, want: "line 1: bad quoting"},
	{name: "index/bad-rows", files: map[string]string{"users.csv": "user_id,phone\nu1,{P}\n{E},{HP}\nu3,\"{N}\nu4,{P},{E}\n"},
		args: "index build --users $DIR/users.csv --out $DIR/base.idx --rejects $DIR/rejects.csv", code: 0, want: "4 rows, 1 indexed"},

	{name: "index/stdin-bad-rows", stdin: "user_id,phone\nu1,{P}\n{E},{HP}\n",
		args: "index build --users - --out $DIR/base.idx --rejects $DIR/rejects.csv", code: 0, want: "stdin: 2 rows, 1 indexed"},

	// match prune --audience
	{name: "prune/no-header", files: map[string]string{"audience.csv": "{P}\n{E}\n"},
		args: "prune --audience $DIR/audience.csv --consent $DIR/consent.db --out $DIR/out.csv", code: 2, want: `missing column "user_id"`},
	{name: "prune/bad-line", files: map[string]string{"audience.csv": "user_id\nu1\n\"{P}\n"},
		args: "prune --audience $DIR/audience.csv --consent $DIR/consent.db --out $DIR/out.csv", code: 2, want: "line 3: bad quoting"},
	{name: "prune/wrong-count", files: map[string]string{"audience.csv": "user_id\n{E},{P}\n"},
		args: "prune --audience $DIR/audience.csv --consent $DIR/consent.db --out $DIR/out.csv", code: 2, want: "line 2: wrong number of fields"},
	{name: "prune/ids", files: map[string]string{"audience.csv": "user_id\n{P}\n{E}\nu1\n"},
		args: "prune --audience $DIR/audience.csv --consent $DIR/consent.db --out $DIR/out.csv", code: 0, want: "kept 2 of 3 users"},

	{name: "prune/stdin-bad-line", stdin: "user_id\n{P},{E}\n",
		args: "prune --audience - --consent $DIR/consent.db --out $DIR/out.csv", code: 2, want: "stdin: line 2: wrong number of fields"},

	// match consent import EVENTS
	{name: "consent/no-header", files: map[string]string{"events.csv": "{P},ads,opt-out,2024-05-01T00:00:00Z\n"},
		args: "consent import --db $DIR/new.db $DIR/events.csv", code: 2, want: `missing column "user_id"`},
	{name: "consent/missing-column", files: map[string]string{"events.csv": "user_id,{E},choice,time\n{P},{N},opt-out,2024-05-01T00:00:00Z\n"},
		args: "consent import --db $DIR/new.db $DIR/events.csv", code: 2, want: `missing column "purpose"`},
	{name: "consent/duplicate-header", files: map[string]string{"events.csv": "user_id,{HN},{HN}\n"},
		args: "consent import --db $DIR/new.db $DIR/events.csv", code: 2, want: "line 1: duplicate column"},
	{name: "consent/bad-rows", files: map[string]string{"events.csv": "user_id,purpose,choice,time\n" +
		"{P},ads,{E},2024-05-01T00:00:00Z\n{E},ads,opt-out,{N}\n\"{P},ads\n{HP},{HE},opt-in,2024-05-01T00:00:00Z\n,ads,opt-out,2024-05-01T00:00:00Z\n{P},,opt-out,2024-05-01T00:00:00Z\n"},
		args: "consent import --db $DIR/new.db --rejects $DIR/rejects.csv $DIR/events.csv", code: 0, want: "6 lines, 1 accepted, 5 rejected"},
	{name: "consent/stdin-no-header", stdin: "{E},ads,opt-out,2024-05-01T00:00:00Z\n",
		args: "consent import --db $DIR/new.db -", code: 2, want: `stdin: line 1: missing column "user_id"`},
	{name: "consent/stdin-bad-rows", stdin: "user_id,purpose,choice,time\n{P},ads,{E},2024-05-01T00:00:00Z\n{E},ads,opt-out,{N}\n",
		args: "consent import --db $DIR/new.db --rejects $DIR/rejects.csv -", code: 0, want: "stdin: 2 lines, 0 accepted, 2 rejected"},
}

// Compressed inputs of identifiers, damaged.
func gzipCut(t testing.TB, b []byte) []byte   { z := gzipText(t, b); return z[:len(z)-6] }
func gzipFlip(t testing.TB, b []byte) []byte  { return flip(gzipText(t, b), -6) }
func zstdCut(t testing.TB, b []byte) []byte   { z := zstdText(t, b); return z[:len(z)-3] }
func zstdFlip(t testing.TB, b []byte) []byte  { z := zstdText(t, b); return flip(z, len(z)/2) }
func gzipWhole(t testing.TB, b []byte) []byte { return gzipText(t, b) }

func init() {
	rows := "user_id,phone\nu1,{P}\n{E},{HP}\nu3,\"{N}\n"
	messageCases = append(messageCases,
		messageCase{name: "compressed/hash-gzip-cut", files: map[string]string{"in.csv": "phone\n{P}\n{N}\n{E}\n{HP}\n"}, mangle: gzipCut,
			args: "hash --in $DIR/in.csv --out $DIR/out.csv --rejects $DIR/rejects.csv", code: 1, want: "gzip: truncated or corrupt data"},
		messageCase{name: "compressed/hash-gzip-no-header", files: map[string]string{"in.csv": "{P}\n{N}\n"}, mangle: gzipWhole,
			args: "hash --in $DIR/in.csv --out $DIR/out.csv", code: 2, want: `missing column "phone"`},
		messageCase{name: "compressed/run-users-zstd-cut", files: map[string]string{"users.csv": rows, "list.csv": "phone\n{N}\n"}, mangle: zstdCut,
			args: "run --users $DIR/users.csv --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv --rejects $DIR/rejects.csv --report $DIR/report.json",
			code: 2, want: "zstd: truncated or corrupt data"},
		messageCase{name: "compressed/run-list-zstd-flip", files: map[string]string{"users.csv": rows, "list.csv": "hash\n{HP}\n{HN}\n{HE}\n{P}\n"}, mangle: zstdFlip,
			args: "run --users $DIR/users.csv --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv --rejects $DIR/rejects.csv --report $DIR/report.json",
			code: 2, want: "zstd: truncated or corrupt data"},
		messageCase{name: "compressed/index-gzip-checksum", files: map[string]string{"users.csv": rows}, mangle: gzipFlip,
			args: "index build --users $DIR/users.csv --out $DIR/base.idx --rejects $DIR/rejects.csv", code: 1, want: "gzip: truncated or corrupt data (invalid checksum)"},
		messageCase{name: "compressed/consent-stdin-gzip-cut", stdin: "user_id,purpose,choice,time\n{P},ads,{E},2024-05-01T00:00:00Z\n", mangle: gzipCut,
			args: "consent import --db $DIR/new.db --rejects $DIR/rejects.csv -", code: 1, want: "stdin: gzip: truncated or corrupt data"},
		messageCase{name: "compressed/prune-gzip-bad-line", files: map[string]string{"audience.csv": "user_id\nu1\n\"{P}\n"}, mangle: gzipWhole,
			args: "prune --audience $DIR/audience.csv --consent $DIR/consent.db --out $DIR/out.csv", code: 2, want: "line 3: bad quoting"},
	)
}

// TestMessages_NoIdentifiers feeds every command that reads a CSV files
// made of phones, emails and their digests, in ways that take each of its
// error paths, and checks that none of them reaches stderr, stdout or any
// file written but the data's own outputs: messages name the file, the
// line, the column and the problem, never a field's content.
func TestMessages_NoIdentifiers(t *testing.T) {
	for _, c := range messageCases {
		t.Run(c.name, func(t *testing.T) {
			c.check(t)
		})
	}
}

// check runs the case and checks its exit status, its stderr and that
// nothing it wrote shows an identifier.
func (c messageCase) check(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	data := func(s string) []byte {
		b := []byte(fill(s))
		if c.mangle != nil {
			b = c.mangle(t, b)
		}
		return b
	}
	for name, s := range c.files {
		if err := os.WriteFile(filepath.Join(dir, name), data(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(c.args, "--consent $DIR/consent.db") {
		mustRun(t, "consent", "set", "--db", filepath.Join(dir, "consent.db"), "--user", "u1", "--choice", "opt-out")
	}
	before := listDir(t, dir)
	args := strings.Fields(strings.ReplaceAll(c.args, "$DIR", dir))
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, bytes.NewReader(data(c.stdin)), &stdout, &stderr)
	if code != c.code || !strings.Contains(stderr.String(), c.want) {
		t.Errorf("exit %d, stderr %q; want exit %d and %q", code, &stderr, c.code, c.want)
	}
	got := map[string]string{"stdout": stdout.String(), "stderr": stderr.String()}
	for name := range listDir(t, dir) {
		if before[name] || name == "out.csv" || strings.HasSuffix(name, ".db") || strings.HasSuffix(name, ".idx") {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, name))
		got[name] = string(b)
	}
	for name, s := range got {
		if l := leaks(s); l != nil {
			t.Errorf("%s shows %v:\n%s", name, l, s)
		}
	}
}
