package matcher

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/audiencematch/audiencematch/normalize"
)

// uniqueBase returns n users, each with a phone and, for every other one,
// an address of its own, and a list naming every third user's phone or
// address and as many strangers', in rows of one identifier.
func uniqueBase(n int) (base []User, list []Entry) {
	for i := range n {
		u := User{Line: int64(i + 2), ID: fmt.Sprintf("user%06d", i), Phone: fmt.Sprintf("+1650%07d", 2_000_000+i)}
		if i%2 == 0 {
			u.Email = fmt.Sprintf("user.%d+tag@gmail.com", i)
		}
		base = append(base, u)
	}
	for i := 0; i < n; i += 3 {
		for _, j := range []int{i, n + i} { // a user's, a stranger's
			e := Entry{Line: int64(len(list) + 2), Phone: fmt.Sprintf("+1 650 %07d", 2_000_000+j)}
			if i%2 == 0 {
				e = Entry{Line: e.Line, Keys: []Key{emailKey("email", fmt.Sprintf("user.%d+tag@gmail.com", j))}}
			}
			list = append(list, e)
		}
	}
	return base, list
}

// matchKeyset runs match as Index.Match does, on ks: the index's keyset,
// or the same hiding its batch methods (struct{ keyset }), which looks
// up one digest after another.
func matchKeyset(t *testing.T, ks keyset, list []Entry, opts *Options) (result, error) {
	t.Helper()
	o, err := opts.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Prefilter == PrefilterAuto {
		o.Prefilter = defaultIndexPrefilter
	}
	var r result
	st, err := match(context.Background(), ks, &o, slices.Values(list), nil, func(m Match) error {
		r.IDs = append(r.IDs, m.UserID)
		r.Lines = append(r.Lines, m.Line)
		return nil
	}, func(rj Reject) { r.Rejects = append(r.Rejects, rj) })
	r.Stats = st
	return r, err
}

// TestIndex_Match_AsksAhead: a match asks the kernel ahead for every page
// of the index it then reads, each chunk once, and, once the pages are
// read and checked, for none.
func TestIndex_Match_AsksAhead(t *testing.T) {
	base, list := uniqueBase(3000)
	path := writeIndex(t, base, nil)
	defer func(c int64) { adviseChunk = c }(adviseChunk)
	for _, o := range []*Options{
		{Format: normalize.E164Hex, EmailFormat: normalize.EmailHex},
		{Format: normalize.Digits, EmailFormat: normalize.EmailUID2},
		{Format: normalize.E164Hex, Workers: 1},
	} {
		// Chunks of one page ask for exactly what a pass needs.
		for _, chunk := range []int64{1, 16} {
			adviseChunk = chunk
			t.Run(fmt.Sprintf("%v,%v,workers=%d,chunk=%d", o.Format, o.EmailFormat, o.Workers, chunk), func(t *testing.T) {
				ix, err := OpenIndex(path)
				if err != nil {
					t.Fatal(err)
				}
				defer ix.Close()
				var (
					mu    sync.Mutex
					asked []bool // by page
				)
				ix.ahead = func(b []byte) {
					mu.Lock()
					defer mu.Unlock()
					if asked == nil {
						asked = make([]bool, len(ix.sums)/4)
					}
					start := (int64(len(ix.data)-cap(b)) - pageSize) / pageSize // b is ix.data[start:end]
					// (A chunk may run into the checksum table, past the pages.)
					for p := start; p < min(start+int64(len(b)+pageSize-1)/pageSize, int64(len(asked))); p++ {
						if asked[p] {
							t.Errorf("page %d asked for twice", p)
						}
						asked[p] = true
					}
				}
				got, err := matchKeyset(t, newIndexKeyset(ix, o.EmailFormat), list, o)
				if err != nil {
					t.Fatal(err)
				}
				if got.Stats.Audience < int64(len(list))/3 {
					t.Fatalf("audience %d of a list of %d rows: the list should match a third", got.Stats.Audience, len(list))
				}
				read, unasked := 0, 0
				for p := range int64(len(ix.sums) / 4) {
					if ix.verified[p/64].Load()&(1<<(p%64)) != 0 {
						read++
						if asked == nil || !asked[p] {
							unasked++
						}
					}
				}
				if read == 0 || unasked > 0 {
					t.Errorf("%d pages read, %d of them not asked for ahead", read, unasked)
				}
				asked = nil
				again, err := matchKeyset(t, newIndexKeyset(ix, o.EmailFormat), list, o)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(again, got) {
					t.Errorf("second match differs:\n got %+v\nwant %+v", again, got)
				}
				if asked != nil {
					t.Errorf("pages asked for again, though read and checked")
				}
			})
		}
	}
}

// resealPages makes every page checksum of an index, and the checksum of
// their table, right again, as if the damage were in the data given to
// the build: only the index's own consistency checks can find it.
func resealPages(d []byte) []byte {
	le := binary.LittleEndian
	checks, pages := le.Uint64(d[88:]), le.Uint64(d[96:])
	for p := range pages {
		page := d[pageSize+p*pageSize : pageSize+(p+1)*pageSize]
		le.PutUint32(d[checks+4*p:], crc32.Checksum(page, castagnoli))
	}
	le.PutUint32(d[104:], crc32.Checksum(d[checks:], castagnoli))
	le.PutUint32(d[headerCRCAt:], crc32.Checksum(d[:headerCRCAt], castagnoli))
	return d
}

// TestIndex_Match_BatchedAsOneByOne: looking up a batch at once gives
// what looking up one digest after another gives, to the byte and the
// error, on indexes whose directory, rows and ids are damaged behind
// right checksums: the passes over a batch read the file before any check
// and must stay inside it.
func TestIndex_Match_BatchedAsOneByOne(t *testing.T) {
	base, list := uniqueBase(2000)
	rng := rand.New(rand.NewPCG(5, 6))
	phones, _ := smallIndex(t)
	for _, data := range [][]byte{phones, mustRead(t, writeIndex(t, base, nil))} {
		ix, err := OpenIndex(writeFile(t, data))
		if err != nil {
			t.Fatal(err)
		}
		secs := ix.Info().Sections
		ix.Close()
		n := 150
		if raceEnabled {
			n = 40
		}
		var failed, matched int
		for i := range n {
			d := bytes.Clone(data)
			// A few values of the directories, the rows and the id index
			// made wrong: small, large, or anything.
			for range 1 + rng.IntN(4) {
				s := secs[[]int{secEDir, secDDir, secMDir, secDRows, secMRows, secIDIndex, secIDData, secEKeys}[rng.IntN(8)]]
				if s.Length < 8 {
					continue
				}
				at := s.Offset + 4*rng.Int64N(s.Length/4-1)
				switch rng.IntN(3) {
				case 0:
					binary.LittleEndian.PutUint32(d[at:], binary.LittleEndian.Uint32(d[at:])+uint32(rng.IntN(5))-2)
				case 1:
					binary.LittleEndian.PutUint32(d[at:], 1<<31+rng.Uint32()>>1)
				default:
					binary.LittleEndian.PutUint32(d[at:], rng.Uint32())
				}
			}
			path := writeFile(t, resealPages(d))
			ix, err := OpenIndex(path)
			if err != nil {
				t.Fatalf("damage %d: open: %v", i, err)
			}
			for _, o := range []*Options{
				{Format: normalize.E164Hex, Workers: 1},
				{Format: normalize.Digits, EmailFormat: normalize.EmailUID2, Workers: 1},
				{Format: normalize.UID2, Prefilter: PrefilterBloom, Workers: 1},
			} {
				ks := newIndexKeyset(ix, o.EmailFormat)
				one, err1 := matchKeyset(t, struct{ keyset }{ks}, list, o)
				batch, err2 := matchKeyset(t, ks, list, o)
				if fmt.Sprint(err2) != fmt.Sprint(err1) || !reflect.DeepEqual(batch, one) {
					t.Fatalf("damage %d, %v: batched\n%+v, %v\none by one\n%+v, %v", i, o.Format, batch, err2, one, err1)
				}
				if err1 != nil && !errors.Is(err1, ErrIndexCorrupt) {
					t.Fatalf("damage %d, %v: %v, want ErrIndexCorrupt", i, o.Format, err1)
				}
				if err1 != nil {
					failed++
				} else {
					matched++
				}
			}
			ix.Close()
		}
		if failed == 0 || matched == 0 {
			t.Errorf("%d damaged matches failed, %d went through: want some of each", failed, matched)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
