package psi

import "errors"

// Errors of the psi package. A file that is not whole, not ours or not of
// the step that reads it is an error wrapping one of the first four; the
// error names the offset or the field, never an element.
var (
	// ErrNotPSI is returned when a file does not start with the psi magic:
	// a CSV, an index, anything else.
	ErrNotPSI = errors.New("not a psi file")

	// ErrVersion is returned for a psi file of a version, group or family
	// this build does not know.
	ErrVersion = errors.New("unsupported psi file version, group or family")

	// ErrCorrupt is returned when a file's header fails its CRC, its
	// elements their SHA-256 (damaged, reordered, spliced), or it ends
	// early or goes on past its trailer.
	ErrCorrupt = errors.New("psi file damaged or truncated")

	// ErrKind is returned when a file of one step is given to another: a
	// reply where the users' file is wanted, or the reverse.
	ErrKind = errors.New("wrong kind of psi file")

	// ErrKey is returned when the platform's key is not the one its users'
	// file was blinded with.
	ErrKey = errors.New("psi key mismatch")

	// ErrShortKey is returned for a secret shorter than MinKeyLen bytes.
	ErrShortKey = errors.New("psi key shorter than 32 bytes")

	// ErrPoint is returned when an element to be blinded is not the
	// canonical encoding of a ristretto255 element, or is the identity.
	ErrPoint = errors.New("not a ristretto255 element")
)
