package pollwait

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err = net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	b, err = ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// waiter returns a function that runs WaitRead on c inside its Control,
// as callers must; the descriptor is taken while c is open.
func waiter(t *testing.T, c *net.TCPConn) func() error {
	t.Helper()
	d := Of(c)
	if d == 0 {
		t.Fatal("no poll descriptor for a TCP connection")
	}
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return func() error {
		var werr error
		if err := rc.Control(func(uintptr) { werr = d.WaitRead() }); err != nil {
			return err
		}
		return werr
	}
}

func wait(t *testing.T, c *net.TCPConn) error {
	t.Helper()
	return waiter(t, c)()
}

func TestWaitReadSeesBytesSentBeforeAndDuring(t *testing.T) {
	a, b := pair(t)
	// A bound on the test, not a synchronisation: a lost edge would
	// otherwise wait forever.
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i, before := range []bool{true, false, true} {
		msg := []byte{'x', byte('0' + i)}
		if before {
			a.Write(msg)
		} else {
			go a.Write(msg)
		}
		if err := wait(t, b); err != nil {
			t.Fatalf("round %d: wait: %v", i, err)
		}
		got := make([]byte, 8)
		n, err := b.Read(got)
		if err != nil || string(got[:n]) != string(msg) {
			t.Fatalf("round %d: read %q, %v; want %q", i, got[:n], err, msg)
		}
	}
}

func TestWaitReadDeadline(t *testing.T) {
	_, b := pair(t)
	b.SetReadDeadline(time.Now().Add(-time.Second))
	if err := wait(t, b); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("wait past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	b.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if err := wait(t, b); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("wait until the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
}

func TestWaitReadPeerClose(t *testing.T) {
	a, b := pair(t)
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	a.Close()
	if err := wait(t, b); err != nil {
		t.Fatalf("wait after the peer closed: %v", err)
	}
	if _, err := b.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after the peer closed: %v, want EOF", err)
	}
}

func TestWaitReadClose(t *testing.T) {
	_, b := pair(t)
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	w := waiter(t, b)
	done := make(chan error, 1)
	go func() { done <- w() }()
	b.Close()
	// Either the wait began first and Close woke it, or Close came
	// first and Control refused: both say the socket is closed.
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("wait on a closed socket: %v, want net.ErrClosed", err)
	}
}
