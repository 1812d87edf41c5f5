package main

// Compressed inputs and outputs.
//
// Any input may be compressed with gzip (RFC 1952) or zstd (RFC 8878),
// whatever its name: its first bytes tell.
//
//	1f 8b          a gzip member
//	28 b5 2f fd    a zstd frame
//	5? 2a 4d 18    a zstd skippable frame (pzstd writes one first)
//
// An output is compressed if its name ends in ".gz" or ".zst" (in any
// case), and else plain: gzip at its default level, zstd at its default
// level, one stream each. Stdout is never compressed: pipe it.
//
// No CSV starts with these: 0x8b and 0xb5 cannot start UTF-8 text, and
// the last is "P*M" and a control character. Several gzip members or zstd
// frames one after the other (cat a.gz b.gz) read as their texts one after
// the other. Line numbers, in rejects and messages, are those of the text.
//
// A truncated or corrupt compressed input is a read error of the file,
// treated as every read error is: exit status 2 if met while opening it or
// reading its header, before any work; 1 if met later, mid-run, and then
// no output is left behind. The message names the file and the format:
// "list.csv.gz: gzip: truncated or corrupt data (unexpected EOF)".

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// compression is how an input is compressed.
type compression uint8

const (
	uncompressed compression = iota
	gzipped
	zstandard
)

func (c compression) String() string {
	switch c {
	case gzipped:
		return "gzip"
	case zstandard:
		return "zstd"
	}
	return "uncompressed"
}

// compressionOf returns the compression an output named name is written
// with: by its name's ending.
func compressionOf(name string) compression {
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".gz":
		return gzipped
	case ".zst":
		return zstandard
	}
	return uncompressed
}

// compressor returns a writer that compresses what it is given, as c, to
// w. Close writes the end of the stream (and not w's).
func compressor(c compression, w io.Writer) io.WriteCloser {
	if c == gzipped {
		return gzip.NewWriter(w)
	}
	// Concurrency 1: blocks are compressed in the caller's goroutine, so
	// that nothing writes to w after Close, and a failed write is
	// reported by the Write or Close that met it.
	z, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic("zstd: " + err.Error()) // only for bad options, and these are fixed
	}
	return z
}

// sniff reads the first bytes of r and returns its compression, and a
// reader of all of r, those bytes included.
func sniff(r io.Reader) (compression, io.Reader, error) {
	var magic [4]byte
	n, err := io.ReadFull(r, magic[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return uncompressed, nil, err
	}
	c := uncompressed
	switch m := magic[:n]; {
	case bytes.HasPrefix(m, []byte{0x1f, 0x8b}):
		c = gzipped
	case bytes.Equal(m, []byte{0x28, 0xb5, 0x2f, 0xfd}),
		n == 4 && m[0]&0xf0 == 0x50 && bytes.Equal(m[1:], []byte{0x2a, 0x4d, 0x18}):
		c = zstandard
	}
	return c, io.MultiReader(bytes.NewReader(magic[:n]), r), nil
}

// decompress returns a reader of the text of src, compressed as c. Close
// releases it (and not src).
func decompress(c compression, src io.Reader) (io.ReadCloser, error) {
	s := &source{r: src}
	d := &decoder{c: c, src: s}
	var err error
	switch c {
	case gzipped:
		// Reads the first member's header now.
		d.rc, err = gzip.NewReader(s)
	case zstandard:
		// One block at a time, in the caller's goroutine: nothing runs
		// after Close, and BenchmarkCommands/hash-zstd is as fast as
		// hash of the plain list.
		var z *zstd.Decoder
		if z, err = zstd.NewReader(s, zstd.WithDecoderConcurrency(1)); err == nil {
			d.rc = z.IOReadCloser()
		}
	default:
		return io.NopCloser(src), nil
	}
	if err != nil {
		return nil, d.wrap(err)
	}
	return d, nil
}

// source is the compressed bytes of an input, keeping the error of the
// file, so that a decoder's error is known to be the file's or the data's.
type source struct {
	r   io.Reader
	err error // the last error but io.EOF
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// decoder reads the text of a compressed input.
type decoder struct {
	c   compression
	src *source
	rc  io.ReadCloser
}

func (d *decoder) Read(p []byte) (int, error) {
	n, err := d.rc.Read(p)
	if err != nil && err != io.EOF {
		err = d.wrap(err)
	}
	return n, err
}

func (d *decoder) Close() error { return d.rc.Close() }

// wrap returns err, the decoder's, as the file's read error if it is one,
// and else as a *corruptError.
func (d *decoder) wrap(err error) error {
	if d.src.err != nil && errors.Is(err, d.src.err) {
		return err
	}
	return &corruptError{c: d.c, err: err}
}

// corruptError is compressed data the decoder refused: truncated, damaged,
// or no data of its format at all.
type corruptError struct {
	c   compression
	err error
}

func (e *corruptError) Error() string {
	reason := strings.TrimPrefix(e.err.Error(), e.c.String()+": ")
	if errors.Is(e.err, io.EOF) || errors.Is(e.err, io.ErrUnexpectedEOF) {
		reason = "unexpected EOF"
	}
	return e.c.String() + ": truncated or corrupt data (" + reason + ")"
}

func (e *corruptError) Unwrap() error { return e.err }

// Sizes for textSize: how much of a compressed file it decompresses to
// learn the file's compression ratio, and at most how much text it makes
// of that.
const (
	ratioSample  = 1 << 20
	ratioTextCap = 64 << 20
)

// textSize returns the size of the text of the file f, compressed as c,
// to compare the sides of a join: the file's size if uncompressed, else
// that size times the ratio of text to compressed bytes in the file's
// first MiB (exactly the text's size if the file is no longer). It reads
// with ReadAt, leaving f's offset alone. ok is false if f cannot be
// statted.
func textSize(f *os.File, c compression) (size int64, ok bool) {
	size, _, ok = sampleText(f, c)
	return size, ok
}

// textRows estimates the number of lines of the text of the file f,
// compressed as c: exactly if its text is no longer than what it samples,
// else the lines of its first MiB of text (of the text of its first
// compressed MiB, if compressed) scaled to the text's size (textSize).
// The sides of a join are compared by rows, since a side costs by its
// rows, whatever their width: a hashed list has three times the bytes of
// the raw list it came from. ok is false if f cannot be read.
func textRows(f *os.File, c compression) (rows int64, ok bool) {
	_, rows, ok = sampleText(f, c)
	return rows, ok
}

// sampleText reads the text of f's first MiB (decompressed, up to
// ratioTextCap, if compressed) once, and returns the size of f's text and
// its number of lines, both exact if the sample is the whole text and
// else scaled from the sample.
func sampleText(f *os.File, c compression) (size, rows int64, ok bool) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, false
	}
	var r io.Reader = io.NewSectionReader(f, 0, ratioSample)
	if c != uncompressed {
		d, err := decompress(c, r)
		if err != nil {
			return fi.Size(), 0, true
		}
		defer d.Close()
		r = io.LimitReader(d, ratioTextCap)
	}
	var text, lines int64
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf) // a cut file ends in an error
		text += int64(n)
		lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		if err != nil {
			break
		}
	}
	size = fi.Size()
	if c != uncompressed {
		size = text // the whole file, if no longer than the sample
		if fi.Size() > ratioSample {
			size = int64(float64(fi.Size()) / ratioSample * float64(text))
		}
	}
	if text == 0 || text >= size {
		return size, lines, true
	}
	return size, int64(float64(size) / float64(text) * float64(lines)), true
}
