package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/psi"
)

const psiUsage = `Usage:
  match psi users --users USERS.csv --key-file PLATFORM.key --out U.psi [--region CC]
                [--email-format email|email-uid2] [--only-regions CC,CC]
  match psi list --list LIST.csv --users U.psi --out REPLY.psi [--key-file ADV.key]
                [--save-key FILE] [--region CC] [--rejects FILE] [--max-users N]
  match psi finish --users USERS.csv --key-file PLATFORM.key --reply REPLY.psi
                [--optouts OPTOUTS.csv] [--consent CONSENT.db [--policy opt-out|opt-in]
                [--purpose ads] [--allow-new-purpose] [--lock-timeout D]]
                [--min-audience N] [--epsilon E] [--budget B]
                [--advertiser ID --history FILE] [--audit FILE]
                [--out FILE] [--report FILE]

Private matching (PSI): the platform learns which of its users are on the
advertiser's list and nothing else of it; the advertiser learns nothing of
the user base but the report. Three messages, as files (PRIVACY.md says
what each party learns, what a cheating one could, and what it costs):

  1. the platform:   match psi users   writes U.psi, its users' phones and
                     email addresses, each hashed to the group
                     ristretto255 and raised to the platform's secret
                     key: send it to the advertiser.
  2. the advertiser: match psi list    reads its raw list and U.psi and
                     writes REPLY.psi: U.psi raised to its own key, and
                     every identifier of its list hashed and raised to the
                     same key, all shuffled together (which identifiers
                     shared a row is not sent). Send it back.
  3. the platform:   match psi finish  raises the list to its key, finds
                     its users on it and releases the audience exactly as
                     match run does (exclusions, privacy guards, report,
                     audit, history).

USERS.csv:    header with user_id, phone or email or both, and optionally
              country, as for match run; the same file in steps 1 and 3
              (U.psi records a digest of it, under the key). With
              --only-regions (regions the advertiser says its list is
              from), U.psi holds only the phones that have one of those
              regions' calling codes (US: all of +1), and every email:
              less work for both, but the advertiser learns how many
              identifiers the platform has there.
--email-format: the normal form both parties match emails in, recorded
              in U.psi for psi list to follow: email (trimmed and
              lower-cased: Meta's and Google's rule, the default) or
              email-uid2 (UID2's: also without the dots and +tag of a
              gmail.com local part), as match run's --email-hash-format.
LIST.csv:     header with raw identifiers, as for match run: phone (and
              optionally country), or up to three phone and three email
              columns (phone, phone2, email, ..., or Meta's and Google's
              templates). A row matches every user any of its
              identifiers matches. Hashed columns, or a hash in a raw
              column, are refused: a SHA-256 of a phone number or an
              address is reversed by trying candidates, so a list that
              was sent hashed has been disclosed already, and private
              matching cannot take that back.
PLATFORM.key: 32 or more secret bytes, kept by the platform, e.g.
              "head -c 32 /dev/urandom > platform.key".
N:            with --max-users, psi list refuses a U.psi of more
              identifiers (users' distinct phones and emails) than the
              platform said its base has: the extra ones could be
              guesses of the platform's, each asking whether a phone or
              an address is on the list (PRIVACY.md).
ADV.key:      the advertiser's key, the same kind; without --key-file a
              fresh one is made for the run and never written, unless
              --save-key names a file for it (mode 0600).

The audience is in the order of the users' file (the list's order is
shuffled away, and which identifiers shared a row is not sent); its
users, the report and the audit's decision are those of match run over
the same files (the audit counts a row once for each identifier that
matched). Each step uses every core: the scalar
multiplications are the whole cost (bench/RESULTS.md).

Examples:
  match psi users --users users.csv --key-file platform.key --out u.psi
  match psi list --list customers.csv --users u.psi --out reply.psi
  match psi finish --users users.csv --key-file platform.key --reply reply.psi \
      --optouts optouts.csv --out audience.csv --report report.json \
      --advertiser acme --history history.json
`

// psiUsersOptions are the flags of match psi users, parsed and checked.
type psiUsersOptions struct {
	users     string           // --users: the user base, a file
	keyFile   string           // --key-file: the platform's secret
	out       string           // --out: U.psi
	region    string           // --region of user rows without a country
	emailName string           // --email-format as given
	email     normalize.Format // --email-format: EmailHex or EmailUID2
	only      string           // --only-regions as given
	codes     []uint16         // --only-regions' calling codes, ascending; nil for all
}

func psiUsersFlags(o *psiUsersOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("psi users", psiUsage+"\nFlags of users:\n", stderr)
	fs.StringVar(&o.users, "users", "", "the user base `CSV`, a file (required)")
	fs.StringVar(&o.keyFile, "key-file", "", "the platform's secret `KEY`, 32 bytes or more (required)")
	fs.StringVar(&o.out, "out", "", "write the users' message to `FILE`, or - for stdout (required)")
	fs.StringVar(&o.region, "region", normalize.DefaultRegion, "`region` of user rows without a country")
	fs.StringVar(&o.emailName, "email-format", "email", "the normal `form` of emails for both parties: email or email-uid2")
	fs.StringVar(&o.only, "only-regions", "", "blind only the phones that have the calling code of one of these `regions` (comma-separated), as the advertiser declared, and every email")
	return fs
}

func parsePsiUsers(args []string, stderr io.Writer) (*psiUsersOptions, error) {
	o := new(psiUsersOptions)
	fs := psiUsersFlags(o, stderr)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := checkRegion(o.region); err != nil {
		return nil, err
	}
	var err error
	if o.email, err = parseEmailFormat("email-format", o.emailName, normalize.E164Hex); err != nil {
		return nil, err
	}
	if o.only != "" {
		for _, r := range strings.Split(o.only, ",") {
			code := phonenumbers.GetCountryCodeForRegion(strings.ToUpper(strings.TrimSpace(r)))
			if code <= 0 || code > 999 {
				return nil, usageErrorf("--only-regions: %q: not a region code libphonenumber knows (want ISO 3166-1 alpha-2, e.g. US, GB)", r)
			}
			o.codes = append(o.codes, uint16(code))
		}
		slices.Sort(o.codes)
		o.codes = slices.Compact(o.codes)
	}
	switch {
	case o.users == "":
		return nil, usageErrorf("psi users: missing --users\nTry: match psi -h")
	case o.keyFile == "":
		return nil, usageErrorf("psi users: missing --key-file\nTry: match psi -h")
	case o.out == "":
		return nil, usageErrorf("psi users: missing --out\nTry: match psi -h")
	}
	if err := checkPsiFiles("psi users", o.users, o.out); err != nil {
		return nil, err
	}
	if err := checkFiles(inputFile("--users", o.users), inputFile("--key-file", o.keyFile), stdoutFile("--out", o.out)); err != nil {
		return nil, err
	}
	return o, nil
}

// checkPsiFiles refuses a user base read from stdin, which steps 1 and 3
// must read twice and compare, and a psi file named to be compressed: its
// bytes are random, and readers take them as they are.
func checkPsiFiles(cmd, users string, outs ...string) error {
	if isStdin(users) {
		return usageErrorf("%s: --users must be a file: it is read twice, and again in match psi finish", cmd)
	}
	for _, out := range outs {
		if compressionOf(out) != uncompressed {
			return usageErrorf("%s: %s: a psi file is random bytes and does not compress; name it without .gz or .zst", cmd, out)
		}
	}
	return nil
}

// runPsiUsers is match psi users: read the user base once to count and
// digest its distinct identifiers, then again to hash and blind them
// into U.psi.
func runPsiUsers(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parsePsiUsers(args, stderr)
	if err != nil {
		return err
	}
	secret, err := readKey(o.keyFile)
	if err != nil {
		return err
	}
	key, err := psi.NewKey(secret)
	if err != nil {
		return usageErrorf("%s: %v", o.keyFile, err)
	}
	families := psi.FamiliesFor(o.email)
	base, err := newPsiBase(o.users, o.region, families, o.codes, key)
	if err != nil {
		return err
	}
	if err := base.read(stdin, stderr, nil); err != nil {
		return err
	}
	base.seen = nil // the second pass has its own
	h := &psi.Header{Kind: psi.KindUsers, Families: families, Region: base.region,
		CallingCodes: o.codes, Users: base.sum, Counts: [2]int64{base.ids}}
	rand.Read(h.Session[:])
	out, err := createOutput(o.out, stdout)
	if err != nil {
		return err
	}
	outs := outputs{out}
	again, err := newPsiBase(o.users, o.region, families, o.codes, key)
	if err != nil {
		outs.abort()
		return err
	}
	var failed error
	ids := func(yield func(psi.Identifier) bool) {
		failed = again.read(stdin, stderr, func(_ string, x psi.Identifier, _ int64, first bool) bool {
			return !first || yield(x)
		})
	}
	err = psi.WriteUsers(ctx, out, key, h, ids, 0)
	if failed == nil && (errors.Is(err, psi.ErrCount) || err == nil && (again.sum != base.sum || again.ids != base.ids)) {
		failed, err = fmt.Errorf("%s: changed while it was read", o.users), nil
	}
	if err = errors.Join(failed, err); err != nil {
		outs.abort()
		return err
	}
	if err := outs.commit(); err != nil {
		return err
	}
	if base.skipped > 0 {
		fmt.Fprintf(stderr, "match: %s: %d rows skipped (bad phone, email or row)\n", o.users, base.skipped)
	}
	if base.outside > 0 {
		fmt.Fprintf(stderr, "match: %s: %d phones left out (outside --only-regions)\n", o.users, base.outside)
	}
	fmt.Fprintf(stderr, "match: %s: %d users' identifiers (phones and emails), blinded\n", out.displayName(), base.ids)
	return nil
}

// psiBase reads a user base for match psi users and psi finish, alike:
// the rows match run would accept, by matcher.Digester's rules (an id, a
// phone or an address that is valid), their distinct identifiers
// numbered in the order of their first row (a row's phone before its
// address), and a digest of them all under the platform's key; of the
// phones, only those that have one of the calling codes given, if any.
type psiBase struct {
	path     string
	region   string // upper case, as U.psi records it
	families psi.Families
	d        *matcher.Digester
	h        hash.Hash
	seen     map[[16]byte]int64 // the first 16 bytes of an identifier's digest → its number
	only     []string           // E.164 prefixes of the calling codes kept; nil for all

	ids     int64    // distinct identifiers
	skipped int64    // rows refused
	outside int64    // phones that have none of the calling codes kept
	sum     [32]byte // the digest, once read
}

func newPsiBase(path, region string, families psi.Families, codes []uint16, key *psi.Key) (*psiBase, error) {
	b := &psiBase{path: path, region: strings.ToUpper(region), families: families, h: key.UsersDigest(), seen: make(map[[16]byte]int64)}
	var err error
	// Phones are keyed by the SHA-256 of their E.164 (E164Hex's family),
	// emails by that of their normal form in the families' email format.
	b.d, err = matcher.NewDigester(&matcher.Options{Format: normalize.E164Hex, EmailFormat: families.EmailFormat(), Region: b.region})
	if err != nil {
		return nil, err
	}
	for _, c := range codes {
		b.only = append(b.only, "+"+strconv.Itoa(int(c)))
	}
	return b, nil
}

// kept reports whether the phone of user row u, valid, has one of the
// calling codes kept. Calling codes are a prefix code: one of them at
// most is a prefix.
func (b *psiBase) kept(u *matcher.User, buf []byte) ([]byte, bool) {
	if b.only == nil {
		return buf, true
	}
	region := u.Region
	if region == "" {
		region = b.region
	}
	buf, err := normalize.AppendE164(buf[:0], u.Phone, region)
	if err != nil {
		return buf, false // cannot be: the Digester accepted it
	}
	for _, p := range b.only {
		if bytes.HasPrefix(buf, []byte(p)) {
			return buf, true
		}
	}
	return buf, false
}

// read reads the user base and calls fn, if not nil, for each identifier
// of each row accepted: the row's id, the identifier, its number, and
// whether the row is its first. fn returns false to stop. The digest
// covers the region, the email form and every accepted row's id and
// identifiers, length-prefixed.
func (b *psiBase) read(stdin io.Reader, stderr io.Writer, fn func(id string, x psi.Identifier, n int64, first bool) bool) error {
	u, err := openUsers(b.path, stdin, stderr)
	if err != nil {
		return err
	}
	defer u.Close()
	var ks []matcher.KeyDigest
	var buf, lens []byte
	b.h.Write([]byte(b.region))
	b.h.Write([]byte{byte(b.families)})
	u.rows(func(line int64, fields [][]byte, err error) bool {
		m := u.user(line, fields, err)
		if ks, err = b.d.User(&m, ks[:0]); err != nil {
			b.skipped++
			return true
		}
		kept := ks[:0]
		for _, k := range ks {
			if k.Kind == normalize.KindPhone {
				var in bool
				if buf, in = b.kept(&m, buf); !in {
					b.outside++
					continue
				}
			}
			kept = append(kept, k)
		}
		if len(kept) == 0 {
			return true
		}
		lens = binary.AppendUvarint(binary.AppendUvarint(lens[:0], uint64(len(m.ID))), uint64(len(kept)))
		b.h.Write(lens)
		io.WriteString(b.h, m.ID)
		for _, k := range kept {
			f, _ := b.families.Of(k.Kind)
			b.h.Write([]byte{byte(f)})
			b.h.Write(k.Digest[:])
			n, ok := b.seen[[16]byte(k.Digest[:16])]
			if !ok {
				n = b.ids
				b.seen[[16]byte(k.Digest[:16])] = n
				b.ids++
			}
			if fn != nil && !fn(m.ID, psi.Identifier{Family: f, Digest: k.Digest}, n, !ok) {
				return false
			}
		}
		return true
	})
	if u.err != nil {
		return u.err
	}
	copy(b.sum[:], b.h.Sum(nil))
	return nil
}

// psiError returns err of the psi file name: a usage error (exit 2) if
// the file is not one, not whole or not the one wanted, else an I/O
// failure. It names the file and the problem, never an element.
func psiError(name string, err error) error {
	var oe *outputError
	if err == nil || errors.As(err, &oe) {
		return err
	}
	for _, bad := range []error{psi.ErrNotPSI, psi.ErrVersion, psi.ErrCorrupt, psi.ErrKind, psi.ErrKey, psi.ErrPoint} {
		if errors.Is(err, bad) {
			return usageErrorf("%s: %v", name, err)
		}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// openPsi opens the psi file name ("-": stdin) and reads its header; want
// is the kind the command reads.
func openPsi(name string, want psi.Kind, stdin io.Reader) (*psi.Reader, io.Closer, error) {
	var r io.Reader = stdin
	var c io.Closer = io.NopCloser(nil)
	if !isStdin(name) {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, usageErrorf("%s: %v", name, errors.Unwrap(err))
		}
		r, c = f, f
	}
	pr, err := psi.NewReader(r)
	if err == nil && pr.Header().Kind != want {
		err = fmt.Errorf("%w: a %v file where a %v file is wanted", psi.ErrKind, pr.Header().Kind, want)
	}
	if err != nil {
		c.Close()
		return nil, nil, psiError(name, err)
	}
	return pr, c, nil
}
