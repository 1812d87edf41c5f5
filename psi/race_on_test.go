//go:build race

package psi

// raceEnabled: the race detector slows ristretto255 about a hundredfold,
// so the tests that multiply much multiply less under it.
const raceEnabled = true
