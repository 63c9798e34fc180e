package proxy

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"baton/internal/config"
)

// waiting counts the engine's connections waiting for a request (fresh
// or idle keep-alive): those a hand-over moves.
func waiting(e *Engine) int {
	return countConns(e, func(cc *clientConn) bool {
		st := cc.state.Load()
		return st == stateFresh || st == stateIdle
	})
}

// A connection handed over after its PROXY header keeps the header's
// client address in the next generation, whether it had sent a request
// (idle) or only the header (fresh).
func TestHandOffKeepsProxyHeader(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("X-Forwarded-For"))
	}
	a, b := newLabelled(t, "a", echo), newLabelled(t, "b", echo)
	withPP := func(addr string) *config.Config {
		p := listenProxy("web", addr)
		p.Binds[0].AcceptProxy = true
		p.ForwardFor = true
		return cfgOf(p)
	}
	oldH, newH := start(t, withPP(a.addr())), start(t, withPP(b.addr()))

	idle := oldH.dial()
	idle.send("PROXY TCP4 192.0.2.1 198.51.100.1 1234 80\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, body := idle.read("GET"); body != "192.0.2.1" {
		t.Fatalf("before: X-Forwarded-For %q", body)
	}
	fresh := oldH.dial()
	fresh.send("PROXY TCP4 192.0.2.2 198.51.100.1 1234 80\r\n")
	waitFor(t, "two waiting connections", func() bool { return waiting(oldH.e) == 2 })
	var sent atomic.Int64
	oldH.e.HandOff(dupTo(newH.e, &sent))
	if sent.Load() != 2 {
		t.Fatalf("%d connections handed over, want 2", sent.Load())
	}
	oldH.e.SoftStop(0)
	for c, want := range map[*client]string{idle: "192.0.2.1", fresh: "192.0.2.2"} {
		if resp, body := c.get("/"); body != want || resp.Close {
			t.Errorf("after the hand-over: X-Forwarded-For %q close=%v, want %q keep-alive", body, resp.Close, want)
		}
	}
	if b.reqs.Load() != 2 {
		t.Errorf("new generation's server saw %d requests, want 2", b.reqs.Load())
	}
}

// A handed-over connection whose next request came with it (already
// read by the previous generation) is answered with the PROXY header's
// client address, not the socket's: adoption applies the header to the
// rules' input too, and no wait in between refreshes it.
func TestAdoptedRequestKeepsProxyHeader(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("X-Forwarded-For"))
	}
	a := newLabelled(t, "a", echo)
	p := listenProxy("web", a.addr())
	p.Binds[0].AcceptProxy = true
	p.ForwardFor = true
	h := start(t, cfgOf(p))
	sender := &clientConn{ppRaw: []byte("PROXY TCP4 192.0.2.3 198.51.100.1 1234 80\r\n")}
	cl, sv := tcpPair(t)
	if err := h.e.Adopt("test:web", sv, sender.handoverBytes([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, c: cl, br: newReader(cl)}
	if resp, body := c.read("GET"); resp.StatusCode != 200 || body != "192.0.2.3" {
		t.Fatalf("adopted request: %d, X-Forwarded-For %q, want 192.0.2.3", resp.StatusCode, body)
	}
}
