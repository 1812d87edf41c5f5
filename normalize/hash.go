package normalize

import (
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"slices"
	"strconv"
	"sync"
)

// Format is one of the wire formats of a hashed identifier: three for
// phone numbers, two for email addresses (see email.go).
//
//	format     hashed string          encoding
//	E164       "+16505551234"         lowercase hex, 64 characters
//	Digits     "16505551234"          lowercase hex, 64 characters
//	UID2       "+16505551234"         standard base64 with padding, 44 characters
//	EmailHex   "jane.doe@gmail.com"   lowercase hex, 64 characters
//	EmailUID2  "janedoe@gmail.com"    standard base64 with padding, 44 characters
//
// E164 and UID2 hash the same string and so share a digest; Digits hashes
// the E.164 string without its "+" and gives a different digest. EmailHex
// and EmailUID2 hash the same string except for gmail.com addresses with
// dots or a "+tag", and are two families.
type Format uint8

const (
	E164Hex   Format = iota // "e164": SHA-256 of "+…", lowercase hex
	Digits                  // "digits": SHA-256 of the digits alone, lowercase hex
	UID2                    // "uid2": SHA-256 of "+…", padded base64
	EmailHex                // "email": SHA-256 of the trimmed, lowercased address, lowercase hex
	EmailUID2               // "email-uid2": SHA-256 of UID2's canonical address, padded base64
)

// HexLen and Base64Len are the encoded lengths of a digest.
const (
	HexLen    = 2 * sha256.Size
	Base64Len = (sha256.Size + 2) / 3 * 4
)

var formatNames = [...]string{E164Hex: "e164", Digits: "digits", UID2: "uid2", EmailHex: "email", EmailUID2: "email-uid2"}

// String returns the format's name: "e164", "digits", "uid2", "email" or
// "email-uid2".
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat returns the Format named s ("e164", "digits", "uid2",
// "email" or "email-uid2"), or ErrUnknownFormat.
func ParseFormat(s string) (Format, error) {
	for f, name := range formatNames {
		if s == name {
			return Format(f), nil
		}
	}
	return 0, ErrUnknownFormat
}

// Family returns the format whose digest f shares: E164Hex for E164Hex and
// UID2, and f itself for every other format. Two lists can be joined on
// their digests only if their families are equal.
func (f Format) Family() Format {
	if f == UID2 {
		return E164Hex
	}
	return f
}

// Sum returns the SHA-256 digest of the E.164 string e164 as f hashes it:
// the whole string for E164Hex and UID2, the string without its leading "+"
// for Digits. e164 is expected to come from E164; Sum does not validate it.
//
// For example, Sum("+16505551234", E164Hex) is the digest whose hex
// encoding is a2996076d3ad4af5dc818b908b3d8e354f26ededf7df0e0aa6ac354143805ee0.
func Sum(e164 []byte, f Format) [32]byte {
	if f == Digits && len(e164) > 0 && e164[0] == '+' {
		e164 = e164[1:]
	}
	return sha256.Sum256(e164)
}

// A Hasher computes Sum with less work on each call; the digests are
// Sum's. It serves loops that hash row after row: make one per goroutine
// with NewHasher, as it is not safe for concurrent use.
//
// Every E.164 string fits in one SHA-256 block. The Hasher pads that block
// itself and has crypto/sha256 compress it; the digest is then the state
// the hash exports through encoding.BinaryAppender. This skips the copies
// of the message, of the padding and of the digest state that
// sha256.Sum256 makes around the same compression. Longer input gets
// sha256.Sum256, and so does all input should crypto/sha256 ever export its
// state differently (checked once a process, against sha256.Sum256).
type Hasher struct {
	sha   hash.Hash
	state encoding.BinaryAppender // nil: use sha256.Sum256
	block [sha256.BlockSize]byte
	buf   [128]byte // the exported state
}

// oneBlock is the longest message one SHA-256 block holds: the message,
// the 0x80 byte and the 8-byte bit length.
const oneBlock = sha256.BlockSize - 1 - 8

// stateMagic prefixes crypto/sha256's exported SHA-256 state, which then
// holds the eight chaining words, big-endian: after one whole padded
// block, the digest.
const stateMagic = "sha\x03"

// NewHasher returns a Hasher.
func NewHasher() *Hasher {
	h := &Hasher{sha: sha256.New()}
	if exportsDigest() {
		h.state = h.sha.(encoding.BinaryAppender)
	}
	return h
}

// exportsDigest reports whether crypto/sha256's exported state holds the
// digest where Hasher reads it: checked once, on a few messages, against
// sha256.Sum256.
var exportsDigest = sync.OnceValue(func() bool {
	h := &Hasher{sha: sha256.New()}
	state, ok := h.sha.(encoding.BinaryAppender)
	if !ok {
		return false
	}
	h.state = state
	for _, s := range []string{"", "+16505551234", "+390645491234", "0123456789012345678901234567890123456789012345678901234"} {
		if d, ok := h.sum([]byte(s)); !ok || d != sha256.Sum256([]byte(s)) {
			return false
		}
	}
	return true
})

// Sum returns Sum(e164, f).
func (h *Hasher) Sum(e164 []byte, f Format) [32]byte {
	if f == Digits && len(e164) > 0 && e164[0] == '+' {
		e164 = e164[1:]
	}
	if h.state != nil && len(e164) <= oneBlock {
		if d, ok := h.sum(e164); ok {
			return d
		}
	}
	return sha256.Sum256(e164)
}

// sum hashes msg, at most oneBlock bytes long, as one padded block; ok is
// false if the exported state is not of the expected shape.
func (h *Hasher) sum(msg []byte) (d [32]byte, ok bool) {
	n := copy(h.block[:], msg)
	h.block[n] = 0x80
	clear(h.block[n+1 : oneBlock+1])
	binary.BigEndian.PutUint64(h.block[oneBlock+1:], uint64(n)<<3)
	h.sha.Reset()
	h.sha.Write(h.block[:])
	st, err := h.state.AppendBinary(h.buf[:0])
	if err != nil || len(st) < len(stateMagic)+len(d) || string(st[:len(stateMagic)]) != stateMagic {
		return d, false
	}
	copy(d[:], st[len(stateMagic):])
	return d, true
}

// AppendEncode appends the encoding of digest in format f to dst.
func AppendEncode(dst []byte, digest [32]byte, f Format) []byte {
	if f.base64() {
		return base64.StdEncoding.AppendEncode(dst, digest[:])
	}
	n := len(dst)
	dst = slices.Grow(dst, HexLen)[:n+HexLen]
	out := dst[n : n+HexLen]
	for i := 0; i < len(digest); i += 4 {
		binary.BigEndian.PutUint64(out[2*i:], hex8(binary.BigEndian.Uint32(digest[i:])))
	}
	return dst
}

// hex8 returns the eight lowercase hex digits of u, first digit in the
// high byte, computed in one word: each nibble is spread to a byte of its
// own, and then '0' is added to each byte, and 'a'-'0'-10 more to those
// that are 10 or more (the ones that adding 6 carries into bit 4).
func hex8(u uint32) uint64 {
	x := uint64(u)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
	letters := (x + 0x0606060606060606) >> 4 & 0x0101010101010101
	return x + 0x3030303030303030 + letters*('a'-'0'-10)
}

// Encode returns the encoding of digest in format f.
func Encode(digest [32]byte, f Format) string {
	return string(AppendEncode(make([]byte, 0, HexLen), digest, f))
}

// Decode returns the digest that s encodes in format f. Hex may be upper or
// lower case (advertisers' tools differ); base64 must be standard, padded
// and exactly 44 characters, with the unused bits of its last character
// zero (one spelling per digest). Anything else is ErrBadHash.
//
// It decodes with a table, a character at a time, and tells a bad one by
// a bit the table sets, checked once at the end: a few ns a digest, with
// no allocation, where a hashed list spends most of its time.
func Decode(s string, f Format) ([32]byte, error) {
	var d [32]byte
	ok := false
	switch f {
	case E164Hex, Digits, EmailHex:
		ok = decodeHex(&d, s)
	case UID2, EmailUID2:
		ok = decodeBase64(&d, s)
	default:
		return d, ErrUnknownFormat
	}
	if !ok {
		return [32]byte{}, ErrBadHash
	}
	return d, nil
}

// invalid marks a character that is not of the alphabet in the decoding
// tables: its high bit, which no value has.
const invalid = 0xff

var hexValue, base64Value = decodingTables()

func decodingTables() (h, b [256]byte) {
	for i := range h {
		h[i], b[i] = invalid, invalid
	}
	for i, c := range "0123456789abcdef" {
		h[c] = byte(i)
	}
	for i, c := range "ABCDEF" {
		h[c] = byte(10 + i)
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		b[c] = byte(i)
	}
	return h, b
}

// decodeHex decodes the 64 hex digits of s into d.
func decodeHex(d *[32]byte, s string) bool {
	if len(s) != HexLen {
		return false
	}
	var bad byte
	for i := range d {
		hi, lo := hexValue[s[2*i]], hexValue[s[2*i+1]]
		bad |= hi | lo
		d[i] = hi<<4 | lo
	}
	return bad&0x80 == 0
}

// decodeBase64 decodes the 44 characters of padded standard base64 of s
// into d: ten groups of four characters make 30 bytes, and the last three
// characters and "=" the last two, whose unused two bits must be zero.
func decodeBase64(d *[32]byte, s string) bool {
	if len(s) != Base64Len || s[Base64Len-1] != '=' {
		return false
	}
	var bad byte
	for i := range 10 {
		a, b, c, e := base64Value[s[4*i]], base64Value[s[4*i+1]], base64Value[s[4*i+2]], base64Value[s[4*i+3]]
		bad |= a | b | c | e
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(e)
		d[3*i], d[3*i+1], d[3*i+2] = byte(v>>16), byte(v>>8), byte(v)
	}
	a, b, c := base64Value[s[40]], base64Value[s[41]], base64Value[s[42]]
	bad |= a | b | c
	v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6
	d[30], d[31] = byte(v>>16), byte(v>>8)
	return bad&0x80 == 0 && c&0x3 == 0
}

// base64 reports whether f encodes digests in base64 (UID2's formats)
// rather than hex.
func (f Format) base64() bool { return f == UID2 || f == EmailUID2 }

// Detect guesses a value's format from its shape: 64 hex digits are E164Hex
// (Digits looks the same; only the sender knows which string was hashed),
// 44 characters of padded base64 are UID2. ok is false for anything else,
// such as a raw phone number.
func Detect(s string) (f Format, ok bool) {
	if _, err := Decode(s, E164Hex); err == nil {
		return E164Hex, true
	}
	if _, err := Decode(s, UID2); err == nil {
		return UID2, true
	}
	return 0, false
}
