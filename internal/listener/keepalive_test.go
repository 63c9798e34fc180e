package listener

import (
	"net"
	"syscall"
	"testing"
)

// TestInheritedListenerLeavesKeepAliveOff: a connection accepted on a
// rebuilt listener has no SO_KEEPALIVE (HAProxy sends probes only with
// option clitcpka), while net.Listen's default turns it on, so the
// check can tell the two apart.
func TestInheritedListenerLeavesKeepAliveOff(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dup, err := dupFile(l.File())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := FromFile("ka", dup)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if got := acceptedKeepAlive(t, ln); got != 0 {
		t.Errorf("inherited listener: SO_KEEPALIVE = %d, want 0", got)
	}

	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if got := acceptedKeepAlive(t, plain); got == 0 {
		t.Errorf("net.Listen: SO_KEEPALIVE = 0, want Go's default (on)")
	}
}

func acceptedKeepAlive(t *testing.T, ln net.Listener) int {
	t.Helper()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rc, err := s.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	rc.Control(func(fd uintptr) {
		v, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
	})
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}
