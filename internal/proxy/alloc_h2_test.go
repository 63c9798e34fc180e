package proxy

import (
	"net"
	"testing"

	"baton/internal/h2/h2test"
)

// h2StreamHarness serves a "proto h2" frontend proxying to a raw
// HTTP/1.1 server and returns a raw HTTP/2 client of it, warmed up.
func h2StreamHarness(tb testing.TB) *h2test.Client {
	srv := rawBackend(tb)
	cfg := parseConfig(tb, "frontend fe\n bind 127.0.0.1:1 proto h2\n default_backend b\nbackend b\n server s ${S}\n", map[string]string{"S": srv})
	c, err := net.Dial("tcp", serveFirstFrontend(tb, cfg))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	k, err := h2test.New(c, "bench", "/")
	if err != nil {
		tb.Fatal(err)
	}
	k.Decode = true
	for range 50 { // warm up pools and the server connections
		if err := k.Batch(10); err != nil {
			tb.Fatal(err)
		}
	}
	if k.Status != "200" {
		tb.Fatalf("warm-up answered :status %q, want the server's 200", k.Status)
	}
	k.Decode = false
	return k
}

// TestH2StreamAllocs counts the allocations of an HTTP/2 stream proxied
// to an HTTP/1.1 server, in batches of 10 streams as h2load -m10 sends
// them (whole process: the client allocates nothing). The stream path
// is not allocation-free yet; what is left is the stream's clientConn,
// the Stream (its HTTP/1.1 view and usual fields included) and the
// HPACK decoder's strings for literal fields (this client never lets a
// field be indexed). The bound keeps the count from growing back.
func TestH2StreamAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation measurement (not under -short or -race)")
	}
	k := h2StreamHarness(t)
	const batch = 10
	perStream := testing.AllocsPerRun(200, func() {
		if err := k.Batch(batch); err != nil {
			t.Fatal(err)
		}
	}) / batch
	t.Logf("allocations per HTTP/2 stream (whole process): %.2f", perStream)
	if perStream > maxH2StreamAllocs {
		t.Fatalf("%.2f allocations per HTTP/2 stream, want <= %d", perStream, maxH2StreamAllocs)
	}
}

// maxH2StreamAllocs is TestH2StreamAllocs's bound (22 before the
// header block reader of internal/h2/headers.go, 8 before its HEADERS
// frame reader, 7 before the :status values were kept).
const maxH2StreamAllocs = 7 // 6 measured, and room for the runtime

// BenchmarkH2Streams proxies b.N small HTTP/2 streams, 10 at a time on
// one connection, to an HTTP/1.1 server (client and server in the
// process too).
func BenchmarkH2Streams(b *testing.B) {
	k := h2StreamHarness(b)
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < b.N; sent += 10 {
		if err := k.Batch(min(10, b.N-sent)); err != nil {
			b.Fatal(err)
		}
	}
}
