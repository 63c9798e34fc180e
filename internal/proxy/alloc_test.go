package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// rawBackend answers every request on a keep-alive connection with a
// fixed 2-byte response, reading heads with a tiny parser so that the
// backend itself stays cheap and allocation-light.
func rawBackend(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReaderSize(c, 16384)
				resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				for {
					// A head ends with an empty line.
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// kaClient sends one GET and reads the fixed response, reusing buffers.
type kaClient struct {
	c   net.Conn
	req []byte
	buf []byte
}

func (k *kaClient) do() error {
	if _, err := k.c.Write(k.req); err != nil {
		return err
	}
	// Read until the 2-byte body after the head is in.
	n := 0
	for {
		m, err := k.c.Read(k.buf[n:])
		if err != nil {
			return err
		}
		n += m
		if i := bytes.Index(k.buf[:n], []byte("\r\n\r\n")); i >= 0 && n >= i+4+2 {
			return nil
		}
	}
}

func newKAClient(tb testing.TB, addr string) *kaClient {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return &kaClient{c: c, req: []byte("GET /bench HTTP/1.1\r\nHost: bench\r\n\r\n"), buf: make([]byte, 4096)}
}

// TestKeepAliveRequestAllocs measures a steady-state keep-alive request
// through the engine: client and server connections already open and
// pooled. The count covers the whole process (client, engine, backend).
func TestKeepAliveRequestAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation measurement (not under -short or -race)")
	}
	p := listenProxy("bench", rawBackend(t))
	h := start(t, cfgOf(p))
	k := newKAClient(t, h.addr)
	for i := 0; i < 200; i++ { // warm up pools and the server connection
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(500, func() {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per keep-alive request (whole process): %.2f", allocs)
	// Zero in the engine; leave a little room for runtime noise
	// (timers, netpoll) across the whole process.
	if allocs > 1 {
		t.Fatalf("%.2f allocations per keep-alive request, want <= 1", allocs)
	}
}

// TestKeepAliveRequestAllocsWithOptions is the same measure with the
// per-request options of health checks and connection options at work:
// observe layer7, X-Forwarded-For with except and a header name,
// X-Original-To, and http-reuse safe.
func TestKeepAliveRequestAllocsWithOptions(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation measurement (not under -short or -race)")
	}
	p := listenProxy("bench", rawBackend(t))
	p.ForwardFor, p.ForwardForHeader = true, "X-Client"
	p.ForwardForExcept = netip.MustParsePrefix("10.0.0.0/8")
	p.OriginalTo, p.HTTPReuse = true, "safe"
	p.Servers[0].Observe, p.Servers[0].Check, p.Servers[0].Inter = "layer7", true, time.Hour
	h := start(t, cfgOf(p))
	k := newKAClient(t, h.addr)
	for i := 0; i < 200; i++ {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(500, func() {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("%.2f allocations per keep-alive request, want <= 1", allocs)
	}
}

func BenchmarkKeepAliveRequests(b *testing.B) {
	p := listenProxy("bench", rawBackend(b))
	t := &testing.T{}
	_ = t
	lb := &syncBuffer{}
	e, err := New(cfgOf(p), Options{Log: lb})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go e.Serve(p.Binds[0].Addr, ln)
	defer e.Close()
	k := newKAClient(b, ln.Addr().String())
	for i := 0; i < 100; i++ {
		if err := k.do(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := k.do(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_ = strconv.Itoa
	_ = io.EOF
	_ = time.Now
}
