package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
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

	"github.com/audiencematch/audiencematch/normalize"
	"github.com/audiencematch/audiencematch/psi"
)

const psiUsage = `Usage:
  match psi users --users USERS.csv --key-file PLATFORM.key --out U.psi [--region CC]
                [--only-regions CC,CC]
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

  1. the platform:   match psi users   writes U.psi, its users' phones,
                     each hashed to the group ristretto255 and raised to
                     the platform's secret key: send it to the advertiser.
  2. the advertiser: match psi list    reads its raw list and U.psi and
                     writes REPLY.psi: U.psi raised to its own key, and its
                     list hashed and raised to the same key, shuffled.
                     Send it back.
  3. the platform:   match psi finish  raises the list to its key, finds
                     its users on it and releases the audience exactly as
                     match run does (exclusions, privacy guards, report,
                     audit, history).

USERS.csv:    header with user_id, phone and optionally country, the same
              file in steps 1 and 3 (U.psi records a digest of it, under
              the key). With --only-regions (regions the advertiser says
              its list is from), U.psi holds only the users whose phone
              has one of those regions' calling codes (US: all of +1):
              less work for both, but the advertiser learns how many
              users the platform has there.
LIST.csv:     header with phone and optionally country: raw numbers. A
              hashed list is refused: a SHA-256 of a phone number is
              reversed by trying every number, so a list that was sent
              hashed has been disclosed already, and private matching
              cannot take that back.
PLATFORM.key: 32 or more secret bytes, kept by the platform, e.g.
              "head -c 32 /dev/urandom > platform.key".
N:            with --max-users, psi list refuses a U.psi of more users
              than the platform said it has: the extra ones could be
              guesses of the platform's, each asking whether a number is
              on the list (PRIVACY.md).
ADV.key:      the advertiser's key, the same kind; without --key-file a
              fresh one is made for the run and never written, unless
              --save-key names a file for it (mode 0600).

The audience is in the order of the users' file (the list's order is
shuffled away); its users, the report and the audit are those of match
run over the same files. Each step uses every core: the scalar
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
	users   string   // --users: the user base, a file
	keyFile string   // --key-file: the platform's secret
	out     string   // --out: U.psi
	region  string   // --region of user rows without a country
	only    string   // --only-regions as given
	codes   []uint16 // --only-regions' calling codes, ascending; nil for all
}

func psiUsersFlags(o *psiUsersOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("psi users", psiUsage+"\nFlags of users:\n", stderr)
	fs.StringVar(&o.users, "users", "", "the user base `CSV`, a file (required)")
	fs.StringVar(&o.keyFile, "key-file", "", "the platform's secret `KEY`, 32 bytes or more (required)")
	fs.StringVar(&o.out, "out", "", "write the users' message to `FILE`, or - for stdout (required)")
	fs.StringVar(&o.region, "region", normalize.DefaultRegion, "`region` of user rows without a country")
	fs.StringVar(&o.only, "only-regions", "", "blind only the users whose phone has the calling code of one of these `regions` (comma-separated), as the advertiser declared")
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
// digest its distinct phones, then again to hash and blind them into
// U.psi.
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
	base := newPsiBase(o.users, o.region, o.codes, key)
	if err := base.read(stdin, stderr, nil); err != nil {
		return err
	}
	base.seen = nil // the second pass has its own
	h := &psi.Header{Kind: psi.KindUsers, Family: psi.PhoneE164, Region: base.region,
		CallingCodes: o.codes, Users: base.sum, Counts: [2]int64{base.phones}}
	rand.Read(h.Session[:])
	out, err := createOutput(o.out, stdout)
	if err != nil {
		return err
	}
	outs := outputs{out}
	again := newPsiBase(o.users, o.region, o.codes, key)
	var failed error
	phones := func(yield func([]byte) bool) {
		failed = again.read(stdin, stderr, func(_ string, e164 []byte, _ int64, first bool) bool {
			return !first || yield(e164)
		})
	}
	err = psi.WriteUsers(ctx, out, key, h, phones, 0)
	if failed == nil && (errors.Is(err, psi.ErrCount) || err == nil && (again.sum != base.sum || again.phones != base.phones)) {
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
		fmt.Fprintf(stderr, "match: %s: %d rows skipped (bad phone or row)\n", o.users, base.skipped)
	}
	if base.outside > 0 {
		fmt.Fprintf(stderr, "match: %s: %d rows left out (outside --only-regions)\n", o.users, base.outside)
	}
	fmt.Fprintf(stderr, "match: %s: %d users' phones, blinded\n", out.displayName(), base.phones)
	return nil
}

// psiBase reads a user base for match psi users and psi finish, alike:
// the rows match run would accept (an id, a phone that normalizes), their
// distinct phones numbered in the order of their first row, and a digest
// of them all under the platform's key; only the rows whose phone has one
// of the calling codes given, if any.
type psiBase struct {
	path   string
	region string // upper case, as U.psi records it
	h      hash.Hash
	seen   map[[16]byte]int64 // the first 16 bytes of a phone's SHA-256 → its number
	only   []string           // E.164 prefixes of the calling codes kept; nil for all

	phones  int64    // distinct phones
	skipped int64    // rows refused
	outside int64    // rows whose phone has none of the calling codes kept
	sum     [32]byte // the digest, once read
}

func newPsiBase(path, region string, codes []uint16, key *psi.Key) *psiBase {
	b := &psiBase{path: path, region: strings.ToUpper(region), h: key.UsersDigest(), seen: make(map[[16]byte]int64)}
	for _, c := range codes {
		b.only = append(b.only, "+"+strconv.Itoa(int(c)))
	}
	return b
}

// kept reports whether a phone in E.164 has one of the calling codes
// kept. Calling codes are a prefix code: one of them at most is a prefix.
func (b *psiBase) kept(e164 []byte) bool {
	if b.only == nil {
		return true
	}
	for _, p := range b.only {
		if bytes.HasPrefix(e164, []byte(p)) {
			return true
		}
	}
	return false
}

// read reads the user base and calls fn, if not nil, for each row
// accepted: its id, its phone in E.164 (valid for the call), the number
// of the phone, and whether the row is its first. fn returns false to
// stop. The digest covers the region and every accepted row's id and
// phone, length-prefixed.
func (b *psiBase) read(stdin io.Reader, stderr io.Writer, fn func(id string, e164 []byte, n int64, first bool) bool) error {
	u, err := openUsers(b.path, stdin, stderr)
	if err != nil {
		return err
	}
	defer u.Close()
	var buf, lens []byte
	b.h.Write([]byte(b.region))
	u.rows(func(line int64, fields [][]byte, err error) bool {
		m := u.user(line, fields, err)
		region := m.Region
		if region == "" {
			region = b.region
		}
		if m.Err == nil && m.ID != "" {
			buf, err = normalize.AppendE164(buf[:0], m.Phone, region)
		}
		if m.Err != nil || m.ID == "" || err != nil {
			b.skipped++
			return true
		}
		if !b.kept(buf) {
			b.outside++
			return true
		}
		lens = binary.AppendUvarint(binary.AppendUvarint(lens[:0], uint64(len(m.ID))), uint64(len(buf)))
		b.h.Write(lens)
		io.WriteString(b.h, m.ID)
		b.h.Write(buf)
		d := sha256.Sum256(buf)
		n, ok := b.seen[[16]byte(d[:16])]
		if !ok {
			n = b.phones
			b.seen[[16]byte(d[:16])] = n
			b.phones++
		}
		return fn == nil || fn(m.ID, buf, n, !ok)
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
