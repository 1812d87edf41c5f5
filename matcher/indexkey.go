package matcher

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"

	"github.com/audiencematch/audiencematch/normalize"
)

// A keyed index stores, instead of each phone's SHA-256 digest d, the
// HMAC-SHA256 of d under a key of its family. The keys come from the
// caller's secret through HKDF-SHA256 (no salt), with an info string naming
// the index version and the family:
//
//	"audiencematch index v1 e164"    the E164Hex (and UID2) family
//	"audiencematch index v1 digits"  the Digits family
//	"audiencematch index v2 email"   both email families (version 2)
//	"audiencematch index v1 check"   the key check value
//
// (Version 2 keeps version 1's strings for what version 1 had, so that
// a key keys both alike.)
//
// The header keeps the first 16 bytes of HMAC-SHA256(check key, "key
// check"), so that a wrong key is an error, not zero matches. Without the
// secret, the file holds nothing a dictionary of phone numbers can be
// hashed against.

// MinKeyLen is the least length of a secret for a keyed index.
const MinKeyLen = 32

// Errors about keys.
var (
	// ErrIndexKey is returned when a keyed index is opened without its
	// key or with another, or an index without a key is opened with one.
	ErrIndexKey = errors.New("index key mismatch")

	// ErrShortKey is returned for a secret shorter than MinKeyLen bytes.
	ErrShortKey = fmt.Errorf("key shorter than %d bytes", MinKeyLen)
)

// indexKeys are the keys of a keyed index.
type indexKeys struct {
	e164, digits, email [32]byte
	check               [16]byte
}

func deriveKeys(secret []byte) (*indexKeys, error) {
	if len(secret) < MinKeyLen {
		return nil, ErrShortKey
	}
	var k indexKeys
	var check [32]byte
	for _, d := range []struct {
		info string
		out  []byte
	}{
		{"audiencematch index v1 e164", k.e164[:]},
		{"audiencematch index v1 digits", k.digits[:]},
		{"audiencematch index v2 email", k.email[:]},
		{"audiencematch index v1 check", check[:]},
	} {
		if _, err := io.ReadFull(hkdf.New(sha256.New, secret, nil, []byte(d.info)), d.out); err != nil {
			return nil, err
		}
	}
	mac := hmac.New(sha256.New, check[:])
	mac.Write([]byte("key check"))
	copy(k.check[:], mac.Sum(nil))
	return &k, nil
}

// family returns the key of a family.
func (k *indexKeys) family(f normalize.Format) *[32]byte {
	switch {
	case f.Kind() == normalize.KindEmail:
		return &k.email
	case f.Family() == normalize.Digits:
		return &k.digits
	}
	return &k.e164
}

// keyedDigest returns HMAC-SHA256(key, d) without allocating: the key is 32
// bytes, so it is padded with zeros to the block, and each of the two
// hashes is over one block of pad and the 32 bytes that follow.
func keyedDigest(key, d *[32]byte) [32]byte {
	var b [sha256.BlockSize + sha256.Size]byte
	for i := range sha256.BlockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		b[i] = k ^ 0x36
	}
	copy(b[sha256.BlockSize:], d[:])
	inner := sha256.Sum256(b[:])
	for i := range sha256.BlockSize {
		b[i] ^= 0x36 ^ 0x5c
	}
	copy(b[sha256.BlockSize:], inner[:])
	return sha256.Sum256(b[:])
}
