package main

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/audiencematch/audiencematch/internal/tempfile"
)

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
