//go:build race

package main

// raceEnabled shrinks the crash test's event file under the race detector,
// which slows the importing subprocess several times.
const raceEnabled = true
