//go:build nofastpath

package normalize

// fastPath is false: built with -tags nofastpath, every number goes
// through the library.
const fastPath = false
