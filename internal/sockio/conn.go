package sockio

import (
	"net"
	"syscall"
)

// Conn is a *net.TCPConn whose Read and Write are an IO's (tried first,
// as net.Conn's are, but without handing the P to the scheduler). It is
// what a TLS connection runs on: crypto/tls reads and writes its records
// through it. Everything else (deadlines, close, addresses, the RawConn)
// is the TCPConn's. One goroutine at a time reads and one writes.
type Conn struct {
	*net.TCPConn
	io IO
}

// Wrap returns c as a *Conn when it is a plain *net.TCPConn, or c itself
// (nothing to gain, or its RawConn could not be had).
func Wrap(c net.Conn) net.Conn {
	tc, rc, ok := TCP(c)
	if !ok {
		return c
	}
	w := &Conn{TCPConn: tc}
	w.io.Bind(rc, 0) // reads are always tried first: no poll descriptor needed
	return w
}

func (c *Conn) Read(b []byte) (int, error)  { return c.io.Read(b) }
func (c *Conn) Write(b []byte) (int, error) { return c.io.Write(b) }

// TCP returns c as a *net.TCPConn with its RawConn, which an IO binds
// to; ok is false for any other connection, or when the RawConn could
// not be had.
func TCP(c net.Conn) (tc *net.TCPConn, rc syscall.RawConn, ok bool) {
	tc, ok = c.(*net.TCPConn)
	if !ok {
		return nil, nil, false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil, nil, false
	}
	return tc, rc, true
}
