package proxy

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"

	"baton/internal/pollwait"
)

// rawIO reads and writes a plain TCP socket (non-blocking, in Go's
// poller) with raw system calls made inside its RawConn, for the
// keep-alive path's reads and writes. Three things make it cheaper than
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
//   - The first read of a message (a keep-alive client's next request,
//     a server's answer) usually finds nothing yet. When the caller
//     knows the socket was empty, it waits for the poller first and
//     reads once, when there is something to read (readWaiting),
//     instead of a read that fails with EAGAIN and then a wait: that
//     saved about 1.7 failed reads per request. The wait is Go's own
//     (pollwait), which, unlike RawConn.Read, keeps an edge the poller
//     saw before the call, so bytes already there end it at once. Empty
//     means no byte and no FIN: a FIN that came with the last bytes
//     read shares their edge, so only a peek that found nothing (the
//     idle pool's), a fresh connection, or a caller whose wait is
//     bounded (the hot wait, then a level-triggered park) may wait
//     first. Every other read is tried first, as RawConn.Read does.
//   - The calls are the socket ones, recvfrom, sendto and sendmsg
//     (HAProxy's too), not read and writev: those go through the file
//     layer first (its position lock, permission and notification
//     hooks) on the way to the same socket code.
//
// While rawIO owns a socket, no other goroutine may read it: readWaiting
// waits inside RawConn.Control, which does not take the read lock, and
// the runtime aborts the process on two waiters at once.
//
// Deadlines are the socket's own (SetReadDeadline, SetWriteDeadline),
// which RawConn's Read and Write obey; a serverConn keeps them on a
// grid, so that most requests leave them as they are (deadline.go).
// One goroutine at a time reads and one writes, as with any net.Conn;
// the callbacks are bound once, so a call allocates nothing.
type rawIO struct {
	rc syscall.RawConn
	// rb is the read target of the call in progress; n and errno are
	// its result.
	rb    []byte
	n     int
	errno syscall.Errno
	// pd is the socket's runtime poll descriptor (0: read first always).
	pd pollwait.Desc
	// drained says the last read came back short: no byte was left
	// then, so any byte since has raised a new edge in the poller
	// (a FIN may have come with the last bytes). Whoever reads or
	// waits on the socket outside rawIO (RawConn.Read clears the
	// poller's edge) calls forget.
	drained  bool
	werrWait error // readWaiting's wait error
	// wv is what the write in progress has still to send; wn counts
	// what it sent; werr is its error.
	wv     [2][]byte
	iov    [2]syscall.Iovec
	msg    syscall.Msghdr
	wn     int64
	werr   syscall.Errno
	readFn func(fd uintptr) bool
	wrFn   func(fd uintptr) bool
	waitFn func(fd uintptr)
}

// bind points r at a socket and its poll descriptor (0 when unknown);
// the callbacks are bound on first use.
func (r *rawIO) bind(rc syscall.RawConn, pd pollwait.Desc) {
	r.rc, r.pd, r.drained = rc, pd, false
	if r.readFn == nil {
		r.readFn = r.readReady
		r.wrFn = r.writeReady
		r.waitFn = r.waitThenRead
	}
}

// forget is called when the socket was read or waited on outside r: the
// next read is tried before any wait.
func (r *rawIO) forget() { r.drained = false }

// read reads into b like net.Conn.Read, trying the read before any
// wait: RawConn.Read forgets a readiness the poller saw before the call.
func (r *rawIO) read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	r.rb, r.n, r.errno = b, 0, 0
	return r.done(len(b), r.rc.Read(r.readFn))
}

// readWaiting is read on a socket the caller knows was empty: it waits
// for the poller first (see the type's comment).
func (r *rawIO) readWaiting(b []byte) (int, error) {
	if r.pd == 0 {
		return r.read(b)
	}
	if len(b) == 0 {
		return 0, nil
	}
	r.rb, r.n, r.errno, r.werrWait = b, 0, 0, nil
	err := r.rc.Control(r.waitFn)
	if err == nil {
		err = r.werrWait
	}
	return r.done(len(b), err)
}

// done turns a read's outcome into net.Conn.Read's result.
func (r *rawIO) done(want int, err error) (int, error) {
	r.rb = nil
	switch {
	case err != nil:
		return 0, err
	case r.errno != 0:
		r.drained = false
		return 0, os.NewSyscallError("recvfrom", r.errno)
	case r.n == 0:
		r.drained = false
		return 0, io.EOF
	}
	r.drained = r.n < want
	return r.n, nil
}

// waitThenRead runs inside RawConn.Control, which holds the socket open:
// it waits for an edge, then reads; an edge for bytes an earlier read
// already took finds nothing (EAGAIN) and waits again.
func (r *rawIO) waitThenRead(fd uintptr) {
	for {
		if err := r.pd.WaitRead(); err != nil {
			r.werrWait = err
			return
		}
		if r.readReady(fd) {
			return
		}
	}
}

func (r *rawIO) readReady(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&r.rb[0])), uintptr(len(r.rb)), 0, 0, 0)
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
// unless an error or a deadline stops it, like net.Buffers.WriteTo: one
// sendto for one buffer, one sendmsg for two. MSG_NOSIGNAL: a write to a
// reset connection returns EPIPE and raises no SIGPIPE.
func (r *rawIO) writev(head, body []byte) (int64, error) {
	r.wv[0], r.wv[1] = head, body
	r.wn, r.werr = 0, 0
	err := r.rc.Write(r.wrFn)
	r.wv[0], r.wv[1] = nil, nil
	r.iov[0], r.iov[1] = syscall.Iovec{}, syscall.Iovec{}
	if err == nil && r.werr != 0 {
		err = os.NewSyscallError("send", r.werr)
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
		var n uintptr
		var e syscall.Errno
		if cnt == 1 {
			n, _, e = syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(r.iov[0].Base)), uintptr(r.iov[0].Len), syscall.MSG_NOSIGNAL, 0, 0)
		} else {
			r.msg.Iov = &r.iov[0]
			r.msg.Iovlen = uint64(cnt)
			n, _, e = syscall.RawSyscall(syscall.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&r.msg)), syscall.MSG_NOSIGNAL)
		}
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
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	s := &serverConn{TCPConn: tc, empty: empty}
	s.io.bind(rc, pollwait.Of(tc))
	return s
}

func (s *serverConn) Read(b []byte) (int, error) {
	if s.empty {
		s.empty = false
		return s.io.readWaiting(b)
	}
	return s.io.read(b)
}

// markEmpty is called when a peek found nothing in c's socket (it came
// from the idle pool): the answer's first read may wait first.
func markEmpty(c net.Conn) {
	if s, ok := c.(*serverConn); ok {
		s.empty = true
	}
}

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
		s.rdl.forget() // set on the socket directly from now on
		s.wdl.forget()
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
		cc.cio.bind(cc.raw, cc.pd)
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
