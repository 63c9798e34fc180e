package reloadtest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// h2Fronts puts an HTTP/2 (prior knowledge) reverse proxy in front of
// each sample backend the fake proxy forwards to, so that the fake
// proxy's TCP forwarding carries HTTP/2.
type h2Fronts struct {
	t     *testing.T
	mu    sync.Mutex
	front map[string]string // backend address -> h2c front address
}

func (f *h2Fronts) frontFor(backend string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a, ok := f.front[backend]; ok {
		return a
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.t.Error(err)
		return backend
	}
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: backend})
	srv := &http.Server{Handler: rp, Protocols: &protos}
	go srv.Serve(ln)
	f.t.Cleanup(func() { srv.Close() })
	f.front[backend] = ln.Addr().String()
	return ln.Addr().String()
}

func startH2Fake(t *testing.T, mode fakeMode) *fakeProxy {
	p := startFakeProxy(t, mode)
	fronts := &h2Fronts{t: t, front: map[string]string{}}
	p.mu.Lock()
	p.via = fronts.frontFor
	p.mu.Unlock()
	return p
}

// A proxy that keeps its HTTP/2 connections on the old configuration and
// sends new ones to the new one fails no stream; its old connections'
// streams answered by the old configuration are pinned, not stale.
func TestH2ModeGoodProxyPasses(t *testing.T) {
	p := startH2Fake(t, fakeGood)
	code, kv, out := runKV(t, append([]string{"--target", p.ln.Addr().String(), "--reload", p.reloadCommand(), "--h2"}, testMix...)...)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	for _, key := range []string{"failed", "stale", "refused_streams", "unswitched"} {
		if n := num(t, kv, key); n != 0 {
			t.Errorf("%s = %d, want 0\n%s", key, n, out)
		}
	}
	if num(t, kv, "pinned") == 0 || num(t, kv, "h2_conns") < num(t, kv, "requests")/100 {
		t.Errorf("want pinned streams and HTTP/2 connections: %v\n%s", kv, out)
	}
}

// A proxy that closes its connections at a reload fails the streams in
// flight on them.
func TestH2ModeClosingConnectionsFails(t *testing.T) {
	p := startH2Fake(t, fakeCloseAll)
	code, kv, out := runKV(t, append([]string{"--target", p.ln.Addr().String(), "--reload", p.reloadCommand(), "--h2"}, testMix...)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if num(t, kv, "failed") == 0 {
		t.Errorf("failed = 0, want > 0\n%s", out)
	}
}

// goawayServer answers every HTTP/2 connection's first stream with what
// refuse writes (a GOAWAY below it, or RST_STREAM REFUSED_STREAM).
func goawayServer(t *testing.T, refuse func(fr *http2.Framer, id uint32)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := io.ReadFull(br, make([]byte, len(http2.ClientPreface))); err != nil {
					return
				}
				fr := http2.NewFramer(c, br)
				fr.WriteSettings()
				for {
					f, err := fr.ReadFrame()
					if err != nil {
						return
					}
					if h, ok := f.(*http2.HeadersFrame); ok {
						refuse(fr, h.StreamID)
						// Wait for the client to close.
						io.Copy(io.Discard, br)
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestH2RefusedStreams(t *testing.T) {
	for name, refuse := range map[string]func(fr *http2.Framer, id uint32){
		"goaway below the stream": func(fr *http2.Framer, id uint32) { fr.WriteGoAway(id-1, http2.ErrCodeNo, nil) },
		"rst_stream refused":      func(fr *http2.Framer, id uint32) { fr.WriteRSTStream(id, http2.ErrCodeRefusedStream) },
	} {
		t.Run(name, func(t *testing.T) {
			addr := goawayServer(t, refuse)
			g := newH2Group(addr, nil, 5*time.Second, time.Now())
			c := &client{kind: kindBusy, timeout: 5 * time.Second, begin: g.begin, h2: g, seen: &switchWatch{}}
			r := c.oneH2()
			counts := g.close()
			if r.out != outRefusedStream {
				t.Errorf("outcome %s (%s), want refused_stream", outcomeNames[r.out], r.err)
			}
			if counts.conns != 1 {
				t.Errorf("counts %+v, want one connection", counts)
			}
		})
	}
}
