package psi

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"maps"
	"slices"
)

// Writer writes a psi file as a stream (see read.go for the format): the
// header at once, then the elements, then the trailer on Close. It is not
// safe for concurrent use.
type Writer struct {
	w    *bufio.Writer
	sum  hash.Hash
	want int64 // elements the header announces
	n    int64 // elements written
	err  error
}

// NewWriter checks h and writes it to w. Its counts must be those of the
// elements that follow.
func NewWriter(w io.Writer, h *Header) (*Writer, error) {
	if h.Group == 0 {
		h.Group = Ristretto255
	}
	switch {
	case h.Kind != KindUsers && h.Kind != KindReply:
		return nil, fmt.Errorf("psi: NewWriter: %v", h.Kind)
	case h.Group != Ristretto255 || !h.Families.Known():
		return nil, fmt.Errorf("psi: NewWriter: %w", ErrVersion)
	}
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("psi: NewWriter: %v", err)
	}
	b := make([]byte, fixedHeader, fixedHeader+64)
	copy(b, Magic)
	b[8], b[9], b[10], b[11] = Version, byte(h.Kind), byte(h.Group), byte(h.Families)
	copy(b[12:], h.Session[:])
	copy(b[28:], h.KeyCheck[:])
	copy(b[44:], h.Users[:])
	copy(b[76:80], h.Region)
	le := binary.LittleEndian
	st := &h.List
	for i, n := range []int64{h.Counts[0], h.Counts[1], st.Rows, st.Accepted, st.Phone.Accepted, st.Email.Accepted} {
		le.PutUint64(b[80+8*i:], uint64(n))
	}
	b[128] = listKindByte[h.ListKind]
	for _, by := range []map[string]int64{st.RejectedBy, st.Phone.RejectedBy, st.Email.RejectedBy} {
		b = le.AppendUint16(b, uint16(len(by)))
		for _, name := range slices.Sorted(maps.Keys(by)) {
			b = append(b, byte(len(name)))
			b = append(b, name...)
			b = le.AppendUint64(b, uint64(by[name]))
		}
	}
	b = le.AppendUint16(b, uint16(len(h.CallingCodes)))
	for _, c := range h.CallingCodes {
		b = le.AppendUint16(b, c)
	}
	b = le.AppendUint32(b, crc32.Checksum(b, crcTable))
	wr := &Writer{w: bufio.NewWriterSize(w, 1<<16), sum: sha256.New(), want: h.Counts[0] + h.Counts[1]}
	return wr, wr.write(b)
}

func (w *Writer) write(b []byte) error {
	if w.err != nil {
		return w.err
	}
	w.sum.Write(b)
	_, w.err = w.w.Write(b)
	return w.err
}

// ErrCount is returned by a Writer given more or fewer elements than its
// header announced.
var ErrCount = errors.New("psi: element count differs from the header's")

// Write writes elements.
func (w *Writer) Write(ps []Element) error {
	if w.n+int64(len(ps)) > w.want {
		w.err = ErrCount
		return w.err
	}
	for i := range ps {
		if err := w.write(ps[i][:]); err != nil {
			return err
		}
	}
	w.n += int64(len(ps))
	return nil
}

// Close writes the trailer and flushes. It does not close the writer
// under it. It fails with ErrCount unless every element was written.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.n != w.want {
		return ErrCount
	}
	if _, err := w.w.Write(w.sum.Sum(nil)); err != nil {
		return err
	}
	return w.w.Flush()
}
