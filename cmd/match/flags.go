package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/audiencematch/audiencematch/consent"
	"github.com/audiencematch/audiencematch/normalize"
)

// newFlagSet returns a flag set that prints its usage text and flags on -h
// and stays quiet on errors, which parseFlags reports in one line.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args and refuses positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected argument %q\nTry: match %s -h", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// parseFlagsAndArgs is parseFlags for a command that takes n positional
// arguments, before, between or after its flags; what names them in the
// error when some are missing.
func parseFlagsAndArgs(fs *flag.FlagSet, args []string, n int, what string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(pos) < n:
		return nil, usageErrorf("%s: missing %s\nTry: match %s -h", fs.Name(), what, fs.Name())
	case len(pos) > n:
		return nil, usageErrorf("%s: unexpected argument %q\nTry: match %s -h", fs.Name(), pos[n], fs.Name())
	}
	return pos, nil
}

// parse parses args up to the first positional argument. On -h it prints
// the usage and returns errHelp; a bad flag is a usage error of one line.
func parse(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {} // on an error, print one line, not the whole usage
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case err == flag.ErrHelp:
		usage()
		return errHelp
	case err != nil:
		return usageErrorf("%s: %v\nTry: match %s -h", fs.Name(), err, fs.Name())
	}
	return nil
}

// parseFormat parses the hash format given to --flagName.
func parseFormat(flagName, s string) (normalize.Format, error) {
	f, err := normalize.ParseFormat(s)
	if err != nil || f.Kind() != normalize.KindPhone {
		return 0, usageErrorf("--%s %q: want e164, digits or uid2", flagName, s)
	}
	return f, nil
}

// parseEmailFormat parses the email hash format given to --flagName: ""
// follows the phone format (email-uid2 with uid2, else email).
func parseEmailFormat(flagName, s string, phone normalize.Format) (normalize.Format, error) {
	if s == "" {
		return normalize.EmailFormatFor(phone), nil
	}
	f, err := normalize.ParseFormat(s)
	if err != nil || f.Kind() != normalize.KindEmail {
		return 0, usageErrorf("--%s %q: want email or email-uid2", flagName, s)
	}
	return f, nil
}

// checkRegion checks the region given to --region.
func checkRegion(s string) error {
	if !normalize.ValidRegion(s) {
		return usageErrorf("--region %q: not a region code libphonenumber knows (want ISO 3166-1 alpha-2, e.g. US, GB)", s)
	}
	return nil
}

// lockTimeoutFlag defines --lock-timeout, bound to p, on a command that
// opens the ledger.
func lockTimeoutFlag(fs *flag.FlagSet, p *time.Duration) {
	fs.DurationVar(p, "lock-timeout", 10*time.Second, "how long to wait while another process has the ledger open for writing")
}

// consentOptions are the flags that match run and match prune share to
// name a consent ledger and how to read it. Its snapshot method (in
// consent.go) opens the ledger.
type consentOptions struct {
	path       string         // --consent: the ledger; "" for none
	policyName string         // --policy as given
	policy     consent.Policy // --policy, parsed by check
	purpose    string         // --purpose
	allowNew   bool           // --allow-new-purpose
	timeout    time.Duration  // --lock-timeout
}

// flags defines --consent, --policy, --purpose and --lock-timeout on fs,
// bound to c. required says that --consent must be given (its usage then
// says so; the command checks it).
func (c *consentOptions) flags(fs *flag.FlagSet, required bool) {
	ledger := "the consent ledger `FILE` (see match consent)"
	if required {
		ledger = "the consent ledger `FILE` (required; see match consent)"
	}
	fs.StringVar(&c.path, "consent", "", ledger)
	fs.StringVar(&c.policyName, "policy", "opt-out", "consent `policy`: opt-out (matchable unless opted out) or opt-in (matchable only if opted in)")
	fs.StringVar(&c.purpose, "purpose", consent.DefaultPurpose, "the consent `purpose` that gates matching")
	fs.BoolVar(&c.allowNew, "allow-new-purpose", false, "match for a --purpose the ledger has never recorded (by default refused: a typo would exclude no one)")
	lockTimeoutFlag(fs, &c.timeout)
}

// check checks the consent flags once fs has parsed them: --policy is
// opt-out or opt-in, --policy and --purpose come only with --consent, and
// --purpose is not blank.
func (c *consentOptions) check(fs *flag.FlagSet) error {
	var set []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "policy" || f.Name == "purpose" || f.Name == "allow-new-purpose" {
			set = append(set, "--"+f.Name)
		}
	})
	var err error
	if c.policy, err = consent.ParsePolicy(c.policyName); err != nil {
		return usageErrorf("--policy %q: want opt-out or opt-in", c.policyName)
	}
	if c.path == "" {
		if len(set) > 0 {
			return usageErrorf("%s: %s needs --consent\nTry: match %s -h", fs.Name(), set[0], fs.Name())
		}
		return nil
	}
	if strings.TrimSpace(c.purpose) == "" {
		return usageErrorf("--purpose %q: want a purpose name, e.g. %s", c.purpose, consent.DefaultPurpose)
	}
	return nil
}
