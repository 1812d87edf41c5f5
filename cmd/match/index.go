package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/audiencematch/audiencematch/internal/samefile"
	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

const indexUsage = `Usage:
  match index build --users USERS.csv --out BASE.idx [--region CC] [--rejects FILE] [--key-file KEY]
  match index info [--verify] [--json] BASE.idx

"build" reads the user base once and writes an index file keyed in both
phone digest families (e164, which uid2 shares, and digits) and both email
families (email and email-uid2), so that "match run --index BASE.idx"
matches raw and hashed lists of any format against it without reading
USERS.csv again, with the same answer. USERS.csv: header with user_id,
phone or email or both, and optionally country (overriding --region for
its row). Rows with neither a phone that normalizes nor a valid email are
left out (and listed in --rejects). The file is written whole or not at
all. An index built before emails were indexed (version 1) still matches
phone lists; a list with emails is refused until it is built again.

With --key-file, the index stores digests keyed with the file's secret
(HMAC-SHA256 under keys derived with HKDF): "match run --index" then needs
the same --key-file, and the file alone cannot be checked against a
dictionary of phone numbers. KEY: 32 or more secret bytes, for example
"head -c 32 /dev/urandom > index.key". To rotate the key, build again with
a new one.

"info" prints what an index holds: rows, users, keys, version, bloom filter,
build time and sizes. --verify also checks every page against its checksum.
`

// indexBuildOptions are the flags of match index build, parsed and
// checked.
type indexBuildOptions struct {
	users   string // --users: the user base
	out     string // --out: the index file, a file
	region  string // --region of rows without a country
	rejects string // --rejects; "" for none
	keyFile string // --key-file; "" for an index without a key
}

// indexBuildFlags returns the FlagSet of match index build, bound to o.
func indexBuildFlags(o *indexBuildOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("index build", indexUsage+"\nFlags of build:\n", stderr)
	fs.StringVar(&o.users, "users", "", "the user base `CSV`, or - for stdin (required)")
	fs.StringVar(&o.out, "out", "", "write the index to `FILE` (required)")
	fs.StringVar(&o.region, "region", normalize.DefaultRegion, "`region` of rows without a country")
	fs.StringVar(&o.rejects, "rejects", "", "write refused user rows as line,reason to `FILE`")
	fs.StringVar(&o.keyFile, "key-file", "", "key the index with the secret in `KEY` (32 bytes or more)")
	return fs
}

// parseIndexBuild parses and checks the arguments of match index build.
func parseIndexBuild(args []string, stderr io.Writer) (*indexBuildOptions, error) {
	o := new(indexBuildOptions)
	if err := parseFlags(indexBuildFlags(o, stderr), args); err != nil {
		return nil, err
	}
	if err := checkRegion(o.region); err != nil {
		return nil, err
	}
	switch {
	case o.out == "":
		return nil, usageErrorf("index build: missing --out\nTry: match index -h")
	case o.out == "-" || o.out == "/dev/stdout":
		return nil, usageErrorf("index build: --out must be a file: the index is memory-mapped")
	case compressionOf(o.out) != uncompressed:
		return nil, usageErrorf("index build: --out %s: an index is not compressed, it is memory-mapped; name it without %s", o.out, filepath.Ext(o.out))
	case o.users == "":
		return nil, usageErrorf("index build: missing --users\nTry: match index -h")
	}
	if err := checkFiles(inputFile("--users", o.users), inputFile("--key-file", o.keyFile),
		outputFile("--out", o.out), outputFile("--rejects", o.rejects)); err != nil {
		return nil, err
	}
	return o, nil
}

// runIndexBuild is match index build: read the key, open the user base
// and create the rejects, build the index, then commit the rejects.
func runIndexBuild(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseIndexBuild(args, stderr)
	if err != nil {
		return err
	}
	b, err := openIndexBuild(o, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	defer b.users.Close()
	start := time.Now()
	info, err := b.build(ctx)
	if err != nil {
		b.outs.abort()
		return err
	}
	if err := b.outs.commit(); err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(stderr, "match: %s: %d rows, %d indexed (%d users), %d rejected\n", b.users.name, b.rows, info.Rows, info.Users, b.refused)
	fmt.Fprintf(stderr, "match: %s: %d bytes, %.1f bytes a user, in %.1f s (%.0f rows/s)\n",
		o.out, info.Size, float64(info.Size)/float64(max(info.Users, 1)), took.Seconds(), float64(b.rows)/took.Seconds())
	return nil
}

// indexBuild is a match index build at work: the key, the user base open,
// and the rejects.
type indexBuild struct {
	o             *indexBuildOptions
	key           []byte // nil for an index without a key
	users         *usersInput
	index         *output // the index file, written by the matcher
	rejects       *rejectsFile
	outs          outputs // the index and the rejects, committed together
	rows, refused int64
}

// openIndexBuild reads the key, opens the user base, checks that the
// index can be written and creates the rejects.
func openIndexBuild(o *indexBuildOptions, stdin io.Reader, stdout, stderr io.Writer) (*indexBuild, error) {
	key, err := readKey(o.keyFile)
	if err != nil {
		return nil, err
	}
	users, err := openUsers(o.users, stdin, stderr)
	if err != nil {
		return nil, err
	}
	index, err := createIndex(o.out)
	if err != nil {
		users.Close()
		return nil, err
	}
	rj, err := newRejects(o.rejects, stdout)
	if err != nil {
		index.Abort()
		users.Close()
		return nil, err
	}
	b := &indexBuild{o: o, key: key, users: users, index: index, rejects: rj, outs: outputs{index}}
	if rj != nil {
		b.outs = append(b.outs, rj.output)
	}
	return b, nil
}

// build reads the user base once and writes the index file, whole or not
// at all.
func (b *indexBuild) build(ctx context.Context) (*matcher.IndexInfo, error) {
	// The build keeps about 60 bytes a row alive and makes garbage as it
	// reads: collect it sooner than the other commands do, so that the
	// peak stays near what is alive.
	collectAt(50)
	// Reading stops at an I/O error; the build must not go on without
	// the rest of the file: the error cancels it.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	info, err := matcher.WriteIndexFile(ctx, b.index.tmp, func(yield func(matcher.User) bool) {
		b.userRows(yield)
		if b.users.err != nil {
			cancel(b.users.err)
		}
	}, &matcher.Options{Region: b.o.region, Key: b.key}, b.onReject)
	switch {
	case b.users.err != nil:
		return nil, b.users.err
	case err != nil:
		return nil, b.index.fail(err)
	}
	return info, nil
}

// createIndex creates the output of an index named name, once it has
// checked that it is a regular file, if it exists: an index is
// memory-mapped, never a stream. A build that could not write its index
// fails before it reads the user base, with a usage error naming the file
// as given.
func createIndex(name string) (*output, error) {
	target, err := samefile.FollowLinks(name)
	if err != nil {
		return nil, usageErrorf("%s: cannot create: %v", name, err)
	}
	if fi, err := os.Stat(target); err == nil && !fi.Mode().IsRegular() {
		return nil, usageErrorf("%s: not a regular file: the index is memory-mapped", name)
	}
	return createOutput(name, nil)
}

// userRows yields the rows of the user base, counting them.
func (b *indexBuild) userRows(yield func(matcher.User) bool) {
	b.users.rows(func(line int64, fields [][]byte, err error) bool {
		b.rows++
		return yield(b.users.user(line, fields, err))
	})
}

func (b *indexBuild) onReject(r matcher.Reject) {
	b.refused++
	b.rejects.add(r.Line, r.Err)
}

// indexInfoOptions are the flags and argument of match index info, parsed
// and checked.
type indexInfoOptions struct {
	verify bool   // --verify: check every page
	json   bool   // --json: print JSON
	path   string // BASE.idx
}

// indexInfoFlags returns the FlagSet of match index info, bound to o.
func indexInfoFlags(o *indexInfoOptions, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("index info", indexUsage+"\nFlags of info:\n", stderr)
	fs.BoolVar(&o.verify, "verify", false, "check every page against its checksum")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	return fs
}

// parseIndexInfo parses and checks the arguments of match index info.
func parseIndexInfo(args []string, stderr io.Writer) (*indexInfoOptions, error) {
	o := new(indexInfoOptions)
	pos, err := parseFlagsAndArgs(indexInfoFlags(o, stderr), args, 1, "the index file")
	if err != nil {
		return nil, err
	}
	o.path = pos[0]
	return o, nil
}

// runIndexInfo is match index info: inspect the index, then print what
// it holds.
func runIndexInfo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	o, err := parseIndexInfo(args, stderr)
	if err != nil {
		return err
	}
	info, err := matcher.InspectIndex(o.path, o.verify)
	if err != nil {
		return indexError(o.path, err)
	}
	var buf bytes.Buffer
	if o.json {
		b, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	} else {
		printIndexInfo(&buf, o.path, info, o.verify)
	}
	if _, err := stdout.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("stdout: %w", bareError(err))
	}
	return nil
}

// printIndexInfo prints what the index at path holds, as text.
func printIndexInfo(w io.Writer, path string, info matcher.IndexInfo, verified bool) {
	fmt.Fprintf(w, "index:       %s\n", path)
	fmt.Fprintf(w, "version:     %d\n", info.Version)
	fmt.Fprintf(w, "built:       %s\n", info.Built.Format(time.RFC3339))
	fmt.Fprintf(w, "region:      %s (of user rows without a country)\n", info.Region)
	fmt.Fprintf(w, "keyed:       %v\n", info.Keyed)
	fmt.Fprintf(w, "rows:        %d (user rows with a valid phone or email), %d with a phone\n", info.Rows, info.PhoneRows)
	fmt.Fprintf(w, "users:       %d\n", info.Users)
	fmt.Fprintf(w, "keys:        %d e164 (and uid2), %d digits, %d email (both forms, %d entries)\n", info.KeysE164, info.KeysDigits, info.KeysEmail, info.EmailEntries)
	if info.Version < 2 {
		fmt.Fprintf(w, "emails:      none: version %d indexes hold no email keys; build it again to match emails\n", info.Version)
	}
	fmt.Fprintf(w, "buckets:     2^%d a family\n", info.BucketBits)
	fmt.Fprintf(w, "bloom:       %d bits, %d hashes, %.2f bits a key\n", info.BloomBits, info.BloomK, float64(info.BloomBits)/float64(max(2*info.PhoneRows+info.EmailEntries, 1)))
	fmt.Fprintf(w, "size:        %d bytes, %.1f a user\n", info.Size, float64(info.Size)/float64(max(info.Users, 1)))
	for _, s := range info.Sections {
		fmt.Fprintf(w, "  %-12s %12d bytes at %d\n", s.Name, s.Length, s.Offset)
	}
	if verified {
		fmt.Fprintf(w, "verified:    every page matches its checksum\n")
	}
}

// openIndex opens an index file with its key, if it has one; a file that
// is not a whole, readable index, or a wrong key, is a bad input: exit
// status 2.
func openIndex(path string, key []byte) (*matcher.Index, error) {
	ix, err := matcher.OpenKeyedIndex(path, key)
	if err == nil {
		return ix, nil
	}
	return nil, indexError(path, err)
}

// indexError makes an error opening an index a usage error: exit status 2.
func indexError(path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return usageErrorf("%s: %v", path, pe.Err)
	}
	return usageError{err}
}

// readKey reads the secret of a keyed index; "" means none.
func readKey(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	key, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usageErrorf("%s: %v", path, err)
	}
	if len(key) < matcher.MinKeyLen {
		return nil, usageErrorf("%s: %v", path, matcher.ErrShortKey)
	}
	return key, nil
}
