package synth

// Every random choice of a row comes from a PCG (math/rand/v2) seeded from
// (Config.Seed, stream, row index) alone, so any row can be regenerated on
// its own: a list row that names user i re-runs user i's draws, and nothing
// is kept between rows.

// Streams keep the draws of different tables independent.
const (
	streamUser   = 1 // user i's region and phone
	streamOptOut = 2 // whether user i opted out
	streamList   = 3 // list row j
	streamID     = 4 // the offset of the user id permutation
	streamEvent  = 5 // consent event j
)

const golden = 0x9e3779b97f4a7c15

// mix is the SplitMix64 finalizer: a bijection of uint64 that spreads every
// input bit over all output bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// rowSeed returns the two PCG seed words of row i of stream.
func rowSeed(seed, stream, i uint64) (uint64, uint64) {
	base := streamBase(seed, stream)
	a := mix(base ^ mix(i+golden))
	return a, mix(a + golden)
}

// streamBase returns the per-seed base word of stream.
func streamBase(seed, stream uint64) uint64 {
	return mix(seed + stream*golden)
}

// unitFloat maps a uniform uint64 to [0, 1) with 53 bits.
func unitFloat(x uint64) float64 {
	return float64(x>>11) / (1 << 53)
}
