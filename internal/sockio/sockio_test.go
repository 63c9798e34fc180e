package sockio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"baton/internal/pollwait"
)

// pair returns an IO on one end of a loopback TCP connection and
// the other end.
func pair(t *testing.T) (*IO, *net.TCPConn, *net.TCPConn) {
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
	r := &IO{}
	r.Bind(rc, pollwait.Of(c.(*net.TCPConn)))
	if r.pd == 0 {
		t.Fatal("no poll descriptor: every read would be tried first")
	}
	return r, c.(*net.TCPConn), p.(*net.TCPConn)
}

// A writev larger than the socket buffers goes out whole (EAGAIN waits
// for the poller), head before body.
func TestWritevWhole(t *testing.T) {
	r, c, p := pair(t)
	c.SetWriteBuffer(4096)
	head := bytes.Repeat([]byte("h"), 3000)
	body := bytes.Repeat([]byte("b"), 4<<20)
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(p)
		got <- b
	}()
	c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	n, err := r.Writev(head, body)
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
func TestRead(t *testing.T) {
	r, c, p := pair(t)
	buf := make([]byte, 64)
	go func() {
		time.Sleep(20 * time.Millisecond) // the read is usually waiting by then; either order must work
		p.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := r.Read(buf)
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
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "GET /2 HTTP/1.1\r\n\r\n" || time.Since(start) > 5*time.Second {
		t.Fatalf("read of bytes already there = %q, %v after %v", buf[:n], err, time.Since(start))
	}

	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := r.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v, want a deadline error", err)
	}

	p.Write([]byte("abc"))
	p.CloseWrite()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	total := 0
	for {
		n, err := r.Read(buf[total:])
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

// ReadWaiting, on a socket that was empty after a short read, returns
// bytes that arrived before it began (the poller's edge is kept), bytes
// that arrive while it waits, EOF from a FIN that arrives later, and a
// deadline error; a read that found EOF is not followed by a wait.
func TestReadWaiting(t *testing.T) {
	r, c, p := pair(t)
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	p.Write([]byte("one"))
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "one" || !r.drained {
		t.Fatalf("read = %q, %v (drained %v)", buf[:n], err, r.drained)
	}
	p.Write([]byte("two")) // before the wait begins
	if n, err := r.ReadWaiting(buf); err != nil || string(buf[:n]) != "two" {
		t.Fatalf("ReadWaiting of bytes already there = %q, %v", buf[:n], err)
	}
	go p.Write([]byte("three")) // while it waits, or before
	if n, err := r.ReadWaiting(buf); err != nil || string(buf[:n]) != "three" {
		t.Fatalf("ReadWaiting of bytes sent meanwhile = %q, %v", buf[:n], err)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if _, err := r.ReadWaiting(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadWaiting past its deadline: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	p.CloseWrite()
	if n, err := r.ReadWaiting(buf); err != io.EOF || n != 0 || r.drained {
		t.Fatalf("ReadWaiting after the peer's FIN = %d, %v (drained %v), want EOF", n, err, r.drained)
	}
}
