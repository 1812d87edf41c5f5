package psi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cloudflare/circl/group"

	"github.com/audiencematch/audiencematch/matcher"
	"github.com/audiencematch/audiencematch/normalize"
)

func key(t testing.TB, seed byte) *Key {
	t.Helper()
	k, err := NewKey(bytes.Repeat([]byte{seed}, MinKeyLen))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ids returns the identifiers of normalized phones and emails: an email
// has an "@".
func ids(ss ...string) iter.Seq[Identifier] {
	return func(yield func(Identifier) bool) {
		for _, s := range ss {
			f := PhoneE164
			if strings.Contains(s, "@") {
				f = Email
			}
			if !yield(Identifier{f, sha256.Sum256([]byte(s))}) {
				return
			}
		}
	}
}

// usersFile writes the users' file of users under key b.
func usersFile(t testing.TB, b *Key, users ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	h := &Header{Kind: KindUsers, Families: FamiliesFor(normalize.EmailHex), Region: "US", Counts: [2]int64{int64(len(users))}}
	h.Session[0] = 7
	if err := WriteUsers(context.Background(), &buf, b, h, ids(users...), 2); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// reply writes the reply of key a (c for the users, d for the list) to
// the users' file u.
func reply(t testing.TB, u []byte, d, c *Key, list ...string) []byte {
	t.Helper()
	ctx := context.Background()
	de, err := BlindList(ctx, d, ids(list...), 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(u))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	st := listStats(list...)
	if err := WriteReply(ctx, &buf, c, r, de, ListKeys, st, 2); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// listStats returns the figures of a list of the identifiers list, one a
// row, and a row refused as empty.
func listStats(list ...string) matcher.Stats {
	st := matcher.Stats{Rows: int64(len(list)) + 1, Accepted: int64(len(list)), Rejected: 1, RejectedBy: map[string]int64{"empty": 1}}
	for _, x := range list {
		if strings.Contains(x, "@") {
			st.Email.Accepted++
		} else {
			st.Phone.Accepted++
		}
	}
	return st
}

func intersect(t testing.TB, b *Key, rep []byte) (*Intersection, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(rep))
	if err != nil {
		return nil, err
	}
	return Intersect(context.Background(), b, r, 2)
}

var (
	testUsers = []string{"+16502530000", "+12125550143", "+442071838750", "+4930123456", "+33142685300", "jane@example.com"}
	testList  = []string{"+4930123456", "+19999999999", "+16502530000", "+4930123456", "+14155550100", "jane@example.com"}
)

func TestProtocol(t *testing.T) {
	b, a := key(t, 1), key(t, 2)
	u := usersFile(t, b, testUsers...)
	in, err := intersect(t, b, reply(t, u, a, a, testList...))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]int64{0: 1, 3: 2, 5: 1}; !maps.Equal(in.Users, want) {
		t.Errorf("users on the list: got %v, want %v", in.Users, want)
	}
	if len(in.Others) != 2 || in.Others[0].Rows != 1 || in.Others[1].Rows != 1 {
		t.Errorf("others: got %v, want 2 of 1 row", in.Others)
	}
	h := in.Header
	if h.List.Rows != 7 || h.Counts != [2]int64{6, 6} || h.List.RejectedBy["empty"] != 1 || h.Session[0] != 7 ||
		h.List.Phone.Accepted != 5 || h.List.Email.Accepted != 1 || h.ListKind != ListKeys {
		t.Errorf("reply header: got %+v", h)
	}
}

// TestProtocol_OtherKey: a reply whose list was blinded with another key
// than the users' elements matches no one, and a reply made for another
// platform key is refused.
func TestProtocol_OtherKey(t *testing.T) {
	b, a, a2 := key(t, 1), key(t, 2), key(t, 3)
	u := usersFile(t, b, testUsers...)
	in, err := intersect(t, b, reply(t, u, a2, a, testList...))
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Users) != 0 {
		t.Errorf("list under another key: got %v on the list, want no one", in.Users)
	}
	if _, err := intersect(t, key(t, 4), reply(t, u, a, a, testList...)); !errors.Is(err, ErrKey) {
		t.Errorf("finish with another platform key: got %v, want ErrKey", err)
	}
}

func TestKey(t *testing.T) {
	if _, err := NewKey(make([]byte, MinKeyLen-1)); !errors.Is(err, ErrShortKey) {
		t.Errorf("short secret: got %v, want ErrShortKey", err)
	}
	if key(t, 1).Check() == key(t, 2).Check() {
		t.Error("two keys share a check value")
	}
	if bytes.Equal(NewRandomSecret(), NewRandomSecret()) {
		t.Error("two random secrets are equal")
	}
}

// readAll reads a psi file to its end.
func readAll(b []byte) (Header, []Element, error) {
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return Header{}, nil, err
	}
	var es []Element
	for i := 1; i <= 2; i++ {
		for e := range r.Section(i) {
			es = append(es, e)
		}
	}
	if err := r.Err(); err != nil {
		return Header{}, nil, err
	}
	return r.Header(), es, r.End()
}

// TestReader_Damage: every damaged, truncated, extended or reordered
// version of a reply is refused.
func TestReader_Damage(t *testing.T) {
	b, a := key(t, 1), key(t, 2)
	good := reply(t, usersFile(t, b, testUsers...), a, a, testList...)
	if _, _, err := readAll(good); err != nil {
		t.Fatalf("the good file: %v", err)
	}
	refused := func(name string, bad []byte) {
		t.Helper()
		_, _, err := readAll(bad)
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotPSI) && !errors.Is(err, ErrVersion) {
			t.Errorf("%s: got %v, want ErrCorrupt, ErrNotPSI or ErrVersion", name, err)
		}
	}
	for i := range good {
		bad := slices.Clone(good)
		bad[i] ^= 0x10
		refused(fmt.Sprintf("byte %d flipped", i), bad)
	}
	for n := range len(good) {
		refused(fmt.Sprintf("truncated to %d bytes", n), good[:n])
	}
	refused("a byte more", append(slices.Clone(good), 0))
	hdr := len(good) - 32 - 12*32
	bad := slices.Clone(good)
	copy(bad[hdr:], good[hdr+32:hdr+64])
	copy(bad[hdr+32:], good[hdr:hdr+32])
	refused("two elements swapped", bad)
	bad = slices.Clone(good)
	copy(bad[hdr:], good[hdr+6*32:hdr+12*32])
	copy(bad[hdr+6*32:], good[hdr:hdr+6*32])
	refused("sections swapped", bad)
	refused("a CSV", []byte("user_id,phone\nu1,+16502530000\n"))
}

// seed returns the bytes of a seed of FuzzReader's corpus.
func seed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/fuzz/FuzzReader", name))
	if err != nil {
		t.Fatal(err)
	}
	q := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(string(b)), "go test fuzz v1\n[]byte("), ")")
	s, err := strconv.Unquote(q)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return []byte(s)
}

// TestReader_Version1: a file of version 1 (phones only, the E.164
// string hashed to the group) is refused as a version, whole or
// truncated, and the message says which version this build reads.
func TestReader_Version1(t *testing.T) {
	for _, name := range []string{"reply-v1", "users-truncated"} {
		b := seed(t, name)
		if b[8] != 1 {
			t.Fatalf("%s: version %d, want a file of version 1", name, b[8])
		}
		_, err := NewReader(bytes.NewReader(b))
		if !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "version 1; this build reads version 2") {
			t.Errorf("%s: got %v, want ErrVersion naming versions 1 and 2", name, err)
		}
	}
	if _, _, err := readAll(seed(t, "reply")); err != nil {
		t.Errorf("the seed of version 2: %v", err)
	}
}

func TestReader_Kind(t *testing.T) {
	b := key(t, 1)
	u := usersFile(t, b, testUsers...)
	r, err := NewReader(bytes.NewReader(u))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Intersect(context.Background(), b, r, 1); !errors.Is(err, ErrKind) {
		t.Errorf("a users' file as the reply: got %v, want ErrKind", err)
	}
	rep := reply(t, u, key(t, 2), key(t, 2), testList...)
	r, _ = NewReader(bytes.NewReader(rep))
	if err := WriteReply(context.Background(), new(bytes.Buffer), b, r, nil, ListKeys, matcher.Stats{}, 1); !errors.Is(err, ErrKind) {
		t.Errorf("a reply as the users' file: got %v, want ErrKind", err)
	}
}

// TestBlind_BadPoint: an element that is not one is refused with its
// position.
func TestBlind_BadPoint(t *testing.T) {
	var good Element
	HashBlind(context.Background(), key(t, 1), ids("+16502530000"), 1, func(ps []Element) error {
		good = ps[0]
		return nil
	})
	bad := Element{0xff, 0xff}
	var n int
	err := Blind(context.Background(), key(t, 2), slices.Values([]Element{good, good, bad, good}), 1, func(ps []Element) error {
		n += len(ps)
		return nil
	})
	if !errors.Is(err, ErrPoint) || err.Error() != "element 2: "+ErrPoint.Error() || n != 2 {
		t.Errorf("got %v after %d elements, want element 2: ErrPoint after 2", err, n)
	}
	if err := Blind(context.Background(), key(t, 2), slices.Values([]Element{{}}), 1, func([]Element) error { return nil }); !errors.Is(err, ErrPoint) {
		t.Errorf("the identity: got %v, want ErrPoint", err)
	}
}

// TestBlind_Commutes: (x^a)^b == (x^b)^a, the property the protocol rests on,
// and the order of the input is kept on many workers, over two batches
// of the pipeline (one under the race detector).
func TestBlind_Commutes(t *testing.T) {
	ctx := context.Background()
	a, b := key(t, 1), key(t, 2)
	n := 1500
	if raceEnabled {
		n = 50
	}
	var xs []string
	for i := range n {
		xs = append(xs, fmt.Sprintf("+1650%07d", i))
	}
	collect := func(k *Key, in []Element) []Element {
		var out []Element
		if err := Blind(ctx, k, slices.Values(in), 4, func(ps []Element) error { out = append(out, ps...); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	var ha, hb []Element
	HashBlind(ctx, a, ids(xs...), 4, func(ps []Element) error { ha = append(ha, ps...); return nil })
	HashBlind(ctx, b, ids(xs...), 3, func(ps []Element) error { hb = append(hb, ps...); return nil })
	if !slices.Equal(collect(b, ha), collect(a, hb)) {
		t.Error("(x^a)^b != (x^b)^a, or the order was lost")
	}
}

func BenchmarkScalarMult(b *testing.B) {
	// One core: run with -cpu 1; the figure is elements/s of one worker.
	k := key(b, 1)
	var p Element
	HashBlind(context.Background(), k, ids("+16502530000"), 1, func(ps []Element) error { p = ps[0]; return nil })
	in := make([]Element, parallelBatch)
	for i := range in {
		in[i] = p
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for n < b.N {
		m := min(len(in), b.N-n)
		Blind(context.Background(), k, slices.Values(in[:m]), 1, func([]Element) error { return nil })
		n += m
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mults/s")
}

func BenchmarkHashBlind(b *testing.B) {
	k := key(b, 1)
	id := Identifier{PhoneE164, sha256.Sum256([]byte("+16502530000"))}
	src := func(yield func(Identifier) bool) {
		for range b.N {
			if !yield(id) {
				return
			}
		}
	}
	b.ReportAllocs()
	HashBlind(context.Background(), k, src, 1, func([]Element) error { return nil })
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ids/s")
}

const parallelBatch = 1024

// BenchmarkLibrary is the floor: circl's ristretto255 scalar multiplication
// alone, and with the decoding and encoding every blinded element needs,
// and hash-to-group. Run with -cpu 1: per core.
func BenchmarkLibrary(b *testing.B) {
	k := key(b, 1)
	g := group.Ristretto255
	d := sha256.Sum256([]byte("+16502530000"))
	e := g.HashToElement(d[:], PhoneE164.DST())
	enc, _ := e.MarshalBinaryCompress()
	b.Run("Mul", func(b *testing.B) {
		x := e.Copy()
		for b.Loop() {
			x.Mul(x, k.s)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mults/s")
	})
	b.Run("MulParallel", func(b *testing.B) {
		// Every core at once (-cpu 2 on this VM): the two-core floor.
		b.RunParallel(func(pb *testing.PB) {
			x := e.Copy()
			for pb.Next() {
				x.Mul(x, k.s)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mults/s")
	})
	b.Run("DecodeMulEncode", func(b *testing.B) {
		x := g.NewElement()
		for b.Loop() {
			x.UnmarshalBinary(enc)
			x.Mul(x, k.s)
			enc, _ = x.MarshalBinaryCompress()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mults/s")
	})
	b.Run("HashToElement", func(b *testing.B) {
		id, dst := d[:], PhoneE164.DST()
		for b.Loop() {
			g.HashToElement(id, dst)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
	})
}

// TestFamilies: a file holds phones and emails in one normal form; any
// other set is not one this build reads, and each family's tag is its
// own.
func TestFamilies(t *testing.T) {
	for _, c := range []struct {
		fs    Families
		known bool
		email normalize.Format
	}{
		{Families(PhoneE164 | Email), true, normalize.EmailHex},
		{Families(PhoneE164 | EmailUID2), true, normalize.EmailUID2},
		{Families(PhoneE164), false, normalize.EmailHex},
		{Families(Email), false, normalize.EmailHex},
		{Families(PhoneE164 | Email | EmailUID2), false, normalize.EmailUID2},
		{Families(PhoneE164 | Email | 8), false, normalize.EmailHex},
		{0, false, normalize.EmailHex},
	} {
		if got := c.fs.Known(); got != c.known {
			t.Errorf("%v: Known %v, want %v", c.fs, got, c.known)
		}
		if got := c.fs.EmailFormat(); got != c.email {
			t.Errorf("%v: EmailFormat %v, want %v", c.fs, got, c.email)
		}
	}
	tags := map[string]bool{}
	for _, f := range []Family{PhoneE164, Email, EmailUID2} {
		tags[string(f.DST())] = true
	}
	if len(tags) != 3 {
		t.Errorf("the three families share a tag: %v", tags)
	}
	// A users' file of another set of families is refused as a version.
	b := usersFile(t, key(t, 1), testUsers...)
	b[11] = byte(PhoneE164)
	crcAt := fixedHeader + 3*2 + 2
	binary.LittleEndian.PutUint32(b[crcAt:], crc32.Checksum(b[:crcAt], crcTable))
	if _, err := NewReader(bytes.NewReader(b)); !errors.Is(err, ErrVersion) {
		t.Errorf("a users' file of phones alone: got %v, want ErrVersion", err)
	}
}
