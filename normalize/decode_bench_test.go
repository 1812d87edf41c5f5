package normalize

import (
	"crypto/sha256"
	"strconv"
	"testing"
)

// BenchmarkDecode compares Decode with the standard library's decoders
// (referenceDecode: encoding/hex, strict encoding/base64) on the digests
// of a hashed list, per digest; read them as ratios from one run:
//
//	go test -run='^$' -bench='^BenchmarkDecode$' -count=6 ./normalize
func BenchmarkDecode(b *testing.B) {
	const n = 1024
	for _, f := range []Format{E164Hex, UID2} {
		in := make([]string, n)
		for i := range in {
			in[i] = Encode(sha256.Sum256([]byte("+1650555"+strconv.Itoa(1000+i))), f)
		}
		for _, impl := range []struct {
			name   string
			decode func(string, Format) ([32]byte, error)
		}{{"engine", Decode}, {"stdlib", referenceDecode}} {
			b.Run(f.String()+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				var sink byte
				for i := 0; b.Loop(); i++ {
					d, err := impl.decode(in[i%n], f)
					if err != nil {
						b.Fatal(err)
					}
					sink ^= d[0]
				}
				_ = sink
			})
		}
	}
}
