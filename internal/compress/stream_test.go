package compress

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"math/rand"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// text is compressible sample input of n bytes.
func text(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d: the quick brown fox jumps over the lazy dog %d\n", i, i*i%977)
	}
	return b.Bytes()[:n]
}

// chunkedBody frames data as a chunked body of random chunk sizes, with
// an extension and a trailer for the decoder to skip.
func chunkedBody(data []byte, rnd *rand.Rand) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := 1 + rnd.Intn(5000)
		if n > len(data) {
			n = len(data)
		}
		fmt.Fprintf(&b, "%X;ext=1\r\n", n)
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	b.WriteString("0\r\nX-Trailer: v\r\n\r\n")
	return b.Bytes()
}

func decode(t testing.TB, a Algo, wire []byte) []byte {
	t.Helper()
	plain, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(wire)))
	if err != nil {
		t.Fatalf("%v: chunked framing: %v", a, err)
	}
	var r io.Reader
	switch a {
	case Gzip:
		r, err = gzip.NewReader(bytes.NewReader(plain))
	case Deflate:
		r, err = zlib.NewReader(bytes.NewReader(plain))
	case RawDeflate:
		r = flate.NewReader(bytes.NewReader(plain))
	default:
		return plain
	}
	if err != nil {
		t.Fatalf("%v: %v", a, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%v: decompress: %v", a, err)
	}
	return out
}

// emit is the output after a Feed: the end of the stream once done,
// else a flush.
func emit(s *Stream, done bool) ([]byte, error) {
	if done {
		return s.Finish()
	}
	return s.Flush()
}

// feedAll runs body through s in random pieces, as reads would, and
// returns the wire output and how many bytes Feed took.
func feedAll(t testing.TB, s *Stream, body []byte, rnd *rand.Rand) ([]byte, int) {
	var wire []byte
	taken := 0
	for {
		n := 1 + rnd.Intn(20000)
		if n > len(body)-taken {
			n = len(body) - taken
		}
		used, done, err := s.Feed(body[taken : taken+n])
		if err != nil {
			t.Fatal(err)
		}
		taken += used
		c, err := emit(s, done)
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire, c...)
		if done {
			return wire, taken
		}
		if n == 0 {
			t.Fatal("body ended before the stream did")
		}
	}
}

func TestStreamRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	var s Stream
	for _, a := range []Algo{Gzip, Deflate, RawDeflate, Identity} {
		for _, size := range []int{1, 100, 16384, 65536, 300000} {
			data := text(size)
			// Content-Length, with bytes of a next response after it.
			s.Begin(a, false, int64(size))
			wire, taken := feedAll(t, &s, append(append([]byte{}, data...), "NEXT"...), rnd)
			if taken != size {
				t.Errorf("%v/%d: took %d bytes", a, size, taken)
			}
			if got := decode(t, a, wire); !bytes.Equal(got, data) {
				t.Errorf("%v/%d length: round trip differs (%d bytes)", a, size, len(got))
			}
			// Chunked.
			body := chunkedBody(data, rnd)
			s.Begin(a, true, 0)
			wire, taken = feedAll(t, &s, append(body, "NEXT"...), rnd)
			if taken != len(body) {
				t.Errorf("%v/%d chunked: took %d of %d bytes", a, size, taken, len(body))
			}
			if got := decode(t, a, wire); !bytes.Equal(got, data) {
				t.Errorf("%v/%d chunked: round trip differs (%d bytes)", a, size, len(got))
			}
		}
	}
}

// TestStreamFlushes: what each Flush returns decompresses to all the input
// fed so far, so a slow response reaches the client as it comes.
func TestStreamFlushes(t *testing.T) {
	for _, a := range []Algo{Gzip, Deflate, RawDeflate} {
		var s Stream
		parts := []string{"first part\n", "second part\n", "third part\n"}
		s.Begin(a, false, int64(len(strings.Join(parts, ""))))
		pr, pw := io.Pipe()
		var zr io.Reader
		go func() {
			for i, p := range parts {
				_, done, err := s.Feed([]byte(p))
				if err != nil || done != (i == len(parts)-1) {
					pw.CloseWithError(fmt.Errorf("feed %d: done=%v err=%v", i, done, err))
					return
				}
				c, err := emit(&s, done)
				if err != nil {
					pw.CloseWithError(err)
					return
				}
				pw.Write(c)
			}
			pw.Close()
		}()
		cr := httputil.NewChunkedReader(pr)
		var err error
		switch a {
		case Gzip:
			zr, err = gzip.NewReader(cr)
		case Deflate:
			zr, err = zlib.NewReader(cr)
		default:
			zr = flate.NewReader(cr)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			buf := make([]byte, len(p))
			if _, err := io.ReadFull(zr, buf); err != nil || string(buf) != p {
				t.Fatalf("%v: read %q, %v; want %q", a, buf, err, p)
			}
		}
	}
}

func TestStreamBadChunked(t *testing.T) {
	var s Stream
	s.Begin(Gzip, true, 0)
	if _, _, err := s.Feed([]byte("zz\r\n")); err == nil {
		t.Fatal("bad chunk size accepted")
	}
	s.Abort()
}

// FuzzStreamChunked: any input the scanner accepts as a whole chunked
// body decodes to what net/http's chunked reader reads from it.
func FuzzStreamChunked(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), uint8(3))
	f.Add([]byte("3;a=b\r\nabc\r\n1\r\nd\r\n0\r\nT: v\r\n\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, split uint8) {
		var s Stream
		s.Begin(Identity, true, 0)
		var wire []byte
		p := body
		done := false
		step := int(split%16) + 1
		for len(p) > 0 && !done {
			n := min(step, len(p))
			used, d, err := s.Feed(p[:n])
			if err != nil {
				return
			}
			done = d
			c, _ := s.Flush()
			wire = append(wire, c...)
			p = p[used:]
		}
		if !done {
			return
		}
		c, _ := s.Finish()
		wire = append(wire, c...)
		want, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body)))
		if err != nil {
			return // net/http is stricter about some framing; skip those
		}
		if got := decode(t, Identity, wire); !bytes.Equal(got, want) {
			t.Fatalf("decoded %q, want %q", got, want)
		}
	})
}

// BenchmarkStream64K is one compressed 64 KiB text response, read in
// 16 KiB pieces; allocs/op is what a compressed response allocates.
func BenchmarkStream64K(b *testing.B) {
	for _, a := range []Algo{Gzip, Deflate} {
		b.Run(a.String(), func(b *testing.B) {
			data := docText(b, 65536)
			var s Stream
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				s.Begin(a, false, int64(len(data)))
				for off := 0; off < len(data); off += 16384 {
					_, done, err := s.Feed(data[off : off+16384])
					if err != nil {
						b.Fatal(err)
					}
					if done {
						_, err = s.Finish()
					} else {
						_, err = s.Flush()
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// docText is n bytes of the repository's documentation: real text, the
// bench case's (bench/run.sh, case comp).
func docText(b *testing.B, n int) []byte {
	files, _ := filepath.Glob("../../doc/*.md")
	var all []byte
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, d...)
	}
	if len(all) < n {
		b.Fatalf("only %d bytes of text", len(all))
	}
	return all[:n]
}
