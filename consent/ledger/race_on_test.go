//go:build race

package ledger

// raceEnabled: the race detector turns on checkptr, which makes bbolt's
// pointer arithmetic over a damaged page a fatal error rather than a
// fault or a panic, so the damage fuzz test does not run under it.
const raceEnabled = true
