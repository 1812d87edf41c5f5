package csvrow

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// viaNext reads data after its header with Next, one string per line.
func viaNext(t *testing.T, r io.Reader) []string {
	cr := NewReader(r)
	if _, err := cr.Header(); err != nil {
		return []string{"header: " + err.Error()}
	}
	var out []string
	for {
		line, fields, err := cr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			err = err.(*LineError).Err
		}
		out = append(out, fmt.Sprintf("%d %q %v", line, fields, err))
	}
}

// viaChunks reads data after its header with ReadChunk and a Splitter.
func viaChunks(t *testing.T, r io.Reader) []string {
	cr := NewReader(r)
	if _, err := cr.Header(); err != nil {
		return []string{"header: " + err.Error()}
	}
	sp := cr.Splitter()
	var out []string
	var c Chunk
	for {
		err := cr.ReadChunk(&c)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("ReadChunk: %v", err)
		}
		n := 0
		sp.SplitLines(&c, func(line int64, fields [][]byte, err error) bool {
			out = append(out, fmt.Sprintf("%d %q %v", line, fields, err))
			n++
			return true
		})
		if n != c.N {
			t.Fatalf("chunk at line %d: %d lines, N = %d", c.First, n, c.N)
		}
	}
}

// checkChunks asserts that reading by chunks gives what Next gives.
func checkChunks(t *testing.T, data []byte) {
	want := viaNext(t, bytes.NewReader(data))
	got := viaChunks(t, bytes.NewReader(data))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ReadChunk and Next disagree on %q:\nchunks %q\nnext   %q", clip(string(data)), got, want)
	}
}

func TestReadChunk(t *testing.T) {
	long := func(n int) string { return strings.Repeat("7", n) }
	tests := map[string]string{
		"empty":              "",
		"header only":        "phone\n",
		"no final newline":   "phone\n1\n2",
		"crlf":               "phone,country\r\n1,US\r\n\r\n\"2\",\"F\"\"R\"\r\n",
		"blank and bad":      "phone\n\n  \n\"x\n\xff\n\u00a0\n\u00a0x\n",
		"line at max":        "phone\n1\n" + long(MaxLineLen) + "\n2\n",
		"line over max":      "phone\n1\n" + long(MaxLineLen+1) + "\n2\n",
		"line fills a chunk": "phone\n1\n" + long(ChunkSize-1) + "\n2\n",
		"line over a chunk":  "phone\n1\n" + long(ChunkSize+1) + "\n2\n",
		"huge last line":     "phone\n1\n" + long(3*ChunkSize),
		"huge lines":         "phone\n" + long(2*ChunkSize) + "\n" + long(ChunkSize) + "\n3\n" + long(ChunkSize-10) + "\n",
		"many lines":         "phone\n" + strings.Repeat("+1 650 555 1234\n", 3*ChunkSize/16),
		"lines across edges": "phone\n" + strings.Repeat("12345,\n6\n", ChunkSize/4),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			want := viaNext(t, strings.NewReader(in))
			for _, r := range []struct {
				name string
				r    io.Reader
			}{
				{"whole", strings.NewReader(in)},
				{"halves", iotest.HalfReader(strings.NewReader(in))},
				{"odd sizes", io.MultiReader(strings.NewReader(in[:len(in)/3]), strings.NewReader(in[len(in)/3:]))},
			} {
				got := viaChunks(t, r.r)
				if len(got) != len(want) {
					t.Fatalf("%s: %d lines by chunks, %d by Next", r.name, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s: line %d: chunks %.80s, Next %.80s", r.name, i, got[i], want[i])
					}
				}
			}
		})
	}
}

func TestReadChunk_IOError(t *testing.T) {
	boom := io.ErrClosedPipe
	r := NewReader(io.MultiReader(strings.NewReader("phone\n1\n2\n"), iotest.ErrReader(boom)))
	if _, err := r.Header(); err != nil {
		t.Fatal(err)
	}
	var c Chunk
	err := r.ReadChunk(&c)
	for err == nil {
		err = r.ReadChunk(&c)
	}
	if err != boom {
		t.Fatalf("ReadChunk: %v, want %v", err, boom)
	}
}
