package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsage_Flags checks each synopsis of each command against the
// command's FlagSet: its line in the summary of "match help", the
// "Usage:" of its own usage text ("match NAME -h"), and its line in its
// group's usage ("match consent -h"). Each must name every flag of the
// FlagSet and no other, and show it as the flag's usage says: bare if
// "required", in parentheses with "|" if "this or" another, else in
// brackets.
func TestUsage_Flags(t *testing.T) {
	for _, c := range commands {
		t.Run(strings.ReplaceAll(c.fullName(), " ", "_"), func(t *testing.T) {
			var help bytes.Buffer
			fs := c.flagSet(&help)
			fs.Usage()
			texts := []struct{ name, text, words string }{
				{"match help", usage, "match " + c.fullName()},
				{"match " + c.fullName() + " -h", help.String(), "match " + c.fullName()},
			}
			if g := lookupGroup(c.group); g != nil {
				words := "match " + c.fullName()
				if _, ok := synopsis(g.usage, words); !ok {
					words = c.name
				}
				texts = append(texts, struct{ name, text, words string }{"match " + c.group + " -h", g.usage, words})
			}
			for _, x := range texts {
				syn, ok := synopsis(x.text, x.words)
				if !ok {
					t.Errorf("%s: no synopsis of %q", x.name, x.words)
					continue
				}
				if err := checkSynopsis(syn, fs); err != nil {
					t.Errorf("%s: %v\nsynopsis: %s", x.name, err, syn)
				}
			}
		})
	}
}

// TestUsage_Commands checks that each command line of the summary of
// "match help" is a command of the table, or help.
func TestUsage_Commands(t *testing.T) {
	for _, line := range strings.Split(usage, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "match" || !strings.HasPrefix(line, "  match ") {
			continue
		}
		var name []string
		for _, w := range f[1:] {
			if strings.ToLower(w) != w || strings.ContainsAny(w[:1], "[(-") {
				break
			}
			name = append(name, w)
		}
		if len(name) == 1 && name[0] == "help" {
			continue
		}
		found := false
		for _, c := range commands {
			found = found || c.fullName() == strings.Join(name, " ")
		}
		if !found {
			t.Errorf("summary line %q: no command %q", line, strings.Join(name, " "))
		}
	}
}

// synopsis returns the synopsis that text gives of a command: the first
// line before the examples whose words start with words (after an
// optional "Usage:"), joined to the indented lines after it that go on
// with flags (starting with "[", "(" or "-").
func synopsis(text, words string) (string, bool) {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "Example") {
			break
		}
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "Usage:" {
			f = f[1:]
		}
		if !strings.HasPrefix(strings.Join(f, " ")+" ", words+" ") {
			continue
		}
		syn := f
		for _, next := range lines[i+1:] {
			s := strings.TrimSpace(next)
			if s == "" || s == next || !strings.ContainsAny(s[:1], "[(-") {
				break
			}
			syn = append(syn, strings.Fields(s)...)
		}
		return strings.Join(syn, " "), true
	}
	return "", false
}

// checkSynopsis checks that syn names each flag of fs once, and no other,
// as the flag's usage says: bare ("required"), among alternatives in
// parentheses ("this or"), or else in brackets.
func checkSynopsis(syn string, fs *flag.FlagSet) error {
	shown, err := synopsisFlags(syn)
	if err != nil {
		return err
	}
	var errs []string
	fs.VisitAll(func(f *flag.Flag) {
		want := "optional"
		switch {
		case strings.Contains(f.Usage, "required"):
			want = "required"
		case strings.Contains(f.Usage, "this or"):
			want = "alternative"
		}
		got, ok := shown[f.Name]
		delete(shown, f.Name)
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("--%s missing", f.Name))
		case got != want:
			errs = append(errs, fmt.Sprintf("--%s shown %s, want %s", f.Name, got, want))
		}
	})
	for name := range shown {
		errs = append(errs, fmt.Sprintf("--%s is no flag of %s", name, fs.Name()))
	}
	if errs != nil {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// synopsisFlags returns the flags syn names, each as "required" (bare),
// "optional" (in brackets) or "alternative" (in parentheses, not in
// brackets).
func synopsisFlags(syn string) (map[string]string, error) {
	flags := map[string]string{}
	var open []byte // the brackets and parentheses open
	for i := 0; i < len(syn); i++ {
		switch c := syn[i]; c {
		case '[', '(':
			open = append(open, c)
		case ']', ')':
			if len(open) == 0 || open[len(open)-1] != map[byte]byte{']': '[', ')': '('}[c] {
				return nil, fmt.Errorf("unbalanced %q at %d", c, i)
			}
			open = open[:len(open)-1]
		case '-':
			if !strings.HasPrefix(syn[i:], "--") || i > 0 && !strings.ContainsRune(" [(", rune(syn[i-1])) {
				continue
			}
			j := i + 2
			for j < len(syn) && (syn[j] == '-' || 'a' <= syn[j] && syn[j] <= 'z' || '0' <= syn[j] && syn[j] <= '9') {
				j++
			}
			name := syn[i+2 : j]
			if _, dup := flags[name]; dup {
				return nil, fmt.Errorf("--%s shown twice", name)
			}
			kind := "required"
			switch {
			case bytes.IndexByte(open, '[') >= 0:
				kind = "optional"
			case len(open) > 0:
				kind = "alternative"
			}
			flags[name] = kind
			i = j - 1
		}
	}
	if len(open) > 0 {
		return nil, fmt.Errorf("%q left open", open)
	}
	return flags, nil
}

// TestParse_BeforeFiles checks that each command refuses a bad flag before
// it opens any file: every file named here is missing, yet the message is
// about the flag, and no file is created.
func TestParse_BeforeFiles(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"hash/format", []string{"hash", "--in", "$DIR/nope.csv", "--format", "sha1", "--out", "$DIR/out.csv"}, `--format "sha1": want e164, digits or uid2`},
		{"hash/region", []string{"hash", "--in", "$DIR/nope.csv", "--region", "XX"}, `--region "XX": not a region code`},
		{"run/build-side", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--build-side", "left", "--out", "$DIR/out.csv", "--min-audience", "0", "--epsilon", "0"}, `--build-side "left": want users, list or auto`},
		{"run/policy", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--consent", "$DIR/nope.db", "--policy", "opt-maybe", "--min-audience", "0", "--epsilon", "0"}, `--policy "opt-maybe": want opt-out or opt-in`},
		{"run/purpose", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--purpose", "ads", "--min-audience", "0", "--epsilon", "0"}, `run: --purpose needs --consent`},
		{"run/blank-purpose", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--consent", "$DIR/nope.db", "--purpose", " ", "--min-audience", "0", "--epsilon", "0"}, `--purpose " ": want a purpose name`},
		{"run/min-audience", []string{"run", "--index", "$DIR/nope.idx", "--list", "$DIR/nope.csv", "--min-audience", "-1"}, `run: --min-audience -1: want 0 or more`},
		{"run/history", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--history", "$DIR/history", "--min-audience", "0", "--epsilon", "0"}, `run: --advertiser and --history go together`},
		{"run/key-file", []string{"run", "--users", "$DIR/nope.csv", "--list", "$DIR/nope.csv", "--key-file", "$DIR/nope.key", "--min-audience", "0", "--epsilon", "0"}, `run: --key-file goes with --index`},
		{"prune/policy", []string{"prune", "--audience", "$DIR/nope.csv", "--consent", "$DIR/nope.db", "--policy", "all"}, `--policy "all": want opt-out or opt-in`},
		{"index-build/out", []string{"index", "build", "--users", "$DIR/nope.csv", "--key-file", "$DIR/nope.key", "--out", "-"}, `--out must be a file`},
		{"index-build/out-gz", []string{"index", "build", "--users", "$DIR/nope.csv", "--out", "$DIR/base.idx.gz"}, `an index is not compressed, it is memory-mapped; name it without .gz`},
		{"consent-import/batch", []string{"consent", "import", "--db", "$DIR/new.db", "--batch", "0", "$DIR/nope.csv"}, `--batch 0: want at least 1`},
		{"consent-set/choice", []string{"consent", "set", "--db", "$DIR/new.db", "--user", "u1", "--choice", "maybe"}, `--choice "maybe": want opt-out or opt-in`},
		{"consent-get/db", []string{"consent", "get", "--user", "u1"}, `missing --db`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, nil, &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), exitUsage, c.want)
			}
			if es, _ := os.ReadDir(dir); len(es) > 0 {
				t.Errorf("files made: %v", filepath.Join(dir, es[0].Name()))
			}
		})
	}
}
