package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

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
	fs.StringVar(&o.list, "list", "", "the contact list `CSV` of raw phones and emails, or - for stdin (required)")
	fs.StringVar(&o.users, "users", "", "the platform's users' message `U.psi`, or - for stdin (required)")
	fs.StringVar(&o.keyFile, "key-file", "", "the advertiser's secret `KEY` (default: a fresh one, never written)")
	fs.StringVar(&o.saveKey, "save-key", "", "write the fresh secret to `FILE`, mode 0600")
	fs.StringVar(&o.region, "region", normalize.DefaultRegion, "`region` of list rows without a country")
	fs.StringVar(&o.out, "out", "", "write the reply to `FILE`, or - for stdout (required)")
	fs.StringVar(&o.rejects, "rejects", "", "write refused list rows as line,reason to `FILE`")
	fs.Int64Var(&o.maxUsers, "max-users", 0, "refuse a U.psi of more than `N` identifiers (users' distinct phones and emails), the size the platform said its base has (0: no bound)")
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
// hash and blind each accepted identifier of each accepted row (held, 32
// bytes an identifier, to be sorted), then stream U.psi through the key
// into the reply.
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
	uh := users.Header()
	if n := uh.Counts[0]; o.maxUsers > 0 && n > o.maxUsers {
		return usageErrorf("%s: %d users' identifiers, more than --max-users %d: the platform may have put guesses among them (PRIVACY.md)", o.users, n, o.maxUsers)
	}
	// The list's emails in the normal form the platform chose (U.psi
	// records it); phones keyed as E.164, whatever the form of a hash,
	// which is refused below.
	email := uh.Families.EmailFormat()
	list, err := openList(o.list, stdin, stderr, normalize.E164Hex, email)
	if err != nil {
		return err
	}
	defer list.Close()
	for _, c := range list.cols.Columns {
		if c.Hashed {
			return usageErrorf("%s: line 1: %s is a column of hashes; %s", list.name, c.Label, psiRawOnly)
		}
	}
	digester, err := matcher.NewDigester(&matcher.Options{Format: normalize.E164Hex, EmailFormat: email, Region: o.region})
	if err != nil {
		return err
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

	// Each row read, digested and counted by matcher's rules, as match
	// run counts it; its valid identifiers, if the row is accepted, go
	// to the group, one element each: which of them shared a row is not
	// kept.
	var st matcher.Stats
	var hashed error
	ids := func(yield func(psi.Identifier) bool) {
		var ks []matcher.KeyDigest
		for e := range list.entries {
			if col := hashedColumn(&e); col != "" {
				hashed = usageErrorf("%s: line %d: %s holds a hash; %s", list.name, e.Line, col, psiRawOnly)
				return
			}
			var rowErr error
			ks, rowErr = digester.Entry(&e, ks[:0])
			st.Count(ks, rowErr)
			if rowErr != nil {
				rejects.add(e.Line, detailed(rowErr))
				continue
			}
			for _, k := range ks {
				if k.Err != nil {
					continue
				}
				f, _ := uh.Families.Of(k.Kind) // psi.FamiliesFor gives both kinds
				if !yield(psi.Identifier{Family: f, Digest: k.Digest}) {
					return
				}
			}
		}
	}
	d, err := psi.BlindList(ctx, key, ids, 0)
	if err == nil {
		err = hashed
	}
	if err == nil {
		err = list.err
	}
	if err == nil {
		err = psiError(o.users, psi.WriteReply(ctx, reply, key, users, d, list.kind(), st, 0))
	}
	if err != nil {
		outs.abort()
		return err
	}
	if err := outs.commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "match: %s: %d rows, %d accepted, %d rejected\n", list.name, st.Rows, st.Accepted, st.Rejected)
	fmt.Fprintf(stderr, "match: %s: %d list elements (phones and emails), %d users' elements\n", reply.displayName(), len(d), uh.Counts[0])
	if codes := uh.CallingCodes; len(codes) > 0 {
		fmt.Fprintf(stderr, "match: %s: only the users' phones of calling codes %v\n", o.users, codes)
	}
	return nil
}

// psiRawOnly says why psi list refuses a hash.
const psiRawOnly = "private matching starts from raw phones and emails (a SHA-256 of a phone number or an address is undone by trying candidates: a list sent hashed is disclosed already; see PRIVACY.md)"

// hashedColumn returns the label of the first column of e that holds a
// digest (idcols reads a digest in a raw column as one), or "".
func hashedColumn(e *matcher.Entry) string {
	if e.Hash != "" {
		return "phone"
	}
	for _, k := range e.Keys {
		if k.Hashed && strings.TrimSpace(k.Value) != "" {
			return k.Column
		}
	}
	return ""
}
