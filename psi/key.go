package psi

import (
	"crypto/rand"
	"crypto/sha256"
	"hash"
	"io"

	"crypto/hmac"

	"github.com/cloudflare/circl/group"
	"golang.org/x/crypto/hkdf"
)

// MinKeyLen is the least length of a secret, as for a keyed index
// (matcher.MinKeyLen).
const MinKeyLen = 32

// A Key is one party's secret exponent, with what the platform derives
// from its secret besides: a check value that lets a reply say which key
// its users' file was blinded with, and the key of the users' digest.
//
// The values come from the secret through HKDF-SHA256 (no salt), with
// info strings naming the version:
//
//	"audiencematch psi v1 scalar"        32 bytes, then hash_to_scalar
//	                                     (RFC 9380, ristretto255, SHA-512)
//	                                     under DST "audiencematch-psi-v1-scalar"
//	"audiencematch psi v1 check"         the first 16 bytes are Check
//	"audiencematch psi v1 users digest"  the HMAC key of UsersDigest
//
// A Key is immutable and safe for concurrent use.
type Key struct {
	s      group.Scalar
	check  [16]byte
	digest [32]byte
}

// NewKey derives a Key from a secret of at least MinKeyLen bytes.
func NewKey(secret []byte) (*Key, error) {
	if len(secret) < MinKeyLen {
		return nil, ErrShortKey
	}
	var seed, check, digest [32]byte
	for _, d := range []struct {
		info string
		out  []byte
	}{
		{"audiencematch psi v1 scalar", seed[:]},
		{"audiencematch psi v1 check", check[:]},
		{"audiencematch psi v1 users digest", digest[:]},
	} {
		if _, err := io.ReadFull(hkdf.New(sha256.New, secret, nil, []byte(d.info)), d.out); err != nil {
			return nil, err
		}
	}
	k := &Key{s: group.Ristretto255.HashToScalar(seed[:], []byte("audiencematch-psi-v1-scalar")), digest: digest}
	copy(k.check[:], check[:])
	if k.s.IsZero() { // probability 2^-252
		return nil, ErrShortKey
	}
	return k, nil
}

// NewRandomSecret returns a fresh secret of MinKeyLen bytes from
// crypto/rand: the advertiser's key of one run, unless it keeps one.
func NewRandomSecret() []byte {
	b := make([]byte, MinKeyLen)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

// Check returns the key's check value: recorded in a users' file, carried
// in the reply, so that finishing with another key is an error, not an
// empty audience. It tells nothing of the key.
func (k *Key) Check() [16]byte { return k.check }

// UsersDigest returns a new HMAC-SHA256 under the key's digest key: the
// platform writes into it what it read of its users (see cmd/match), so
// that finishing against another users' file is an error. Keyed, it tells
// the advertiser nothing about the user base.
func (k *Key) UsersDigest() hash.Hash { return hmac.New(sha256.New, k.digest[:]) }
