package deflate

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

var formats = []Format{Raw, Zlib, Gzip}

func (f Format) String() string { return [...]string{"raw", "zlib", "gzip"}[f] }

// readers are the standard library's decompressors by format.
var readers = [...]func(io.Reader) (io.Reader, error){
	Raw:  func(r io.Reader) (io.Reader, error) { return flate.NewReader(r), nil },
	Zlib: func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) },
	Gzip: func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
}

// decompress reads a whole stream of format f with the standard library.
func decompress(t testing.TB, f Format, z []byte) []byte {
	t.Helper()
	r, err := readers[f](bytes.NewReader(z))
	if err != nil {
		t.Fatalf("%v header: %v", f, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%v: %v", f, err)
	}
	return out
}

// textOf is n bytes of the repository's documentation, repeated if need
// be: real text.
func textOf(t testing.TB, n int) []byte {
	files, _ := filepath.Glob("../../doc/*.md")
	var all []byte
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, d...)
	}
	if len(all) == 0 {
		t.Fatal("no text in doc/")
	}
	for len(all) < n {
		all = append(all, all...)
	}
	return all[:n]
}

// inputs are the kinds of data the tests compress, by name.
func inputs(t testing.TB, n int, rnd *rand.Rand) map[string][]byte {
	random := make([]byte, n)
	rnd.Read(random)
	same := bytes.Repeat([]byte{'x'}, n)
	cycle := make([]byte, n)
	for i := range cycle {
		cycle[i] = "abcdefghijklm"[i%13]
	}
	// Half random, half text: blocks of each kind in one stream.
	mixed := append(append([]byte{}, random[:n/2]...), textOf(t, n-n/2)...)
	// Few symbols, matches short and near.
	small := make([]byte, n)
	for i := range small {
		small[i] = byte('a' + rnd.Intn(3))
	}
	return map[string][]byte{"text": textOf(t, n), "random": random, "same": same, "cycle": cycle, "mixed": mixed, "small": small}
}

// sizes are around the block (32 KiB) and window (96 KiB) boundaries.
var sizes = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 100, 258, 259, 4096,
	blockSize - 1, blockSize, blockSize + 1, 2*blockSize + 3, 65536,
	winSize - 1, winSize, winSize + 1, 2*winSize + 17, 300000}

// compressAll writes data to w in pieces, flushing after some, and
// closes: a zero step writes it whole.
func compressAll(t testing.TB, w *Writer, data []byte, rnd *rand.Rand, step int, flushes bool) []byte {
	var buf bytes.Buffer
	w.Reset(&buf)
	for p := data; len(p) > 0; {
		n := len(p)
		if step > 0 {
			n = min(n, 1+rnd.Intn(step))
		}
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
		if flushes && rnd.Intn(2) == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	ws := map[Format]*Writer{}
	for _, f := range formats {
		ws[f] = NewWriter(f)
	}
	for _, size := range sizes {
		for name, data := range inputs(t, size, rnd) {
			for _, f := range formats {
				for _, mode := range []struct {
					step    int
					flushes bool
				}{{0, false}, {20000, false}, {20000, true}, {300, true}} {
					z := compressAll(t, ws[f], data, rnd, mode.step, mode.flushes)
					if got := decompress(t, f, z); !bytes.Equal(got, data) {
						t.Fatalf("%s/%d/%v/%+v: round trip differs", name, size, f, mode)
					}
				}
			}
		}
	}
}

// TestFlushDelivers: after each Flush, a reader gets every byte written
// so far without waiting for more, for each format.
func TestFlushDelivers(t *testing.T) {
	rnd := rand.New(rand.NewSource(2))
	data := textOf(t, 200000)
	for _, f := range formats {
		pr, pw := io.Pipe()
		w := NewWriter(f)
		w.Reset(pw)
		var parts []int
		go func() {
			for p := data; len(p) > 0; {
				n := min(len(p), 1+rnd.Intn(40000))
				parts = append(parts, n)
				w.Write(p[:n])
				if err := w.Flush(); err != nil {
					pw.CloseWithError(err)
					return
				}
				p = p[n:]
			}
			pw.CloseWithError(w.Close())
		}()
		r, err := readers[f](pr)
		if err != nil {
			t.Fatal(err)
		}
		off := 0
		for off < len(data) {
			// The writer sends part i only once the reader took part
			// i-1 whole (the pipe is unbuffered), so each ReadFull
			// proves a flush delivered everything before it.
			buf := make([]byte, min(1000, len(data)-off))
			if _, err := io.ReadFull(r, buf); err != nil || !bytes.Equal(buf, data[off:off+len(buf)]) {
				t.Fatalf("%v at %d: %v", f, off, err)
			}
			off += len(buf)
		}
		if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
			t.Fatalf("%v: after the data: %d bytes, %v", f, len(rest), err)
		}
	}
}

// TestFlushSyncMarker: a Flush ends with the empty stored block, and a
// Flush with nothing new sends nothing.
func TestFlushSyncMarker(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(Raw)
	w.Reset(&buf)
	w.Write([]byte("hello, hello, hello"))
	w.Flush()
	if !bytes.HasSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff}) {
		t.Fatalf("flush sent %x", buf.Bytes())
	}
	n := buf.Len()
	w.Flush()
	if buf.Len() != n {
		t.Fatalf("an empty Flush sent %x", buf.Bytes()[n:])
	}
	w.Close()
	if got := decompress(t, Raw, buf.Bytes()); string(got) != "hello, hello, hello" {
		t.Fatalf("got %q", got)
	}
}

// TestStoredFallback: incompressible input grows by a few bytes a block,
// not by the fixed codes' 9 bits per high byte.
func TestStoredFallback(t *testing.T) {
	data := make([]byte, 1<<20)
	rand.New(rand.NewSource(3)).Read(data)
	z := compressAll(t, NewWriter(Raw), data, nil, 0, false)
	if max := len(data) + 5*(len(data)/blockSize+1); len(z) > max {
		t.Fatalf("%d bytes for %d random ones (at most %d)", len(z), len(data), max)
	}
}

// TestReuseForgetsHistory: a Writer reused after Reset never refers to a
// previous stream's bytes (a reader starting fresh decodes each stream).
func TestReuseForgetsHistory(t *testing.T) {
	w := NewWriter(Gzip)
	rnd := rand.New(rand.NewSource(4))
	data := textOf(t, 50000)
	for i := 0; i < 20; i++ {
		// The same text again: every match a stale history could offer.
		part := data[rnd.Intn(1000):][:40000]
		z := compressAll(t, w, part, rnd, 5000, true)
		if got := decompress(t, Gzip, z); !bytes.Equal(got, part) {
			t.Fatalf("stream %d differs", i)
		}
	}
}

// TestBaseWraps: the table's positions restart before they overflow, and
// the streams after that still round-trip.
func TestBaseWraps(t *testing.T) {
	w := NewWriter(Raw)
	w.base = maxBase - 1000
	rnd := rand.New(rand.NewSource(5))
	data := textOf(t, 3*winSize)
	for i := 0; i < 3; i++ {
		z := compressAll(t, w, data, rnd, 30000, true)
		if got := decompress(t, Raw, z); !bytes.Equal(got, data) {
			t.Fatalf("stream %d differs", i)
		}
	}
	if w.base > maxBase {
		t.Fatalf("base %d", w.base)
	}
}

func TestWriteAfterClose(t *testing.T) {
	w := NewWriter(Zlib)
	w.Reset(io.Discard)
	w.Close()
	if _, err := w.Write([]byte("x")); err != ErrClosed {
		t.Fatalf("Write after Close: %v", err)
	}
	if err := w.Flush(); err != ErrClosed {
		t.Fatalf("Flush after Close: %v", err)
	}
}

// TestDestinationError: a failing destination's error is returned, and
// not forgotten.
func TestDestinationError(t *testing.T) {
	w := NewWriter(Gzip)
	w.Reset(failWriter{})
	w.Write(textOf(t, 1000))
	if err := w.Flush(); err != errFail {
		t.Fatalf("Flush: %v", err)
	}
	if _, err := w.Write([]byte("x")); err != errFail {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Close(); err != errFail {
		t.Fatalf("Close: %v", err)
	}
}

var errFail = fmt.Errorf("destination failed")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errFail }

// TestAllocs: a reused Writer compresses a stream, flushes included,
// without allocating.
func TestAllocs(t *testing.T) {
	data := textOf(t, 65536)
	for _, f := range formats {
		w := NewWriter(f)
		allocs := testing.AllocsPerRun(50, func() {
			w.Reset(io.Discard)
			for off := 0; off < len(data); off += 16384 {
				w.Write(data[off : off+16384])
				w.Flush()
			}
			w.Close()
		})
		if allocs != 0 {
			t.Errorf("%v: %.1f allocations per stream", f, allocs)
		}
	}
}

// FuzzRoundTrip: any input, written in pieces with flushes where the
// fuzzer says, decompresses to itself in every format.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello, hello, hello world"), []byte{3, 200, 7})
	f.Add(bytes.Repeat([]byte("ab"), 1000), []byte{255})
	f.Add([]byte{}, []byte{})
	ws := [...]*Writer{NewWriter(Raw), NewWriter(Zlib), NewWriter(Gzip)}
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		for _, w := range ws {
			var buf bytes.Buffer
			w.Reset(&buf)
			p := data
			for _, c := range cuts {
				n := min(len(p), int(c>>1))
				w.Write(p[:n])
				p = p[n:]
				if c&1 == 1 {
					w.Flush()
				}
			}
			w.Write(p)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := decompress(t, w.format, buf.Bytes()); !bytes.Equal(got, data) {
				t.Fatalf("%v: round trip differs", w.format)
			}
		}
	})
}
