package h2up_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"baton/test/harness"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestServerStreamLimit: a server announcing
// SETTINGS_MAX_CONCURRENT_STREAMS 2 never gets a third stream on a
// connection: six requests in progress together take three connections
// or more, and all are answered.
func TestServerStreamLimit(t *testing.T) {
	const n = 6
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var accepted atomic.Int64
			h2s := &http2.Server{MaxConcurrentStreams: 2}
			h := barrier(n)
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					accepted.Add(1)
					go h2s.ServeConn(c, &http2.ServeConnOpts{Handler: h})
				}
			}()
			t.Cleanup(func() { ln.Close() })
			fe := harness.FreeAddr(t)
			start(t, proxy, defaults+fmt.Sprintf(`frontend fe
    bind %s proto h2
    default_backend be
backend be
    http-reuse always
    server s1 %s proto h2
`, fe, ln.Addr()), fe)
			c := h2Client(t, fe)
			ok := getTogether(t, c, n)
			if ok != n || accepted.Load() < n/2 {
				t.Errorf("%d of %d answered together over %d server connections (want at least %d)", ok, n, accepted.Load(), n/2)
			}
		})
	}
}

// goawayOrigin is a raw HTTP/2 server: on its first connection it
// answers the first stream, then meets the second with GOAWAY naming
// the first as the last one processed; later connections answer every
// stream. Each answer says which connection gave it.
func goawayOrigin(t *testing.T) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveGoaway(c, accepted.Add(1))
		}
	}()
	return ln.Addr().String(), &accepted
}

func serveGoaway(c net.Conn, conn int64) {
	defer c.Close()
	br := bufio.NewReader(c)
	if _, err := io.ReadFull(br, make([]byte, len(http2.ClientPreface))); err != nil {
		return
	}
	fr := http2.NewFramer(c, br)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	fr.WriteSettings()
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	var last uint32
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.MetaHeadersFrame:
			if conn == 1 && last != 0 {
				fr.WriteGoAway(last, http2.ErrCodeNo, nil)
				continue
			}
			last = f.StreamID
			hbuf.Reset()
			enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
			body := fmt.Sprintf("conn %d", conn)
			enc.WriteField(hpack.HeaderField{Name: "content-length", Value: fmt.Sprint(len(body))})
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: f.StreamID, BlockFragment: hbuf.Bytes(), EndHeaders: true})
			fr.WriteData(f.StreamID, true, []byte(body))
		}
	}
}

// TestGoAwayRetry: a request on a reused connection that the server
// refuses with GOAWAY (its stream above the last one processed) is sent
// again on a new connection; the client sees no error. HAProxy 2.6 does
// so with "retry-on empty-response" (without, it closes the client
// connection); Baton also by default, as for a pooled HTTP/1.1
// connection the server had closed ("baton-default").
func TestGoAwayRetry(t *testing.T) {
	for _, tc := range []struct{ name, proxy, retryOn string }{
		{"baton-default", "baton", ""},
		{"baton", "baton", "retry-on conn-failure empty-response"},
		{"haproxy", "haproxy", "retry-on conn-failure empty-response"},
	} {
		proxy := tc.proxy
		t.Run(tc.name, func(t *testing.T) {
			addr, accepted := goawayOrigin(t)
			fe := harness.FreeAddr(t)
			start(t, proxy, defaults+fmt.Sprintf(`frontend fe
    bind %s
    default_backend be
backend be
    %s
    server s1 %s proto h2
`, fe, tc.retryOn, addr), fe)
			c, err := net.Dial("tcp", fe)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(deadline())
			br := bufio.NewReader(c)
			for i, want := range []string{"conn 1", "conn 2"} {
				io.WriteString(c, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("request %d: %v", i+1, err)
				}
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || string(b) != want {
					t.Errorf("request %d: %d %q, want 200 %q", i+1, resp.StatusCode, b, want)
				}
			}
			if accepted.Load() != 2 {
				t.Errorf("%d server connections, want 2", accepted.Load())
			}
		})
	}
}
