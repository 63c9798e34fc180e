package deflate

import (
	"bytes"
	"compress/flate"
	"io"
	"testing"
)

// BenchmarkText64K is the bench's compressed response (bench/run.sh,
// case comp): the first 64 KiB of doc/*.md, written in 16 KiB pieces each
// followed by a Flush, as the proxy does when the server's reads come in
// that size. It reports the output's size in bytes; "stdlib" is
// compress/flate at level 1 for comparison.
func BenchmarkText64K(b *testing.B) {
	data := textOf(b, 65536)
	std, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	b.Run("baton", func(b *testing.B) { benchText(b, NewWriter(Gzip), data) })
	b.Run("stdlib", func(b *testing.B) { benchText(b, std, data) })
}

type compressor interface {
	Reset(io.Writer)
	io.Writer
	Flush() error
	Close() error
}

func benchText(b *testing.B, w compressor, data []byte) {
	var out bytes.Buffer
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		out.Reset()
		w.Reset(&out)
		for off := 0; off < len(data); off += 16384 {
			w.Write(data[off : off+16384])
			w.Flush()
		}
		w.Close()
	}
	b.ReportMetric(float64(out.Len()), "bytes")
}
