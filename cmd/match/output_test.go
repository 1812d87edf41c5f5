package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/audiencematch/audiencematch/internal/tempfile"
)

// sameFileDir makes a directory holding an input of every kind, a ledger,
// an index and its key, a symbolic link and a hard link to list.csv.
func sameFileDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, from := range map[string]string{
		"users.csv":    "../../testdata/demo/users.csv",
		"list.csv":     "../../testdata/demo/list.csv",
		"optouts.csv":  "../../testdata/demo/optouts.csv",
		"events.csv":   "../../testdata/demo/consent.csv",
		"audience.csv": "../../testdata/cli/prune/audience.csv",
	} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "index.key"), bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "consent", "import", "--db", filepath.Join(dir, "consent.db"), filepath.Join(dir, "events.csv"))
	mustRun(t, "index", "build", "--users", filepath.Join(dir, "users.csv"), "--out", filepath.Join(dir, "base.idx"))
	if err := os.Symlink("list.csv", filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "list.csv"), filepath.Join(dir, "hard.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dirState returns the name, mode and contents of each file of dir.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		fi, err := os.Lstat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		m[e.Name()] = fmt.Sprintf("%v %x", fi.Mode(), b)
	}
	return m
}

// TestCheckFiles_SameFile checks that every command refuses, with exit
// status 2 and a message naming the files, before it writes anything, an
// output that is the same file as one of its inputs, as its state or as
// another output, whether named the same, through a link or by another
// path; and two outputs to stdout.
func TestCheckFiles_SameFile(t *testing.T) {
	dir := sameFileDir(t)
	run0 := []string{"run", "--min-audience", "0", "--epsilon", "0"}
	withUsers := append(slices.Clone(run0), "--users", "$DIR/users.csv", "--list", "$DIR/list.csv")
	withIndex := append(slices.Clone(run0), "--index", "$DIR/base.idx", "--list", "$DIR/list.csv")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"hash/out-in", []string{"hash", "--in", "$DIR/list.csv", "--out", "$DIR/list.csv"}, "$DIR/list.csv: --out is the same file as --in\n"},
		{"hash/out-in-symlink", []string{"hash", "--in", "$DIR/list.csv", "--out", "$DIR/link.csv"}, "$DIR/link.csv: --out is the same file as --in ($DIR/list.csv)\n"},
		{"hash/out-in-hard-link", []string{"hash", "--in", "$DIR/list.csv", "--out", "$DIR/hard.csv"}, "$DIR/hard.csv: --out is the same file as --in ($DIR/list.csv)\n"},
		{"hash/out-in-other-path", []string{"hash", "--in", "$DIR/list.csv", "--out", "$DIR/sub/../list.csv"}, "$DIR/sub/../list.csv: --out is the same file as --in ($DIR/list.csv)\n"},
		{"hash/rejects-in", []string{"hash", "--in", "$DIR/link.csv", "--out", "$DIR/new.csv", "--rejects", "$DIR/list.csv"}, "$DIR/list.csv: --rejects is the same file as --in ($DIR/link.csv)\n"},
		{"hash/rejects-out-new", []string{"hash", "--in", "$DIR/list.csv", "--out", "$DIR/new.csv", "--rejects", "$DIR/../" + filepath.Base(dir) + "/new.csv"}, "--rejects is the same file as --out ($DIR/new.csv)\n"},
		{"hash/rejects-stdout", []string{"hash", "--in", "$DIR/list.csv", "--rejects", "-"}, "--out and --rejects both write to stdout; give one of them a file\n"},
		{"run/out-list", append(slices.Clone(withUsers), "--out", "$DIR/list.csv"), "$DIR/list.csv: --out is the same file as --list\n"},
		{"run/report-users", append(slices.Clone(withUsers), "--report", "$DIR/users.csv"), "$DIR/users.csv: --report is the same file as --users\n"},
		{"run/rejects-optouts", append(slices.Clone(withUsers), "--optouts", "$DIR/optouts.csv", "--rejects", "$DIR/optouts.csv"), "--rejects is the same file as --optouts\n"},
		{"run/out-consent", append(slices.Clone(withUsers), "--consent", "$DIR/consent.db", "--out", "$DIR/consent.db"), "--out is the same file as --consent\n"},
		{"run/out-index", append(slices.Clone(withIndex), "--out", "$DIR/base.idx"), "--out is the same file as --index\n"},
		{"run/report-key", append(slices.Clone(withIndex), "--key-file", "$DIR/index.key", "--report", "$DIR/index.key"), "--report is the same file as --key-file\n"},
		{"run/out-audit", append(slices.Clone(withUsers), "--audit", "$DIR/audit.jsonl", "--out", "$DIR/audit.jsonl"), "$DIR/audit.jsonl: --out is the same file as --audit\n"},
		{"run/audit-list", append(slices.Clone(withUsers), "--audit", "$DIR/list.csv"), "$DIR/list.csv: --audit is the same file as --list\n"},
		{"run/report-history", append(slices.Clone(withUsers), "--advertiser", "acme", "--history", "$DIR/history.json", "--report", "$DIR/history.json"), "--report is the same file as --history\n"},
		{"run/history-audit", append(slices.Clone(withUsers), "--advertiser", "acme", "--history", "$DIR/h.json", "--audit", "$DIR/h.json"), "--audit is the same file as --history\n"},
		{"run/out-report", append(slices.Clone(withUsers), "--out", "$DIR/a.csv", "--report", "$DIR/a.csv"), "$DIR/a.csv: --report is the same file as --out\n"},
		{"run/report-stdout", append(slices.Clone(withUsers), "--report", "-"), "--out and --report both write to stdout; give one of them a file\n"},
		{"run/rejects-dev-stdout", append(slices.Clone(withUsers), "--out", "/dev/stdout", "--rejects", "-"), "--out and --rejects both write to stdout; give one of them a file\n"},
		{"index-build/rejects-users", []string{"index", "build", "--users", "$DIR/users.csv", "--out", "$DIR/new.idx", "--rejects", "$DIR/users.csv"}, "--rejects is the same file as --users\n"},
		{"index-build/out-users", []string{"index", "build", "--users", "$DIR/users.csv", "--out", "$DIR/users.csv"}, "$DIR/users.csv: --out is the same file as --users\n"},
		{"index-build/out-key", []string{"index", "build", "--users", "$DIR/users.csv", "--key-file", "$DIR/index.key", "--out", "$DIR/index.key"}, "--out is the same file as --key-file\n"},
		{"index-build/out-rejects", []string{"index", "build", "--users", "$DIR/users.csv", "--out", "$DIR/x", "--rejects", "$DIR/x"}, "--rejects is the same file as --out\n"},
		{"prune/out-audience", []string{"prune", "--audience", "$DIR/audience.csv", "--consent", "$DIR/consent.db", "--out", "$DIR/audience.csv"}, "$DIR/audience.csv: --out is the same file as --audience\n"},
		{"prune/out-consent", []string{"prune", "--audience", "$DIR/audience.csv", "--consent", "$DIR/consent.db", "--out", "$DIR/consent.db"}, "--out is the same file as --consent\n"},
		{"consent-import/rejects-events", []string{"consent", "import", "--db", "$DIR/consent.db", "--rejects", "$DIR/events.csv", "$DIR/events.csv"}, "$DIR/events.csv: --rejects is the same file as the events file\n"},
		{"consent-import/rejects-db", []string{"consent", "import", "--db", "$DIR/consent.db", "--rejects", "$DIR/consent.db", "$DIR/events.csv"}, "--rejects is the same file as --db\n"},
		{"consent-import/db-events", []string{"consent", "import", "--db", "$DIR/events.csv", "$DIR/events.csv"}, "--db is the same file as the events file\n"},
		{"consent-export/out-db", []string{"consent", "export", "--db", "$DIR/consent.db", "--out", "$DIR/consent.db"}, "$DIR/consent.db: --out is the same file as --db\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := dirState(t, dir)
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			code, stdout, stderr := runArgs(args...)
			stderr = strings.ReplaceAll(stderr, dir, "$DIR")
			if code != exitUsage || !strings.HasPrefix(stderr, "match: ") || !strings.HasSuffix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line ending %q", code, stderr, exitUsage, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if after := dirState(t, dir); !maps.Equal(before, after) {
				t.Errorf("files changed: before %v\nafter %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
			}
		})
	}

	// Streams are not files to protect: outputs may share one. (A pipe
	// here, not /dev/null: code that took a device for a file would
	// replace it, and tests may run as root.)
	pipe := drainedFIFO(t)
	args := append(slices.Clone(withUsers), "--out", pipe, "--rejects", pipe, "--report", pipe)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "$DIR", dir)
	}
	if code, _, stderr := runArgs(args...); code != 0 {
		t.Errorf("outputs to one pipe: exit %d: %s", code, stderr)
	}
}

// drainedFIFO makes a named pipe whose contents are read and dropped.
func drainedFIFO(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	r, err := os.OpenFile(path, os.O_RDWR, 0) // does not wait for a writer
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, r)
	t.Cleanup(func() { r.Close() })
	return path
}

// TestOutput_Symlink checks that an output named by a symbolic link
// replaces the file the link ends at, whole (a new file renamed over it,
// beside it, keeping its mode), and keeps the link; a failed command
// leaves that file as it was; and a link to a file that does not exist
// yet makes it.
func TestOutput_Symlink(t *testing.T) {
	links, files := t.TempDir(), t.TempDir()
	want := mustHash(t, filepath.Join(t.TempDir(), "want.csv"))
	target := filepath.Join(files, "target.csv")
	if err := os.WriteFile(target, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(target, 0o640); err != nil { // whatever the umask
		t.Fatal(err)
	}
	link := filepath.Join(links, "out.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join(links, "rel.csv")
	if err := os.Symlink(filepath.Join("..", filepath.Base(files), "target.csv"), rel); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(links, "new.csv")
	if err := os.Symlink(filepath.Join(files, "new.csv"), dangling); err != nil {
		t.Fatal(err)
	}

	// A failure leaves the file the link ends at as it was.
	code, _, stderr := runArgs("hash", "--in", "../../testdata/demo/list.csv", "--out", link, "--rejects", "/dev/full")
	if code != exitFailure {
		t.Errorf("hash --rejects /dev/full: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(target); string(b) != "old\n" {
		t.Errorf("after a failed command, the link's file holds %q, want %q", b, "old\n")
	}

	for _, name := range []string{link, rel} {
		old, err := os.Stat(target)
		if err != nil {
			t.Fatal(err)
		}
		mustRun(t, "hash", "--in", "../../testdata/demo/list.csv", "--out", name)
		if fi, err := os.Lstat(name); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s: no longer a link (%v)", filepath.Base(name), err)
		}
		fi, err := os.Stat(target)
		if err != nil {
			t.Fatal(err)
		}
		if os.SameFile(old, fi) {
			t.Errorf("%s: the link's file was written in place, not replaced", filepath.Base(name))
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: the link's file has mode %v, want its old 0640", filepath.Base(name), fi.Mode().Perm())
		}
		if b, _ := os.ReadFile(target); string(b) != want {
			t.Errorf("%s: the link's file holds %q, want %q", filepath.Base(name), b, want)
		}
	}
	mustRun(t, "hash", "--in", "../../testdata/demo/list.csv", "--out", dangling)
	if b, _ := os.ReadFile(filepath.Join(files, "new.csv")); string(b) != want {
		t.Errorf("a dangling link's file holds %q, want %q", b, want)
	}
	if fi, err := os.Lstat(dangling); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("new.csv: no longer a link (%v)", err)
	}
	if got := slices.Sorted(maps.Keys(dirState(t, links))); !slices.Equal(got, []string{"new.csv", "out.csv", "rel.csv"}) {
		t.Errorf("the links' directory holds %v", got)
	}
	if got := slices.Sorted(maps.Keys(dirState(t, files))); !slices.Equal(got, []string{"new.csv", "target.csv"}) {
		t.Errorf("the files' directory holds %v", got)
	}
}

// mustHash hashes the demo list into path and returns what it wrote.
func mustHash(t *testing.T, path string) string {
	t.Helper()
	mustRun(t, "hash", "--in", "../../testdata/demo/list.csv", "--out", path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOutput_Umask checks that a new output or index has mode 0666 less
// the umask, and that a file replaced keeps its mode. The umask is the
// process's: this test must not run in parallel with others.
func TestOutput_Umask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := t.TempDir()
	out, idx := filepath.Join(dir, "out.csv"), filepath.Join(dir, "base.idx")
	mustRun(t, "hash", "--in", "../../testdata/demo/list.csv", "--out", out)
	mustRun(t, "index", "build", "--users", "../../testdata/demo/users.csv", "--out", idx)
	for _, name := range []string{out, idx} {
		if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v (%v) under umask 027, want 0640", filepath.Base(name), fi.Mode().Perm(), err)
		}
		if err := os.Chmod(name, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, "hash", "--in", "../../testdata/demo/list.csv", "--out", out)
	mustRun(t, "index", "build", "--users", "../../testdata/demo/users.csv", "--out", idx)
	for _, name := range []string{out, idx} {
		if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s replaced: mode %v (%v), want its old 0600", filepath.Base(name), fi.Mode().Perm(), err)
		}
	}
}

// TestOutput_StaleTemps checks that a command writing a file removes the
// temporary files of that file that a killed run left an hour or more
// ago, and no other: for outputs, the index and a new ledger.
func TestOutput_StaleTemps(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-2 * tempfile.StaleAge)
	mk := func(name string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := []string{
		mk(".out.csv.match-tmp-0123456789abcdef", old),
		mk(".rejects.csv.match-tmp-0123456789abcdef", old),
		mk(".base.idx.match-tmp-0123456789abcdef", old),
		mk(".consent.db.match-tmp-0123456789abcdef", old),
	}
	kept := []string{
		mk(".out.csv.match-tmp-fedcba9876543210", time.Now()), // a run in progress
		mk(".other.csv.match-tmp-0123456789abcdef", old),      // not written here
		mk(".out.csv.tmp0123", old),                           // not our name
	}
	mustRun(t, "hash", "--in", "../../testdata/demo/list.csv", "--out", filepath.Join(dir, "out.csv"), "--rejects", filepath.Join(dir, "rejects.csv"))
	mustRun(t, "index", "build", "--users", "../../testdata/demo/users.csv", "--out", filepath.Join(dir, "base.idx"))
	mustRun(t, "consent", "import", "--db", filepath.Join(dir, "consent.db"), "../../testdata/demo/consent.csv")
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: left behind (%v)", filepath.Base(p), err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: removed: %v", filepath.Base(p), err)
		}
	}
}

// TestPrune_StdoutHeld checks that prune writes nothing to stdout when a
// line after the first megabyte of the audience is malformed: an audience
// on stdout is held until whole, as match run's is.
func TestPrune_StdoutHeld(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "consent.db")
	mustRun(t, "consent", "import", "--db", db, "../../testdata/demo/consent.csv")
	var b bytes.Buffer
	b.WriteString("user_id\n")
	for i := range 200_000 {
		fmt.Fprintf(&b, "x%07d\n", i)
	}
	b.WriteString("\"broken\n")
	audience := filepath.Join(dir, "audience.csv")
	if err := os.WriteFile(audience, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runArgs("prune", "--audience", audience, "--consent", db)
	if code != exitUsage || !strings.Contains(stderr, "line 200002: bad quoting; an audience must be whole") {
		t.Errorf("exit %d, stderr %q; want %d and the bad line", code, stderr, exitUsage)
	}
	if len(stdout) > 0 {
		t.Errorf("stdout has %d bytes of a failed prune, want none", len(stdout))
	}
}

// TestIndexInfo_StdoutFails checks that index info fails (exit 1, a
// message) when stdout cannot be written.
func TestIndexInfo_StdoutFails(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full here")
	}
	defer full.Close()
	idx := filepath.Join(t.TempDir(), "base.idx")
	mustRun(t, "index", "build", "--users", "../../testdata/demo/users.csv", "--out", idx)
	for _, args := range [][]string{{"index", "info", idx}, {"index", "info", "--json", idx}} {
		var stderr bytes.Buffer
		code := run(context.Background(), args, nil, full, &stderr)
		if want := "match: stdout: no space left on device\n"; code != exitFailure || stderr.String() != want {
			t.Errorf("%q to /dev/full: exit %d, stderr %q; want %d and %q", args, code, &stderr, exitFailure, want)
		}
	}
}

// TestIndexBuild_Unwritable checks that index build refuses an index it
// could not write before it reads the user base: exit 2, a message naming
// --out as given, never a temporary file. (A pipe, not /dev/null, for a
// file that is not regular: code that took it for one would replace it,
// and tests may run as root.)
func TestIndexBuild_Unwritable(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ out, want string }{
		{filepath.Join(dir, "no", "base.idx"), "match: $DIR/no/base.idx: cannot create: no such file or directory\n"},
		{filepath.Join(dir, "users.csv", "base.idx"), "match: $DIR/users.csv/base.idx: cannot create: not a directory\n"},
		{filepath.Join(dir, "pipe"), "match: $DIR/pipe: not a regular file: the index is memory-mapped\n"},
	} {
		os.WriteFile(filepath.Join(dir, "users.csv"), []byte("user_id,phone\n"), 0o644)
		code, _, stderr := runArgs("index", "build", "--users", "../../testdata/demo/users.csv", "--out", tc.out)
		if stderr = strings.ReplaceAll(stderr, dir, "$DIR"); code != exitUsage || stderr != tc.want {
			t.Errorf("--out %s: exit %d, stderr %q; want %d and %q", tc.out, code, stderr, exitUsage, tc.want)
		}
	}
}
