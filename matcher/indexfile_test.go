package matcher

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestWriteIndex_File checks how the index file is made: an error names
// the path given, never the temporary file; a file replaced keeps its
// mode; and nothing but the index is left beside it.
func TestWriteIndex_File(t *testing.T) {
	dir := t.TempDir()
	users := slices.Values([]User{{Line: 2, ID: "u1", Phone: "+16505551234"}})
	bad := filepath.Join(dir, "no", "base.idx")
	_, err := WriteIndex(context.Background(), bad, users, nil, nil)
	if want := bad + ": no such file or directory"; err == nil || err.Error() != want || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteIndex into a missing directory: %v, want %q, an fs.ErrNotExist", err, want)
	}

	path := filepath.Join(dir, "base.idx")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteIndex(context.Background(), path, users, nil, nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("index replaced: mode %v (%v), want its old 0600", fi.Mode().Perm(), err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		t.Errorf("the directory holds %q, want only base.idx", names)
	}
}
