package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
)

// DefaultEpsilon is the privacy loss, in nats, that one decision about an
// audience spends: the noise added to its size is two-sided geometric with
// parameter exp(-DefaultEpsilon), a standard deviation of about 14 users.
// PRIVACY.md gives the arithmetic.
const DefaultEpsilon = 0.1

// DefaultBudget is what an advertiser may spend within Window: ten
// decisions at DefaultEpsilon. Spent whole, it multiplies an attacker's
// odds that a person is a matchable user by at most e (about 2.7).
const DefaultBudget = 1.0

// noiseLabel separates the noise PRF's inputs from any other use of the
// secret, and names its version: a change of the derivation changes it.
const noiseLabel = "audiencematch/privacy/noise/v1"

// noise returns the integer noise of one decision: two-sided geometric
// (the discrete Laplace distribution) with parameter exp(-epsilon),
//
//	P(k) = (1-a)/(1+a) * a^|k|,  a = exp(-epsilon),
//
// drawn from a ChaCha8 stream seeded with HMAC-SHA256(secret, label,
// advertiser, list, audience, epsilon): the same secret, advertiser, list
// and audience give the same noise, so asking again gives the same answer,
// while any other list or audience gets noise of its own. It is the
// difference of two geometric variables of parameter 1-a, each drawn by
// inversion.
func noise(secret []byte, advertiser string, list, audience [32]byte, epsilon float64) int64 {
	if epsilon <= 0 {
		return 0
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(noiseLabel))
	m.Write([]byte{0})
	m.Write([]byte(advertiser))
	m.Write([]byte{0})
	m.Write(list[:])
	m.Write(audience[:])
	var eb [8]byte
	binary.BigEndian.PutUint64(eb[:], math.Float64bits(epsilon))
	m.Write(eb[:])
	var seed [32]byte
	copy(seed[:], m.Sum(nil))
	r := rand.New(rand.NewChaCha8(seed))
	return geometric(r, epsilon) - geometric(r, epsilon)
}

// geometric returns the number of failures before the first success of
// trials that succeed with probability 1-exp(-epsilon): P(g) = (1-a) a^g.
func geometric(r *rand.Rand, epsilon float64) int64 {
	u := 1 - r.Float64() // in (0, 1]
	g := math.Floor(math.Log(u) / -epsilon)
	if g > 1<<40 {
		return 1 << 40 // u so small it never happens: keep the sum finite
	}
	return int64(g)
}
