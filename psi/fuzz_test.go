package psi

import (
	"bytes"
	"context"
	"testing"

	"github.com/audiencematch/audiencematch/normalize"
)

// FuzzReader reads anything as a psi file: it never panics, and a file it
// reads whole is written back byte for byte from its header and elements.
// The seed corpus (testdata/fuzz/FuzzReader) holds a users' file and a
// reply, whole and damaged.
func FuzzReader(f *testing.F) {
	b, a := key(f, 1), key(f, 2)
	u := usersFile(f, b, testUsers...)
	r := reply(f, u, a, a, testList...)
	var uc bytes.Buffer
	h := &Header{Kind: KindUsers, Families: FamiliesFor(normalize.EmailUID2), Region: "GB", CallingCodes: []uint16{1, 44}, Counts: [2]int64{1}}
	if err := WriteUsers(context.Background(), &uc, b, h, ids("+442071838750"), 1); err != nil {
		f.Fatal(err)
	}
	for _, s := range [][]byte{u, r, uc.Bytes(), u[:100], r[:len(r)-1], []byte(Magic), nil} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, es, err := readAll(in)
		if err != nil {
			return
		}
		var out bytes.Buffer
		w, err := NewWriter(&out, &h)
		if err != nil {
			t.Fatalf("a header read is refused by NewWriter: %v", err)
		}
		if err := w.Write(es); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), in) {
			t.Fatalf("read and written again, the file differs:\n%x\n%x", in, out.Bytes())
		}
	})
}
