package csvrow

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
)

// ChunkSize is the size of a Chunk's buffer: room for a few thousand lines,
// and more than MaxLineLen, so that any line short enough to be read fits
// in one chunk.
const ChunkSize = MaxLineLen + 64<<10

// A Chunk is a run of whole lines of the input, read by ReadChunk so that
// several goroutines can split and process lines while one reads. Each
// Splitter splits the lines of the chunks it is given.
type Chunk struct {
	First   int64  // the number of the chunk's first line
	N       int    // the number of lines in the chunk
	Data    []byte // whole lines, each ending in "\n" but perhaps the input's last
	TooLong bool   // the chunk is the single line First, refused as longer than MaxLineLen
}

// ReadChunk reads the next lines after the header into c, reusing c.Data.
// A line longer than MaxLineLen comes as a chunk of its own with TooLong
// set and no Data. At the end of input the error is io.EOF; another error
// is an I/O error from the underlying reader.
//
// ReadChunk and Next read the same lines: use one or the other after
// Header, not both.
func (r *Reader) ReadChunk(c *Chunk) error {
	c.First, c.N, c.TooLong = r.line+1, 0, false
	if cap(c.Data) < ChunkSize {
		c.Data = make([]byte, 0, ChunkSize)
	}
	c.Data = append(c.Data[:0], r.carry...)
	r.carry = r.carry[:0]
	for len(c.Data) < cap(c.Data) && !r.eof {
		// What the header left in the buffer first; then straight from
		// the source, without copying through the buffer.
		var n int
		var err error
		if r.br.Buffered() > 0 {
			n, err = r.br.Read(c.Data[len(c.Data):cap(c.Data)])
		} else {
			n, err = r.src.Read(c.Data[len(c.Data):cap(c.Data)])
		}
		c.Data = c.Data[:len(c.Data)+n]
		if err == io.EOF {
			r.eof = true
		} else if err != nil {
			return err
		}
	}
	if len(c.Data) == 0 {
		return io.EOF
	}
	end := len(c.Data)
	if !r.eof || c.Data[end-1] == '\n' {
		end = bytes.LastIndexByte(c.Data, '\n') + 1
		if end == 0 {
			// A whole chunk without a line end: a line too long to read.
			// Skip to its end.
			for {
				_, err := r.br.ReadSlice('\n')
				if err == bufio.ErrBufferFull {
					continue
				}
				if err == io.EOF {
					r.eof = true
				} else if err != nil {
					return err
				}
				break
			}
			r.line++
			c.Data, c.N, c.TooLong = c.Data[:0], 1, true
			return nil
		}
	}
	r.carry = append(r.carry, c.Data[end:]...)
	c.Data = c.Data[:end]
	c.N = bytes.Count(c.Data, []byte{'\n'})
	if c.Data[end-1] != '\n' {
		c.N++ // the input's last line, without a line end
	}
	r.line += int64(c.N)
	return nil
}

// Lines calls yield with the number and bytes of each line of the chunk,
// without its line ending, until yield returns false.
func (c *Chunk) Lines(yield func(line int64, raw []byte) bool) {
	line, data := c.First, c.Data
	for len(data) > 0 {
		raw := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if n := len(raw); n > 0 && raw[n-1] == '\r' {
			raw = raw[:n-1]
		}
		if !yield(line, raw) {
			return
		}
		line++
	}
}

// SplitLines calls yield with the number of each line of c and its fields,
// or the reason the line is refused, as Split gives them, until yield
// returns false. It checks the chunk for UTF-8 once, not line by line.
func (s *Splitter) SplitLines(c *Chunk, yield func(line int64, fields [][]byte, err error) bool) {
	if c.TooLong {
		yield(c.First, nil, ErrFieldTooLong)
		return
	}
	ascii := isASCII(c.Data)
	c.Lines(func(line int64, raw []byte) bool {
		fields, err := s.split1(raw, ascii)
		return yield(line, fields, err)
	})
}

// isASCII reports whether b is all ASCII, eight bytes at a time.
func isASCII(b []byte) bool {
	const high = 0x8080808080808080
	var acc uint64
	for len(b) >= 8 {
		acc |= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	for _, c := range b {
		acc |= uint64(c)
	}
	return acc&high == 0
}
