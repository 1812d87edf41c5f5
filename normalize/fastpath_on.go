//go:build !nofastpath

package normalize

// fastPath is true unless the module is built with -tags nofastpath, which
// sends every number through the library: the baseline of the benchmarks
// and of `make scale`.
const fastPath = true
