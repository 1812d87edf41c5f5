package tempfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestIs(t *testing.T) {
	for _, tc := range []struct {
		name, base string
		want       bool
	}{
		{".out.csv.match-tmp-0123456789abcdef", "out.csv", true},
		{".out.csv.match-tmp-0123456789abcde", "out.csv", false},
		{".out.csv.match-tmp-0123456789abcdef0", "out.csv", false},
		{".out.csv.match-tmp-0123456789ABCDEF", "out.csv", false},
		{".out.csv2.match-tmp-0123456789abcdef", "out.csv", false},
		{".out.csv.tmp123", "out.csv", false},
		{"out.csv", "out.csv", false},
		{".[a].match-tmp-0123456789abcdef", "[a]", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Is(tc.name, tc.base); got != tc.want {
				t.Errorf("Is(%q, %q) = %v, want %v", tc.name, tc.base, got, tc.want)
			}
		})
	}
}

// TestRemoveStale checks that only the old, unlocked temporary files of
// the path are removed: not a recent one, not a locked one (a run in
// progress), not another path's, nor anything else.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	old := time.Now().Add(-2 * StaleAge)
	mk := func(name string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := mk(".out.csv.match-tmp-00000000000000aa", old)
	recent := mk(".out.csv.match-tmp-00000000000000bb", time.Now())
	other := mk(".other.csv.match-tmp-00000000000000cc", old)
	unrelated := mk(".out.csv.tmp123", old)
	target := mk("out.csv", old)
	// A run in progress, whose file has not been written for long.
	locked, err := os.Open(mk(".out.csv.match-tmp-00000000000000dd", old))
	if err != nil {
		t.Fatal(err)
	}
	defer locked.Close()
	if !lock(locked) {
		t.Skip("no flock here")
	}

	if n := RemoveStale(path, StaleAge); n != 1 {
		t.Errorf("RemoveStale removed %d files, want 1", n)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("%s: stale, not removed (%v)", filepath.Base(stale), err)
	}
	for _, p := range []string{recent, other, unrelated, target, locked.Name()} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: removed: %v", filepath.Base(p), err)
		}
	}
}
