package pipeline

import (
	"errors"
	"fmt"
)

// ErrConfig is returned by Build when a Config is not usable: a required
// path missing, an unknown region, format, policy or side.
var ErrConfig = errors.New("bad configuration")

// FileError is returned by Build when an input file cannot be read or its
// header is not what the match needs. Err says what is wrong.
type FileError struct {
	Name string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s: %v", e.Name, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }
