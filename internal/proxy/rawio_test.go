package proxy

import (
	"io"
	"net"
	"testing"
	"time"
)

// A serverConn keeps the TCP connection's behaviour: Read, Write and the
// RawConn the idle pool peeks through.
func TestServerConnWraps(t *testing.T) {
	cl, p := tcpPair(t)
	c := cl.(*net.TCPConn)
	sc := newServerConn(c, true)
	s, ok := sc.(*serverConn)
	if !ok {
		t.Fatalf("newServerConn(%T) = %T", c, sc)
	}
	if plainConn(sc) != net.Conn(c) {
		t.Fatal("plainConn does not unwrap")
	}
	if rc, err := s.SyscallConn(); err != nil || rc != s.io.RawConn() {
		t.Fatalf("SyscallConn = %v, %v", rc, err)
	}
	if _, err := sc.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	p.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(p, b); err != nil || string(b) != "ping" {
		t.Fatalf("peer got %q, %v", b, err)
	}
	p.Write([]byte("pong"))
	sc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(sc, b); err != nil || string(b) != "pong" {
		t.Fatalf("serverConn read %q, %v", b, err)
	}
}

// A keep-alive client that sends its next request and its FIN together
// gets its answer, then the proxy's close well before timeout
// http-keep-alive: the FIN shares the request's edge, so the hot read
// that waits first cannot see it, and the hot wait's end must (the
// connection parks level-triggered, or reads before waiting again).
func TestHalfClosedKeepAliveClientClosedPromptly(t *testing.T) {
	a := newLabelled(t, "a", nil)
	p := listenProxy("web", a.addr())
	p.Timeouts.HTTPKeepAlive = to(30 * time.Second)
	p.Timeouts.Client = to(30 * time.Second)
	h := start(t, cfgOf(p))
	c := h.dial()
	for range 2 { // the client is now one that comes back at once (hot)
		if resp, _ := c.get("/x"); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	c.send("GET /last HTTP/1.1\r\nHost: x\r\n\r\n")
	c.c.(*net.TCPConn).CloseWrite()
	if resp, _ := c.read("last"); resp.StatusCode != 200 {
		t.Fatalf("last: status %d", resp.StatusCode)
	}
	// Far below the 30 s keep-alive timeout, far above the hot wait.
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.br.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after the answer: %d bytes, %v; want the proxy's close (EOF)", n, err)
	}
}
