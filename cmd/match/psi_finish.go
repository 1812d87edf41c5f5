package main

import (
	"context"
	"flag"
	"io"
	"maps"
	"slices"

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
	// The list, as the report names it: the reply, of the kind the
	// advertiser's list was, with no hash format (psi takes no digests)
	// and, for a list with emails, their normal form. (match run names
	// it for a list with email columns: the one list it tells apart is
	// one whose email columns are all blank.)
	h := reply.Header()
	j.list = &listInput{input: &input{name: o.reply}}
	j.listKind = h.ListKind
	if h.List.Email.Accepted+h.List.Email.Rejected > 0 {
		j.emailFormat = h.Families.EmailFormat().String()
	}
	if j.excl, err = o.run.exclusions(stdin, stderr); err != nil {
		return err
	}
	if err := j.createOutputs(stdout); err != nil {
		return err
	}

	in, err := psi.Intersect(ctx, key, reply, 0)
	if err == nil {
		// Of the users without a country, and the emails' form, as in
		// U.psi.
		o.run.region, o.run.format, o.run.emailFormat = h.Region, normalize.E164Hex, h.Families.EmailFormat()
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
	return j.release(psiStats(st, &h.List), stderr)
}

// psiStats returns the figures of a psi match: the advertiser's of its
// list (list: rows read, accepted and refused by reason; identifiers of
// each kind accepted and refused by reason, counted as match run counts
// them) and, of the join of its identifiers, one a row (st), the
// audience and each kind's matched identifiers, which are match run's.
//
// Rows matched are not: the platform does not know which identifiers
// shared a row (D does not say), so it counts an identifier that matched
// as a row that matched, up to the rows accepted. For a list of one
// identifier a row that is exact; for a list of several it is at least
// match run's figure, more by one for each further identifier of a row
// that matched. Matched, Unmatched and Rejected still add up to Rows.
func psiStats(st matcher.Stats, list *matcher.Stats) matcher.Stats {
	out := *list
	out.Audience = st.Audience
	out.Phone.Matched, out.Email.Matched = st.Phone.Matched, st.Email.Matched
	out.Matched = min(st.Matched, out.Accepted)
	out.Unmatched = out.Accepted - out.Matched
	return out
}

// psiEntries reads the user base again, checks it is the one U.psi was
// made from, and returns the list as the platform may know it after the
// intersection: one row per list identifier, the users' first, in the
// order of the users' file, each with the digest of the user's
// identifier (phone in the e164 family, email in the form of U.psi) if
// it named one of the users, else with its doubly-blinded element, which
// no user's digest equals. Matched through match run's join, these give
// the audience, each kind's matched identifiers and the sketches match
// run gives: the same rule, in one place.
func psiEntries(o *psiFinishOptions, key *psi.Key, in *psi.Intersection, stdin io.Reader, stderr io.Writer) (func(func(matcher.Entry) bool), error) {
	h := in.Header
	base, err := newPsiBase(o.run.users, h.Region, h.Families, h.CallingCodes, key)
	if err != nil {
		return nil, err
	}
	ids := make(map[int64]psi.Identifier, len(in.Users))
	err = base.read(stdin, stderr, func(_ string, x psi.Identifier, n int64, first bool) bool {
		if _, on := in.Users[n]; on && first {
			ids[n] = x
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if base.sum != h.Users || base.ids != h.Counts[1] || base.region != h.Region {
		return nil, usageErrorf("%s: not the user base that %s answers (U.psi was made from another file, or this one changed since)", o.run.users, o.reply)
	}
	users := slices.Sorted(maps.Keys(in.Users))
	email := h.Families.EmailFormat()
	return func(yield func(matcher.Entry) bool) {
		var line int64
		// The join holds a row after it is yielded: each identifier
		// gets a slice of its own, shared by its rows.
		row := func(k []matcher.Key) bool {
			line++
			return yield(matcher.Entry{Line: line, Keys: k})
		}
		for _, n := range users {
			x := ids[n]
			k := matcher.Key{Kind: normalize.KindPhone, Value: normalize.Encode(x.Digest, normalize.E164Hex), Hashed: true}
			if x.Family != psi.PhoneE164 {
				k = matcher.Key{Kind: normalize.KindEmail, Value: normalize.Encode(x.Digest, email), Hashed: true}
			}
			ks := []matcher.Key{k}
			for range in.Users[n] {
				if !row(ks) {
					return
				}
			}
		}
		for _, c := range in.Others {
			ks := []matcher.Key{{Kind: normalize.KindPhone, Value: normalize.Encode(c.Element, normalize.E164Hex), Hashed: true}}
			for range c.Rows {
				if !row(ks) {
					return
				}
			}
		}
	}, nil
}
