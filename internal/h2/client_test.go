package h2

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// startH2Server serves h on a loopback listener in clear-text HTTP/2
// (prior knowledge) with Go's server; it returns the address and a
// counter of accepted connections.
func startH2Server(t *testing.T, maxStreams uint32, h http.HandlerFunc) (string, func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	accepted := 0
	srv := &http2.Server{MaxConcurrentStreams: maxStreams}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted++
			mu.Unlock()
			go srv.ServeConn(c, &http2.ServeConnOpts{Handler: h})
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return accepted }
}

func dialClient(t *testing.T, addr string) *ClientConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := NewClientConn(c, ClientSettings{WriteTimeout: 5 * time.Second}, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// exchange writes an HTTP/1.1 request on a new stream and reads the
// whole HTTP/1.1 response the stream renders.
func exchange(t *testing.T, cc *ClientConn, req string) string {
	t.Helper()
	if !cc.Reserve() {
		t.Fatal("no stream slot")
	}
	st := cc.NewStream()
	defer st.Close()
	st.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := st.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(st)
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, b)
	}
	return string(b)
}

func TestClientTrailersBothWays(t *testing.T) {
	addr, _ := startH2Server(t, 100, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Trailer", "X-Sum")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "got "+string(body)+" te="+r.Header.Get("Te")+" in-trailer="+r.Trailer.Get("X-In")+" host="+r.Host)
		w.(http.Flusher).Flush() // no content-length: trailers can follow in HTTP/1.1
		w.Header().Set("X-Sum", "42")
	})
	cc := dialClient(t, addr)
	got := exchange(t, cc, "POST /echo HTTP/1.1\r\nHost: example.test\r\nTrailer: X-In\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5\r\nhello\r\n0\r\nX-In: yes\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(got)), nil)
	if err != nil {
		t.Fatalf("%v in %q", err, got)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "got hello te= in-trailer=yes host=example.test" {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
	if resp.Trailer.Get("X-Sum") != "42" {
		t.Fatalf("trailer X-Sum %q in %q", resp.Trailer.Get("X-Sum"), got)
	}
}

func TestClientContentLengthAndHead(t *testing.T) {
	addr, _ := startH2Server(t, 100, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "abcde")
	})
	cc := dialClient(t, addr)
	got := exchange(t, cc, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.Contains(got, "content-length: 5\r\n") || !strings.HasSuffix(got, "\r\n\r\nabcde") {
		t.Fatalf("got %q", got)
	}
	got = exchange(t, cc, "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
	if !strings.HasSuffix(got, "\r\n\r\n") || strings.Contains(got, "abcde") {
		t.Fatalf("HEAD got %q", got)
	}
}

// Concurrent streams share the connection up to the server's
// SETTINGS_MAX_CONCURRENT_STREAMS; Reserve refuses beyond it.
func TestClientMaxConcurrentStreams(t *testing.T) {
	release := make(chan struct{})
	addr, _ := startH2Server(t, 2, func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "ok")
	})
	cc := dialClient(t, addr)
	// The server's SETTINGS arrive after the preface: wait for them.
	deadline := time.Now().Add(5 * time.Second)
	for {
		cc.mu.Lock()
		m := cc.maxStreams
		cc.mu.Unlock()
		if m == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("max streams %d", m)
		}
		time.Sleep(5 * time.Millisecond)
	}
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		if !cc.Reserve() {
			t.Fatalf("slot %d refused", i)
		}
		st := cc.NewStream()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer st.Close()
			st.SetDeadline(time.Now().Add(5 * time.Second))
			st.Write([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
			b, err := io.ReadAll(st)
			if err != nil || !strings.HasSuffix(string(b), "ok") {
				t.Errorf("got %q, %v", b, err)
			}
		}()
	}
	if cc.Reserve() {
		t.Fatal("a third stream was allowed above the server's limit of 2")
	}
	close(release)
	wg.Wait()
	if !cc.Reserve() {
		t.Fatal("slot not given back")
	}
}

// A large body in both directions flows through the windows.
func TestClientFlowControl(t *testing.T) {
	addr, _ := startH2Server(t, 100, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})
	cc := dialClient(t, addr)
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	got := exchange(t, cc, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n"+big)
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(got)), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != big {
		t.Fatalf("body %d bytes, want %d", len(body), len(big))
	}
}

// rawServer accepts one connection and answers each request HEADERS with
// answer (run on the server's framer and encoder).
func rawServer(t *testing.T, answer func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer, id uint32)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		if _, err := io.ReadFull(br, make([]byte, len(ClientPreface))); err != nil {
			return
		}
		fr := http2.NewFramer(c, br)
		fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
		fr.WriteSettings()
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
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
				answer(fr, enc, &hb, f.StreamID)
			}
		}
	}()
	return ln.Addr().String()
}

// A stream the server refuses (REFUSED_STREAM, or above a GOAWAY's last
// stream ID) fails with ErrRefused, which the proxy may retry; another
// reset or a 101 (forbidden in HTTP/2) fails otherwise.
func TestClientRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answer  func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer, id uint32)
		refused bool
	}{
		{"refused-stream", func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer, id uint32) {
			fr.WriteRSTStream(id, http2.ErrCodeRefusedStream)
		}, true},
		{"goaway", func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer, id uint32) {
			fr.WriteGoAway(id-1, http2.ErrCodeNo, nil) // the stream before it: none for stream 1
		}, true},
		{"internal-error", func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer, id uint32) {
			fr.WriteRSTStream(id, http2.ErrCodeInternal)
		}, false},
		{"101", func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer, id uint32) {
			hb.Reset()
			enc.WriteField(hpack.HeaderField{Name: ":status", Value: "101"})
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true})
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := dialClient(t, rawServer(t, tc.answer))
			if !cc.Reserve() {
				t.Fatal("no slot")
			}
			st := cc.NewStream()
			defer st.Close()
			st.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := st.Write([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(st)
			if err == nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ErrRefused) != tc.refused {
				t.Errorf("read %q, %v (want refused: %v)", b, err, tc.refused)
			}
		})
	}
}
