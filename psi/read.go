package psi

// A psi file is one message of the protocol: the platform's users (kind
// 'U', message 1) or the advertiser's reply (kind 'R', message 2). It is
// a header, then its elements, then a trailer; integers are little-endian.
//
//	offset  size  field
//	     0     8  magic "\x89AMPSI\r\n" (the high byte and the CRLF catch
//	              a file that went through a text-mode transfer)
//	     8     1  version: 2 (version 1, of phones only, is refused)
//	     9     1  kind: 'U' users, 'R' reply
//	    10     1  group: 1, ristretto255
//	    11     1  families, a bit each (see Family): 1 phone-e164, and
//	              one of 2 email (trimmed, lower-cased) and 4 email-uid2
//	              (UID2's canonical form): the normal form both parties
//	              use for emails, chosen by the platform
//	    12    16  session: random, made with the users' file; its reply
//	              carries it
//	    28    16  key check of the platform's key (Key.Check)
//	    44    32  users digest: HMAC-SHA256, under the platform's key, of
//	              the users as read (see cmd/match); the reply carries it
//	    76     4  region of the users without a country, ASCII, NUL-padded
//	    80     8  count of section 1: U: H(u)^b, one a distinct user
//	              identifier (phone or email), in the users' order; R: D,
//	              H(x)^a, one an accepted identifier of an accepted list
//	              row, phones and emails together, sorted by their bytes
//	              (which shuffles them and loses which shared a row)
//	    88     8  count of section 2: U: 0; R: C, (H(u)^b)^a, in U's order
//	    96     8  R: list rows read (U: 0, as every list figure)
//	   104     8  R: list rows accepted (with a valid identifier)
//	   112     8  R: phones accepted
//	   120     8  R: emails accepted; phones and emails accepted are the
//	              count of section 1
//	   128     1  R: the list's kind: 'P' one raw phone column, 'K'
//	              identifier columns (matcher's "phone" and "keys")
//	   129     …  three tables of reasons, R (U: empty): rows refused,
//	              phones refused, emails refused. Each: 2 bytes r, then r
//	              times, in the byte order of their names: a length L (1
//	              to 255), L bytes of the reason's name (UTF-8), 8 bytes
//	              of its count
//	     …     2  k, calling codes U was restricted to (0: all users), then
//	              k times, ascending: a country calling code, 1 to 999
//	     …     4  CRC-32C (Castagnoli) of every header byte before it
//	     …  32×n  the elements of section 1, then of section 2, each the
//	              canonical encoding of a ristretto255 element (RFC 9496)
//	     …    32  SHA-256 of every byte before it
//
// So an element costs 32 bytes, and a file 173 bytes more with no reject
// reasons or calling codes: 1M user identifiers take 32,000,173 bytes.
// Nothing in a file is an identifier or a hash of one that can be tested
// without a party's key. The reply's figures are the advertiser's counts
// of its list (matcher.Stats, as match run counts them): the report
// needs them, and the platform, which sees only D, cannot count them.
//
// A Reader checks the version first (a file of another version is
// ErrVersion, whatever follows), then the header's CRC before it believes
// its counts, and the SHA-256 at the end: a damaged, truncated, reordered
// or spliced file is an error (ErrCorrupt) once read to its end, which the
// commands reach before they write anything.

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"iter"
	"reflect"
	"unicode/utf8"

	"github.com/audiencematch/audiencematch/matcher"
)

// Magic starts every psi file.
const Magic = "\x89AMPSI\r\n"

// Version is the version of the files this package writes and reads.
const Version = 2

// Kind is the step a file comes from.
type Kind byte

// The kinds of file.
const (
	KindUsers Kind = 'U' // message 1: the platform's users, blinded
	KindReply Kind = 'R' // message 2: the advertiser's reply
)

func (k Kind) String() string {
	switch k {
	case KindUsers:
		return "users"
	case KindReply:
		return "reply"
	}
	return fmt.Sprintf("kind(%#x)", byte(k))
}

// The kinds of list a reply names, as the report names them
// (idcols.List.Kind).
const (
	ListPhone = "phone" // one raw phone column
	ListKeys  = "keys"  // identifier columns: several phones, emails
)

var listKindByte = map[string]byte{ListPhone: 'P', ListKeys: 'K'}

// Limits of a header.
const (
	maxReasons      = 64
	maxReasonLen    = 255
	maxCallingCodes = 256
	maxCount        = 1 << 40 // 32 TiB of elements: more is a damaged count
	fixedHeader     = 129
)

// Header is what a psi file says of itself.
type Header struct {
	Kind     Kind
	Group    Group
	Families Families // phones, and emails in one normal form
	Session  [16]byte // made with the users' file, carried by its reply
	KeyCheck [16]byte // the platform's Key.Check
	Users    [32]byte // the users digest (Key.UsersDigest)
	Region   string   // of the users without a country, 2 to 4 ASCII letters or digits

	// CallingCodes, if not empty, are the country calling codes (1, 44,
	// ...) of the only phones U holds. Ascending.
	CallingCodes []uint16

	// Counts are the elements of the two sections.
	Counts [2]int64

	// ListKind and List are the advertiser's figures of its list (reply
	// only; "" and zero in a users' file): its kind (ListPhone or
	// ListKeys), and Rows, Accepted, Rejected, RejectedBy, and for
	// Phone and Email their Accepted, Rejected and RejectedBy, as
	// matcher counts them. Phone.Accepted + Email.Accepted is Counts[0].
	// The figures of a match (Matched, Unmatched, Audience and the
	// kinds' Matched) are zero.
	ListKind string
	List     matcher.Stats
}

// crcTable is CRC-32C's.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Reader reads a psi file as a stream: the header at once, the elements
// as they are asked for, the trailer at the end. It is not safe for
// concurrent use.
type Reader struct {
	r       *bufio.Reader
	h       Header
	sum     hash.Hash
	off     int64 // bytes read
	section int   // the section being read
	left    int64 // elements left in it
	err     error
	done    bool
}

// NewReader reads and checks the header of the psi file r. The error
// wraps ErrNotPSI, ErrVersion or ErrCorrupt.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: bufio.NewReaderSize(r, 1<<16), sum: sha256.New()}
	if err := rd.header(); err != nil {
		return nil, err
	}
	rd.left = rd.h.Counts[0]
	return rd, nil
}

// read reads exactly len(b) bytes into b, into the checksum too; an early
// end is ErrCorrupt naming what was being read.
func (r *Reader) read(b []byte, what string) error {
	n, err := io.ReadFull(r.r, b)
	r.sum.Write(b[:n])
	r.off += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: ends at byte %d, in the %s", ErrCorrupt, r.off, what)
	}
	return err
}

func (r *Reader) header() error {
	fixed := make([]byte, fixedHeader)
	n, err := io.ReadFull(r.r, fixed)
	if n < len(Magic) || string(fixed[:len(Magic)]) != Magic {
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return err
		}
		return ErrNotPSI
	}
	if n > len(Magic) && fixed[8] != Version {
		// Before the rest: another version's header has another layout.
		return fmt.Errorf("%w: version %d; this build reads version %d only: both parties need a build that writes version %d (make the users' file again)",
			ErrVersion, fixed[8], Version, Version)
	}
	r.sum.Write(fixed[:n])
	r.off = int64(n)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("%w: ends at byte %d, in the header", ErrCorrupt, r.off)
		}
		return err
	}
	crc := crc32.Update(0, crcTable, fixed)
	h := &r.h
	le := binary.LittleEndian
	h.Kind, h.Group, h.Families = Kind(fixed[9]), Group(fixed[10]), Families(fixed[11])
	copy(h.Session[:], fixed[12:28])
	copy(h.KeyCheck[:], fixed[28:44])
	copy(h.Users[:], fixed[44:76])
	region := fixed[76:80]
	for len(region) > 0 && region[len(region)-1] == 0 {
		region = region[:len(region)-1]
	}
	h.Region = string(region)
	h.Counts[0], h.Counts[1] = int64(le.Uint64(fixed[80:])), int64(le.Uint64(fixed[88:]))
	st := &h.List
	st.Rows, st.Accepted = int64(le.Uint64(fixed[96:])), int64(le.Uint64(fixed[104:]))
	st.Phone.Accepted, st.Email.Accepted = int64(le.Uint64(fixed[112:])), int64(le.Uint64(fixed[120:]))
	listKind := fixed[128]

	// The reasons, then the CRC: a count is believed only once the CRC
	// agrees, but the reasons must be read to reach it; their number and
	// lengths are bounded, so a damaged one reads little.
	var b [8]byte
	var tables [3]map[string]int64
	for t := range tables {
		if err := r.read(b[:2], "header"); err != nil {
			return err
		}
		crc = crc32.Update(crc, crcTable, b[:2])
		nr := int(le.Uint16(b[:2]))
		if nr > maxReasons {
			return fmt.Errorf("%w: header: %d reject reasons", ErrCorrupt, nr)
		}
		var last string
		for i := range nr {
			if err := r.read(b[:1], "header"); err != nil {
				return err
			}
			crc = crc32.Update(crc, crcTable, b[:1])
			name := make([]byte, b[0])
			if err := r.read(name, "header"); err != nil {
				return err
			}
			if err := r.read(b[:8], "header"); err != nil {
				return err
			}
			crc = crc32.Update(crc32.Update(crc, crcTable, name), crcTable, b[:8])
			if len(name) == 0 || !utf8.Valid(name) {
				return fmt.Errorf("%w: header: reject reason %d is not a name", ErrCorrupt, i+1)
			}
			if i > 0 && string(name) <= last {
				return fmt.Errorf("%w: header: reject reasons out of order", ErrCorrupt)
			}
			last = string(name)
			if tables[t] == nil {
				tables[t] = make(map[string]int64)
			}
			tables[t][last] = int64(le.Uint64(b[:8]))
		}
	}
	st.RejectedBy, st.Phone.RejectedBy, st.Email.RejectedBy = tables[0], tables[1], tables[2]
	st.Rejected, st.Phone.Rejected, st.Email.Rejected = sum(tables[0]), sum(tables[1]), sum(tables[2])
	if err := r.read(b[:2], "header"); err != nil {
		return err
	}
	crc = crc32.Update(crc, crcTable, b[:2])
	nc := int(le.Uint16(b[:2]))
	if nc > maxCallingCodes {
		return fmt.Errorf("%w: header: %d calling codes", ErrCorrupt, nc)
	}
	for range nc {
		if err := r.read(b[:2], "header"); err != nil {
			return err
		}
		crc = crc32.Update(crc, crcTable, b[:2])
		h.CallingCodes = append(h.CallingCodes, le.Uint16(b[:2]))
	}
	if err := r.read(b[:4], "header"); err != nil {
		return err
	}
	if le.Uint32(b[:4]) != crc {
		return fmt.Errorf("%w: header: CRC mismatch", ErrCorrupt)
	}

	switch {
	case h.Group != Ristretto255:
		return fmt.Errorf("%w: %v", ErrVersion, h.Group)
	case !h.Families.Known():
		return fmt.Errorf("%w: families %v", ErrVersion, h.Families)
	case h.Kind != KindUsers && h.Kind != KindReply:
		return fmt.Errorf("%w: header: %v", ErrCorrupt, h.Kind)
	}
	for name, b := range listKindByte {
		if b == listKind {
			h.ListKind = name
		}
	}
	if h.ListKind == "" && listKind != 0 {
		return fmt.Errorf("%w: header: list kind %#x", ErrCorrupt, listKind)
	}
	if err := h.check(); err != nil {
		return fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	return nil
}

// sum returns the sum of m's counts, saturated at maxCount+1 so that a
// damaged count cannot wrap.
func sum(m map[string]int64) int64 {
	var n int64
	for _, c := range m {
		if c < 0 || c > maxCount {
			return maxCount + 1
		}
		n = min(n+c, maxCount+1)
	}
	return n
}

// check checks the header's fields against each other: what a writer
// refuses to write and a reader to believe.
func (h *Header) check() error {
	st := &h.List
	for _, t := range []struct {
		by    map[string]int64
		total int64
	}{{st.RejectedBy, st.Rejected}, {st.Phone.RejectedBy, st.Phone.Rejected}, {st.Email.RejectedBy, st.Email.Rejected}} {
		if len(t.by) > maxReasons {
			return errors.New("too many reject reasons")
		}
		for name, n := range t.by {
			if name == "" || len(name) > maxReasonLen || !utf8.ValidString(name) || n <= 0 || n > maxCount {
				return errors.New("bad reject reason")
			}
		}
		if sum(t.by) != t.total {
			return errors.New("rejected rows or identifiers are not the sum of their reasons")
		}
	}
	for _, n := range []int64{h.Counts[0], h.Counts[1], st.Rows, st.Accepted, st.Phone.Accepted, st.Email.Accepted} {
		if n < 0 || n > maxCount {
			return errors.New("bad count")
		}
	}
	match := st.Matched != 0 || st.Unmatched != 0 || st.Audience != 0 || st.Phone.Matched != 0 || st.Email.Matched != 0
	switch {
	case len(h.Region) < 2 || len(h.Region) > 4:
		return errors.New("bad region")
	case len(h.CallingCodes) > maxCallingCodes:
		return errors.New("too many calling codes")
	case h.Kind == KindUsers && (h.Counts[1] != 0 || h.ListKind != "" || !reflect.DeepEqual(*st, matcher.Stats{})):
		return errors.New("a users' file with list figures")
	case h.Kind == KindReply && match:
		return errors.New("a reply with the figures of a match")
	case h.Kind == KindReply && listKindByte[h.ListKind] == 0:
		return errors.New("a reply without its list's kind")
	case h.Kind == KindReply && st.Rows != st.Accepted+st.Rejected:
		return errors.New("list rows are not accepted plus rejected")
	case h.Kind == KindReply && h.Counts[0] != st.Phone.Accepted+st.Email.Accepted:
		return errors.New("list elements are not phones plus emails accepted")
	case h.Kind == KindReply && st.Accepted > h.Counts[0]:
		return errors.New("more rows accepted than identifiers")
	case h.ListKind == ListPhone && (st.Email.Accepted != 0 || st.Email.Rejected != 0 || st.Phone.Accepted != st.Accepted):
		return errors.New("a list of one phone column with other figures")
	}
	for i, c := range h.CallingCodes {
		if c < 1 || c > 999 || i > 0 && c <= h.CallingCodes[i-1] {
			return errors.New("bad calling codes")
		}
	}
	for i := range len(h.Region) {
		if c := h.Region[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return errors.New("bad region")
		}
	}
	return nil
}

// Header returns the file's header.
func (r *Reader) Header() Header { return r.h }

// Section returns the elements of section i (1 or 2), to be read in full,
// section 1 first. It stops early on an error, which Err then returns.
// Once the last element of section 2 has been read, End checks the
// trailer.
func (r *Reader) Section(i int) iter.Seq[Element] {
	return func(yield func(Element) bool) {
		if r.err != nil {
			return
		}
		if i == 2 && r.section == 0 && r.left == 0 {
			r.section, r.left = 1, r.h.Counts[1]
		}
		if r.section != i-1 {
			r.err = fmt.Errorf("psi: section %d read out of order", i)
			return
		}
		var p Element
		for r.left > 0 {
			if err := r.read(p[:], fmt.Sprintf("element %d of section %d", r.h.Counts[i-1]-r.left+1, i)); err != nil {
				r.err = err
				return
			}
			r.left--
			last := r.left == 0
			if last && r.section == 0 {
				r.section, r.left = 1, r.h.Counts[1]
			}
			if !yield(p) || last {
				return
			}
		}
	}
}

// Err returns the first error met reading the elements.
func (r *Reader) Err() error { return r.err }

// End checks that every element was read, then the trailer, and that the
// file ends there. An error wraps ErrCorrupt unless it is one of I/O.
func (r *Reader) End() error {
	if r.err != nil || r.done {
		return r.err
	}
	if r.section == 0 && r.left == 0 {
		r.section, r.left = 1, r.h.Counts[1]
	}
	if r.left > 0 || r.section != 1 {
		r.err = errors.New("psi: End before every element was read")
		return r.err
	}
	want := r.sum.Sum(nil)
	var got [32]byte
	if err := r.read(got[:], "trailer"); err != nil {
		r.err = err
		return err
	}
	if string(got[:]) != string(want) {
		r.err = fmt.Errorf("%w: SHA-256 mismatch", ErrCorrupt)
		return r.err
	}
	if _, err := r.r.ReadByte(); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("%w: bytes after the trailer, at byte %d", ErrCorrupt, r.off+32)
		}
		r.err = err
		return err
	}
	r.done = true
	return nil
}
