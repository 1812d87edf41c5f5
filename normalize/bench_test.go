package normalize

import (
	"crypto/sha256"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/audiencematch/audiencematch/internal/synth"
)

// The paired benchmarks of the fast path against the library, to be read as
// ratios from one run:
//
//	go test -run='^$' -bench='E164' -count=6 ./normalize | tee e164.txt
//	benchstat -col /path e164.txt

type row struct{ raw, region string }

// mixedCorpus is the generator's realistic contact-list corpus: every
// format style, 50 regions, about half national formats, 1% junk, and the
// mess of real exports (Unicode separators and digits, labels, dirt,
// spelled-out extensions).
func mixedCorpus(n int) []row { return corpus(n, false) }

// cleanCorpus is mixedCorpus without the mess: ASCII styles only.
func cleanCorpus(n int) []row { return corpus(n, true) }

func corpus(n int, clean bool) []row {
	cfg := synth.Config{Seed: 42, Users: n, ListRows: n, MatchRate: 0.5, BadRate: 0.01, Clean: clean}
	var rows []row
	for r := range synth.List(cfg) {
		if r.Country == "" {
			r.Country = DefaultRegion
		}
		rows = append(rows, row{r.Phone, r.Country})
	}
	return rows
}

// e164Corpus is the same numbers, already in E.164.
func e164Corpus(n int) []row {
	var rows []row
	for _, r := range mixedCorpus(n) {
		if e, err := libraryAppendE164(nil, r.raw, r.region); err == nil {
			rows = append(rows, row{string(e), r.region})
		}
	}
	return rows
}

func perRow(b *testing.B, n int) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkE164 compares, on the realistic corpus (mixed), the same
// numbers without the mess (clean) and on E.164 input, the engine's
// AppendE164 (fast path, library fallback) with the library's Parse +
// IsPossibleNumber + Format. It reports the share of rows that fell back
// to the library.
func BenchmarkE164(b *testing.B) {
	for _, c := range []struct {
		name string
		rows []row
	}{{"corpus=mixed", mixedCorpus(20_000)}, {"corpus=clean", cleanCorpus(20_000)}, {"corpus=e164", e164Corpus(20_000)}} {
		b.Run(c.name+"/path=fast", func(b *testing.B) {
			fallback := 0 // rows that reach the library: not refused before either path
			for _, r := range c.rows {
				if _, handled, _ := fastAppendE164(nil, r.raw, r.region); !handled && len(r.raw) <= MaxInputLen && !blank(r.raw) {
					fallback++
				}
			}
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				for _, r := range c.rows {
					buf, _ = AppendE164(buf[:0], r.raw, r.region)
				}
			}
			perRow(b, len(c.rows))
			b.ReportMetric(100*float64(fallback)/float64(len(c.rows)), "%fallback")
		})
		b.Run(c.name+"/path=library", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, r := range c.rows {
					if num, err := phonenumbers.Parse(r.raw, r.region); err == nil && phonenumbers.IsPossibleNumber(num) {
						_ = phonenumbers.Format(num, phonenumbers.E164)
					}
				}
			}
			perRow(b, len(c.rows))
		})
	}
}

// BenchmarkE164Hashed puts the fast path on E.164 input next to the
// SHA-256 of the same strings, the cost it is measured against, by
// sha256.Sum256 and by the Hasher (the same digests, fewer copies).
func BenchmarkE164Hashed(b *testing.B) {
	rows := e164Corpus(20_000)
	phones := make([][]byte, len(rows))
	for i, r := range rows {
		phones[i] = []byte(r.raw)
	}
	b.Run("step=normalize", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			for _, r := range rows {
				buf, _ = AppendE164(buf[:0], r.raw, r.region)
			}
		}
		perRow(b, len(rows))
	})
	hashAll := func(b *testing.B, sum func([]byte) [32]byte) {
		b.ReportAllocs()
		var x byte
		for b.Loop() {
			for _, p := range phones {
				d := sum(p)
				x ^= d[0]
			}
		}
		perRow(b, len(rows))
	}
	b.Run("step=sha256", func(b *testing.B) { hashAll(b, sha256.Sum256) })
	h := NewHasher()
	b.Run("step=hasher", func(b *testing.B) { hashAll(b, func(p []byte) [32]byte { return h.Sum(p, E164Hex) }) })
}
