package matcher

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/audiencematch/audiencematch/normalize"
)

// randomBase returns users with shared phones, users with several phones,
// repeated rows, bad phones and empty ids, and a list of raw phones that
// hits some of them, in several formats and regions.
func randomBase(rng *rand.Rand, nUsers, nList int) (base []User, list []Entry) {
	pool := 1 + nUsers/2
	num := func() int { return 2530000 + rng.IntN(pool) }
	for i := range nUsers {
		u := User{Line: int64(i + 2), ID: fmt.Sprintf("u%d", rng.IntN(nUsers+1)+i%3)}
		switch rng.IntN(12) {
		case 0:
			u.Phone = "nonsense"
		case 1:
			u.ID = ""
			u.Phone = fmt.Sprintf("+1650%07d", num())
		case 2:
			n := num()
			u.Phone, u.Region = fmt.Sprintf("0%d %d", 30, n), "DE"
		default:
			u.Phone = fmt.Sprintf("+1650%07d", num())
		}
		base = append(base, u)
	}
	for i := range nList {
		e := Entry{Line: int64(i + 2)}
		n := num()
		switch rng.IntN(6) {
		case 0:
			e.Phone = fmt.Sprintf("(650) %03d-%04d", n/10000, n%10000)
		case 1:
			e.Phone = fmt.Sprintf("+49 30 %d", n)
		case 2:
			e.Phone = "12"
		default:
			e.Phone = fmt.Sprintf("+1 650 %d", n)
		}
		list = append(list, e)
	}
	return base, list
}

// hashed returns the list with each phone hashed in f, as an advertiser
// would upload it; rows that do not normalize keep their phone as a hash,
// which then fails to decode.
func hashed(list []Entry, f normalize.Format) []Entry {
	out := make([]Entry, len(list))
	for i, e := range list {
		out[i] = Entry{Line: e.Line, Hash: "zz" + e.Phone}
		if s, err := normalize.E164(e.Phone, normalize.DefaultRegion); err == nil {
			out[i].Hash = string(normalize.AppendEncode(nil, normalize.Sum([]byte(s), f), f))
		}
	}
	return out
}

type result struct {
	IDs     []string
	Lines   []int64
	Stats   Stats
	Rejects []Reject
}

func collectMatch(t *testing.T, m func(yield func(Match) error, onReject func(Reject)) (Stats, error)) result {
	t.Helper()
	var r result
	st, err := m(func(m Match) error {
		r.IDs = append(r.IDs, m.UserID)
		r.Lines = append(r.Lines, m.Line)
		return nil
	}, func(rj Reject) { r.Rejects = append(r.Rejects, rj) })
	if err != nil {
		t.Fatal(err)
	}
	r.Stats = st
	return r
}

func writeIndex(t testing.TB, base []User, o *Options) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "base.idx")
	if _, err := WriteIndex(context.Background(), path, slices.Values(base), o, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestIndex_MatchesBase: an index file gives what a Base built from the same
// users gives, for raw and hashed lists of every format, with and without
// the bloom filter, with and without opt-outs.
func TestIndex_MatchesBase(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		base, list := randomBase(rng, 1+rng.IntN(300), rng.IntN(200))
		var optout []string
		for _, u := range base {
			if rng.IntN(5) == 0 {
				optout = append(optout, u.ID)
			}
		}
		excl := NewExclusions(slices.Values(optout))
		ix, err := OpenIndex(writeIndex(t, base, &Options{Workers: 1 + int(seed%2)}))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []normalize.Format{normalize.E164Hex, normalize.Digits, normalize.UID2} {
			lists := map[string][]Entry{"raw": list, "hashed": hashed(list, f)}
			for kind, l := range lists {
				b, err := BuildBase(context.Background(), slices.Values(base), &Options{Format: f}, nil)
				if err != nil {
					t.Fatal(err)
				}
				want := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
					return b.Match(context.Background(), slices.Values(l), excl, y, r)
				})
				for _, pf := range []Prefilter{PrefilterNone, PrefilterBloom} {
					got := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
						return ix.Match(context.Background(), slices.Values(l), &Options{Format: f, Prefilter: pf, Workers: 2}, excl, y, r)
					})
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("seed %d, %s %s list, prefilter %d:\nindex %+v\nbase  %+v", seed, kind, f, pf, got, want)
					}
				}
			}
		}
		info := ix.Info()
		if info.Users > info.Rows || info.KeysE164 > info.Rows || info.KeysDigits != info.KeysE164 {
			t.Fatalf("seed %d: info %+v", seed, info)
		}
		if err := ix.Verify(); err != nil {
			t.Fatal(err)
		}
		ix.Close()
	}
}

func TestIndex_Info(t *testing.T) {
	base := []User{
		{ID: "a", Phone: "+16502530000"},
		{ID: "b", Phone: "+16502530000"},
		{ID: "a", Phone: "+16502530001"},
		{ID: "c", Phone: "not a phone"},
		{ID: "d", Phone: "+16502530002", Region: "US"},
		{ID: "e", Email: "E@example.com"},
		{ID: "a", Email: "j.d+x@gmail.com"},
		{ID: "f", Phone: "nonsense", Email: "e@example.com"},
	}
	var rejects []Reject
	path := filepath.Join(t.TempDir(), "x.idx")
	info, err := WriteIndex(context.Background(), path, slices.Values(base), &Options{Region: "GB"}, func(r Reject) { rejects = append(rejects, r) })
	if err != nil {
		t.Fatal(err)
	}
	if len(rejects) != 1 || !errors.Is(rejects[0].Err, normalize.ErrNotANumber) {
		t.Errorf("rejects %v", rejects)
	}
	ix, err := OpenIndex(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	got := ix.Info()
	if got.Rows != 7 || got.PhoneRows != 4 || got.EmailEntries != 4 || got.KeysEmail != 3 || got.Users != 5 ||
		got.KeysE164 != 3 || got.KeysDigits != 3 || got.Region != "GB" || got.Version != 2 {
		t.Errorf("Info = %+v", got)
	}
	if !got.Built.Equal(info.Built) || got.Size != info.Size || !reflect.DeepEqual(got.Sections, info.Sections) {
		t.Errorf("Info after open %+v, at build %+v", got, info)
	}
	fi, _ := os.Stat(path)
	if fi.Size() != got.Size {
		t.Errorf("file is %d bytes, Info says %d", fi.Size(), got.Size)
	}
}

func TestIndex_Empty(t *testing.T) {
	ix, err := OpenIndex(writeIndex(t, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	got := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
		return ix.Match(context.Background(), phones("+16502530000"), &Options{Prefilter: PrefilterBloom}, nil, y, r)
	})
	if len(got.IDs) != 0 || got.Stats.Unmatched != 1 {
		t.Errorf("%+v", got)
	}
}

// smallIndex returns the bytes of a small index and a list that reads
// every part of it.
func smallIndex(t testing.TB) ([]byte, []Entry) {
	rng := rand.New(rand.NewPCG(1, 2))
	base, _ := randomBase(rng, 200, 0)
	data, err := os.ReadFile(writeIndex(t, base, nil))
	if err != nil {
		t.Fatal(err)
	}
	var list []Entry
	for i, u := range base {
		list = append(list, Entry{Line: int64(i + 2), Phone: u.Phone, Region: u.Region})
	}
	return data, list
}

// checkDamaged opens a damaged index: it must fail to open, or fail its
// Verify and any match that reads the damage, or give exactly the right
// answer.
func checkDamaged(t *testing.T, data []byte, list []Entry, want result, what string) (opened bool) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "damaged.idx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ix, err := OpenIndex(path)
	if err != nil {
		if !errors.Is(err, ErrIndexCorrupt) && !errors.Is(err, ErrNotIndex) && !errors.Is(err, ErrIndexVersion) {
			t.Fatalf("%s: open: %v, want a named problem", what, err)
		}
		return false
	}
	defer ix.Close()
	for _, f := range []normalize.Format{normalize.E164Hex, normalize.Digits} {
		for _, pf := range []Prefilter{PrefilterNone, PrefilterBloom} {
			var got result
			st, err := ix.Match(context.Background(), slices.Values(list), &Options{Format: f, Prefilter: pf}, nil, func(m Match) error {
				got.IDs = append(got.IDs, m.UserID)
				got.Lines = append(got.Lines, m.Line)
				return nil
			}, func(rj Reject) { got.Rejects = append(got.Rejects, rj) })
			got.Stats = st
			if err != nil {
				if !errors.Is(err, ErrIndexCorrupt) {
					t.Fatalf("%s: match: %v, want ErrIndexCorrupt", what, err)
				}
				continue
			}
			if f == normalize.E164Hex && !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: opened and matched wrongly:\n got %+v\nwant %+v", what, got, want)
			}
		}
	}
	if ix.Verify() == nil {
		t.Fatalf("%s: Verify finds nothing wrong", what)
	}
	return true
}

// TestIndex_FlippedBytes flips bytes all over a small index: no flip goes
// unnoticed, and none gives a wrong match.
func TestIndex_FlippedBytes(t *testing.T) {
	data, list := smallIndex(t)
	ix, err := OpenIndex(writeFile(t, data))
	if err != nil {
		t.Fatal(err)
	}
	want := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
		return ix.Match(context.Background(), slices.Values(list), nil, nil, y, r)
	})
	ix.Close()
	if len(want.IDs) < 100 {
		t.Fatalf("only %d users matched; the list should read every part of the index", len(want.IDs))
	}
	// Every byte of the header's fields, and bytes all over the rest.
	var at []int
	for i := range sectionTable + 16*numSections {
		at = append(at, i)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	n := 600
	if raceEnabled {
		n = 100
	}
	for range n {
		at = append(at, rng.IntN(len(data)))
	}
	var opened int
	for _, i := range at {
		mask := byte(1) << rng.IntN(8)
		d := bytes.Clone(data)
		d[i] ^= mask
		if checkDamaged(t, d, list, want, fmt.Sprintf("byte %d ^ %#x", i, mask)) {
			opened++
		}
	}
	if opened == 0 {
		t.Errorf("every damaged file failed to open: the page checks went untested")
	}
}

func TestIndex_Truncated(t *testing.T) {
	data, list := smallIndex(t)
	for _, n := range []int{0, 1, 7, 8, 100, 4095, 4096, 4097, 8192, len(data) / 2, len(data) - 4096, len(data) - 5, len(data) - 1} {
		if checkDamaged(t, data[:n], list, result{}, fmt.Sprintf("truncated to %d", n)) {
			t.Errorf("truncated to %d bytes: opened", n)
		}
	}
	long := append(bytes.Clone(data), 0)
	if checkDamaged(t, long, list, result{}, "one byte more") {
		t.Errorf("a byte appended: opened")
	}
}

// resealed returns data with the header changed by edit and its checksum
// made right again, as a file from another version would be.
func resealed(data []byte, edit func(h []byte)) []byte {
	d := bytes.Clone(data)
	edit(d)
	binary.LittleEndian.PutUint32(d[headerCRCAt:], crc32.Checksum(d[:headerCRCAt], castagnoli))
	return d
}

func TestIndex_OpenErrors(t *testing.T) {
	data, _ := smallIndex(t)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"csv", []byte("user_id,phone\nu1,+16502530000\n"), ErrNotIndex},
		{"wrong magic", resealed(data, func(h []byte) { h[0] = 'X' }), ErrNotIndex},
		{"version 3", resealed(data, func(h []byte) { binary.LittleEndian.PutUint32(h[8:], 3) }), ErrIndexVersion},
		{"version 1 with 13 sections", resealed(data, func(h []byte) { binary.LittleEndian.PutUint32(h[8:], 1) }), ErrIndexCorrupt},
		{"phone rows", resealed(data, func(h []byte) { h[phoneRowsAt]++ }), ErrIndexCorrupt},
		{"email entries", resealed(data, func(h []byte) { h[entriesAt] += 40 }), ErrIndexCorrupt},
		{"email section offset", resealed(data, func(h []byte) { h[sectionAt(secMKeys)+1]++ }), ErrIndexCorrupt},
		{"flags", resealed(data, func(h []byte) { h[12] = 2 }), ErrIndexCorrupt},
		{"keyed flag without a key check", resealed(data, func(h []byte) { h[12] = 1 }), ErrIndexKey},
		{"rows", resealed(data, func(h []byte) { h[24]++ }), ErrIndexCorrupt},
		{"users", resealed(data, func(h []byte) { h[32]-- }), ErrIndexCorrupt},
		{"bloom bits", resealed(data, func(h []byte) { h[73]++ }), ErrIndexCorrupt},
		{"region", resealed(data, func(h []byte) { h[80] = '1' }), ErrIndexCorrupt},
		{"section offset", resealed(data, func(h []byte) { h[sectionTable+16*secDKeys+1]++ }), ErrIndexCorrupt},
		{"checksum table", resealed(data, func(h []byte) { h[104]++ }), ErrIndexCorrupt},
		{"header checksum", func() []byte { d := bytes.Clone(data); d[200]++; return d }(), ErrIndexCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenIndex(writeFile(t, tc.data))
			if !errors.Is(err, tc.want) {
				t.Fatalf("OpenIndex: %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := OpenIndex(filepath.Join(t.TempDir(), "missing.idx")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func writeFile(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.idx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWriteIndex_Cancelled: a build that stops leaves nothing behind.
func TestWriteIndex_Cancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	users := func(yield func(User) bool) {
		for ; ; n++ {
			if n == 5000 {
				cancel()
			}
			if !yield(User{ID: fmt.Sprint(n), Phone: fmt.Sprintf("+1650%07d", n)}) {
				return
			}
		}
	}
	if _, err := WriteIndex(ctx, filepath.Join(dir, "x.idx"), users, nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteIndex: %v, want context.Canceled", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

// TestIndex_Concurrent: many matches at once on one index, under -race.
func TestIndex_Concurrent(t *testing.T) {
	data, list := smallIndex(t)
	ix, err := OpenIndex(writeFile(t, data))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var wg sync.WaitGroup
	results := make([]result, 8)
	for g := range results {
		wg.Go(func() {
			pf := []Prefilter{PrefilterNone, PrefilterBloom}[g%2]
			st, err := ix.Match(context.Background(), slices.Values(list), &Options{Prefilter: pf}, nil, func(m Match) error {
				results[g].IDs = append(results[g].IDs, m.UserID)
				return nil
			}, nil)
			if err != nil {
				t.Error(err)
			}
			results[g].Stats = st
		})
	}
	wg.Wait()
	for g := range results {
		if !reflect.DeepEqual(results[g], results[0]) {
			t.Fatalf("match %d differs from match 0", g)
		}
	}
}

// FuzzOpenIndex: no input makes OpenIndex, Verify or Match panic; an index
// that opens and verifies gives the same answer with and without its
// bloom filter.
func FuzzOpenIndex(f *testing.F) {
	data, _ := smallIndex(f)
	f.Add(data)
	f.Add(data[:4096])
	f.Add([]byte(indexMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.idx")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ix, err := OpenIndex(path)
		if err != nil {
			return
		}
		defer ix.Close()
		verr := ix.Verify()
		var res [2][]string
		for i, pf := range []Prefilter{PrefilterNone, PrefilterBloom} {
			_, err := ix.Match(context.Background(), phones("+16502530000", "+16502530001", "+16502530100"), &Options{Prefilter: pf}, nil, func(m Match) error {
				res[i] = append(res[i], m.UserID)
				return nil
			}, nil)
			if err != nil && verr == nil {
				t.Fatalf("Verify passes, Match fails: %v", err)
			}
		}
		if verr == nil && !slices.Equal(res[0], res[1]) {
			t.Fatalf("with bloom %q, without %q", res[1], res[0])
		}
	})
}

func TestKeyedDigest_IsHMAC(t *testing.T) {
	for i := range 20 {
		var key, d [32]byte
		for j := range key {
			key[j], d[j] = byte(i*7+j), byte(i*13+3*j)
		}
		mac := hmac.New(sha256.New, key[:])
		mac.Write(d[:])
		if got := keyedDigest(&key, &d); !bytes.Equal(got[:], mac.Sum(nil)) {
			t.Fatalf("keyedDigest differs from crypto/hmac for key %x", key)
		}
	}
}

// TestIndex_Keyed: a keyed index gives the unkeyed index's answers with its
// key, refuses to open without it or with another, and holds no bare
// SHA-256 digest of any user's phone.
func TestIndex_Keyed(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	base, list := randomBase(rng, 300, 200)
	secret := bytes.Repeat([]byte("k"), MinKeyLen)
	plain := writeIndex(t, base, nil)
	keyed := writeIndex(t, base, &Options{Key: secret})

	pix, err := OpenIndex(plain)
	if err != nil {
		t.Fatal(err)
	}
	defer pix.Close()
	kix, err := OpenKeyedIndex(keyed, secret)
	if err != nil {
		t.Fatal(err)
	}
	defer kix.Close()
	if !kix.Info().Keyed || pix.Info().Keyed {
		t.Fatalf("Keyed: %v and %v", kix.Info().Keyed, pix.Info().Keyed)
	}
	for _, f := range []normalize.Format{normalize.E164Hex, normalize.Digits, normalize.UID2} {
		for kind, l := range map[string][]Entry{"raw": list, "hashed": hashed(list, f)} {
			for _, pf := range []Prefilter{PrefilterNone, PrefilterBloom} {
				o := &Options{Format: f, Prefilter: pf}
				want := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
					return pix.Match(context.Background(), slices.Values(l), o, nil, y, r)
				})
				got := collectMatch(t, func(y func(Match) error, r func(Reject)) (Stats, error) {
					return kix.Match(context.Background(), slices.Values(l), o, nil, y, r)
				})
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s %s list, prefilter %d: keyed %+v, plain %+v", kind, f, pf, got, want)
				}
				if len(want.IDs) == 0 {
					t.Fatalf("%s %s list: no matches to compare", kind, f)
				}
			}
		}
	}

	for _, tc := range []struct {
		name   string
		path   string
		secret []byte
		want   error
	}{
		{"keyed, no key", keyed, nil, ErrIndexKey},
		{"keyed, wrong key", keyed, bytes.Repeat([]byte("j"), MinKeyLen), ErrIndexKey},
		{"plain, a key", plain, secret, ErrIndexKey},
		{"short key", keyed, []byte("short"), ErrShortKey},
	} {
		if _, err := OpenKeyedIndex(tc.path, tc.secret); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}

	// No bare digest of a user's phone, in any form the file could hold it.
	data, err := os.ReadFile(keyed)
	if err != nil {
		t.Fatal(err)
	}
	plainData, _ := os.ReadFile(plain)
	var checked int
	for _, u := range base {
		reg := u.Region
		if reg == "" {
			reg = normalize.DefaultRegion
		}
		e164, err := normalize.E164(u.Phone, reg)
		if err != nil || u.ID == "" {
			continue // not in either index
		}
		for _, f := range []normalize.Format{normalize.E164Hex, normalize.Digits} {
			d := normalize.Sum([]byte(e164), f)
			for _, part := range [][]byte{d[0:8], d[4:digestPrefix], d[8:16], d[16:24], d[24:32]} {
				if bytes.Contains(data, part) {
					t.Fatalf("the keyed index holds bytes of %s's bare %s digest", u.ID, f)
				}
			}
			if !bytes.Contains(plainData, d[4:digestPrefix]) {
				t.Fatalf("the scan finds nothing even in the plain index: it tests nothing")
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d digests checked", checked)
	}
}

// TestCollect_RepeatedIDs: the id set finds every repeated user id, and its
// first row, through the table's growth (200k rows, from 64k slots).
func TestCollect_RepeatedIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var users []User
	first := map[string]uint32{}
	var want [][2]uint32
	for i := range 200_000 {
		id := fmt.Sprintf("user-%d", rng.IntN(120_000))
		users = append(users, User{Line: int64(i + 2), ID: id, Phone: fmt.Sprintf("+1650%07d", rng.IntN(1e7))})
		if f, ok := first[id]; ok {
			want = append(want, [2]uint32{uint32(i), f})
		} else {
			first[id] = uint32(i)
		}
	}
	c, err := collect(context.Background(), slices.Values(users), &Options{Region: "US"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.n != len(users) || c.users != len(first) {
		t.Errorf("rows %d, users %d; want %d, %d", c.n, c.users, len(users), len(first))
	}
	if !slices.Equal(c.dups, want) {
		t.Errorf("%d repeated rows found, want %d; first difference at %d", len(c.dups), len(want),
			func() int {
				for i := range min(len(c.dups), len(want)) {
					if c.dups[i] != want[i] {
						return i
					}
				}
				return min(len(c.dups), len(want))
			}())
	}
}
