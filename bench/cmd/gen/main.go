// Command gen writes a seeded, synthetic data set for the matching engine:
// a user base, its opt-outs and an advertiser's contact list, as CSV files.
//
// Usage:
//
//	gen [flags]
//
// It writes DIR/users.csv (user_id,phone,country), DIR/optouts.csv
// (user_id) and DIR/list.csv (phone,country), and with -events N,
// DIR/events.csv (user_id,purpose,choice,time,source), a consent event log
// for "match consent import"; see package internal/synth for what they
// hold. The same flags always give byte-identical files. Each file is
// written to a temporary file in DIR and renamed into place when whole.
//
// Exit status: 0 on success, 1 if a file cannot be written, 2 on bad flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/audiencematch/audiencematch/internal/synth"
)

const usage = `Usage: gen [flags]

Writes a synthetic user base, its opt-outs and a contact list as CSV:
  DIR/users.csv    user_id,phone,country
  DIR/optouts.csv  user_id
  DIR/list.csv     phone,country
  DIR/events.csv   user_id,purpose,choice,time,source (with -events N > 0)
With -phones or -emails, users.csv is user_id,phone,email,country (some
users on two rows) and list.csv phone,phone2,…,email,email2,…,country.
The same flags always give byte-identical files.

Example:
  gen -seed 7 -users 1000000 -list 100000 -match-rate 0.3 -out /tmp/gen
  gen -mess=false -out /tmp/gen-clean   # the same numbers, ASCII styles only
  gen -users 1000000 -list 0 -events 10000000 -out /tmp/gen
  gen -users 1000000 -list 1000000 -phones 2 -emails 2 -out /tmp/gen-keys

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is gen's main, returning the exit status.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		cfg     synth.Config
		regions string
		out     string
	)
	fs.Uint64Var(&cfg.Seed, "seed", 1, "data set `seed`")
	fs.IntVar(&cfg.Users, "users", 100_000, "rows in the user base")
	fs.Float64Var(&cfg.OptOutRate, "optout-rate", 0.05, "share of users opted out, and of consent events that opt out, 0..1")
	fs.IntVar(&cfg.ListRows, "list", 100_000, "rows in the contact list")
	fs.Float64Var(&cfg.MatchRate, "match-rate", 0.5, "share of list rows that are users' phones, 0..1")
	fs.Float64Var(&cfg.BadRate, "bad-rate", 0.01, "share of list rows that are junk, 0..1")
	mess := fs.Bool("mess", true, "write the list with the mess of real exports (Unicode separators and digits, labels, dirt, spelled-out extensions); -mess=false: ASCII styles only")
	fs.IntVar(&cfg.Events, "events", 0, "rows in the consent event log events.csv (0: no events.csv)")
	fs.StringVar(&regions, "regions", "", "comma-separated ISO `codes` to draw phones from (default: 50 regions on all continents)")
	fs.StringVar(&out, "out", ".", "output `directory`, created if missing")
	var keys synth.Keys
	fs.IntVar(&keys.Phones, "phones", 0, "phone columns of a list row, 1..3; with -emails, multi-key files (0: the phone-only files)")
	fs.IntVar(&keys.Emails, "emails", 0, "email columns of a list row, 0..3; more than 0 writes multi-key files: users.csv user_id,phone,email,country")
	fs.Float64Var(&keys.EmailRate, "email-rate", 0.7, "with multi-key files: share of users with an email, 0..1")
	fs.Float64Var(&keys.SplitRate, "split-rate", 0.1, "with multi-key files: share of those whose email is on a second row, 0..1")
	fs.Float64Var(&keys.BadEmailRate, "bad-email-rate", 0.02, "with multi-key files: share of list emails that are junk, 0..1")
	fs.Float64Var(&keys.EmptyRate, "empty-rate", 0.2, "with multi-key files: share of extra list cells left empty, 0..1")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprint(stderr, usage)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintf(stderr, "gen: %v\nTry: gen -h\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gen: unexpected argument %q\nTry: gen -h\n", fs.Arg(0))
		return 2
	}
	cfg.Clean = !*mess
	if regions != "" {
		cfg.Regions = strings.Split(regions, ",")
	}
	if keys.Phones > 0 || keys.Emails > 0 {
		cfg.Keys = &keys
	}
	if err := checkFlags(cfg); err != nil {
		fmt.Fprintf(stderr, "gen: %v\nTry: gen -h\n", err)
		return 2
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}

	start := time.Now()
	files := []struct {
		name  string
		write func(io.Writer, synth.Config) error
	}{
		{"users.csv", synth.WriteUsers},
		{"optouts.csv", synth.WriteOptOuts},
		{"list.csv", synth.WriteList},
	}
	if cfg.Keys != nil {
		files[0].write, files[2].write = synth.WriteKeyUsers, synth.WriteKeyList
	}
	if cfg.Events > 0 {
		files = append(files, struct {
			name  string
			write func(io.Writer, synth.Config) error
		}{"events.csv", synth.WriteEvents})
	}
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Go(func() {
			errs[i] = writeFile(filepath.Join(out, f.name), func(w io.Writer) error {
				return f.write(w, cfg)
			})
		})
	}
	wg.Wait()
	status := 0
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(stderr, "gen: %v\n", err)
			status = 1
		}
	}
	if status == 0 {
		fmt.Fprintf(stderr, "gen: wrote %d users, %d list rows and %d events to %s in %.1fs\n",
			cfg.Users, cfg.ListRows, cfg.Events, out, time.Since(start).Seconds())
	}
	return status
}

// checkFlags reports bad flag values by flag name, then anything else
// synth.Config.Validate finds (such as an unknown region).
func checkFlags(cfg synth.Config) error {
	switch {
	case cfg.Users < 0 || cfg.Users > synth.MaxUsers:
		return fmt.Errorf("-users %d: want 0..%d", cfg.Users, synth.MaxUsers)
	case cfg.ListRows < 0:
		return fmt.Errorf("-list %d: want >= 0", cfg.ListRows)
	case !(cfg.OptOutRate >= 0 && cfg.OptOutRate <= 1):
		return fmt.Errorf("-optout-rate %v: want 0..1", cfg.OptOutRate)
	case !(cfg.MatchRate >= 0 && cfg.MatchRate <= 1):
		return fmt.Errorf("-match-rate %v: want 0..1", cfg.MatchRate)
	case !(cfg.BadRate >= 0 && cfg.BadRate <= 1):
		return fmt.Errorf("-bad-rate %v: want 0..1", cfg.BadRate)
	case cfg.MatchRate+cfg.BadRate > 1:
		return fmt.Errorf("-match-rate %v plus -bad-rate %v: want at most 1", cfg.MatchRate, cfg.BadRate)
	case cfg.Events < 0:
		return fmt.Errorf("-events %d: want >= 0", cfg.Events)
	case cfg.Events > 0 && cfg.Users == 0:
		return fmt.Errorf("-events %d with -users 0: no user to draw events for", cfg.Events)
	case cfg.MatchRate > 0 && cfg.ListRows > 0 && cfg.Users == 0:
		return fmt.Errorf("-match-rate %v with -users 0: no user to put on the list", cfg.MatchRate)
	}
	return cfg.Validate()
}

// writeFile writes path through a temporary file in the same directory,
// renamed into place only when write and close succeed, so path is never
// left partial.
func writeFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
