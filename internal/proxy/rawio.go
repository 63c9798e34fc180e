package proxy

import (
	"net"
	"syscall"

	"baton/internal/pollwait"
	"baton/internal/sockio"
)

// serverConn is a plain TCP connection to a server, read and written
// through a sockio.IO. It lives as long as the connection (pooled with
// it), so its RawConn is made once.
type serverConn struct {
	*net.TCPConn
	io sockio.IO
	// empty says the socket is known to hold nothing, not even a FIN: it
	// is fresh, or the idle pool's peek found nothing. Its next read
	// (the answer's first) waits first; any later one reads first.
	empty bool
	// rdl and wdl are the socket's deadlines (deadline.go).
	rdl, wdl coarseDeadline
}

// newServerConn wraps a freshly dialled plain TCP connection; any other
// connection is returned as it is. empty says nothing has read from the
// socket yet (so nothing, not even a FIN, has been seen and left there).
func newServerConn(c net.Conn, empty bool) net.Conn {
	tc, rc, ok := sockio.TCP(c)
	if !ok {
		return c
	}
	s := &serverConn{TCPConn: tc, empty: empty}
	s.io.Bind(rc, pollwait.Of(tc))
	return s
}

func (s *serverConn) Read(b []byte) (int, error) {
	if s.empty {
		s.empty = false
		return s.io.ReadWaiting(b)
	}
	return s.io.Read(b)
}

// markEmpty is called when a peek found nothing in c's socket (it came
// from the idle pool): the answer's first read may wait first.
func markEmpty(c net.Conn) {
	if s, ok := c.(*serverConn); ok {
		s.empty = true
	}
}

func (s *serverConn) Write(b []byte) (int, error) {
	n, err := s.io.Writev(b, nil)
	return int(n), err
}

// SyscallConn gives the kept RawConn (the idle pool peeks through it).
func (s *serverConn) SyscallConn() (syscall.RawConn, error) { return s.io.RawConn(), nil }

// plainConn unwraps a serverConn for code that wants the *net.TCPConn
// (splice between sockets in a tunnel).
func plainConn(c net.Conn) net.Conn {
	if s, ok := c.(*serverConn); ok {
		s.rdl.forget() // set on the socket directly from now on
		s.wdl.forget()
		return s.TCPConn
	}
	return c
}

// plainIO returns the client socket's sockio.IO, or nil when the connection
// is not plain TCP (TLS, a relay) or has no session.
func (cc *clientConn) plainIO() *sockio.IO {
	if cc.session == nil || cc.tcp == nil || cc.tlsConn != nil || cc.c != net.Conn(cc.tcp) || cc.raw == nil {
		return nil
	}
	if cc.cio.RawConn() != cc.raw {
		cc.cio.Bind(cc.raw, cc.pd)
	}
	return &cc.cio
}

// readClient reads request bytes from the client, through raw I/O on a
// plain socket.
func (cc *clientConn) readClient(b []byte) (int, error) {
	if r := cc.plainIO(); r != nil {
		return r.Read(b)
	}
	return cc.c.Read(b)
}
