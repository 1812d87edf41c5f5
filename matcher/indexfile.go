package matcher

// The index file, version 2
//
// An index file holds a user base keyed in both phone digest families
// (E164Hex, which UID2 shares, and Digits) and in both email families
// (EmailHex and EmailUID2), ready to be memory-mapped and probed without
// parsing. All integers are little-endian. The file is a header page,
// page-aligned sections, and a table of page checksums:
//
//	offset  size      field
//	0       4096      header (below)
//	4096    …         sections, in the order of the section table, each
//	                  starting on a 4096-byte page, zero-padded to the next
//	checks  4×pages   CRC-32C (Castagnoli) of each 4096-byte page from
//	                  offset 4096 to checks; the file ends here
//
// The header:
//
//	0     8   magic "AMINDEX\x1a"
//	8     4   version, 2 (1: see below)
//	12    4   flags: bit 0 set for a keyed index (see indexkey.go); no
//	          other bit is defined
//	16    8   file size in bytes
//	24    8   rows: user rows with a valid phone or email address
//	32    8   users: distinct user ids among the rows
//	40    8   keys in the E164Hex family: distinct digests
//	48    8   keys in the Digits family
//	56    8   build time, Unix nanoseconds
//	64    4   bucket bits b
//	68    4   bloom filter hash count k
//	72    8   bloom filter bits m, a multiple of 64
//	80    2   default region of the build, two ASCII letters
//	82    2   zero
//	84    4   page size, 4096
//	88    8   checks: offset of the checksum table
//	96    8   pages: number of checksums, (checks−4096)/4096
//	104   4   CRC-32C of the checksum table
//	108   4   number of sections, 13
//	112   144 section table, sections 0–8: 9 × (offset uint64, length
//	          uint64), in the order below; lengths exclude padding
//	256   16  key check value of a keyed index, else zero
//	272   8   p: phone rows, the rows with a valid phone (rows 0 to p−1)
//	280   8   e: email entries
//	288   8   keys in the email families: distinct digests
//	296   64  section table, sections 9–12
//	360   …   zero
//	4092  4   CRC-32C of header bytes 0 to 4092
//
// Sections (n = rows, p = phone rows, e = email entries, B = 2^b):
//
//	0  E dir    (B+1) × uint32  bucket i's entries are E keys [dir[i], dir[i+1])
//	1  E keys   p × 9 bytes     bytes 4–12 of each phone row's E164Hex digest
//	2  D dir    (B+1) × uint32  as E dir, for the Digits family
//	3  D keys   p × 9 bytes     bytes 4–12 of each phone row's Digits digest
//	4  D rows   p × uint32      the row (E position) of each D key
//	5  id index ⌈n/32⌉ × uint64 offset in id data of rows 0, 32, 64, …
//	6  id data  per row, uvarint length and the user id's bytes
//	7  canon    c × 2 × uint32  (row, first row of the same user), sorted,
//	            for each row of a user that has an earlier row; users = n−c
//	8  bloom    m/64 × uint64   bloom/v3 bit set of every digest of 1, 3, 10
//	9  M dir    (B+1) × uint32  as E dir, for the email entries
//	10 M keys   e × 9 bytes     bytes 4–12 of each entry's email digest
//	11 M rows   e × uint32      the row of each entry
//	12 M flags  e × 1 byte      the families the entry serves: bit 0
//	                            EmailHex, bit 1 EmailUID2
//
// Rows. A user row of the input with a valid phone is a phone row,
// numbered by the position of its E164Hex digest in E keys; a user row
// with only a valid email address is numbered after them, p to n−1, in
// input order. Every row has its id in id data, in row order.
//
// Emails. A row's address gives one entry when its EmailHex and
// EmailUID2 forms are the same string (every address outside gmail.com,
// and gmail.com addresses without dots or a tag), serving both email
// families (flags 3); else two entries, one for each form (flags 1 and
// 2). A lookup in an email family reads the entries of the digest's key
// and keeps those whose flags serve the family. Phone and email digests
// hash strings without and with an "@", so they never share a key.
//
// A digest's bucket is the top b bits of its first four bytes read
// big-endian; within a bucket, entries are sorted by their 9 stored bytes,
// then by the row's order in the input, so the rows holding one phone or
// address are adjacent and in input order. b is the least with 2^b ≥
// max(p, e)/8: a bucket holds 8 entries on average.
//
// Version 1, the format before emails, is version 2 with 9 sections (no
// header fields from 272 on, every row a phone row, b from n): it still
// opens and matches phone lists as it always did, and a list with an
// email address is refused (ErrNoEmailKeys) with a message to build the
// index again.
//
// Size, 10-character ids: about 38 bytes a user with one phone, 53 with
// one phone and one address of one form, 70 when the address is a
// gmail.com one with dots or a tag (two entries), measured in
// TestIndex_Size.
//
// Collisions. A probe compares the b bucket bits and the 72 stored bits of
// a digest, so a digest not in the base falsely matches with probability
// at most (entries in its bucket)/2^72, 8/2^72 ≈ 1.7e-21 on average,
// whatever n. A list of 10M rows probing a base of any size, 1B users
// included, meets a false match with probability under 2e-14.
//
// The bloom filter's bit locations come from the digest: h1 is bytes 0–7,
// h2 bytes 8–12 (40 bits, made odd), and location i is (h1 + i·h2) mod m.
//
// A reader maps the file, checks the header, the section table against
// rows, b and m, and the checksum table against its CRC, and checks each
// page's checksum the first time it reads from it: a flipped byte anywhere
// fails the open or the read that meets it, never a match.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/maphash"
	"iter"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/audiencematch/audiencematch/internal/hugemem"
	"github.com/audiencematch/audiencematch/internal/tempfile"
	"github.com/audiencematch/audiencematch/normalize"
	"github.com/bits-and-blooms/bloom/v3"
)

const (
	indexMagic    = "AMINDEX\x1a"
	indexVersion  = 2
	pageSize      = 4096
	numSections   = 13
	numSectionsV1 = 9 // version 1 has sections 0 to 8
	phoneRowsAt   = 272
	entriesAt     = 280
	keysEmailAt   = 288
	sectionTable2 = 296 // sections 9 to 12
	keyBytes      = 9   // stored bytes of a digest
	idStride      = 32
	maxIndexRows  = 1<<32 - 2
	perBucket     = 8
	headerCRCAt   = pageSize - 4
	sectionTable  = 112
	keyCheckAt    = 256
	flagKeyed     = 1
	digestPrefix  = 13 // digest bytes an index needs: 4 for the bucket, 9 stored
	indexBloomFPR = bloomFPR
)

const (
	secEDir = iota
	secEKeys
	secDDir
	secDKeys
	secDRows
	secIDIndex
	secIDData
	secCanon
	secBloom
	secMDir
	secMKeys
	secMRows
	secMFlags
)

// The flags of an email entry: the email families it serves.
const (
	flagEmailHex  = 1
	flagEmailUID2 = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// IndexInfo describes an index file.
type IndexInfo struct {
	Version      int       `json:"version"`
	Rows         int64     `json:"rows"`          // user rows with a valid phone or email address
	PhoneRows    int64     `json:"phone_rows"`    // of which with a valid phone
	EmailEntries int64     `json:"email_entries"` // email digests kept, one or two an address
	Users        int64     `json:"users"`         // distinct user ids
	KeysE164     int64     `json:"keys_e164"`     // distinct digests, E164Hex and UID2 family
	KeysDigits   int64     `json:"keys_digits"`   // distinct digests, Digits family
	KeysEmail    int64     `json:"keys_email"`    // distinct digests, both email families
	Built        time.Time `json:"built"`
	Region       string    `json:"region"` // the default region of the build
	Keyed        bool      `json:"keyed"`  // digests are keyed: matching needs the key
	BucketBits   int       `json:"bucket_bits"`
	BloomBits    int64     `json:"bloom_bits"`
	BloomK       int       `json:"bloom_hashes"`
	Size         int64     `json:"size"` // bytes
	Sections     []Section `json:"sections"`
}

// Section is one section of an index file.
type Section struct {
	Name   string `json:"name"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

var sectionNames = [numSections]string{"e164 dir", "e164 keys", "digits dir", "digits keys", "digits rows", "id index", "id data", "canon", "bloom",
	"email dir", "email keys", "email rows", "email flags"}

// WriteIndex reads the user base and writes it to path as an index file,
// keyed in both phone digest families and both email families, so that
// lists hashed any way, or raw, can be matched against it with OpenIndex. Normalizing, hashing and
// sorting run on opts.Workers goroutines (and the bloom filter on one of
// its own while the phone tables are sorted); opts.Region is the region
// of phones without one, and opts.Format and opts.Prefilter are not used. A refused user row
// is passed to onReject (if not nil) and left out. A nil users is an error
// (ErrNilArgument); a panic of users or onReject is returned as a
// *PanicError; a cancelled ctx stops the reading, the sorting and the
// writing alike.
//
// The file is written beside path under a temporary name (".NAME.match-tmp-"
// and 16 hex digits; a killed build's one is removed by a later build an
// hour on, see internal/tempfile), synced, and renamed into place only
// when whole: a build that fails or is killed leaves no file at path. A
// new file has mode 0666 less the umask; a file replaced keeps its mode.
// Errors name path, never the temporary file.
//
// Memory: about 65 bytes a row while building (10-character ids).
func WriteIndex(ctx context.Context, path string, users iter.Seq[User], opts *Options, onReject func(Reject)) (*IndexInfo, error) {
	c, o, err := collectIndex(ctx, users, opts, onReject)
	if err != nil {
		return nil, err
	}
	// The reading is over: give its garbage and the id set back before
	// sorting allocates, so the peak is what the collection needs.
	debug.FreeOSMemory()
	tmp, err := tempfile.Create(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
			return nil, fileError(path, err)
		}
	}
	info, err := c.write(ctx, tmp, o.Region)
	if err == nil {
		err = ctx.Err() // canceled at the very end: nothing is replaced
	}
	if err != nil {
		return nil, fileError(path, err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fileError(path, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fileError(path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fileError(path, err)
	}
	tmp = nil
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // make the rename durable; not every file system can
		d.Close()
	}
	return info, nil
}

// WriteIndexFile is WriteIndex into f, an empty regular file open for
// reading and writing, which the caller then syncs, closes and moves into
// place itself: for a caller that commits the index together with other
// files, all or none. A canceled ctx, also once the index is written, is
// an error, and f's contents are then not an index.
func WriteIndexFile(ctx context.Context, f *os.File, users iter.Seq[User], opts *Options, onReject func(Reject)) (*IndexInfo, error) {
	c, o, err := collectIndex(ctx, users, opts, onReject)
	if err != nil {
		return nil, err
	}
	debug.FreeOSMemory() // as WriteIndex does
	info, err := c.write(ctx, f, o.Region)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	return info, nil
}

// collectIndex checks WriteIndex's arguments and reads the user base.
func collectIndex(ctx context.Context, users iter.Seq[User], opts *Options, onReject func(Reject)) (*collection, Options, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, o, err
	}
	if users == nil {
		return nil, o, errNil("WriteIndex", "users")
	}
	var keys *indexKeys
	if o.Key != nil {
		if keys, err = deriveKeys(o.Key); err != nil {
			return nil, o, fmt.Errorf("matcher: %w", err)
		}
	}
	c, err := collect(ctx, users, &o, keys, onReject)
	return c, o, err
}

// fileError is err, met writing the index file at path, as an error that
// names path and not the temporary file.
func fileError(path string, err error) error {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// blockRows is the number of rows in a block of the collection's stores:
// stores grow by blocks, never by copying.
const blockRows = 1 << 16

// collection is a user base read for an index: per row, in input order,
// the first bytes of both phone digests (zero for a row without a phone)
// and the user id; and the email entries, in input order.
type collection struct {
	n       int
	e, d    [][]byte   // digestPrefix bytes a row, blockRows rows a block
	phone   []bool     // per row: it has a valid phone
	idData  [][]byte   // per block: uvarint length and bytes of each id
	idOff   [][]uint32 // per block, per row: offset of its id in idData
	dups    [][2]uint32
	users   int
	keys    *indexKeys // of a keyed index, or nil
	workers int        // goroutines that sort

	nm    int      // email entries
	m     [][]byte // digestPrefix bytes an entry, blockRows entries a block
	mRow  []uint32 // per entry: its row, in input order
	mFlag []byte   // per entry: flagEmailHex, flagEmailUID2 or both
}

func (c *collection) eDigest(r uint32) []byte {
	b, i := r/blockRows, int(r%blockRows)*digestPrefix
	return c.e[b][i : i+digestPrefix]
}

func (c *collection) dDigest(r uint32) []byte {
	b, i := r/blockRows, int(r%blockRows)*digestPrefix
	return c.d[b][i : i+digestPrefix]
}

func (c *collection) mDigest(x uint32) []byte {
	b, i := x/blockRows, int(x%blockRows)*digestPrefix
	return c.m[b][i : i+digestPrefix]
}

func (c *collection) id(r uint32) []byte {
	data := c.idData[r/blockRows][c.idOff[r/blockRows][r%blockRows]:]
	n, k := binary.Uvarint(data)
	return data[k : k+int(n)]
}

// indexRow is a user row as collect reads it: its phone's digests in both
// families, and its address's entries.
type indexRow struct {
	u      User
	e, d   [32]byte
	phone  bool
	m      [2][32]byte
	mflags [2]byte
	nm     int
	idHash uint64
	err    error
}

// digest fills r with the digests of its user's phone and address, keyed
// if keys is not nil, or sets r.err if neither is valid (as BuildBase
// reads a user row: see keys.go).
func (g *digester) indexRow(r *indexRow, keys *indexKeys) {
	u := &r.u
	switch {
	case u.Err != nil:
		r.err = u.Err
		return
	case u.ID == "":
		r.err = ErrEmptyUserID
		return
	}
	var errs KeysError
	if !blank(u.Phone) || blank(u.Email) {
		if e164, err := g.e164(u.Phone, u.Region); err != nil {
			errs = append(errs, KeyError{Column: "phone", Err: err})
		} else {
			r.phone = true
			r.e = g.h.Sum(e164, normalize.E164Hex)
			r.d = g.h.Sum(e164, normalize.Digits)
			if keys != nil {
				r.e, r.d = keyedDigest(&keys.e164, &r.e), keyedDigest(&keys.digits, &r.d)
			}
		}
	}
	if !blank(u.Email) {
		hexForm, err := normalize.AppendEmail(g.buf[:0], u.Email, normalize.EmailHex)
		if err != nil {
			errs = append(errs, KeyError{Column: "email", Err: err})
		} else {
			g.buf = hexForm
			n := len(hexForm)
			r.m[0], r.mflags[0], r.nm = g.h.Sum(hexForm, normalize.EmailHex), flagEmailHex|flagEmailUID2, 1
			uid2, err := normalize.AppendEmail(g.buf, u.Email, normalize.EmailUID2)
			switch {
			case err != nil:
				r.mflags[0] = flagEmailHex // "+tag@gmail.com": not an address for UID2
			case string(uid2[n:]) != string(hexForm[:n]):
				r.mflags[0] = flagEmailHex
				r.m[1], r.mflags[1], r.nm = g.h.Sum(uid2[n:], normalize.EmailUID2), flagEmailUID2, 2
			}
			g.buf = uid2[:0]
			if keys != nil {
				for i := range r.nm {
					r.m[i] = keyedDigest(&keys.email, &r.m[i])
				}
			}
		}
	}
	if !r.phone && r.nm == 0 {
		r.err = rowErr(errs)
	}
}

// collect reads the users, hashing each phone both ways and each address
// both ways in parallel, and finds the rows of users that have several.
func collect(ctx context.Context, users iter.Seq[User], o *Options, keys *indexKeys, onReject func(Reject)) (*collection, error) {
	c := &collection{keys: keys, workers: o.Workers}
	seen := newIDSet()
	src := rowsOf(users, func(u User) indexRow { return indexRow{u: u} })
	work := func(rows []indexRow) {
		g := o.digester()
		for i := range rows {
			r := &rows[i]
			if g.indexRow(r, keys); r.err == nil {
				r.idHash = seen.hash(r.u.ID)
			}
		}
	}
	var tooMany bool
	var eSlab, dSlab, idSlab, mSlab slab[byte]
	var offSlab slab[uint32]
	sink := func(rows []indexRow) error {
		seen.touch(rows)
		for i := range rows {
			r := &rows[i]
			if r.err != nil {
				if onReject != nil {
					onReject(Reject{Line: r.u.Line, Err: r.err})
				}
				continue
			}
			if c.n == maxIndexRows || c.nm+r.nm > maxIndexRows {
				tooMany = true
				return errTooManyRows
			}
			if c.n%blockRows == 0 {
				c.e = append(c.e, eSlab.block(blockRows*digestPrefix))
				c.d = append(c.d, dSlab.block(blockRows*digestPrefix))
				c.idData = append(c.idData, idSlab.block(blockRows*12))
				c.idOff = append(c.idOff, offSlab.block(blockRows))
			}
			b := len(c.e) - 1
			c.e[b] = append(c.e[b], r.e[:digestPrefix]...)
			c.d[b] = append(c.d[b], r.d[:digestPrefix]...)
			c.phone = append(c.phone, r.phone)
			c.idOff[b] = append(c.idOff[b], uint32(len(c.idData[b])))
			c.idData[b] = binary.AppendUvarint(c.idData[b], uint64(len(r.u.ID)))
			c.idData[b] = append(c.idData[b], r.u.ID...)
			row := uint32(c.n)
			c.n++
			for k := range r.nm {
				if c.nm%blockRows == 0 {
					c.m = append(c.m, mSlab.block(blockRows*digestPrefix))
				}
				c.m[len(c.m)-1] = append(c.m[len(c.m)-1], r.m[k][:digestPrefix]...)
				c.mRow = append(c.mRow, row)
				c.mFlag = append(c.mFlag, r.mflags[k])
				c.nm++
			}
			if first, dup := seen.add(c, row, r.idHash); dup {
				c.dups = append(c.dups, [2]uint32{row, first})
			}
		}
		return nil
	}
	if err := ordered(ctx, o.Workers, src, work, sink); err != nil {
		if tooMany {
			return nil, fmt.Errorf("matcher: more than %d user rows: %w", maxIndexRows, err)
		}
		return nil, err
	}
	c.users = c.n - len(c.dups)
	return c, nil
}

var errTooManyRows = errors.New("too many rows for one index")

// slab hands out the blocks of a store of the collection from larger
// arrays, each twice the last up to maxSlab blocks, which can be backed
// by huge pages (see adviseHuge): the stores are most of a build's
// memory, and each of their pages faulted in one by one costs.
type slab[T any] struct {
	free []T
	per  int // blocks in the last array
}

const maxSlab = 32

// block returns an empty block with room for n items.
func (s *slab[T]) block(n int) []T {
	if len(s.free) < n {
		s.per = min(max(1, 2*s.per), maxSlab)
		s.free = make([]T, s.per*n)
		hugemem.Advise(s.free)
	}
	b := s.free[:0:n]
	s.free = s.free[n:]
	return b
}

// idSet finds repeated user ids: an open-addressing table of rows, keyed
// by the hash of their ids, which stay in the collection. A slot holds the
// row and the high half of its id's hash, which places it: growing reads
// no id, and a probe reads one only when the hashes agree.
type idSet struct {
	seed  maphash.Seed
	slots []uint64 // hash>>32<<32 | row+1, or 0
	shift uint     // 64 - log2(len(slots)): a hash's top bits are its slot
	n     int

	touched uint64 // what touch read, kept so that it is read
}

func newIDSet() *idSet {
	const bits = 16
	return &idSet{seed: maphash.MakeSeed(), slots: make([]uint64, 1<<bits), shift: 64 - bits}
}

// hash returns the hash of an id, as add takes it.
func (s *idSet) hash(id string) uint64 { return maphash.String(s.seed, id) }

// add records row, whose id hashes to h, or returns the first row with the
// same id.
func (s *idSet) add(c *collection, row uint32, h uint64) (first uint32, dup bool) {
	high := h &^ (1<<32 - 1)
	mask := uint64(len(s.slots) - 1)
	for i := h >> s.shift; ; i = (i + 1) & mask {
		v := s.slots[i]
		if v == 0 {
			s.slots[i] = high | uint64(row+1)
			s.n++
			// At most 80% full, but never more than 2^32 slots: the
			// high half of a hash places a slot. Rows number at most
			// 2^32-2, so a slot is always left empty.
			if s.n*5 > len(s.slots)*4 && s.shift > 32 {
				s.grow()
			}
			return 0, false
		}
		if v&^(1<<32-1) == high {
			if r := uint32(v) - 1; bytes.Equal(c.id(r), c.id(row)) {
				return r, true
			}
		}
	}
}

// touch reads the slot of each row's id, so that the cache misses of a
// batch overlap, before add probes them one at a time.
func (s *idSet) touch(rows []indexRow) {
	var t uint64
	for i := range rows {
		t += s.slots[rows[i].idHash>>s.shift]
	}
	s.touched = t
}

func (s *idSet) grow() {
	old := s.slots
	s.slots, s.shift = make([]uint64, 2*len(old)), s.shift-1
	hugemem.Advise(s.slots)
	mask := uint64(len(s.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := v >> s.shift
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = v
	}
}

// layout is where each section goes.
type layout struct {
	version    int
	sections   int // numSections, or numSectionsV1
	bucketBits int
	bloomM     uint64
	bloomK     uint
	sec        [numSections]Section
	checks     int64
	pages      int64
	size       int64
}

func pad(n int64) int64 { return (n + pageSize - 1) / pageSize * pageSize }

// bucketBitsFor returns the least b with 2^b ≥ n/perBucket.
func bucketBitsFor(n int) int {
	return bits.Len(uint((n + perBucket - 1) / perBucket))
}

// newLayout returns the layout of an index of version 2 with n rows, p of
// them phone rows, and e email entries; or, for version 1, of n rows, all
// phone rows (p and e are then n and 0).
func newLayout(version, n, p, e, idBytes, canon int) layout {
	l := layout{version: version, sections: numSections}
	if version == 1 {
		l.sections, p, e = numSectionsV1, n, 0
		l.bucketBits = bucketBitsFor(n)
	} else {
		l.bucketBits = bucketBitsFor(max(p, e))
	}
	m, k := bloom.EstimateParameters(uint(max(2*p+e, 1)), indexBloomFPR)
	l.bloomM, l.bloomK = (uint64(m)+63)/64*64, k
	dir := int64(1<<l.bucketBits+1) * 4
	lengths := [numSections]int64{
		secEDir:    dir,
		secEKeys:   int64(p) * keyBytes,
		secDDir:    dir,
		secDKeys:   int64(p) * keyBytes,
		secDRows:   int64(p) * 4,
		secIDIndex: int64((n+idStride-1)/idStride) * 8,
		secIDData:  int64(idBytes),
		secCanon:   int64(canon) * 8,
		secBloom:   int64(l.bloomM / 8),
		secMDir:    dir,
		secMKeys:   int64(e) * keyBytes,
		secMRows:   int64(e) * 4,
		secMFlags:  int64(e),
	}
	off := int64(pageSize)
	for i, n := range lengths[:l.sections] {
		l.sec[i] = Section{Name: sectionNames[i], Offset: off, Length: n}
		off += pad(n)
	}
	l.checks = off
	l.pages = (off - pageSize) / pageSize
	l.size = off + 4*l.pages
	return l
}

// sectionAt returns the offset in the header of section i's entry in the
// section table.
func sectionAt(i int) int {
	if i < numSectionsV1 {
		return sectionTable + 16*i
	}
	return sectionTable2 + 16*(i-numSectionsV1)
}

// bucketOf returns the bucket of a digest for b bucket bits.
func bucketOf(d []byte, b int) uint32 {
	if b == 0 {
		return 0
	}
	return binary.BigEndian.Uint32(d) >> (32 - b)
}

// bloomLocations returns the bloom filter's bit locations for a digest's
// first 13 bytes.
func bloomLocations(d []byte, k uint, locs *[16]uint64) []uint64 {
	h1 := binary.LittleEndian.Uint64(d[0:8])
	h2 := binary.LittleEndian.Uint64(d[5:13])>>24 | 1
	k = min(k, uint(len(locs)))
	for i := range k {
		locs[i] = h1 + uint64(i)*h2
	}
	return locs[:k]
}

// write writes the index to f. It returns ctx's error if ctx is done
// first, looking at it every checkEvery rows of each pass.
//
// The tables are sorted one after the other, each on every worker (see
// indexsort.go), and written from their sorted records in address order;
// the bloom filter is made beside the first two, on a goroutine of its
// own. Each page's checksum is taken as the page is written.
func (c *collection) write(ctx context.Context, f *os.File, region string) (*IndexInfo, error) {
	var idBytes int
	for _, b := range c.idData {
		idBytes += len(b)
	}
	var np int
	for _, ok := range c.phone {
		if ok {
			np++
		}
	}
	l := newLayout(indexVersion, c.n, np, c.nm, idBytes, len(c.dups))
	if err := f.Truncate(l.size); err != nil {
		return nil, err
	}
	sums := make([]byte, 4*l.pages)
	sw := func(s int) *sectionWriter { return newSectionWriter(f, l.sec[s].Offset, sums) }

	// The bloom filter of every digest, beside the E164Hex family.
	bloomBits := make(chan []uint64, 1)
	go func() { bloomBits <- c.bloom(ctx, l) }()
	bits := func() []uint64 {
		if bloomBits != nil {
			words := <-bloomBits
			bloomBits = nil
			return words
		}
		return nil
	}
	defer bits() // every goroutine is done when write returns

	// The E164Hex family: its order numbers the phone rows; the rows with
	// only an address follow, in input order.
	recs, dir, keysE, err := sortTable(ctx, &tableInput{n: c.n, digests: c.e, include: c.phone}, l.bucketBits, c.workers)
	if err != nil {
		return nil, err
	}
	w := sw(secEDir)
	w.uint32s(dir)
	w = sw(secEKeys).also(w)
	w.keys(recs)
	pos := make([]uint32, c.n) // the row number of each input row
	hugemem.Advise(pos)
	for p := range recs {
		pos[recs[p].item] = uint32(p)
	}
	p := uint32(np)
	for r, ok := range c.phone {
		if !ok {
			pos[r] = p
			p++
		}
	}
	// User ids, in row order: the index and the data in one pass.
	w = sw(secIDIndex).also(w)
	data := sw(secIDData)
	ids := &idWriter{c: c, index: w, data: data}
	for p := range recs {
		if p%checkEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		ids.add(recs[p].item)
	}
	for r, ok := range c.phone {
		if !ok {
			ids.add(uint32(r))
		}
	}
	ids.flush()
	w = data.also(w)
	recs = nil
	// Rows of users with several, each with the user's first row.
	canon := make([][2]uint32, len(c.dups))
	for i, d := range c.dups {
		canon[i] = [2]uint32{pos[d[0]], pos[d[1]]}
	}
	slices.SortFunc(canon, func(a, b [2]uint32) int { return cmp.Compare(a[0], b[0]) })
	w = sw(secCanon).also(w)
	for _, p := range canon {
		w.uint32(p[0])
		w.uint32(p[1])
	}
	canon = nil

	// The E164Hex family's records go, so that the next table's take
	// their room; the bloom filter may still be reading the digests.
	runtime.GC()

	// The Digits family, pointing at rows.
	recs, dir, keysD, err := sortTable(ctx, &tableInput{n: c.n, digests: c.d, include: c.phone}, l.bucketBits, c.workers)
	if err != nil {
		return nil, err
	}
	w = sw(secDDir).also(w)
	w.uint32s(dir)
	w = sw(secDKeys).also(w)
	w.keys(recs)
	w = sw(secDRows).also(w)
	if err := w.gather(ctx, len(recs), func(i int) uint32 { return pos[recs[i].item] }); err != nil {
		return nil, err
	}
	recs = nil

	// The bloom filter of every table.
	words := bits()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w = sw(secBloom).also(w)
	w.uint64s(words)
	words, c.e, c.d = nil, nil, nil

	// The email entries, pointing at rows.
	recs, dir, keysM, err := sortTable(ctx, &tableInput{n: c.nm, digests: c.m}, l.bucketBits, c.workers)
	if err != nil {
		return nil, err
	}
	w = sw(secMDir).also(w)
	w.uint32s(dir)
	w = sw(secMKeys).also(w)
	w.keys(recs)
	w = sw(secMRows).also(w)
	if err := w.gather(ctx, len(recs), func(i int) uint32 { return pos[c.mRow[recs[i].item]] }); err != nil {
		return nil, err
	}
	w = sw(secMFlags).also(w)
	for i := range recs {
		x := recs[i].item
		w.bytes(c.mFlag[x : x+1])
	}
	recs, pos = nil, nil
	if err := w.flush(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// The checksums of every page, then the header.
	if _, err := f.WriteAt(sums, l.checks); err != nil {
		return nil, err
	}
	info := &IndexInfo{
		Version: indexVersion, Rows: int64(c.n), PhoneRows: int64(np), EmailEntries: int64(c.nm), Users: int64(c.users),
		KeysE164: keysE, KeysDigits: keysD, KeysEmail: keysM, Built: time.Now().UTC(),
		Region: region, Keyed: c.keys != nil, BucketBits: l.bucketBits, BloomBits: int64(l.bloomM), BloomK: int(l.bloomK),
		Size: l.size, Sections: l.sec[:l.sections],
	}
	var check []byte
	if c.keys != nil {
		check = c.keys.check[:]
	}
	if _, err := f.WriteAt(header(info, l, crc32.Checksum(sums, castagnoli), check), 0); err != nil {
		return nil, err
	}
	return info, nil
}

// bloom returns the words of the bloom filter of every digest of the
// collection, as bloom/v3 sets them, or nil if ctx is done first.
//
// The filter is far larger than a cache: each bit set is a miss. The
// locations of a batch of digests are found first (a location mod m by a
// multiplication, not a division), then set in a loop of their own, so
// that the misses overlap.
func (c *collection) bloom(ctx context.Context, l layout) []uint64 {
	words := make([]uint64, l.bloomM/64)
	hugemem.Advise(words)
	m, recip := l.bloomM, ^uint64(0)/l.bloomM
	const batch = 256
	locs := make([]uint64, 0, batch*16)
	var k [16]uint64
	add := func(d []byte) {
		for _, x := range bloomLocations(d, l.bloomK, &k) {
			// x mod m: q is at most 2 short of x/m.
			q, _ := bits.Mul64(x, recip)
			r := x - q*m
			for r >= m {
				r -= m
			}
			locs = append(locs, r)
		}
	}
	set := func() {
		for _, loc := range locs {
			words[loc>>6] |= 1 << (loc & 63)
		}
		locs = locs[:0]
	}
	for r, ok := range c.phone {
		if ok {
			add(c.eDigest(uint32(r)))
			add(c.dDigest(uint32(r)))
		}
		if r%batch == batch-1 {
			set()
			if r%checkEvery == checkEvery-1 && ctx.Err() != nil {
				return nil
			}
		}
	}
	set()
	for x := range uint32(c.nm) {
		add(c.mDigest(x))
		if x%batch == batch-1 {
			set()
			if x%checkEvery == checkEvery-1 && ctx.Err() != nil {
				return nil
			}
		}
	}
	set()
	return words
}

func compareKeys(a, b []byte) int { return bytes.Compare(a, b) }

// header returns the header page.
func header(info *IndexInfo, l layout, checksCRC uint32, check []byte) []byte {
	h := make([]byte, pageSize)
	copy(h, indexMagic)
	le := binary.LittleEndian
	le.PutUint32(h[8:], uint32(l.version))
	if info.Keyed {
		le.PutUint32(h[12:], flagKeyed)
	}
	le.PutUint64(h[16:], uint64(l.size))
	le.PutUint64(h[24:], uint64(info.Rows))
	le.PutUint64(h[32:], uint64(info.Users))
	le.PutUint64(h[40:], uint64(info.KeysE164))
	le.PutUint64(h[48:], uint64(info.KeysDigits))
	le.PutUint64(h[56:], uint64(info.Built.UnixNano()))
	le.PutUint32(h[64:], uint32(l.bucketBits))
	le.PutUint32(h[68:], uint32(l.bloomK))
	le.PutUint64(h[72:], l.bloomM)
	copy(h[80:82], info.Region)
	le.PutUint32(h[84:], pageSize)
	le.PutUint64(h[88:], uint64(l.checks))
	le.PutUint64(h[96:], uint64(l.pages))
	le.PutUint32(h[104:], checksCRC)
	le.PutUint32(h[108:], uint32(l.sections))
	for i, s := range l.sec[:l.sections] {
		le.PutUint64(h[sectionAt(i):], uint64(s.Offset))
		le.PutUint64(h[sectionAt(i)+8:], uint64(s.Length))
	}
	copy(h[keyCheckAt:keyCheckAt+16], check)
	le.PutUint64(h[phoneRowsAt:], uint64(info.PhoneRows))
	le.PutUint64(h[entriesAt:], uint64(info.EmailEntries))
	le.PutUint64(h[keysEmailAt:], uint64(info.KeysEmail))
	le.PutUint32(h[headerCRCAt:], crc32.Checksum(h[:headerCRCAt], castagnoli))
	return h
}

// sectionWriter writes one section from its start, keeping the first
// error, and puts the checksum of each page it writes in the file's
// checksum table; the section's last page is checksummed with the zeros
// that pad it.
type sectionWriter struct {
	f    *os.File
	off  int64  // where buf goes in the file
	buf  []byte // cap sectionBuf, whole pages
	sums []byte // the file's checksum table
	err  error
	b    [8]byte
}

// sectionBuf is the bytes a sectionWriter writes at once.
const sectionBuf = 1 << 20

var zeroPage [pageSize]byte

func newSectionWriter(f *os.File, off int64, sums []byte) *sectionWriter {
	return &sectionWriter{f: f, off: off, buf: make([]byte, 0, sectionBuf), sums: sums}
}

// also flushes prev and returns w, carrying prev's error.
func (w *sectionWriter) also(prev *sectionWriter) *sectionWriter {
	if err := prev.flush(); err != nil {
		w.err = err
	}
	return w
}

// flush writes what is buffered: the end of the section.
func (w *sectionWriter) flush() error {
	w.drain()
	return w.err
}

// drain checksums the pages in buf and writes it.
func (w *sectionWriter) drain() {
	if w.err != nil || len(w.buf) == 0 {
		w.buf = w.buf[:0]
		return
	}
	page := (w.off - pageSize) / pageSize
	for i := 0; i < len(w.buf); i += pageSize {
		pg := w.buf[i:min(i+pageSize, len(w.buf))]
		sum := crc32.Update(crc32.Checksum(pg, castagnoli), castagnoli, zeroPage[len(pg):])
		binary.LittleEndian.PutUint32(w.sums[4*page:], sum)
		page++
	}
	_, w.err = w.f.WriteAt(w.buf, w.off)
	w.off += int64(len(w.buf))
	w.buf = w.buf[:0]
}

func (w *sectionWriter) bytes(b []byte) {
	for len(b) > 0 {
		if len(w.buf) == cap(w.buf) {
			w.drain()
		}
		n := copy(w.buf[len(w.buf):cap(w.buf)], b)
		w.buf = w.buf[:len(w.buf)+n]
		b = b[n:]
	}
}

// keys writes the stored bytes of recs.
func (w *sectionWriter) keys(recs []tableRec) {
	var k [keyBytes]byte
	for i := range recs {
		if cap(w.buf)-len(w.buf) >= keyBytes {
			w.buf = recs[i].stored(w.buf)
		} else {
			w.bytes(recs[i].stored(k[:0])) // across a drain
		}
	}
}

// gatherBatch is the number of values gathered from memory at random
// before they are used: enough misses in flight at once to hide most of
// their latency.
const gatherBatch = 256

// gather writes at(0) to at(n−1) as uint32s, a batch of values at a time
// (each is usually a cache miss), or returns ctx's error if ctx is done
// first.
func (w *sectionWriter) gather(ctx context.Context, n int, at func(i int) uint32) error {
	var vs [gatherBatch]uint32
	for lo := 0; lo < n; lo += gatherBatch {
		if lo%checkEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		batch := vs[:min(gatherBatch, n-lo)]
		for j := range batch {
			batch[j] = at(lo + j)
		}
		for _, v := range batch {
			w.uint32(v)
		}
	}
	return nil
}

// idWriter writes the ids of rows to the id index and the id data, a batch
// of rows at a time: the batch's places in the collection are read first,
// then their ids, so that the cache misses of each step overlap.
type idWriter struct {
	c           *collection
	index, data *sectionWriter
	rows        [gatherBatch]uint32
	n           int    // rows in the batch
	p           int    // rows written
	off         uint64 // bytes of id data written
}

// add writes the id of row r next.
func (x *idWriter) add(r uint32) {
	x.rows[x.n] = r
	if x.n++; x.n == gatherBatch {
		x.flush()
	}
}

// flush writes the ids of the rows in the batch.
func (x *idWriter) flush() {
	var offs [gatherBatch]uint32
	var ids [gatherBatch][]byte
	rows := x.rows[:x.n]
	for j, r := range rows {
		offs[j] = x.c.idOff[r/blockRows][r%blockRows]
	}
	for j, r := range rows {
		d := x.c.idData[r/blockRows][offs[j]:]
		n, k := binary.Uvarint(d)
		ids[j] = d[:k+int(n)] // the length and the id, as the file has them
	}
	for _, id := range ids[:x.n] {
		if x.p%idStride == 0 {
			x.index.uint64(x.off)
		}
		x.data.bytes(id)
		x.off += uint64(len(id))
		x.p++
	}
	x.n = 0
}

func (w *sectionWriter) uint32(v uint32) {
	binary.LittleEndian.PutUint32(w.b[:4], v)
	w.bytes(w.b[:4])
}

func (w *sectionWriter) uint64(v uint64) {
	binary.LittleEndian.PutUint64(w.b[:], v)
	w.bytes(w.b[:])
}

func (w *sectionWriter) uint32s(vs []uint32) {
	for _, v := range vs {
		w.uint32(v)
	}
}

func (w *sectionWriter) uint64s(vs []uint64) {
	for _, v := range vs {
		w.uint64(v)
	}
}
