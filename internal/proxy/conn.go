package proxy

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"baton/internal/accesslog"
	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/h1"
	"baton/internal/rules"
)

// bufSize is HAProxy's tune.bufsize: the size of every pooled buffer and
// so the largest request or response head accepted.
const bufSize = 16384

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

// Connection states, for soft stop and (later) hand-over: an idle
// connection sits between requests, an active one is inside an exchange,
// a tunnel copies bytes both ways until it ends.
const (
	stateIdle int32 = iota
	stateActive
	stateTunnel
)

// drainGrace is how long a soft stop leaves a connection that went idle
// just before it was told to close, so that a request the client was
// already sending is answered (with "Connection: close") rather than
// met by a close.
const drainGrace = 100 * time.Millisecond

// pastDeadline wakes a blocked read at once.
var pastDeadline = time.Unix(1, 0)

// clientConn is one accepted client connection and everything reused
// across its requests, so the keep-alive path allocates nothing.
type clientConn struct {
	e     *Engine
	fe    *frontend
	c     net.Conn
	tcp   *net.TCPConn    // nil when c is not TCP
	raw   syscall.RawConn // for waiting on readability without a buffer
	src   netip.AddrPort
	srcIP []byte // textual client address, for X-Forwarded-For
	start time.Time
	// now is the last clock reading, reused for deadlines: one at the
	// start of a request, one when its response goes out.
	now time.Time

	state atomic.Int32

	// mu guards the state transitions that other goroutines observe
	// (kick, closeAll) and srv, the server connection in use.
	mu     sync.Mutex
	srv    net.Conn
	kicked bool
	closed bool
	// idleSince is when the connection last went idle (zero before the
	// first request).
	idleSince time.Time

	// unreadBody is set when a request body was left unread: the
	// connection closes after the answer, lingering (see lingerClose).
	unreadBody bool

	// Client read buffer: buf[r:w] holds unread bytes. nil while idle.
	buf  *[]byte
	r, w int
	// bodyEnd is where the current request's body ends in buf: the next
	// request starts there.
	bodyEnd int
	// Server read buffer: sbuf[:sw] holds the response read so far.
	sbuf *[]byte
	sw   int

	req     h1.Request
	resp    h1.Response
	in      rules.Input
	verdict rules.Verdict
	limits  h1.Limits
	chunks  h1.ChunkedScanner

	peekByte [1]byte
	peekN    int
	peekErr  error
	waitFn   func(fd uintptr) bool
	waited   bool

	iov   [2][]byte
	bufs  net.Buffers
	ex    exchange
	entry accesslog.Entry
}

func newClientConn(e *Engine, fe *frontend, c net.Conn) *clientConn {
	now := time.Now()
	cc := &clientConn{e: e, fe: fe, c: c, start: now, now: now}
	cc.state.Store(stateActive)
	if t, ok := c.(*net.TCPConn); ok {
		cc.tcp = t
		if rc, err := t.SyscallConn(); err == nil {
			cc.raw = rc
		}
	}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		cc.src = ap
		cc.srcIP = []byte(ap.Addr().Unmap().String())
	}
	cc.waitFn = cc.waitReadable
	return cc
}

// peek checks, without consuming, whether the socket has a byte or EOF.
// It returns false (keep waiting) while nothing is there.
func (cc *clientConn) peek(fd uintptr) bool {
	n, _, err := syscall.Recvfrom(int(fd), cc.peekByte[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	if err == syscall.EAGAIN || err == syscall.EINTR {
		return false
	}
	cc.peekN, cc.peekErr = n, err
	return true
}

// waitReadable is the RawConn.Read callback of waitIdle: the first call
// peeks (bytes may already be queued); a later call comes from the
// poller reporting readability, which is trusted without another system
// call (a spurious wake-up only means the next read blocks holding a
// buffer).
func (cc *clientConn) waitReadable(fd uintptr) bool {
	if cc.waited {
		cc.peekN = 1
		return true
	}
	cc.waited = true
	return cc.peek(fd)
}

// setIdle marks the connection idle and arms the idle deadline, under
// mu so that a concurrent kick cannot be overwritten. When the engine is
// already draining, the connection is kicked at once: waitIdle then
// closes it, after the short grace a just-answered client gets.
func (cc *clientConn) setIdle(dl time.Time) {
	cc.mu.Lock()
	cc.idleSince = cc.now
	cc.state.Store(stateIdle)
	cc.kicked = false
	if cc.e.draining.Load() {
		cc.kicked = true
		dl = pastDeadline
	}
	cc.c.SetReadDeadline(dl)
	cc.mu.Unlock()
}

// setActive leaves the idle state; after it, kick no longer touches the
// connection's deadlines.
func (cc *clientConn) setActive(st int32) {
	cc.mu.Lock()
	cc.state.Store(st)
	cc.mu.Unlock()
}

// kick wakes an idle connection so it notices the soft stop and closes.
func (cc *clientConn) kick() {
	cc.mu.Lock()
	if cc.state.Load() == stateIdle && !cc.closed {
		cc.kicked = true
		cc.c.SetReadDeadline(pastDeadline)
	}
	cc.mu.Unlock()
}

func keyFor(cc *clientConn) backend.Key { return backend.Key{Src: cc.src.Addr()} }

// releaseBufs returns the buffers to the pool; the connection holds none
// while idle.
func (cc *clientConn) releaseBufs() {
	if cc.buf != nil {
		putBuf(cc.buf)
		cc.buf = nil
	}
	if cc.sbuf != nil {
		putBuf(cc.sbuf)
		cc.sbuf = nil
	}
	cc.r, cc.w, cc.sw = 0, 0, 0
}

func (cc *clientConn) closeAll() {
	cc.mu.Lock()
	cc.closed = true
	cc.c.Close()
	if cc.srv != nil {
		cc.srv.Close()
	}
	cc.mu.Unlock()
}

func (cc *clientConn) setServer(s net.Conn) {
	cc.mu.Lock()
	cc.srv = s
	if cc.closed && s != nil {
		s.Close()
	}
	cc.mu.Unlock()
}

// waitIdle waits, holding no buffer, until the client sends a byte,
// closes, or the deadline set by setIdle passes. It returns false when
// the connection should be closed (timeout, EOF, soft stop); timedOut
// tells a deadline.
func (cc *clientConn) waitIdle() (ok, timedOut bool) {
	if cc.raw == nil {
		return true, false // the caller's buffered read does the waiting
	}
	graced := false
	for {
		cc.peekN, cc.peekErr = 0, nil
		cc.waited = false
		err := cc.raw.Read(cc.waitFn)
		if err == nil {
			return cc.peekErr == nil && cc.peekN > 0, false
		}
		cc.mu.Lock()
		kicked := cc.kicked
		cc.mu.Unlock()
		if !kicked {
			return false, isTimeout(err)
		}
		if graced {
			return false, false // soft stop: close silently
		}
		// Soft stop: a request already sitting in the socket is still
		// served (with Connection: close).
		gone, data := cc.clientState()
		if gone || data {
			return data, false
		}
		// A client that just got a response is likely sending its next
		// request right now: closing would race with it. Give it a
		// short grace to send, and answer that request with
		// "Connection: close" instead.
		if !cc.idleSince.IsZero() && time.Since(cc.idleSince) < drainGrace {
			graced = true
			cc.c.SetReadDeadline(time.Now().Add(drainGrace))
			continue
		}
		return false, false
	}
}

// keepAliveMode combines the frontend's and backend's modes as HAProxy
// does: the most closing one wins.
func keepAliveMode(fe, be *config.Proxy) config.KeepAliveMode {
	m := fe.KeepAlive
	if be != nil && be.KeepAlive > m {
		m = be.KeepAlive
	}
	return m
}

// deadline returns now+t, or the zero time (no deadline) when t is unset.
func deadline(now time.Time, t config.Timeout) time.Time {
	if t.Value <= 0 {
		return time.Time{}
	}
	return now.Add(t.Value)
}
