// Package bench holds the stage benchmarks of the matching engine
// (bench_test.go: normalization, SHA-256, the whole match against a
// hand-written baseline, and the join of a pre-hashed list with and without
// the bloom filter), the scale harness scripts (hashratio.sh, run by make
// scale-hash) and RESULTS.md, where the figures are kept. It has no code of
// its own.
//
// The data they run on comes from the seeded generator, package
// internal/synth; command bench/cmd/gen writes its files.
package bench
