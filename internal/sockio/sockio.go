package sockio

import (
	"io"
	"os"
	"syscall"
	"unsafe"

	"baton/internal/pollwait"
)

// IO is one socket's raw reads and writes. The zero IO is unbound: Bind
// it before use.
type IO struct {
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
	// waits on the socket outside the IO (RawConn.Read clears the
	// poller's edge) calls Forget.
	drained  bool
	werrWait error // ReadWaiting's wait error
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

// Bind points r at a socket and its poll descriptor (0 when unknown);
// the callbacks are bound on first use.
func (r *IO) Bind(rc syscall.RawConn, pd pollwait.Desc) {
	r.rc, r.pd, r.drained = rc, pd, false
	if r.readFn == nil {
		r.readFn = r.readReady
		r.wrFn = r.writeReady
		r.waitFn = r.waitThenRead
	}
}

// Forget is called when the socket was read or waited on outside r: the
// next read is tried before any wait.
func (r *IO) Forget() { r.drained = false }

// Read reads into b like net.Conn.Read, trying the read before any
// wait: RawConn.Read forgets a readiness the poller saw before the call.
func (r *IO) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	r.rb, r.n, r.errno = b, 0, 0
	return r.done(len(b), r.rc.Read(r.readFn))
}

// ReadWaiting is Read on a socket the caller knows was empty: it waits
// for the poller first (see the package's comment).
func (r *IO) ReadWaiting(b []byte) (int, error) {
	if r.pd == 0 {
		return r.Read(b)
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
func (r *IO) done(want int, err error) (int, error) {
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
func (r *IO) waitThenRead(fd uintptr) {
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

func (r *IO) readReady(fd uintptr) bool {
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

// Writev writes head then body (either may be empty), all of them
// unless an error or a deadline stops it, like net.Buffers.WriteTo: one
// sendto for one buffer, one sendmsg for two. MSG_NOSIGNAL: a write to a
// reset connection returns EPIPE and raises no SIGPIPE.
func (r *IO) Writev(head, body []byte) (int64, error) {
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

func (r *IO) writeReady(fd uintptr) bool {
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

// RawConn is the socket r is bound to (nil: none).
func (r *IO) RawConn() syscall.RawConn { return r.rc }

// Unbind forgets the socket (it is no longer r's to use).
func (r *IO) Unbind() { r.rc, r.pd, r.drained = nil, 0, false }

// Drained reports whether the last read came back short: the socket held
// no more bytes then, so a read that follows may wait first (but a FIN
// may have come with those bytes; see the package's comment).
func (r *IO) Drained() bool { return r.drained }

// Write writes b whole, as Writev(b, nil).
func (r *IO) Write(b []byte) (int, error) {
	n, err := r.Writev(b, nil)
	return int(n), err
}
