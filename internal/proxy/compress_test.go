package proxy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"

	"baton/internal/compress"
	"baton/internal/config"
)

// textBackend answers every request on a keep-alive connection with the
// same 64 KiB text/plain response.
func textBackend(tb testing.TB) (addr string, body []byte) {
	var b bytes.Buffer
	for i := 0; b.Len() < 65536; i++ {
		fmt.Fprintf(&b, "row %d: the response body of the compression benchmark, %d\n", i, i*7919%1009)
	}
	body = b.Bytes()[:65536]
	resp := append([]byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nETag: \"e1\"\r\nContent-Length: %d\r\n\r\n", len(body))), body...)
	return fixedBackend(tb, resp), body
}

// compClient sends a GET with Accept-Encoding: gzip and reads the chunked
// response up to its last chunk, reusing its buffer.
type compClient struct {
	c   net.Conn
	req []byte
	buf []byte
	n   int
}

var lastChunk = []byte("\r\n0\r\n\r\n")

func (k *compClient) do() error {
	if _, err := k.c.Write(k.req); err != nil {
		return err
	}
	k.n = 0
	for {
		if k.n == len(k.buf) {
			return io.ErrShortBuffer
		}
		m, err := k.c.Read(k.buf[k.n:])
		if err != nil {
			return err
		}
		k.n += m
		if bytes.HasSuffix(k.buf[:k.n], lastChunk) {
			return nil
		}
	}
}

func compHarness(tb testing.TB) (*compClient, []byte) {
	srv, body := textBackend(tb)
	p := listenProxy("comp", srv)
	p.Compression = &config.Compression{Algos: []compress.Algo{compress.Gzip}, Types: []string{"text/"}}
	e, err := New(cfgOf(p), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go e.Serve(p.Binds[0].Addr, ln)
	tb.Cleanup(func() { e.Close() })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return &compClient{c: c, req: []byte("GET /t HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: gzip\r\n\r\n"), buf: make([]byte, 1<<20)}, body
}

// TestCompressedResponse checks one compressed keep-alive response end to
// end through the engine: head edits and a body that inflates back.
func TestCompressedResponse(t *testing.T) {
	k, body := compHarness(t)
	for range 3 {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(k.buf[:k.n])), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" ||
			resp.Header.Get("ETag") != `W/"e1"` || resp.ContentLength != -1 || resp.Close {
			t.Fatalf("head: %v (length %d, close %v)", resp.Header, resp.ContentLength, resp.Close)
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("inflated %d bytes (%v), want the server's %d", len(got), err, len(body))
		}
	}
}

// TestCompressedResponseAllocs: a compressed 64 KiB response allocates
// next to nothing once the compressor pool and the connection's buffers
// are warm.
func TestCompressedResponseAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation measurement (not under -short or -race)")
	}
	k, _ := compHarness(t)
	for range 200 {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(200, func() {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per compressed 64 KiB response (whole process): %.2f", allocs)
	if allocs > 2 {
		t.Fatalf("%.2f allocations per compressed response, want <= 2", allocs)
	}
}

// BenchmarkCompressedResponse is a keep-alive request answered with a
// compressed 64 KiB text response (client and server in the process).
func BenchmarkCompressedResponse(b *testing.B) {
	k, _ := compHarness(b)
	b.ReportAllocs()
	b.SetBytes(65536)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := k.do(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestKeepAliveRequestAllocsCompressionConfigured: with compression
// configured, a request that does not ask for it (no Accept-Encoding)
// still allocates nothing.
func TestKeepAliveRequestAllocsCompressionConfigured(t *testing.T) {
	p := listenProxy("bench", rawBackend(t))
	p.Compression = &config.Compression{Algos: []compress.Algo{compress.Gzip, compress.Deflate}, Types: []string{"text/"}, Offload: true}
	keepAliveAllocs(t, p, Options{})
}

// TestCompressionPrecedence: the backend's algorithms and types, when it
// has some, replace the frontend's (HAProxy looks in the backend first);
// offload from either applies.
func TestCompressionPrecedence(t *testing.T) {
	gz, df := []compress.Algo{compress.Gzip}, []compress.Algo{compress.Deflate}
	tests := []struct {
		name      string
		fe, be    *config.Compression
		algos     []compress.Algo
		types     []string
		offloaded bool
	}{
		{"frontend only", &config.Compression{Algos: gz, Types: []string{"text/"}}, nil, gz, []string{"text/"}, false},
		{"backend only", nil, &config.Compression{Algos: df, Offload: true}, df, nil, true},
		{"backend wins", &config.Compression{Algos: gz, Types: []string{"text/"}}, &config.Compression{Algos: df, Types: []string{"application/"}}, df, []string{"application/"}, false},
		{"backend types, frontend algos", &config.Compression{Algos: gz, Offload: true}, &config.Compression{Types: []string{"image/"}}, gz, []string{"image/"}, true},
	}
	for _, tt := range tests {
		fe, be := &config.Proxy{Compression: tt.fe}, &config.Proxy{Compression: tt.be}
		algos, types, off := compression(fe, be)
		if fmt.Sprint(algos) != fmt.Sprint(tt.algos) || fmt.Sprint(types) != fmt.Sprint(tt.types) || off != tt.offloaded {
			t.Errorf("%s: got %v %v %v, want %v %v %v", tt.name, algos, types, off, tt.algos, tt.types, tt.offloaded)
		}
	}
}
