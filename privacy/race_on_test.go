//go:build race

package privacy

// raceEnabled: the race detector slows the seeded attack trials about
// tenfold, so they run fewer of them (with a wider margin).
const raceEnabled = true
