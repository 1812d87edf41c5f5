package synth

import "errors"

// ErrConfig is returned (wrapped, with the field at fault) when a Config is
// out of range: a negative count, a rate outside [0, 1], MatchRate+BadRate
// above 1, or an unknown region.
var ErrConfig = errors.New("synth: invalid config")
