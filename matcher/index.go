package matcher

import (
	"context"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"iter"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/audiencematch/audiencematch/normalize"
	"github.com/bits-and-blooms/bloom/v3"
)

// Errors of OpenIndex. The error it returns wraps one of them and says
// what is wrong.
var (
	// ErrNotIndex is returned for a file that does not start with the
	// index magic: not an index file at all.
	ErrNotIndex = errors.New("not an index file")

	// ErrIndexVersion is returned for an index file of a version this
	// package cannot read.
	ErrIndexVersion = errors.New("unsupported index version")

	// ErrIndexCorrupt is returned for an index file that is truncated or
	// whose bytes do not match their checksums or each other. Index.Match
	// returns it too, when it reads a page that fails its checksum.
	ErrIndexCorrupt = errors.New("index file is corrupt")
)

// defaultIndexPrefilter is the prefilter of Index.Match for PrefilterAuto:
// see bench/RESULTS.md, "Index lookups with and without the bloom filter".
const defaultIndexPrefilter = PrefilterNone

// Index is a user base in an index file written by WriteIndex, mapped into
// memory. Opening reads only the header and the checksum table; every page
// is checked against its checksum the first time a match reads it.
//
// An Index is immutable and safe for concurrent Match calls. Close
// releases it; no Match may run during or after Close.
type Index struct {
	path     string
	f        *os.File
	data     []byte // the whole file
	unmap    func() error
	info     IndexInfo
	sec      [numSections]Section
	nsec     int             // sections of its version
	sums     []byte          // the page checksums
	verified []atomic.Uint64 // pages whose checksum has been checked, a bit each
	rows     int
	phones   int  // phone rows, 0 to phones-1
	entries  int  // email entries
	emails   bool // it holds email keys: version 2
	bits     int
	canonN   int
	keys     *indexKeys // of a keyed index

	// Reading ahead (indexbatch.go): the chunks of adviseChunk pages the
	// kernel has been asked for, a bit each, and how it is asked
	// (willNeed; tests watch it).
	requested []atomic.Uint64
	ahead     func(b []byte)

	bloomOnce sync.Once
	bloom     *bloom.BloomFilter
	bloomErr  error
}

// OpenIndex opens an index file written by WriteIndex. It fails with an
// error wrapping ErrNotIndex, ErrIndexVersion or ErrIndexCorrupt if the file
// is not a whole, consistent index of a version it can read.
func OpenIndex(path string) (*Index, error) {
	return OpenKeyedIndex(path, nil)
}

// OpenKeyedIndex opens an index file written by WriteIndex with
// Options.Key set to secret; with a nil secret it is OpenIndex. A keyed
// index opened without its secret or with another, and an index without a
// key opened with one, fail with an error wrapping ErrIndexKey.
func OpenKeyedIndex(path string, secret []byte) (*Index, error) {
	ix, err := openIndex(path)
	if err != nil {
		return nil, err
	}
	if err := ix.unlock(secret); err != nil {
		ix.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ix, nil
}

// openIndex maps and checks an index file, without unlocking it.
func openIndex(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	data, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ix := &Index{path: path, f: f, data: data, unmap: unmap, ahead: willNeed}
	if err := ix.parse(); err != nil {
		ix.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ix, nil
}

// InspectIndex returns what an index file holds, keyed or not, without
// its key: it checks the file as OpenIndex does and, if verify is set,
// every page against its checksum.
func InspectIndex(path string, verify bool) (IndexInfo, error) {
	ix, err := openIndex(path)
	if err != nil {
		return IndexInfo{}, err
	}
	defer ix.Close()
	if verify {
		if err := ix.Verify(); err != nil {
			return IndexInfo{}, err
		}
	}
	return ix.Info(), nil
}

// Close releases the index.
func (ix *Index) Close() error {
	var err error
	if ix.unmap != nil {
		err = ix.unmap()
		ix.unmap = nil
	}
	ix.data = nil
	if ix.f != nil {
		if cerr := ix.f.Close(); err == nil {
			err = cerr
		}
		ix.f = nil
	}
	return err
}

// Info describes the index.
func (ix *Index) Info() IndexInfo {
	info := ix.info
	info.Sections = append([]Section(nil), ix.sec[:ix.nsec]...)
	return info
}

func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrIndexCorrupt, fmt.Sprintf(format, a...))
}

// parse checks the header, the layout and the checksum table.
func (ix *Index) parse() error {
	d := ix.data
	if len(d) < len(indexMagic) || string(d[:len(indexMagic)]) != indexMagic {
		if len(d) < len(indexMagic) && string(d) == indexMagic[:len(d)] {
			return corrupt("truncated to %d bytes", len(d))
		}
		return ErrNotIndex
	}
	if len(d) < pageSize {
		return corrupt("truncated to %d bytes, shorter than its header", len(d))
	}
	le := binary.LittleEndian
	if got, want := crc32.Checksum(d[:headerCRCAt], castagnoli), le.Uint32(d[headerCRCAt:]); got != want {
		return corrupt("header checksum mismatch")
	}
	version := int(le.Uint32(d[8:]))
	if version != 1 && version != indexVersion {
		return fmt.Errorf("%w %d (this build reads versions 1 and %d)", ErrIndexVersion, version, indexVersion)
	}
	if fl := le.Uint32(d[12:]); fl&^flagKeyed != 0 {
		return corrupt("unknown flags %#x", fl)
	}
	if size := le.Uint64(d[16:]); size != uint64(len(d)) {
		if size > uint64(len(d)) {
			return corrupt("truncated: %d bytes, the header says %d", len(d), size)
		}
		return corrupt("%d bytes, the header says %d", len(d), size)
	}
	rows, users := le.Uint64(d[24:]), le.Uint64(d[32:])
	bits, k, m := le.Uint32(d[64:]), le.Uint32(d[68:]), le.Uint64(d[72:])
	phones, entries, keysEmail := rows, uint64(0), uint64(0)
	nsec := numSectionsV1
	if version >= 2 {
		phones, entries, keysEmail = le.Uint64(d[phoneRowsAt:]), le.Uint64(d[entriesAt:]), le.Uint64(d[keysEmailAt:])
		nsec = numSections
	}
	wantBits := bucketBitsFor(int(min(rows, maxIndexRows)))
	if version >= 2 {
		wantBits = bucketBitsFor(int(min(max(phones, entries), maxIndexRows)))
	}
	switch {
	case rows > maxIndexRows || users > rows || phones > rows || entries > maxIndexRows || keysEmail > entries:
		return corrupt("%d rows, %d users, %d phone rows, %d email entries", rows, users, phones, entries)
	case bits != uint32(wantBits):
		return corrupt("%d bucket bits for %d rows", bits, rows)
	case le.Uint32(d[84:]) != pageSize || le.Uint32(d[108:]) != uint32(nsec):
		return corrupt("page size %d, %d sections", le.Uint32(d[84:]), le.Uint32(d[108:]))
	}
	idBytes := le.Uint64(d[sectionTable+16*secIDData+8:])
	if idBytes > uint64(len(d)) {
		return corrupt("id data of %d bytes", idBytes)
	}
	l := newLayout(version, int(rows), int(phones), int(entries), int(idBytes), int(rows-users))
	if uint64(l.bloomM) != m || uint64(l.bloomK) != uint64(k) {
		return corrupt("bloom filter of %d bits and %d hashes for %d rows", m, k, rows)
	}
	for i, s := range l.sec[:nsec] {
		off, n := le.Uint64(d[sectionAt(i):]), le.Uint64(d[sectionAt(i)+8:])
		if off != uint64(s.Offset) || n != uint64(s.Length) {
			return corrupt("section %s at %d, %d bytes; want %d, %d", s.Name, off, n, s.Offset, s.Length)
		}
	}
	if le.Uint64(d[88:]) != uint64(l.checks) || le.Uint64(d[96:]) != uint64(l.pages) || l.size != int64(len(d)) {
		return corrupt("checksum table at %d for %d pages", le.Uint64(d[88:]), le.Uint64(d[96:]))
	}
	ix.sums = d[l.checks:]
	if crc32.Checksum(ix.sums, castagnoli) != le.Uint32(d[104:]) {
		return corrupt("checksum table mismatch")
	}
	region := string(d[80:82])
	if !normalize.ValidRegion(region) {
		return corrupt("region %q", region)
	}
	ix.sec, ix.nsec = l.sec, nsec
	ix.rows, ix.bits, ix.canonN = int(rows), int(bits), int(rows-users)
	ix.phones, ix.entries, ix.emails = int(phones), int(entries), version >= 2
	ix.verified = make([]atomic.Uint64, (l.pages+63)/64)
	ix.requested = make([]atomic.Uint64, (int64(l.pages)/adviseChunk+64)/64)
	ix.info = IndexInfo{
		Version: version, Rows: int64(rows), PhoneRows: int64(phones), EmailEntries: int64(entries), Users: int64(users),
		KeysE164: int64(le.Uint64(d[40:])), KeysDigits: int64(le.Uint64(d[48:])), KeysEmail: int64(keysEmail),
		Built:  time.Unix(0, int64(le.Uint64(d[56:]))).UTC(),
		Region: region, Keyed: le.Uint32(d[12:])&flagKeyed != 0, BucketBits: int(bits), BloomBits: int64(m), BloomK: int(k),
		Size: int64(len(d)),
	}
	return nil
}

// unlock checks secret against the index's key check value and keeps the
// keys it derives.
func (ix *Index) unlock(secret []byte) error {
	switch {
	case !ix.info.Keyed && secret == nil:
		return nil
	case !ix.info.Keyed:
		return fmt.Errorf("%w: the index is not keyed; match it without a key", ErrIndexKey)
	case secret == nil:
		return fmt.Errorf("%w: the index is keyed; its key is needed", ErrIndexKey)
	}
	keys, err := deriveKeys(secret)
	if err != nil {
		return err
	}
	if !hmac.Equal(keys.check[:], ix.data[keyCheckAt:keyCheckAt+16]) {
		return fmt.Errorf("%w: not the key the index was built with", ErrIndexKey)
	}
	ix.keys = keys
	return nil
}

// read returns n bytes at off in section s, after checking the checksums
// of the pages they lie on.
func (ix *Index) read(s int, off, n int64) ([]byte, error) {
	sec := ix.sec[s]
	if off < 0 || n < 0 || off+n > sec.Length {
		return nil, corrupt("read of %d bytes at %d past the end of section %s", n, off, sec.Name)
	}
	start := sec.Offset + off
	if n > 0 {
		for p := (start - pageSize) / pageSize; p <= (start+n-1-pageSize)/pageSize; p++ {
			if err := ix.checkPage(p); err != nil {
				return nil, err
			}
		}
	}
	return ix.data[start : start+n], nil
}

func (ix *Index) checkPage(p int64) error {
	w, bit := &ix.verified[p/64], uint64(1)<<(p%64)
	if w.Load()&bit != 0 {
		return nil
	}
	page := ix.data[pageSize+p*pageSize : pageSize+(p+1)*pageSize]
	if crc32.Checksum(page, castagnoli) != binary.LittleEndian.Uint32(ix.sums[4*p:]) {
		return corrupt("page %d (offset %d) fails its checksum", p, pageSize+p*pageSize)
	}
	w.Or(bit)
	return nil
}

func (ix *Index) uint32At(s int, i int64) (uint32, error) {
	b, err := ix.read(s, 4*i, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// Verify checks every page of the index against its checksum.
func (ix *Index) Verify() error {
	for p := range int64(len(ix.sums) / 4) {
		if err := ix.checkPage(p); err != nil {
			return fmt.Errorf("%s: %w", ix.path, err)
		}
	}
	return nil
}

// bloomFilter returns the index's bloom filter, checked once.
func (ix *Index) bloomFilter() (*bloom.BloomFilter, error) {
	ix.bloomOnce.Do(func() {
		s := ix.sec[secBloom]
		b, err := ix.read(secBloom, 0, s.Length)
		if err != nil {
			ix.bloomErr = err
			return
		}
		words := make([]uint64, 0)
		if littleEndian && len(b) > 0 {
			words = unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), len(b)/8) // 4096-aligned
		} else {
			for i := 0; i+8 <= len(b); i += 8 {
				words = append(words, binary.LittleEndian.Uint64(b[i:]))
			}
		}
		ix.bloom = bloom.FromWithM(words, uint(ix.info.BloomBits), uint(ix.info.BloomK))
	})
	return ix.bloom, ix.bloomErr
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Match matches a list against the index, as Base.Match does against a
// base built from the same users with the same options: the same users, in
// the same order, with the same Stats. opts gives the list's Format, the
// Region of its rows without one, the Workers and the Prefilter; the
// index serves every format.
//
// Match returns an error wrapping ErrIndexCorrupt if a page it reads fails
// its checksum. Like Base.Match, it stops at the first error from yield or
// ctx, yields nothing once ctx is done, returns a panic of a callback as a
// *PanicError, and refuses a nil list or yield (ErrNilArgument).
func (ix *Index) Match(ctx context.Context, list iter.Seq[Entry], opts *Options, consent Consent, yield func(Match) error, onReject func(Reject)) (Stats, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	switch {
	case ix == nil:
		return Stats{}, errNil("Index.Match", "the *Index")
	case list == nil:
		return Stats{}, errNil("Index.Match", "list")
	case yield == nil:
		return Stats{}, errNil("Index.Match", "yield")
	}
	if opts == nil || opts.Prefilter == PrefilterAuto {
		o.Prefilter = defaultIndexPrefilter
	}
	st, err := match(ctx, newIndexKeyset(ix, o.EmailFormat), &o, list, consent, yield, onReject)
	if err != nil && errors.Is(err, ErrIndexCorrupt) {
		err = fmt.Errorf("%s: %w", ix.path, err)
	}
	return st, err
}

// indexKeyset is the keyset of an index: its three tables, whose keys it
// numbers one after the other, E from 0, D from p, M from 2p.
type indexKeyset struct {
	ix    *Index
	views [3]indexView
}

// newIndexKeyset returns the keyset of ix for a match whose email digests
// are in the format email.
func newIndexKeyset(ix *Index, email normalize.Format) *indexKeyset {
	p := ix.phones
	return &indexKeyset{ix: ix, views: [3]indexView{
		{ix: ix, dir: secEDir, keys: secEKeys, n: p, first: 0},
		{ix: ix, dir: secDDir, keys: secDKeys, rowsSec: secDRows, n: p, first: p},
		{ix: ix, dir: secMDir, keys: secMKeys, rowsSec: secMRows, n: ix.entries, first: 2 * p, email: true, flag: familyFlag(email)},
	}}
}

func (ks *indexKeyset) sizes() (keys, users int) { return 2*ks.ix.phones + ks.ix.entries, ks.ix.rows }

// view returns the table of family f.
func (ks *indexKeyset) view(f normalize.Format) *indexView {
	switch {
	case f.Kind() == normalize.KindEmail:
		return &ks.views[2]
	case f.Family() == normalize.Digits:
		return &ks.views[1]
	}
	return &ks.views[0]
}

// lookup replaces *d by the keyed digest in a keyed index: holders then
// receives that.
func (ks *indexKeyset) lookup(d *[32]byte, f normalize.Format, prefilter bool) (int, error) {
	ix := ks.ix
	if f.Kind() == normalize.KindEmail && !ix.emails {
		return -1, fmt.Errorf("%s: %w", ix.path, ErrNoEmailKeys)
	}
	if ix.keys != nil {
		*d = keyedDigest(ix.keys.family(f), d)
	}
	if prefilter {
		f, err := ix.bloomFilter()
		if err != nil {
			return -1, err
		}
		var locs [16]uint64
		if !f.TestLocations(bloomLocations(d[:digestPrefix], uint(ix.info.BloomK), &locs)) {
			return -1, nil
		}
	}
	v := ks.view(f)
	k, err := v.lookup(d)
	if err != nil || k < 0 {
		return -1, err
	}
	return v.first + k, nil
}

// familyFlag returns the flag of an email entry that serves family f.
func familyFlag(f normalize.Format) byte {
	if f == normalize.EmailUID2 {
		return flagEmailUID2
	}
	return flagEmailHex
}

func (ks *indexKeyset) holders(ctx context.Context, k int, d *[32]byte, dst []holder) ([]holder, error) {
	for i := len(ks.views) - 1; i >= 0; i-- {
		if v := &ks.views[i]; k >= v.first {
			return v.holders(ctx, k-v.first, d, dst)
		}
	}
	return dst, corrupt("key %d", k)
}

// indexView is one table of an index: E, D or M. A key is the position
// in the table of the first entry holding a digest.
type indexView struct {
	ix        *Index
	dir, keys int
	rowsSec   int  // the section of each entry's row; 0 for E, whose position is the row
	n         int  // entries in the table
	first     int  // the keyset's number of its first key
	email     bool // the M table: entries carry flags
	flag      byte // of the M table: the flag of the match's email family
}

// lookup returns the position of the first entry holding d, or -1.
func (v *indexView) lookup(d *[32]byte) (int, error) {
	ix := v.ix
	b := int64(bucketOf(d[:], ix.bits))
	lo, hi, err := v.bucket(b)
	if err != nil {
		return -1, err
	}
	want := d[4:digestPrefix]
	if hi-lo > lookupScan {
		// A bucket holds 8 entries on average, read at once; but a phone
		// of many holders fills its bucket with as many, and reading them
		// all would cost that much to every row naming the phone or a
		// neighbour. They are sorted by their stored bytes: search.
		if lo, hi, err = v.search(lo, hi, want); err != nil {
			return -1, err
		}
	}
	keys, err := ix.read(v.keys, lo*keyBytes, (hi-lo)*keyBytes)
	if err != nil {
		return -1, err
	}
	for i := int64(0); i < hi-lo; i++ {
		if sameKey(keys[i*keyBytes:], want) {
			return int(lo + i), nil
		}
	}
	return -1, nil
}

// lookupScan is the most entries of a bucket that lookup reads at once;
// it searches a larger bucket down to that many.
const lookupScan = 32

// search narrows the entries [lo, hi) of a bucket to at most lookupScan+1
// that hold the first entry not below want, if any does.
func (v *indexView) search(lo, hi int64, want []byte) (int64, int64, error) {
	end := hi
	// Entries before lo are below want; those from hi on are not.
	for hi-lo > lookupScan {
		mid := lo + (hi-lo)/2
		k, err := v.ix.read(v.keys, mid*keyBytes, keyBytes)
		if err != nil {
			return 0, 0, err
		}
		if compareKeys(k, want) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, min(hi+1, end), nil // the first entry not below want may be hi
}

// bucket returns the range of table entries of bucket b.
func (v *indexView) bucket(b int64) (lo, hi int64, err error) {
	raw, err := v.ix.read(v.dir, 4*b, 8)
	if err != nil {
		return 0, 0, err
	}
	lo, hi = int64(binary.LittleEndian.Uint32(raw)), int64(binary.LittleEndian.Uint32(raw[4:]))
	if lo > hi || hi > int64(v.n) {
		return 0, 0, corrupt("bucket %d of section %s: entries %d to %d", b, v.ix.sec[v.dir].Name, lo, hi)
	}
	return lo, hi, nil
}

func (v *indexView) holders(ctx context.Context, k int, d *[32]byte, dst []holder) ([]holder, error) {
	ix := v.ix
	_, hi, err := v.bucket(int64(bucketOf(d[:], ix.bits)))
	if err != nil {
		return dst, err
	}
	if int64(k) >= hi {
		return dst, corrupt("entry %d past its bucket", k)
	}
	keys, err := ix.read(v.keys, int64(k)*keyBytes, (hi-int64(k))*keyBytes)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	var seen map[int]bool // the users in dst[start:], once they are many
	for i := int64(0); i < hi-int64(k) && sameKey(keys[i*keyBytes:], keys); i++ {
		if i%checkEvery == checkEvery-1 && ctx.Err() != nil {
			return dst, ctx.Err()
		}
		row := int64(k) + i
		if v.email {
			fl, err := ix.read(secMFlags, row, 1)
			if err != nil {
				return dst, err
			}
			if fl[0]&v.flag == 0 {
				continue // the address's other form
			}
		}
		if v.rowsSec != 0 {
			r, err := ix.uint32At(v.rowsSec, row)
			if err != nil {
				return dst, err
			}
			row = int64(r)
			if row >= int64(ix.rows) || !v.email && row >= int64(ix.phones) {
				return dst, corrupt("%s entry %d points at row %d", ix.sec[v.keys].Name, int64(k)+i, row)
			}
		}
		user, err := ix.user(row)
		if err != nil {
			return dst, err
		}
		// A key's rows are in input order, so a user's first row comes
		// before its others: only a later row (user != row) can be a
		// user already here (one user, one phone, two rows).
		if user != row {
			if seen == nil && len(dst)-start > 32 {
				seen = make(map[int]bool, len(dst)-start)
				for _, h := range dst[start:] {
					seen[h.user] = true
				}
			}
			if seen != nil && seen[int(user)] || seen == nil && containsUser(dst[start:], user) {
				continue
			}
		}
		id, err := ix.id(row)
		if err != nil {
			return dst, err
		}
		dst = append(dst, holder{user: int(user), id: id})
		if seen != nil {
			seen[int(user)] = true
		}
	}
	return dst, nil
}

// sameKey reports whether the stored keys at the start of a and b are
// equal.
func sameKey(a, b []byte) bool {
	return binary.LittleEndian.Uint64(a) == binary.LittleEndian.Uint64(b) && a[8] == b[8]
}

func containsUser(hs []holder, user int64) bool {
	for _, h := range hs {
		if int64(h.user) == user {
			return true
		}
	}
	return false
}

// user returns the number of the user of a row: the user's first row.
func (ix *Index) user(row int64) (int64, error) {
	var err error
	i := sort.Search(ix.canonN, func(i int) bool {
		r, e := ix.uint32At(secCanon, 2*int64(i))
		if e != nil && err == nil {
			err = e
		}
		return int64(r) >= row
	})
	if err != nil || i == ix.canonN {
		return row, err
	}
	r, err := ix.uint32At(secCanon, 2*int64(i))
	if err != nil || int64(r) != row {
		return row, err
	}
	first, err := ix.uint32At(secCanon, 2*int64(i)+1)
	if err != nil {
		return row, err
	}
	if int64(first) >= int64(ix.rows) {
		return row, corrupt("row %d's user starts at row %d", row, first)
	}
	return int64(first), nil
}

// id returns the user id of a row, copied out of the file.
func (ix *Index) id(row int64) (string, error) {
	// The ids of row's stride lie between its offset and the next's.
	raw, err := ix.read(secIDIndex, row/idStride*8, 8)
	if err != nil {
		return "", err
	}
	data := ix.sec[secIDData]
	start, end := int64(binary.LittleEndian.Uint64(raw)), data.Length
	if next := (row/idStride + 1) * 8; next < ix.sec[secIDIndex].Length {
		if raw, err = ix.read(secIDIndex, next, 8); err != nil {
			return "", err
		}
		end = int64(binary.LittleEndian.Uint64(raw))
	}
	if start < 0 || start > end || end > data.Length {
		return "", corrupt("ids of rows %d on at %d to %d", row/idStride*idStride, start, end)
	}
	ids, err := ix.read(secIDData, start, end-start)
	if err != nil {
		return "", err
	}
	for skip := row % idStride; ; skip-- {
		n, k := binary.Uvarint(ids)
		if k <= 0 || n > uint64(len(ids)-k) {
			return "", corrupt("id of row %d: bad length", row)
		}
		if skip == 0 {
			return string(ids[k : k+int(n)]), nil
		}
		ids = ids[k+int(n):]
	}
}
