package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// phoneList returns a list of n phones of the 650 area, with a country
// column, as text.
func phoneList(n int) []byte {
	var b bytes.Buffer
	b.WriteString("phone,country\n")
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		fmt.Fprintf(&b, "+1650%07d,US\n", r.IntN(1e7))
	}
	return b.Bytes()
}

// truncate returns the first fraction of b.
func truncate(b []byte, fraction float64) []byte { return b[:int(float64(len(b))*fraction)] }

// flip returns b with the byte at i, from the end if negative, inverted.
func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 0xff
	return b
}

// TestCompressed_Corrupt checks that a truncated or damaged compressed
// input is a read error naming the file and the format: exit status 1
// when met mid-run, leaving no output behind, and 2 when met while the
// header is read, before any work.
func TestCompressed_Corrupt(t *testing.T) {
	list := phoneList(200_000) // megabytes of text: the damage is past the header
	users := []byte(strings.ReplaceAll(strings.ReplaceAll(string(list), "phone,country", "user_id,phone,country"), "\n+", "\nu,+"))
	events := []byte("user_id,purpose,choice,time\n" + strings.Repeat("u1,ads,opt-out,2024-05-01T00:00:00Z\n", 100_000))
	audience := []byte("user_id\n" + strings.Repeat("u1\n", 500_000))
	gz, zst := gzipText(t, list), zstdText(t, list)
	for _, tc := range []struct {
		name  string
		input string // the file damaged; the others are whole and plain
		data  []byte // its bytes
		args  string
		code  int
		want  string // the last line of stderr; $IN is the input's name
	}{
		{"hash/gzip-truncated", "list.csv", truncate(gz, 0.6), "hash --in $IN --out $DIR/out.csv --rejects $DIR/rejects.csv",
			1, "match: $IN: gzip: truncated or corrupt data (unexpected EOF)"},
		{"hash/gzip-checksum", "list.csv", flip(gz, -5), "hash --in $IN --out $DIR/out.csv",
			1, "match: $IN: gzip: truncated or corrupt data (invalid checksum)"},
		{"hash/gzip-damaged", "list.csv", flip(gz, len(gz)/2), "hash --in $IN --out $DIR/out.csv",
			1, "match: $IN: gzip: truncated or corrupt data ("},
		{"hash/zstd-truncated", "list.csv", truncate(zst, 0.6), "hash --in $IN --out $DIR/out.csv",
			1, "match: $IN: zstd: truncated or corrupt data (unexpected EOF)"},
		{"hash/zstd-damaged", "list.csv", flip(zst, len(zst)/2), "hash --in $IN --out $DIR/out.csv",
			1, "match: $IN: zstd: truncated or corrupt data ("},
		{"hash/gzip-stdin", "-", truncate(gz, 0.6), "hash --in - --out $DIR/out.csv",
			1, "match: stdin: gzip: truncated or corrupt data (unexpected EOF)"},
		{"hash/gzip-header", "list.csv", gz[:14], "hash --in $IN --out $DIR/out.csv",
			2, "match: $IN: gzip: truncated or corrupt data (unexpected EOF)"},
		{"hash/gzip-magic-only", "list.csv", gz[:2], "hash --in $IN --out $DIR/out.csv",
			2, "match: $IN: gzip: truncated or corrupt data (unexpected EOF)"},
		{"hash/zstd-header", "list.csv", zst[:6], "hash --in $IN --out $DIR/out.csv",
			2, "match: $IN: zstd: truncated or corrupt data ("},
		{"run/users", "users.csv", truncate(gzipText(t, users), 0.6),
			"run --users $IN --list $DIR/list.csv --min-audience 0 --epsilon 0 --out $DIR/out.csv --rejects $DIR/rejects.csv --report $DIR/report.json",
			1, "match: $IN: gzip: truncated or corrupt data (unexpected EOF)"},
		{"run/users-side-list", "users.csv", truncate(zstdText(t, users), 0.6),
			"run --users $IN --list $DIR/list.csv --build-side list --min-audience 0 --epsilon 0 --out $DIR/out.csv --rejects $DIR/rejects.csv --report $DIR/report.json",
			1, "match: $IN: zstd: truncated or corrupt data (unexpected EOF)"},
		{"run/list", "list.csv", truncate(zst, 0.6),
			"run --users $DIR/users.csv --list $IN --min-audience 0 --epsilon 0 --out $DIR/out.csv --rejects $DIR/rejects.csv --report $DIR/report.json",
			1, "match: $IN: zstd: truncated or corrupt data (unexpected EOF)"},
		{"run/optouts", "optouts.csv", truncate(gzipText(t, audience), 0.6),
			"run --users $DIR/users.csv --list $DIR/list.csv --optouts $IN --min-audience 0 --epsilon 0 --out $DIR/out.csv",
			1, "match: $IN: gzip: truncated or corrupt data (unexpected EOF)"},
		{"index-build", "users.csv", truncate(gzipText(t, users), 0.6), "index build --users $IN --out $DIR/base.idx --rejects $DIR/rejects.csv",
			1, "match: $IN: gzip: truncated or corrupt data (unexpected EOF)"},
		{"prune", "audience.csv", truncate(gzipText(t, audience), 0.6), "prune --audience $IN --consent $DIR/consent.db --out $DIR/out.csv",
			1, "match: $IN: gzip: truncated or corrupt data (unexpected EOF)"},
		{"consent-import", "events.csv", truncate(gzipText(t, events), 0.6), "consent import --db $DIR/consent.db --rejects $DIR/rejects.csv $IN",
			1, "match: $DIR/consent.db: $IN: gzip: truncated or corrupt data (unexpected EOF) ("},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, tc.input)
			var stdin []byte
			if tc.input == "-" {
				stdin, in = tc.data, "stdin"
			} else {
				os.WriteFile(in, tc.data, 0o644)
			}
			if tc.input != "list.csv" {
				os.WriteFile(filepath.Join(dir, "list.csv"), list[:1000], 0o644)
			}
			if tc.input != "users.csv" {
				os.WriteFile(filepath.Join(dir, "users.csv"), users[:1000], 0o644)
			}
			if strings.Contains(tc.args, "--consent") {
				mustRun(t, "consent", "set", "--db", filepath.Join(dir, "consent.db"), "--user", "u1", "--choice", "opt-out")
			}
			before := listDir(t, dir)
			args := strings.Fields(strings.ReplaceAll(strings.ReplaceAll(tc.args, "$IN", in), "$DIR", dir))
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), args, bytes.NewReader(stdin), &stdout, &stderr)
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			want := strings.ReplaceAll(strings.ReplaceAll(tc.want, "$IN", in), "$DIR", dir)
			if code != tc.code || !strings.HasPrefix(lines[len(lines)-1], want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and a last line starting %q", code, &stderr, tc.code, want)
			}
			for name := range listDir(t, dir) {
				if !before[name] && !strings.HasSuffix(name, ".db") {
					t.Errorf("left behind: %s", name)
				}
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: %.100s", &stdout)
			}
		})
	}
}

// TestTextSize checks the size --build-side auto compares: a compressed
// file's is its text's, exactly for a small file, within a few percent
// for one whose ratio is measured on its first MiB.
func TestTextSize(t *testing.T) {
	small := phoneList(1000)
	big := phoneList(400_000) // about 6 MiB, 2 once compressed
	for _, tc := range []struct {
		name  string
		text  []byte
		data  []byte
		exact bool
	}{
		{"plain", small, small, true},
		{"gzip-small", small, gzipText(t, small), true},
		{"zstd-small", small, zstdText(t, small), true},
		{"gzip-big", big, gzipText(t, big), false},
		{"zstd-big", big, zstdText(t, big), false},
		{"gzip-members-big", big, gzipMembers(t, big), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			os.WriteFile(p, tc.data, 0o644)
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			c, _, _ := sniff(bytes.NewReader(tc.data))
			got, ok := textSize(f, c)
			want := int64(len(tc.text))
			if !ok || tc.exact && got != want || !tc.exact && (got < want*95/100 || got > want*105/100) {
				t.Errorf("textSize of %d bytes (%v) = %d, %v; want %d", len(tc.data), c, got, ok, want)
			}
			rows, ok := textRows(f, c)
			wantRows := int64(bytes.Count(tc.text, []byte{'\n'}))
			if !ok || tc.exact && rows != wantRows || !tc.exact && (rows < wantRows*95/100 || rows > wantRows*105/100) {
				t.Errorf("textRows of %d bytes (%v) = %d, %v; want %d", len(tc.data), c, rows, ok, wantRows)
			}
		})
	}
}

// TestCompressed_BuildSideAuto checks that --build-side auto compares the
// sides' rows in their text, not their compressed bytes nor their text's
// bytes: a list that is small once compressed but has more rows than the
// user base is streamed, and a hashed list of more bytes but fewer rows is
// built on.
func TestCompressed_BuildSideAuto(t *testing.T) {
	dir := t.TempDir()
	users := "user_id,phone\n" + strings.Repeat("u1,+16505551234\n", 1000)
	list := phoneList(2000) // twice the text of users
	os.WriteFile(filepath.Join(dir, "users.csv"), []byte(users), 0o644)
	for _, tc := range []struct {
		name string
		list []byte
		side string
	}{
		{"plain", list, "users"},
		{"gzip", gzipText(t, list), "users"},
		{"zstd", zstdText(t, list), "users"},
		{"small", list[:len(list)/4], "list"},
		{"small-gzip", gzipText(t, list[:len(list)/4]), "list"},
		// 800 rows of hashes: more bytes than the users, fewer rows.
		{"hashed", hashedList(800), "list"},
		{"hashed-zstd", zstdText(t, hashedList(800)), "list"},
		{"hashed-more-rows", hashedList(1200), "users"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(tc.name, "hashed") {
				if len(tc.list) < len(users) && !strings.Contains(tc.name, "zstd") {
					t.Fatalf("hashed list of %d bytes: not larger than the users' %d", len(tc.list), len(users))
				}
			} else if tc.name != "plain" && tc.name != "small" && len(tc.list) >= len(users) {
				t.Fatalf("compressed list of %d bytes: not smaller than the users' %d", len(tc.list), len(users))
			}
			p := filepath.Join(dir, tc.name+".csv")
			os.WriteFile(p, tc.list, 0o644)
			o, err := parseRun([]string{"--users", filepath.Join(dir, "users.csv"), "--list", p, "--min-audience", "0", "--epsilon", "0"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			j, err := openRun(o, nil, &bytes.Buffer{}, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			defer j.close()
			defer j.outs.abort()
			if j.side != tc.side {
				t.Errorf("side %q, want %q", j.side, tc.side)
			}
		})
	}
}

// hashedList returns a hashed list of n rows, as text.
func hashedList(n int) []byte {
	var b bytes.Buffer
	b.WriteString("hash\n")
	for i := range n {
		d := sha256.Sum256([]byte(fmt.Sprintf("+1650555%04d", i)))
		fmt.Fprintf(&b, "%x\n", d)
	}
	return b.Bytes()
}
