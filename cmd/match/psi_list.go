package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/psi"
)

// psiListOptions are the flags of match psi list, parsed and checked.
type psiListOptions struct {
	list     string // --list: the advertiser's raw list
	users    string // --users: U.psi
	keyFile  string // --key-file: the advertiser's secret; "" for a fresh one
	saveKey  string // --save-key: where to keep the fresh secret; "" for nowhere
	region   string // --region of list rows without a country
	out      string // --out: REPLY.psi
	rejects  string // --rejects; "" for none
	maxUsers int64  // --max-users; 0 for no bound
}

func psiListFlags(o *psiListOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("psi list", psiUsage+"\nFlags of list:\n", stderr)
	fs.StringVar(&o.list, "list", "", "the contact list `CSV` of raw phones, or - for stdin (required)")
	fs.StringVar(&o.users, "users", "", "the platform's users' message `U.psi`, or - for stdin (required)")
	fs.StringVar(&o.keyFile, "key-file", "", "the advertiser's secret `KEY` (default: a fresh one, never written)")
	fs.StringVar(&o.saveKey, "save-key", "", "write the fresh secret to `FILE`, mode 0600")
	fs.StringVar(&o.region, "region", normalize.DefaultRegion, "`region` of list rows without a country")
	fs.StringVar(&o.out, "out", "", "write the reply to `FILE`, or - for stdout (required)")
	fs.StringVar(&o.rejects, "rejects", "", "write refused list rows as line,reason to `FILE`")
	fs.Int64Var(&o.maxUsers, "max-users", 0, "refuse a U.psi of more than `N` users, the size the platform said its base has (0: no bound)")
	return fs
}

func parsePsiList(args []string, stderr io.Writer) (*psiListOptions, error) {
	o := new(psiListOptions)
	fs := psiListFlags(o, stderr)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := checkRegion(o.region); err != nil {
		return nil, err
	}
	switch {
	case o.list == "":
		return nil, usageErrorf("psi list: missing --list\nTry: match psi -h")
	case o.users == "":
		return nil, usageErrorf("psi list: missing --users (the platform's U.psi)\nTry: match psi -h")
	case o.out == "":
		return nil, usageErrorf("psi list: missing --out\nTry: match psi -h")
	case o.maxUsers < 0:
		return nil, usageErrorf("psi list: --max-users %d: want 0 or more", o.maxUsers)
	case o.keyFile != "" && o.saveKey != "":
		return nil, usageErrorf("psi list: --save-key keeps a fresh key; --key-file is one already")
	}
	if err := oneStdin("psi list", "--list", o.list, "--users", o.users); err != nil {
		return nil, err
	}
	if err := checkPsiFiles("psi list", "", o.out); err != nil {
		return nil, err
	}
	if err := checkFiles(inputFile("--list", o.list), inputFile("--users", o.users), inputFile("--key-file", o.keyFile),
		stdoutFile("--out", o.out), outputFile("--rejects", o.rejects), outputFile("--save-key", o.saveKey)); err != nil {
		return nil, err
	}
	return o, nil
}

// runPsiList is match psi list, the advertiser's step: read the list,
// hash and blind each accepted row (held, 32 bytes a row, to be sorted),
// then stream U.psi through the key into the reply.
func runPsiList(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parsePsiList(args, stderr)
	if err != nil {
		return err
	}
	secret := psi.NewRandomSecret()
	if o.keyFile != "" {
		if secret, err = readKey(o.keyFile); err != nil {
			return err
		}
	}
	key, err := psi.NewKey(secret)
	if err != nil {
		return usageErrorf("%s: %v", o.keyFile, err)
	}
	users, uc, err := openPsi(o.users, psi.KindUsers, stdin)
	if err != nil {
		return err
	}
	defer uc.Close()
	if n := users.Header().Counts[0]; o.maxUsers > 0 && n > o.maxUsers {
		return usageErrorf("%s: %d users, more than --max-users %d: the platform may have put guesses among them (PRIVACY.md)", o.users, n, o.maxUsers)
	}
	list, err := openList(o.list, stdin, stderr, normalize.E164Hex, normalize.EmailHex)
	if err != nil {
		return err
	}
	defer list.Close()
	switch list.kind() {
	case "hash":
		return usageErrorf("%s: a list of hashes; private matching starts from raw phone numbers (a SHA-256 of a phone number is reversed by trying every number: a list sent hashed is disclosed already; see PRIVACY.md)", list.name)
	case "keys":
		return usageErrorf("%s: private matching reads one raw phone column, and this list has other identifier columns: keep its phone column", list.name)
	}

	var outs outputs
	create := func(name string) (*output, error) {
		out, err := createOutput(name, stdout)
		if err != nil {
			outs.abort()
			return nil, err
		}
		outs = append(outs, out)
		return out, nil
	}
	reply, err := create(o.out)
	if err != nil {
		return err
	}
	var rejects *rejectsFile
	if o.rejects != "" {
		if rejects, err = newRejects(o.rejects, stdout); err != nil {
			outs.abort()
			return err
		}
		outs = append(outs, rejects.output)
	}
	if o.saveKey != "" {
		k, err := create(o.saveKey)
		if err != nil {
			return err
		}
		if k.tmp != nil {
			k.tmp.Chmod(0o600)
		}
		k.Write(secret)
	}

	st := matcher.Stats{}
	phones := func(yield func([]byte) bool) {
		var buf []byte
		for e := range list.entries {
			st.Rows++
			err := e.Err
			if err == nil {
				region := e.Region
				if region == "" {
					region = o.region
				}
				buf, err = normalize.AppendE164(buf[:0], e.Phone, region)
			}
			if err != nil {
				st.Rejected++
				if st.RejectedBy == nil {
					st.RejectedBy = make(map[string]int64)
				}
				st.RejectedBy[matcher.Reason(err)]++
				rejects.add(e.Line, err)
				continue
			}
			st.Accepted++
			if !yield(buf) {
				return
			}
		}
	}
	d, err := psi.BlindList(ctx, key, psi.PhoneE164, phones, 0)
	if err == nil {
		err = list.err
	}
	if err == nil {
		err = psiError(o.users, psi.WriteReply(ctx, reply, key, users, d, st.Rows, st.RejectedBy, 0))
	}
	if err != nil {
		outs.abort()
		return err
	}
	if err := outs.commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "match: %s: %d rows, %d accepted, %d rejected\n", list.name, st.Rows, st.Accepted, st.Rejected)
	fmt.Fprintf(stderr, "match: %s: %d list elements, %d users' elements\n", reply.displayName(), len(d), users.Header().Counts[0])
	if codes := users.Header().CallingCodes; len(codes) > 0 {
		fmt.Fprintf(stderr, "match: %s: only the users of calling codes %v\n", o.users, codes)
	}
	return nil
}
