// Package csvrow reads CSV input files exactly as the match command does:
// one physical line at a time, so that a bad line is refused alone, keeps
// its line number and has one of the reasons below.
//
// It is internal/csvrow made importable from other modules: the Beam
// pipeline in beam/ reads its inputs with it, so that its rows, line
// numbers and reject reasons are match run's. Every name here is an alias
// of internal/csvrow's, whose documentation gives the dialect: RFC 4180
// without line breaks inside quoted fields, a header line whose names are
// compared case-insensitively, an optional UTF-8 byte order mark.
package csvrow

import (
	"io"

	"github.com/audiencematch/audiencematch/internal/csvrow"
)

// Reader reads lines of CSV. It is not safe for concurrent use.
type Reader = csvrow.Reader

// LineError is a refused line: its 1-based number and the reason, one of
// the Err values below.
type LineError = csvrow.LineError

// Reasons a line is refused, and header errors. They are the very values of
// internal/csvrow, so errors.Is matches either.
var (
	ErrFieldCount      = csvrow.ErrFieldCount
	ErrQuote           = csvrow.ErrQuote
	ErrUTF8            = csvrow.ErrUTF8
	ErrFieldTooLong    = csvrow.ErrFieldTooLong
	ErrBlank           = csvrow.ErrBlank
	ErrNoHeader        = csvrow.ErrNoHeader
	ErrDuplicateColumn = csvrow.ErrDuplicateColumn
)

// Limits: a field longer than MaxFieldLen bytes, or a line longer than
// MaxLineLen, is refused with ErrFieldTooLong.
const (
	MaxFieldLen = csvrow.MaxFieldLen
	MaxLineLen  = csvrow.MaxLineLen
)

// NewReader returns a Reader reading from r. Call Header first, then Next
// until io.EOF.
func NewReader(r io.Reader) *Reader { return csvrow.NewReader(r) }

// Index returns the position of each named column in header, and -1 for a
// missing one.
func Index(header []string, names ...string) []int { return csvrow.Index(header, names...) }
