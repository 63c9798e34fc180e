package backend

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"baton/internal/config"
)

// tcpPairs returns n connected loopback TCP pairs: client ends (what a
// proxy would pool) and server ends.
func tcpPairs(t *testing.T, n int) (clients, servers []net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		servers = append(servers, s)
	}
	t.Cleanup(func() {
		for i := range clients {
			clients[i].Close()
			servers[i].Close()
		}
	})
	return clients, servers
}

func oneServer(t *testing.T) (*Backend, *Server) {
	b := newTestBackend(config.RoundRobin, srv{name: "a", weight: 1})
	t.Cleanup(b.Close)
	return b, b.Servers[0]
}

// isClosed reports whether c was closed locally.
func isClosed(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	return errors.Is(err, net.ErrClosed)
}

// waitPeekDead polls, with a deadline, until the liveness probe sees c as
// dead (the peer's FIN or data has arrived).
func waitPeekDead(t *testing.T, c net.Conn) {
	t.Helper()
	e := &idleEntry{c: c}
	e.probe = e.peek
	end := time.Now().Add(5 * time.Second)
	for e.alive() {
		if time.Now().After(end) {
			t.Fatal("probe still sees the connection alive")
		}
		time.Sleep(time.Millisecond) // polling interval
	}
}

func TestIdleLIFOAndBound(t *testing.T) {
	b, s := oneServer(t)
	b.MaxIdle = 3
	cs, _ := tcpPairs(t, 4)
	for i, c := range cs[:3] {
		if !s.PutIdle(c) {
			t.Fatalf("put %d refused", i)
		}
	}
	if s.PutIdle(cs[3]) {
		t.Fatal("put beyond MaxIdle accepted")
	}
	if n := s.IdleCount(); n != 3 {
		t.Fatalf("IdleCount %d, want 3", n)
	}
	for i := 2; i >= 0; i-- {
		if got := s.GetIdle(); got != cs[i] {
			t.Fatalf("GetIdle returned conn %v, want conn %d (LIFO)", got, i)
		}
	}
	if got := s.GetIdle(); got != nil {
		t.Fatalf("empty pool returned %v", got)
	}
}

func TestIdleDefaultAndDisabled(t *testing.T) {
	b, s := oneServer(t)
	if s.IdleLimit() != IdleBudget() || IdleBudget() < 64 {
		t.Fatalf("zero MaxIdle and no pool-max-conn give %d, want the process budget %d", s.IdleLimit(), IdleBudget())
	}
	cs, _ := tcpPairs(t, 1)
	b.MaxIdle = -1
	if s.PutIdle(cs[0]) {
		t.Error("negative MaxIdle: put accepted")
	}
}

func TestIdleLiveness(t *testing.T) {
	_, s := oneServer(t)
	cs, ss := tcpPairs(t, 3)
	// cs[0] stays healthy; the server closes cs[1] and sends unsolicited
	// bytes on cs[2].
	ss[1].Close()
	ss[2].Write([]byte("HTTP/1.1 408 Request Timeout\r\n\r\n"))
	waitPeekDead(t, cs[1])
	waitPeekDead(t, cs[2])
	for _, c := range cs {
		if !s.PutIdle(c) {
			t.Fatal("put refused")
		}
	}
	got := s.GetIdle()
	if got != cs[0] {
		t.Fatalf("GetIdle returned %v, want the live connection", got)
	}
	for i, c := range cs[1:] {
		if !isClosed(c) {
			t.Errorf("dead conn %d was not closed when skipped", i+1)
		}
	}
	// The live one still works both ways and was not consumed by the peek.
	if _, err := got.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(ss[0], buf); err != nil || string(buf) != "ping" {
		t.Fatalf("server read %q %v", buf, err)
	}
	ss[0].Write([]byte("pong"))
	if _, err := io.ReadFull(got, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("client read %q %v", buf, err)
	}
	if s.GetIdle() != nil {
		t.Error("pool not empty")
	}
}

// TestIdleExpiredDeadline: a connection pooled with a read deadline
// that passed while it waited (the proxy leaves a plain socket's
// deadlines set) is still peeked at, and its deadline cleared: alive
// when the server said nothing, dead when it closed.
func TestIdleExpiredDeadline(t *testing.T) {
	_, s := oneServer(t)
	cs, ss := tcpPairs(t, 2)
	ss[0].Close()
	waitPeekDead(t, cs[0])
	for _, c := range cs {
		c.SetReadDeadline(time.Now().Add(-time.Second))
	}
	// LIFO: cs[1] (alive) comes out first, then cs[0] (closed).
	s.PutIdle(cs[0])
	s.PutIdle(cs[1])
	if got := s.GetIdle(); got != cs[1] {
		t.Fatalf("GetIdle returned %v, want the live connection with the passed deadline", got)
	}
	if got := s.GetIdle(); got != nil {
		t.Fatalf("GetIdle returned %v, want nil: the server closed the other", got)
	}
	ss[1].Write([]byte("x"))
	cs[1].SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1)
	if _, err := io.ReadFull(cs[1], buf); err != nil {
		t.Fatalf("read after the peek: %v", err)
	}
	if !isClosed(cs[0]) {
		t.Error("the closed connection was not closed when skipped")
	}
}

func TestIdleCloseAndState(t *testing.T) {
	b, s := oneServer(t)
	cs, _ := tcpPairs(t, 4)
	s.PutIdle(cs[0])
	s.SetState(Drain)
	if !isClosed(cs[0]) || s.IdleCount() != 0 {
		t.Error("drain kept pooled connections")
	}
	if s.PutIdle(cs[1]) {
		t.Error("put accepted on a draining server")
	}
	s.SetState(Ready)
	s.PutIdle(cs[1])
	s.SetHealthy(false)
	if !isClosed(cs[1]) {
		t.Error("going down kept pooled connections")
	}
	s.SetHealthy(true)
	s.PutIdle(cs[2])
	b.Close()
	if !isClosed(cs[2]) {
		t.Error("Close left a pooled connection open")
	}
	if s.PutIdle(cs[3]) {
		t.Error("put accepted after Close")
	}
}

func TestIdleNonSocketConn(t *testing.T) {
	_, s := oneServer(t)
	c1, c2 := net.Pipe()
	defer c2.Close()
	s.PutIdle(c1)
	if got := s.GetIdle(); got != c1 {
		t.Fatal("a connection without a socket must be assumed alive")
	}
	c1.Close()
}

func TestIdleAllocs(t *testing.T) {
	_, s := oneServer(t)
	cs, _ := tcpPairs(t, 2)
	s.PutIdle(cs[0])
	s.PutIdle(cs[1])
	allocs := testing.AllocsPerRun(1000, func() {
		c := s.GetIdle()
		if c == nil || !s.PutIdle(c) {
			panic("pool lost a connection")
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocs per GetIdle+PutIdle, want 0", allocs)
	}
}

func BenchmarkIdleGetPut(b *testing.B) {
	be := newTestBackend(config.RoundRobin, srv{name: "a", weight: 1})
	defer be.Close()
	s := be.Servers[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	peer, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer peer.Close()
	s.PutIdle(c)
	b.ReportAllocs()
	for b.Loop() {
		s.PutIdle(s.GetIdle())
	}
}

// A pooled TLS connection is probed through its socket: once the server
// has closed it, it is not handed out.
func TestIdleTLSProbe(t *testing.T) {
	_, s := oneServer(t)
	clients, servers := tcpPairs(t, 1)
	tc := tls.Client(clients[0], &tls.Config{InsecureSkipVerify: true}) // the probe needs no handshake
	if !s.PutIdle(tc) {
		t.Fatal("not pooled")
	}
	servers[0].Close()
	waitPeekDead(t, tc)
	if c := s.GetIdle(); c != nil {
		t.Fatal("a TLS connection the server closed was handed out")
	}
}
