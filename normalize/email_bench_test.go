package normalize

import (
	"crypto/sha256"
	"testing"
	"time"
)

// emailCorpus is a realistic mix of addresses as lists hold them: upper
// case, gmail.com with dots and tags, blanks around, a few long ones.
var emailCorpus = []string{
	"jane.doe@gmail.com", " John.Smith+Promo@Gmail.com", "MARIA.GARCIA@YAHOO.COM", "li.wei@example.co.uk",
	"peter_parker1987@hotmail.com ", "a.b.c.d+newsletter@gmail.com", "Anna-Lena.Mueller@web.de", "k@x.io",
	"customer.service.department.contact@a-rather-long-domain-name.example.com", "noreply+bounce-12345@mail.example.org",
}

// BenchmarkEmail compares normalizing and hashing an address (AppendEmail
// then Hasher.Sum, as a match does, in each format) with sha256.Sum256 of
// the raw address's bytes alone: the bound is 1.5×, with no
// allocation. Read the ratio from one run:
//
//	go test -run='^$' -bench='^BenchmarkEmail$' -count=6 ./normalize | tee email.txt
//	benchstat -col /op email.txt
func BenchmarkEmail(b *testing.B) {
	raw := make([][]byte, len(emailCorpus))
	for i, s := range emailCorpus {
		raw[i] = []byte(s)
	}
	b.Run("op=sha256", func(b *testing.B) {
		b.ReportAllocs()
		var sink byte
		for i := 0; b.Loop(); i++ {
			d := sha256.Sum256(raw[i%len(raw)])
			sink ^= d[0]
		}
		_ = sink
	})
	for _, f := range []Format{EmailHex, EmailUID2} {
		b.Run("op="+f.String(), func(b *testing.B) {
			b.ReportAllocs()
			h := NewHasher()
			buf := make([]byte, 0, MaxEmailLen)
			var sink byte
			for i := 0; b.Loop(); i++ {
				var err error
				buf, err = AppendEmail(buf[:0], emailCorpus[i%len(emailCorpus)], f)
				if err != nil {
					b.Fatal(err)
				}
				d := h.Sum(buf, f)
				sink ^= d[0]
			}
			_ = sink
		})
	}
}

// BenchmarkEmailRatio times normalize and hash (each email format) and
// sha256.Sum256 of the raw bytes in alternating blocks of the corpus, in
// one loop, and reports their ratio ("x-sha256"): on a machine whose load
// changes, both sides see the same load. The bound is 1.5.
//
//	go test -run='^$' -bench='^BenchmarkEmailRatio$' -count=6 ./normalize
func BenchmarkEmailRatio(b *testing.B) {
	raw := make([][]byte, len(emailCorpus))
	for i, s := range emailCorpus {
		raw[i] = []byte(s)
	}
	for _, f := range []Format{EmailHex, EmailUID2} {
		b.Run("format="+f.String(), func(b *testing.B) {
			b.ReportAllocs()
			h := NewHasher()
			buf := make([]byte, 0, MaxEmailLen)
			var sink byte
			var base, ours time.Duration
			const block = 256
			for b.Loop() {
				t0 := time.Now()
				for i := range block {
					d := sha256.Sum256(raw[i%len(raw)])
					sink ^= d[0]
				}
				t1 := time.Now()
				for i := range block {
					buf, _ = AppendEmail(buf[:0], emailCorpus[i%len(emailCorpus)], f)
					d := h.Sum(buf, f)
					sink ^= d[0]
				}
				t2 := time.Now()
				base, ours = base+t1.Sub(t0), ours+t2.Sub(t1)
			}
			_ = sink
			b.ReportMetric(float64(ours)/float64(base), "x-sha256")
			b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N*block), "ns/email")
			b.ReportMetric(float64(base.Nanoseconds())/float64(b.N*block), "ns/sha256")
		})
	}
}
