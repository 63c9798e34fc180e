package proxy

import (
	"baton/internal/pollwait"

	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// rawPair returns a rawIO on one end of a loopback TCP connection and
// the other end.
func rawPair(t *testing.T) (*rawIO, *net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); p.Close() })
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	r := &rawIO{}
	r.bind(rc, pollwait.Of(c.(*net.TCPConn)))
	if r.pd == 0 {
		t.Fatal("no poll descriptor: every read would be tried first")
	}
	return r, c.(*net.TCPConn), p.(*net.TCPConn)
}

// A writev larger than the socket buffers goes out whole (EAGAIN waits
// for the poller), head before body.
func TestRawIOWritevWhole(t *testing.T) {
	r, c, p := rawPair(t)
	c.SetWriteBuffer(4096)
	head := bytes.Repeat([]byte("h"), 3000)
	body := bytes.Repeat([]byte("b"), 4<<20)
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(p)
		got <- b
	}()
	c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	n, err := r.writev(head, body)
	if err != nil || n != int64(len(head)+len(body)) {
		t.Fatalf("writev = %d, %v; want %d, nil", n, err, len(head)+len(body))
	}
	c.CloseWrite()
	b := <-got
	if !bytes.Equal(b, append(head, body...)) {
		t.Fatalf("peer read %d bytes, not head then body", len(b))
	}
}

// A read returns bytes written after it started and bytes that were
// there before (even right after a short read: the readiness the poller
// saw meanwhile is not waited for again), EOF is io.EOF, and a deadline
// ends a wait.
func TestRawIORead(t *testing.T) {
	r, c, p := rawPair(t)
	buf := make([]byte, 64)
	go func() {
		time.Sleep(20 * time.Millisecond) // the read is usually waiting by then; either order must work
		p.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := r.read(buf)
	if err != nil || string(buf[:n]) != "GET / HTTP/1.1\r\n\r\n" {
		t.Fatalf("read = %q, %v", buf[:n], err)
	}
	// The next request is already in the socket when the read starts,
	// right after a short read: it is read at once, not at the deadline.
	p.Write([]byte("GET /2 HTTP/1.1\r\n\r\n"))
	for deadline := time.Now().Add(10 * time.Second); ; {
		if avail, _ := unreadBytes(c); avail > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond) // a poll for the kernel's queue, with a deadline
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if n, err := r.read(buf); err != nil || string(buf[:n]) != "GET /2 HTTP/1.1\r\n\r\n" || time.Since(start) > 5*time.Second {
		t.Fatalf("read of bytes already there = %q, %v after %v", buf[:n], err, time.Since(start))
	}

	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := r.read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v, want a deadline error", err)
	}

	p.Write([]byte("abc"))
	p.CloseWrite()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	total := 0
	for {
		n, err := r.read(buf[total:])
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	if string(buf[:total]) != "abc" {
		t.Fatalf("read %q before EOF, want abc", buf[:total])
	}
}

// A serverConn keeps the TCP connection's behaviour: Read, Write and the
// RawConn the idle pool peeks through.
func TestServerConnWraps(t *testing.T) {
	_, c, p := rawPair(t)
	sc := newServerConn(c, true)
	s, ok := sc.(*serverConn)
	if !ok {
		t.Fatalf("newServerConn(%T) = %T", c, sc)
	}
	if plainConn(sc) != net.Conn(c) {
		t.Fatal("plainConn does not unwrap")
	}
	if rc, err := s.SyscallConn(); err != nil || rc != s.io.rc {
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

// unreadBytes is how many bytes wait in c's receive queue (FIONREAD).
func unreadBytes(c *net.TCPConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var ierr error
	rc.Control(func(fd uintptr) {
		var v int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&v))); e != 0 {
			ierr = e
		}
		n = int(v)
	})
	return n, ierr
}

// readWaiting, on a socket that was empty after a short read, returns
// bytes that arrived before it began (the poller's edge is kept), bytes
// that arrive while it waits, EOF from a FIN that arrives later, and a
// deadline error; a read that found EOF is not followed by a wait.
func TestRawIOReadWaiting(t *testing.T) {
	r, c, p := rawPair(t)
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	p.Write([]byte("one"))
	if n, err := r.read(buf); err != nil || string(buf[:n]) != "one" || !r.drained {
		t.Fatalf("read = %q, %v (drained %v)", buf[:n], err, r.drained)
	}
	p.Write([]byte("two")) // before the wait begins
	if n, err := r.readWaiting(buf); err != nil || string(buf[:n]) != "two" {
		t.Fatalf("readWaiting of bytes already there = %q, %v", buf[:n], err)
	}
	go p.Write([]byte("three")) // while it waits, or before
	if n, err := r.readWaiting(buf); err != nil || string(buf[:n]) != "three" {
		t.Fatalf("readWaiting of bytes sent meanwhile = %q, %v", buf[:n], err)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if _, err := r.readWaiting(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("readWaiting past its deadline: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	p.CloseWrite()
	if n, err := r.readWaiting(buf); err != io.EOF || n != 0 || r.drained {
		t.Fatalf("readWaiting after the peer's FIN = %d, %v (drained %v), want EOF", n, err, r.drained)
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
