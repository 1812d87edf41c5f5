package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

const indexUsage = `Usage:
  match index build --users USERS.csv --out BASE.idx [--region CC] [--rejects FILE] [--key-file KEY]
  match index info [--verify] [--json] BASE.idx

"build" reads the user base once and writes an index file keyed in both
digest families (e164, which uid2 shares, and digits), so that
"match run --index BASE.idx" matches raw and hashed lists of any format
against it without reading USERS.csv again, with the same answer.
USERS.csv: header with user_id, phone and optionally country (overriding
--region for its row). Rows whose phone does not normalize are left out
(and listed in --rejects). The file is written whole or not at all.

With --key-file, the index stores digests keyed with the file's secret
(HMAC-SHA256 under keys derived with HKDF): "match run --index" then needs
the same --key-file, and the file alone cannot be checked against a
dictionary of phone numbers. KEY: 32 or more secret bytes, for example
"head -c 32 /dev/urandom > index.key". To rotate the key, build again with
a new one.

"info" prints what an index holds: rows, users, keys, version, bloom filter,
build time and sizes. --verify also checks every page against its checksum.
`

func runIndex(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, indexUsage)
		return usageErrorf("index: missing build or info")
	}
	switch args[0] {
	case "build":
		return runIndexBuild(ctx, args[1:], stdout, stderr)
	case "info":
		return runIndexInfo(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, indexUsage)
		return nil
	}
	return usageErrorf("index: unknown command %q\nTry: match index -h", args[0])
}

func runIndexBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("index build", indexUsage+"\nFlags of build:\n", stderr)
	var (
		usersPath = fs.String("users", "", "the user base `CSV` (required)")
		out       = fs.String("out", "", "write the index to `FILE` (required)")
		region    = fs.String("region", normalize.DefaultRegion, "`region` of rows without a country")
		rejects   = fs.String("rejects", "", "write refused user rows as line,reason to `FILE`")
		keyFile   = fs.String("key-file", "", "key the index with the secret in `KEY` (32 bytes or more)")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkRegion(*region); err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("index build: missing --out\nTry: match index -h")
	}
	if *out == "-" || *out == "/dev/stdout" {
		return usageErrorf("index build: --out must be a file: the index is memory-mapped")
	}
	if *usersPath == "" {
		return usageErrorf("index build: missing --users\nTry: match index -h")
	}
	key, err := readKey(*keyFile)
	if err != nil {
		return err
	}
	users, err := openInput(*usersPath, "users", stderr)
	if err != nil {
		return err
	}
	defer users.Close()
	uid, err := users.column("user_id", true)
	if err != nil {
		return err
	}
	uphone, err := users.column("phone", true)
	if err != nil {
		return err
	}
	ucountry, _ := users.column("country", false)
	rj, err := newRejects(*rejects, stdout)
	if err != nil {
		return err
	}
	var outs outputs
	if rj != nil {
		outs = append(outs, rj.output)
	}

	// The build keeps about 60 bytes a row alive and makes garbage as it
	// reads: collect it sooner than the other commands do, so that the
	// peak stays near what is alive.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	start := time.Now()
	var rows, refused int64
	userRows := func(yield func(matcher.User) bool) {
		users.rows(func(line int64, fields [][]byte, err error) bool {
			rows++
			u := matcher.User{Line: line, Err: err}
			if err == nil {
				u.ID, u.Phone, u.Region = users.field(fields, uid), users.field(fields, uphone), users.region(fields, ucountry)
			}
			return yield(u)
		})
	}
	onReject := func(r matcher.Reject) {
		refused++
		rj.add(r.Line, r.Err)
	}
	// Reading stops at an I/O error; the build must not go on without
	// the rest of the file, so it is checked before the index is renamed
	// into place, by a reader that fails instead of ending.
	info, err := matcher.WriteIndex(ctx, *out, func(yield func(matcher.User) bool) {
		userRows(yield)
		if users.err != nil {
			yield(matcher.User{Err: users.err})
		}
	}, &matcher.Options{Region: *region, Key: key}, onReject)
	if err == nil && users.err != nil {
		os.Remove(*out)
		err = users.err
	}
	if err != nil {
		outs.abort()
		return err
	}
	if err := outs.commit(); err != nil {
		os.Remove(*out)
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(stderr, "match: %s: %d rows, %d indexed (%d users), %d rejected\n", users.name, rows, info.Rows, info.Users, refused)
	fmt.Fprintf(stderr, "match: %s: %d bytes, %.1f bytes a user, in %.1f s (%.0f rows/s)\n",
		*out, info.Size, float64(info.Size)/float64(max(info.Users, 1)), took.Seconds(), float64(rows)/took.Seconds())
	return nil
}

func runIndexInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("index info", indexUsage+"\nFlags of info:\n", stderr)
	var (
		verify = fs.Bool("verify", false, "check every page against its checksum")
		asJSON = fs.Bool("json", false, "print JSON")
	)
	pos, err := parseFlagsAndArgs(fs, args, 1, "the index file")
	if err != nil {
		return err
	}
	path := pos[0]
	info, err := matcher.InspectIndex(path, *verify)
	if err != nil {
		return indexError(path, err)
	}
	if *asJSON {
		b, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	w := stdout
	fmt.Fprintf(w, "index:       %s\n", path)
	fmt.Fprintf(w, "version:     %d\n", info.Version)
	fmt.Fprintf(w, "built:       %s\n", info.Built.Format(time.RFC3339))
	fmt.Fprintf(w, "region:      %s (of user rows without a country)\n", info.Region)
	fmt.Fprintf(w, "keyed:       %v\n", info.Keyed)
	fmt.Fprintf(w, "rows:        %d (user rows with a valid phone)\n", info.Rows)
	fmt.Fprintf(w, "users:       %d\n", info.Users)
	fmt.Fprintf(w, "keys:        %d e164 (and uid2), %d digits\n", info.KeysE164, info.KeysDigits)
	fmt.Fprintf(w, "buckets:     2^%d a family\n", info.BucketBits)
	fmt.Fprintf(w, "bloom:       %d bits, %d hashes, %.2f bits a key\n", info.BloomBits, info.BloomK, float64(info.BloomBits)/float64(max(2*info.Rows, 1)))
	fmt.Fprintf(w, "size:        %d bytes, %.1f a user\n", info.Size, float64(info.Size)/float64(max(info.Users, 1)))
	for _, s := range info.Sections {
		fmt.Fprintf(w, "  %-12s %12d bytes at %d\n", s.Name, s.Length, s.Offset)
	}
	if *verify {
		fmt.Fprintf(w, "verified:    every page matches its checksum\n")
	}
	return nil
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
