package tempfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAbandon checks that Abandon removes this process's temporary files
// that are still there, leaves the files committed and every other file
// alone, waits for a Commit under way, and blocks Commits after it: for
// good, so no other test of the package may commit.
func TestAbandon(t *testing.T) {
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	committed, err := Create(path("a.csv"))
	if err != nil {
		t.Fatal(err)
	}
	committed.Close()
	if err := Commit(func() error { return os.Rename(committed.Name(), path("a.csv")) }); err != nil {
		t.Fatal(err)
	}
	left, err := Create(path("b.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer left.Close()
	other := path("." + "c.csv" + Infix + "0123456789abcdef") // another process's
	os.WriteFile(other, nil, 0o644)

	inCommit, release := make(chan struct{}), make(chan struct{})
	go Commit(func() error { close(inCommit); <-release; return nil })
	<-inCommit
	abandoned := make(chan int)
	go func() { abandoned <- Abandon() }()
	select {
	case <-abandoned:
		t.Fatal("Abandon returned while a Commit was under way")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if n := <-abandoned; n != 1 {
		t.Errorf("Abandon removed %d files, want 1", n)
	}
	for name, want := range map[string]bool{path("a.csv"): true, left.Name(): false, other: true} {
		if _, err := os.Stat(name); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(name), err == nil, want)
		}
	}
	later := make(chan struct{})
	go Commit(func() error { close(later); return nil })
	select {
	case <-later:
		t.Error("a Commit ran after Abandon")
	case <-time.After(50 * time.Millisecond):
	}
}
