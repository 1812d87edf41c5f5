//go:build unix

package tempfile

import (
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
)

// TestCreate checks the temporary file's name, place and mode: beside its
// path, recognizable, 0666 less the umask.
func TestCreate(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := filepath.Dir(f.Name()); got != dir {
		t.Errorf("created in %s, want %s", got, dir)
	}
	base := filepath.Base(f.Name())
	if !regexp.MustCompile(`^\.out\.csv\.match-tmp-[0-9a-f]{16}$`).MatchString(base) || !Is(base, "out.csv") {
		t.Errorf("name %q: want .out.csv.match-tmp- and 16 hex digits", base)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o640 {
		t.Errorf("mode %v under umask 027, want 0640", got)
	}
}
