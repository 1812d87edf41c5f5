package main

import (
	"context"
	"flag"
	"io"
	"slices"

	"github.com/audiencematch/audiencematch/internal/csvrow"
	"github.com/audiencematch/audiencematch/internal/idcols"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/psi"
)

// psiFinishOptions are the flags of match psi finish: match run's flags
// of exclusions, guards and outputs (in run), and the step's own.
type psiFinishOptions struct {
	run     runOptions // --users, and the flags of releaseFlags
	keyFile string     // --key-file: the platform's secret
	reply   string     // --reply: REPLY.psi
}

func psiFinishFlags(o *psiFinishOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("psi finish", psiUsage+"\nFlags of finish:\n", stderr)
	fs.StringVar(&o.run.users, "users", "", "the user base `CSV` that U.psi was made from, a file (required)")
	fs.StringVar(&o.keyFile, "key-file", "", "the platform's secret `KEY` that U.psi was made with (required)")
	fs.StringVar(&o.reply, "reply", "", "the advertiser's reply `REPLY.psi`, or - for stdin (required)")
	o.run.releaseFlags(fs)
	return fs
}

func parsePsiFinish(args []string, stderr io.Writer) (*psiFinishOptions, error) {
	o := new(psiFinishOptions)
	fs := psiFinishFlags(o, stderr)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	r := &o.run
	switch {
	case r.users == "":
		return nil, usageErrorf("psi finish: missing --users\nTry: match psi -h")
	case o.keyFile == "":
		return nil, usageErrorf("psi finish: missing --key-file\nTry: match psi -h")
	case o.reply == "":
		return nil, usageErrorf("psi finish: missing --reply\nTry: match psi -h")
	}
	if err := r.checkGuards("psi finish"); err != nil {
		return nil, err
	}
	if err := checkPsiFiles("psi finish", r.users); err != nil {
		return nil, err
	}
	if err := oneStdin("psi finish", "--reply", o.reply, "--optouts", r.optouts); err != nil {
		return nil, err
	}
	if err := r.consent.check(fs); err != nil {
		return nil, err
	}
	if err := checkFiles(inputFile("--users", r.users), inputFile("--key-file", o.keyFile), inputFile("--reply", o.reply),
		inputFile("--optouts", r.optouts), inputFile("--consent", r.consent.path),
		stateFile("--history", r.history), stateFile("--audit", r.audit),
		stdoutFile("--out", r.out), outputFile("--report", r.report)); err != nil {
		return nil, err
	}
	return o, nil
}

// runPsiFinish is match psi finish, the platform's last step, in match
// run's steps: open every input and create the outputs (the guards'
// admission first, before anything is read); intersect the reply with
// the user base; then match run's own match and release (runJob), over
// the list the intersection gives.
func runPsiFinish(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parsePsiFinish(args, stderr)
	if err != nil {
		return err
	}
	j := &runJob{o: &o.run, side: "list"}
	defer j.close()
	if err := j.openGuards(); err != nil {
		return o.run.refused(err, stderr)
	}
	secret, err := readKey(o.keyFile)
	if err != nil {
		return err
	}
	key, err := psi.NewKey(secret)
	if err != nil {
		return usageErrorf("%s: %v", o.keyFile, err)
	}
	reply, rc, err := openPsi(o.reply, psi.KindReply, stdin)
	if err != nil {
		return err
	}
	defer rc.Close()
	if j.users, err = openUsers(o.run.users, stdin, stderr); err != nil {
		return err
	}
	// The list, as the report names it: the advertiser's raw phones.
	j.list = &listInput{input: &input{name: o.reply}, cols: &idcols.List{
		Columns: []idcols.Column{{Kind: normalize.KindPhone, Label: "phone"}}, Country: -1, Hash: -1}}
	if j.excl, err = o.run.exclusions(stdin, stderr); err != nil {
		return err
	}
	if err := j.createOutputs(stdout); err != nil {
		return err
	}

	in, err := psi.Intersect(ctx, key, reply, 0)
	if err == nil {
		o.run.region = in.Header.Region // of the users without a country, as in U.psi
		j.entries, err = psiEntries(o, key, in, stdin, stderr)
	} else {
		err = psiError(o.reply, err)
	}
	if err != nil {
		j.outs.abort()
		return err
	}

	// From here, match run's job: the users streamed through the list
	// the intersection gives, the same exclusions, outputs and release.
	st, err := j.match(ctx)
	if err != nil {
		j.outs.abort()
		return err
	}
	// The advertiser's figures of its list: the rows it read and refused.
	st.Rows += in.Header.ListRows - in.Header.Counts[0]
	st.Rejected, st.RejectedBy = in.Header.ListRows-in.Header.Counts[0], in.Header.Rejected
	st.Phone.Rejected, st.Phone.RejectedBy = phoneRejects(in.Header.Rejected)
	return j.release(st, stderr)
}

// psiEntries reads the user base again, checks it is the one U.psi was
// made from, and returns the list as the platform may know it after the
// intersection: one row per list row, in the order of the users' file,
// each with the digest of the user's phone (e164 family) if it named one
// of the users, else with its doubly-blinded element, which no user's
// digest equals. Matched through match run's join, these give the
// audience, the figures and the sketches match run gives: the same
// rule, in one place.
func psiEntries(o *psiFinishOptions, key *psi.Key, in *psi.Intersection, stdin io.Reader, stderr io.Writer) (func(func(matcher.Entry) bool), error) {
	h := in.Header
	base := newPsiBase(o.run.users, h.Region, h.CallingCodes, key)
	digests := make(map[int64][32]byte, len(in.Users))
	hasher := normalize.NewHasher()
	err := base.read(stdin, stderr, func(_ string, e164 []byte, n int64, first bool) bool {
		if _, on := in.Users[n]; on && first {
			digests[n] = hasher.Sum(e164, normalize.E164Hex)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if base.sum != h.Users || base.phones != h.Counts[1] || base.region != h.Region {
		return nil, usageErrorf("%s: not the user base that %s answers (U.psi was made from another file, or this one changed since)", o.run.users, o.reply)
	}
	users := slices.Sorted(func(yield func(int64) bool) {
		for n := range in.Users {
			if !yield(n) {
				return
			}
		}
	})
	return func(yield func(matcher.Entry) bool) {
		var line int64
		row := func(d [32]byte) bool {
			line++
			return yield(matcher.Entry{Line: line, Hash: normalize.Encode(d, normalize.E164Hex)})
		}
		for _, n := range users {
			for range in.Users[n] {
				if !row(digests[n]) {
					return
				}
			}
		}
		for _, c := range in.Others {
			for range c.Rows {
				if !row(c.Element) {
					return
				}
			}
		}
	}, nil
}

// rowReasons are the reasons a list row is refused whole, before its
// phone is read: the CSV reader's, and a row without a phone. The
// advertiser's other reasons are its phones', which match run counts by
// kind as well.
var rowReasons = func() map[string]bool {
	m := map[string]bool{matcher.Reason(normalize.ErrEmpty): true}
	for _, err := range []error{csvrow.ErrFieldCount, csvrow.ErrQuote, csvrow.ErrUTF8, csvrow.ErrFieldTooLong, csvrow.ErrBlank} {
		m[matcher.Reason(err)] = true
	}
	return m
}()

// phoneRejects returns the phones' part of the advertiser's refused rows
// by reason: the figures of the report's "phones".
func phoneRejects(by map[string]int64) (n int64, phones map[string]int64) {
	phones = make(map[string]int64)
	for reason, c := range by {
		if !rowReasons[reason] {
			phones[reason] += c
			n += c
		}
	}
	return n, phones
}
