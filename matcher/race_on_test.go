//go:build race

package matcher

// raceEnabled shrinks the differential corpus under the race detector,
// which makes the library ten times slower; make test also runs the full
// size without it.
const raceEnabled = true
