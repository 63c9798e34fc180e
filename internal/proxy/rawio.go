package proxy

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawIO reads and writes a plain TCP socket (non-blocking, in Go's
// poller) with raw system calls made inside its RawConn, for the
// keep-alive path's reads and writes. Two things make it cheaper than
// net.Conn's Read and Write:
//
//   - A raw system call does not hand the goroutine's P to the
//     scheduler for the call's duration. A loopback writev runs the
//     receiver's TCP input too and takes microseconds; with the entersyscall
//     of net.Conn's Write the runtime's monitor thread sees Ps "in a
//     system call", takes them back and starts other threads, and keeps
//     itself waking every 20 us to do so (about 6% of the worker's CPU
//     under wrk -c64). The calls here never block: the socket is
//     non-blocking, and EAGAIN returns to the poller like net.Conn does.
//   - The hot read (a keep-alive client's next request, right after
//     the answer went out) usually finds nothing yet: it waits for the
//     poller's readiness first instead of trying a read that would
//     fail, one system call less per request. Go's poller is
//     edge-triggered, so this is only done when the last read emptied
//     the socket (clientConn.readClient); anything arriving after that
//     wakes the wait. A wrong guess costs the hot wait at most (5 ms),
//     after which the connection parks in a level-triggered epoll set.
//     The server's answer is read at once instead: on a loaded machine
//     it is often there already (the server ran while the request was
//     being written), and waiting for the poller then made the worker
//     idle more and serve fewer requests (measured).
//
// Deadlines are the socket's own (SetReadDeadline, SetWriteDeadline),
// which RawConn's Read and Write obey. One goroutine at a time reads
// and one writes, as with any net.Conn; the callbacks are bound once, so
// a call allocates nothing.
type rawIO struct {
	rc syscall.RawConn
	// rb is the read target of the call in progress; n and errno are
	// its result.
	rb    []byte
	n     int
	errno syscall.Errno
	// wv is what the write in progress has still to send; wn counts
	// what it sent; werr is its error.
	wv     [2][]byte
	iov    [2]syscall.Iovec
	wn     int64
	werr   syscall.Errno
	readFn func(fd uintptr) bool
	wrFn   func(fd uintptr) bool
}

// bind points r at a socket; the callbacks are bound on first use.
func (r *rawIO) bind(rc syscall.RawConn) {
	r.rc = rc
	if r.readFn == nil {
		r.readFn = r.readReady
		r.wrFn = r.writeReady
	}
}

// read reads into b like net.Conn.Read. It always tries the read before
// waiting: RawConn.Read forgets a readiness the poller saw before the
// call, so waiting first (to save the read that finds nothing after a
// short one) lost a request that arrived meanwhile until its deadline.
func (r *rawIO) read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	r.rb, r.n, r.errno = b, 0, 0
	err := r.rc.Read(r.readFn)
	r.rb = nil
	switch {
	case err != nil:
		return 0, err
	case r.errno != 0:
		return 0, os.NewSyscallError("read", r.errno)
	case r.n == 0:
		return 0, io.EOF
	}
	return r.n, nil
}

func (r *rawIO) readReady(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.rb[0])), uintptr(len(r.rb)))
		switch e {
		case 0:
			r.n = int(n)
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			r.errno = e
		}
		return true
	}
}

// writev writes head then body (either may be empty), all of them
// unless an error or a deadline stops it, like net.Buffers.WriteTo.
func (r *rawIO) writev(head, body []byte) (int64, error) {
	r.wv[0], r.wv[1] = head, body
	r.wn, r.werr = 0, 0
	err := r.rc.Write(r.wrFn)
	r.wv[0], r.wv[1] = nil, nil
	r.iov[0], r.iov[1] = syscall.Iovec{}, syscall.Iovec{}
	if err == nil && r.werr != 0 {
		err = os.NewSyscallError("writev", r.werr)
	}
	return r.wn, err
}

func (r *rawIO) writeReady(fd uintptr) bool {
	for {
		cnt := 0
		for _, b := range r.wv {
			if len(b) > 0 {
				r.iov[cnt].Base = &b[0]
				r.iov[cnt].SetLen(len(b))
				cnt++
			}
		}
		if cnt == 0 {
			return true
		}
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&r.iov[0])), uintptr(cnt))
		switch e {
		case 0:
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			r.werr = e
			return true
		}
		r.wn += int64(n)
		for i := range r.wv {
			k := min(int(n), len(r.wv[i]))
			r.wv[i] = r.wv[i][k:]
			n -= uintptr(k)
		}
	}
}

// serverConn is a plain TCP connection to a server, read and written
// through rawIO. It lives as long as the connection (pooled with it), so
// its RawConn is made once.
type serverConn struct {
	*net.TCPConn
	io rawIO
}

// newServerConn wraps a freshly dialled plain TCP connection; any other
// connection is returned as it is.
func newServerConn(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	s := &serverConn{TCPConn: tc}
	s.io.bind(rc)
	return s
}

func (s *serverConn) Read(b []byte) (int, error) { return s.io.read(b) }

func (s *serverConn) Write(b []byte) (int, error) {
	n, err := s.io.writev(b, nil)
	return int(n), err
}

// SyscallConn gives the kept RawConn (the idle pool peeks through it).
func (s *serverConn) SyscallConn() (syscall.RawConn, error) { return s.io.rc, nil }

// plainConn unwraps a serverConn for code that wants the *net.TCPConn
// (splice between sockets in a tunnel).
func plainConn(c net.Conn) net.Conn {
	if s, ok := c.(*serverConn); ok {
		return s.TCPConn
	}
	return c
}

// plainIO returns the client socket's rawIO, or nil when the connection
// is not plain TCP (TLS, a relay) or has no session.
func (cc *clientConn) plainIO() *rawIO {
	if cc.session == nil || cc.tcp == nil || cc.tlsConn != nil || cc.c != net.Conn(cc.tcp) || cc.raw == nil {
		return nil
	}
	if cc.cio.rc != cc.raw {
		cc.cio.bind(cc.raw)
	}
	return &cc.cio
}

// readClient reads request bytes from the client, through raw I/O on a
// plain socket.
func (cc *clientConn) readClient(b []byte) (int, error) {
	if r := cc.plainIO(); r != nil {
		return r.read(b)
	}
	return cc.c.Read(b)
}
