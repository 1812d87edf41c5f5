package samefile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheck checks the cases of Check that match's commands do not meet:
// remote names, compared by name, and files read twice, which are fine.
// (cmd/match's TestCheckFiles_SameFile covers links, new files, streams
// and stdout, through every command.)
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.csv")
	os.WriteFile(users, []byte("user_id,phone\n"), 0o644)
	os.Symlink(users, filepath.Join(dir, "link.csv"))
	for _, tc := range []struct {
		name  string
		files []File
		want  string // "" for no error
	}{
		{"read twice", []File{{"--users", users, Reads}, {"--list", users, Reads}}, ""},
		{"through a link", []File{{"--users", users, Reads}, {"--out", filepath.Join(dir, "link.csv"), Writes}}, "--out is the same file as --users"},
		{"remote, same name", []File{{"--list", "gs://b/list.csv", Reads}, {"--out", "gs://b/list.csv", Writes}}, "gs://b/list.csv: --out is the same file as --list"},
		{"remote, other names", []File{{"--list", "gs://b/list.csv", Reads}, {"--out", "gs://b/out.csv", Writes}}, ""},
		{"two stdouts", []File{{"--out", "-", Writes}, {"--report", "", Writes}}, "--out and --report both write to stdout"},
		{"stdin is not stdout", []File{{"--list", "-", Reads}, {"--out", "-", Writes}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.files...)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Check = %v, want %q", err, tc.want)
			}
		})
	}
}
