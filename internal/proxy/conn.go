package proxy

import (
	"crypto/tls"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"baton/internal/accesslog"
	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/h1"
	"baton/internal/h2"
	"baton/internal/pollwait"
	"baton/internal/proxyproto"
	"baton/internal/rules"
	"baton/internal/sockio"
	"baton/internal/sticktable"
	"baton/internal/tlsconf"
)

// bufSize is HAProxy's tune.bufsize: the size of every pooled buffer and
// so the largest request or response head accepted. The configuration
// accepts tune.bufsize at this size only.
const bufSize = config.BufSize

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

// Connection states, for soft stop and hand-over: a fresh connection
// waits for its first request, an idle one sits between requests, an
// active one is inside an exchange, a tunnel copies bytes both ways until
// it ends, a closing one is on its way out. Only idle connections are
// closed by a soft stop: a fresh one has never been answered, so its
// client cannot know that its request might meet a close; it is served
// (with "Connection: close") or handed over.
const (
	stateIdle int32 = iota
	stateActive
	stateTunnel
	stateFresh
	stateClosing
)

// DefaultDrainGrace is how long a soft stop leaves a connection that
// went idle just before it was told to close, so that a request the
// client was already sending is answered (with "Connection: close")
// rather than met by a close.
const DefaultDrainGrace = 100 * time.Millisecond

// pastDeadline wakes a blocked read at once.
var pastDeadline = time.Unix(1, 0)

// clientConn is one accepted client connection and everything reused
// across its requests, so the keep-alive path allocates nothing.
type clientConn struct {
	e     *Engine
	fe    *frontend
	bind  string // the bind address it was accepted on (for hand-over)
	c     net.Conn
	tcp   *net.TCPConn    // nil when c is not TCP
	pd    pollwait.Desc   // tcp's runtime poll descriptor (rawio.go)
	raw   syscall.RawConn // for waiting on readability without a buffer
	wdl   coarseDeadline  // c's write deadline (deadline.go)
	src   netip.AddrPort
	srcIP []byte // textual client address, for X-Forwarded-For (room: srcIPText)
	dst   netip.AddrPort
	// stk are the connection's sticky counters (stick.go); nil when the
	// generation has no stick tables.
	stk *sticktable.Tracker
	// cache is the cache work of the current request (cache.go).
	cache cacheState
	// stkConn is what an HTTP/2 connection's streams inherit of stk
	// (sticktable.Tracker.ConnectionEntries): set by the connection's
	// goroutine before its first stream starts, read-only afterwards.
	stkConn *sticktable.Tracker
	// vars are the connection's variables (sess scope lives as long as
	// the connection, across parking); nil when the configuration uses
	// none.
	vars *expr.Vars
	// rulesDone: the connection's tcp-request connection and session
	// rules ran (serve runs again after parking).
	rulesDone bool
	// silent: a silent-drop closes the socket without lingering.
	silent bool
	start  time.Time
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
	// migrate is set, with kicked, when a hand-over wants the
	// connection: its goroutine then hands itself over or stays, and
	// leaves the hand-over (see handOff) exactly once.
	migrate bool
	// idleSince is when the connection last went idle (zero before the
	// first request).
	idleSince time.Time
	// idleDL is the deadline of the current idle wait, restored when a
	// fresh connection's wait was interrupted for nothing.
	idleDL time.Time

	// answered: at least one request was read (the next wait is a
	// keep-alive wait).
	answered bool
	// hot: the client sent its last request within the engine's hot
	// wait of the answer before it; the next wait starts with a hot read.
	hot bool
	// adopted: handed over by the previous generation. Its first wait
	// is a keep-alive wait (silent on timeout or close).
	adopted bool
	// handedOver: the connection now lives in the next generation; only
	// this engine's descriptor is closed (no shutdown, no linger, no
	// log line).
	handedOver bool
	// slotG and slotF say which maxconn slots the connection holds (an
	// adopted connection may hold none).
	slotG, slotF bool
	// shard is the connection's statistics shard (stats.go).
	shard uint8
	// cur is the server the current exchange uses ("show sess",
	// "shutdown sessions server"); atomic because the runtime API reads
	// it from another goroutine.
	cur atomic.Pointer[serverRT]
	// aborted is set by "shutdown sessions server" before it closes the
	// server connection: the failure is not a stale pooled connection to
	// retry.
	aborted atomic.Bool

	// tlsBind is the TLS of the bind it was accepted on (nil: plain);
	// tlsConn is set, and cc.c replaced by it, once the handshake is done
	// (see tls.go); facts are what rules and logs read about it. A
	// connection relayed from the previous generation (tlsrelay.go) has
	// facts but no tlsConn: the previous generation deciphers for it.
	tlsBind *tlsconf.Bind
	tlsConn *tls.Conn
	facts   *tlsconf.Facts
	// hsEnd is when the handshake completed (zero: none in this
	// generation); the first request head is timed from it.
	hsEnd time.Time
	// relayed: a TLS connection served through the previous
	// generation's relay; every answer closes it (tlsrelay.go).
	relayed bool
	// relay is set once this generation relays the connection to the
	// next one (tlsrelay.go): serve then copies bytes until it ends.
	relay *net.UnixConn
	// idleFor is how long an adopted relay's client had been idle in the
	// previous generation: its keep-alive wait is shorter by that much.
	idleFor time.Duration

	// h2 is the HTTP/2 connection cc became (h2.go), under mu; h2stream
	// marks the clientConn of one of its streams.
	h2       *h2.Conn
	h2stream bool

	// zc is the connection's compression state (compress.go), made with
	// its first compressed response and reused for the next ones.
	zc *compState

	// upgraded: a connection of a mode tcp frontend served as HTTP
	// (upgrade.go). Until its first request is read, upgradeFirst is
	// set, upgradeBE is the backend that request goes to (nil: the
	// frontend's switching rules choose), upgradeID the request number
	// taken for it. upgradeProto is switch-mode's proto ("h1", "h2"; ""
	// as an HTTP frontend chooses).
	upgraded, upgradeFirst bool
	upgradeBE              *backendRT
	upgradeID              uint64
	upgradeProto           string

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

	// session is the per-exchange state, from a pool: nil while parked.
	*session

	peekByte [1]byte
	peekN    int
	peekErr  error
	waitFn   func(fd uintptr) bool
	waited   bool

	// Parking (see park.go): parkState and parkDL (the idle deadline
	// in Unix nanoseconds, 0 for none, read by the poller's shared
	// timer) are atomic; resuming and the poller registration belong to
	// whichever goroutine owns the connection.
	parkState atomic.Int32
	parkDL    atomic.Int64
	resuming  bool
	armed     bool
	armFn     func(fd uintptr)
	peekArmFn func(fd uintptr)
	serveFn   func()
	pollReg

	// curSrv is the server the connection's exchange or tunnel uses now,
	// for on-marked-down shutdown-sessions: atomic, because the health
	// goroutine reads it while the connection's goroutine sets it.
	curSrv atomic.Pointer[backend.Server]
	// killed is the termination code ('D', 'U') of a connection a health
	// event cut; 0 otherwise. Atomic for the same reason.
	killed atomic.Int32

	// dst is the address the client connected to (the PROXY header's, or
	// the socket's once asked); pp is the PROXY header the client sent,
	// kept for its TLVs and the fc_pp_* fetches; nil without one.
	pp    *proxyproto.Header
	ppRaw []byte // the PROXY header as received, for a hand-over
	dstIP []byte // textual dst, for X-Original-To
	// priv is the client's private server connection (see reuse.go).
	priv privConn
	// h2own is the session's HTTP/2 server connection (h2up.go), shared
	// with the streams of an HTTP/2 client; teTrailers and trailerDecl
	// keep the current request's te ("trailers" listed) and trailer
	// fields, which the hop-by-hop stripping removes.
	h2own       *h2Owner
	teTrailers  bool
	trailerDecl []byte
	// bind is the listener's runtime state (options, maxconn slots).
	brt *bindRT
	// slotB says the connection holds a bind maxconn slot.
	slotB bool

	// srcIPText is srcIP's room: the longest IPv6 form without a zone,
	// so that the text costs no allocation. Last, so that it moves none
	// of the fields the keep-alive path reads.
	srcIPText [45]byte
}

// session is what a connection needs only while it has an exchange in
// progress: parsed heads, rules input and verdict, the exchange and its
// log entry, I/O vectors. It is pooled (with the capacity its slices
// grew to) and released while the connection is parked, so an idle
// connection holds only clientConn's own fields.
type session struct {
	fe   *frontend // whose pool the session comes from
	req  h1.Request
	resp h1.Response
	// in is the rules' input for the frontend's and the backend's rules
	// alike: its scratch buffer only grows during a request, so values
	// either set stay intact.
	in      rules.Input
	verdict rules.Verdict
	// tmo are the backend's timeouts changed by set-timeout rules.
	tmo    config.Timeouts
	limits h1.Limits
	chunks h1.ChunkedScanner

	iov  [2][]byte
	bufs net.Buffers
	// ck is what the request's persistence cookie said (cookie.go).
	ck cookieState
	// cio does the plain client socket's reads and writes (rawio.go).
	cio   sockio.IO
	ex    exchange
	entry accesslog.Entry
}

// takeSession gives the connection a session if it has none, from its
// frontend's pool: the sessions of a frontend carry its capture slots.
func (cc *clientConn) takeSession() {
	if cc.session != nil {
		return
	}
	s, _ := cc.fe.sessions.Get().(*session)
	if s == nil {
		s = &session{fe: cc.fe}
		rs := cc.fe.rules
		if len(rs.ReqCaptures)+len(rs.ResCaptures) > 0 {
			s.in.Captures = expr.NewCaptures(rs.ReqCaptures, rs.ResCaptures)
		}
		s.in.Hooks = cc
		s.limits.MaxHeaders = cc.e.cfg.Global.MaxHeaders // tune.http.maxhdr
	}
	cc.session = s
	// The session may have served another connection: point its input
	// at this one (its variables outlive the session while parked).
	s.in.Hooks = cc
	s.in.Vars = cc.vars
	s.in.Stick = nil
	if cc.stk != nil {
		s.in.Stick = cc.stk
	}
	s.in.Proxies = cc.e
	s.in.Resolver = nil
	if cc.e.resolvers != nil {
		s.in.Resolver = cc.e.resolvers
	}
	s.in.Src, s.in.Dst = cc.src, cc.dst
	s.in.PP = cc.pp
	s.in.Frontend = cc.fe.p.Name
}

// dropSession returns the session to the pool. The parsed heads alias
// buffers that are gone by then; the stale slices are cleared so the
// pool pins nothing.
func (cc *clientConn) dropSession() {
	s := cc.session
	if s == nil {
		return
	}
	cc.session = nil
	putSession(s)
}

func putSession(s *session) {
	if s == nil {
		return
	}
	s.in.Req, s.in.Resp, s.in.Hooks, s.in.Vars, s.in.Stick = nil, nil, nil, nil, nil
	s.in.TLS, s.in.PP, s.in.Resolver = nil, nil, nil
	s.cio.Unbind()
	s.ex.be, s.ex.srv, s.ex.sc = nil, nil, nil
	s.fe.sessions.Put(s)
}

func newClientConn(e *Engine, fe *frontend, bind string, c net.Conn) *clientConn {
	now := time.Now()
	cc := &clientConn{e: e, fe: fe, bind: bind, c: c, start: now, now: now, brt: e.binds[bind]}
	cc.state.Store(stateActive)
	if t, ok := c.(*net.TCPConn); ok {
		cc.tcp = t
		cc.pd = pollwait.Of(t) // now, while nothing else can close c
	}
	// The raw socket, for waits without a buffer: a TCP connection's, or
	// a relay's unix socket (tlsrelay.go).
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			cc.raw = rc
		}
	}
	cc.srcIP = cc.srcIPText[:0]
	if ap, ok := addrPortOf(c.RemoteAddr()); ok {
		cc.setSrc(ap)
	}
	if ap, ok := addrPortOf(c.LocalAddr()); ok {
		cc.dst = ap
	}
	if e.cfg.Expr != nil && e.cfg.Expr.Vars.Len() > 0 {
		cc.vars = e.cfg.Expr.Vars.NewVars()
	}
	cc.tlsBind = e.tlsBinds[bind]
	cc.stickStart()
	cc.takeSession()
	if cc.raw != nil {
		// Parking and the buffer-less waits need the socket; an HTTP/2
		// stream's view has none, and skips four allocations.
		cc.waitFn = cc.waitReadable
		cc.armFn = cc.armControl
		cc.peekArmFn = cc.peekArmControl
		cc.serveFn = cc.serve
	}
	return cc
}

// setSrc sets the client's address and its text (in srcIPText's room),
// for the socket's, a PROXY header's, a relay's or set-src's.
func (cc *clientConn) setSrc(ap netip.AddrPort) {
	cc.src = ap
	cc.srcIP = ap.Addr().Unmap().AppendTo(cc.srcIPText[:0])
}

// addrPortOf is a connection address as an AddrPort, as its String form
// parses: a TCP address without the round trip (its IPv4-mapped IPv6
// form prints, and so parses, as IPv4).
func addrPortOf(a net.Addr) (netip.AddrPort, bool) {
	if ap := addrPort(a); ap.Addr().IsValid() {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
	}
	if a == nil {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(a.String())
	return ap, err == nil
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

// setIdle marks the connection idle (fresh: waiting for its first
// request) and arms the idle deadline, under mu so that a concurrent
// kick cannot be overwritten. When the engine is draining, a hand-over
// in progress takes the connection; otherwise an idle (not fresh) one is
// kicked at once: waitIdle then closes it, after the short grace a
// just-answered client gets.
func (cc *clientConn) setIdle(dl time.Time, fresh bool) {
	cc.setIdleHot(dl, fresh, time.Time{})
}

// setIdleHot is setIdle for a wait that first reads for the next request
// until hotUntil (see hotRead): unless kicked, the socket's read deadline
// is the earlier of the two. It reports whether the hot read may start.
func (cc *clientConn) setIdleHot(dl time.Time, fresh bool, hotUntil time.Time) bool {
	cc.mu.Lock()
	cc.idleDL = dl
	if fresh {
		cc.state.Store(stateFresh)
	} else {
		cc.idleSince = cc.now
		cc.state.Store(stateIdle)
	}
	cc.kicked = false
	if cc.e.draining.Load() {
		if ho := cc.e.handoff.Load(); ho != nil && ho.join() {
			cc.migrate = true
			cc.kicked = true
		} else if !fresh {
			cc.kicked = true
		}
		if cc.kicked {
			dl = pastDeadline
		}
	}
	hot := !hotUntil.IsZero() && !cc.kicked && !cc.closed
	if hot && (dl.IsZero() || hotUntil.Before(dl)) {
		dl = hotUntil
	}
	cc.c.SetReadDeadline(dl)
	cc.mu.Unlock()
	return hot
}

// DefaultHotWait is how long a connection that just answered reads for its
// client's next request, holding its buffer and goroutine, before it
// parks. A busy keep-alive client sends within a round trip: reading at
// once costs one read that finds nothing and one that gets the request,
// where parking costs an epoll registration, a poller wake-up, a new
// goroutine and a peek. An idle client costs its buffer for this long.
const DefaultHotWait = 5 * time.Millisecond

// Outcomes of hotRead.
const (
	hotNone = iota // nothing came in time (or a kick came): wait as idle
	hotGot         // request bytes are in buf[0:w]
	hotGone        // the client closed, or the connection was closed
)

// hotRead reads the next request into the buffer the connection still
// holds, under the read deadline setIdleHot armed. A kick (soft stop,
// hand-over, hard stop) moves that deadline into the past like any idle
// wait's, and the wait that follows sees why.
func (cc *clientConn) hotRead() int {
	if cc.buf == nil {
		cc.buf = getBuf()
	}
	// The server buffer is not needed to read a request: back to the
	// pool, so that many connections waiting at once hold one buffer each.
	if cc.sbuf != nil {
		putBuf(cc.sbuf)
		cc.sbuf, cc.sw = nil, 0
	}
	b := *cc.buf
	cc.r, cc.w = 0, 0
	var n int
	var err error
	if r := cc.plainIO(); r != nil && r.Drained() {
		// The last read took every byte there was: wait first. A FIN
		// that came with them is seen when the hot wait ends and the
		// connection parks (level-triggered).
		n, err = r.ReadWaiting(b)
	} else {
		n, err = cc.readClient(b)
	}
	cc.w = n
	switch {
	case n > 0:
		return hotGot
	case !isTimeout(err):
		return hotGone
	}
	cc.hot = false
	cc.mu.Lock()
	if !cc.kicked && !cc.closed {
		cc.c.SetReadDeadline(cc.idleDL)
	}
	cc.mu.Unlock()
	return hotNone
}

// setActive leaves the idle state; after it, kick no longer touches the
// connection's deadlines. A hand-over that marked the connection after
// its wait ended is told the connection stays.
func (cc *clientConn) setActive(st int32) {
	cc.mu.Lock()
	cc.state.Store(st)
	migrate := cc.migrate
	cc.migrate = false
	cc.mu.Unlock()
	if migrate {
		cc.e.handoffLeave()
	}
}

// kick wakes an idle connection so it notices the soft stop and closes.
func (cc *clientConn) kick() {
	cc.mu.Lock()
	if cc.state.Load() == stateIdle && !cc.closed {
		cc.kicked = true
		cc.c.SetReadDeadline(pastDeadline)
		cc.wake()
	}
	cc.mu.Unlock()
}

// markMigrate wakes a fresh or idle connection for a hand-over. It
// returns false when the connection is not waiting (it then never
// touches the hand-over).
func (cc *clientConn) markMigrate(ho *handOff) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	st := cc.state.Load()
	if (st != stateIdle && st != stateFresh) || cc.closed || cc.migrate || (cc.tcp == nil && !cc.relayed) || !ho.join() {
		return false
	}
	cc.migrate = true
	cc.kicked = true
	cc.c.SetReadDeadline(pastDeadline)
	cc.wake()
	return true
}

func keyFor(cc *clientConn) backend.Key {
	return backend.Key{Src: cc.src.Addr(), Payload: cc.in.Payload}
}

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
	switch {
	case cc.h2stream:
		// A stream's HTTP/1.1 view belongs to its goroutine; the
		// connection's own closeAll closes the socket under every
		// stream, which ends them.
	case cc.tlsConn != nil && cc.tcp != nil:
		// Not tls.Conn.Close: its close_notify could wait on a writer
		// (closeNotify sends it, bounded, when a connection ends well).
		cc.tcp.Close()
	default:
		cc.c.Close()
	}
	if cc.relay != nil {
		cc.relay.Close()
	}
	if cc.srv != nil {
		cc.srv.Close()
	}
	cc.mu.Unlock()
	cc.wake() // a parked connection unwinds in a goroutine
}

// isClosed reports a hard stop (Close) of the connection.
func (cc *clientConn) isClosed() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.closed
}

func (cc *clientConn) setServer(s net.Conn) {
	cc.mu.Lock()
	cc.srv = s
	if cc.closed && s != nil {
		s.Close()
	}
	cc.mu.Unlock()
	if s == nil {
		cc.curSrv.Store(nil)
	}
}

// waitIdle waits, holding no buffer, until the client sends a byte,
// closes, or the deadline set by setIdle passes. It returns false when
// the connection should be closed (timeout, EOF, soft stop, hand-over
// done); timedOut tells a deadline; parked means the connection went to
// the idle poller and the caller's goroutine must return at once.
//
// A fresh connection is never closed by a soft stop: its wait goes on
// under its own deadline. A hand-over takes a connection only when no
// byte arrived: the wait is interrupted by a deadline, so nothing was
// consumed, and a peek tells whether a request has started.
func (cc *clientConn) waitIdle(resumed bool) (ok, timedOut, parked bool) {
	if cc.raw == nil {
		return true, false, false // the caller's buffered read does the waiting
	}
	if cc.session != nil {
		cc.cio.Forget() // the waits below reset the poller's edge
	}
	graced := false
	var graceEnd time.Time
	for {
		if !graced {
			parked, ready := cc.park(resumed)
			if parked {
				return false, false, true
			}
			if ready {
				return cc.peekErr == nil && cc.peekN > 0, false, false
			}
		}
		cc.peekN, cc.peekErr = 0, nil
		cc.waited = false
		err := cc.raw.Read(cc.waitFn)
		if err == nil {
			return cc.peekErr == nil && cc.peekN > 0, false, false
		}
		cc.mu.Lock()
		kicked, migrate, closed := cc.kicked, cc.migrate, cc.closed
		cc.migrate = false
		cc.mu.Unlock()
		if !kicked || closed {
			if migrate {
				cc.e.handoffLeave()
			}
			return false, !closed && isTimeout(err), false
		}
		// Woken on purpose: a request already sitting in the socket is
		// still served (with Connection: close).
		gone, data := cc.clientState()
		if migrate {
			if !gone && !data && cc.handOver() {
				cc.e.handoffLeave()
				return false, false, false
			}
			cc.e.handoffLeave()
		}
		if gone || data {
			return data, false, false
		}
		if cc.state.Load() == stateFresh {
			// Never answered: keep waiting for the first request under
			// its own deadline (unless a new kick came meanwhile).
			cc.mu.Lock()
			if !cc.migrate {
				cc.kicked = false
				cc.c.SetReadDeadline(cc.idleDL)
			}
			cc.mu.Unlock()
			continue
		}
		if graced {
			if time.Now().Before(graceEnd) {
				// Kicked again within the grace (a second soft stop,
				// a hand-over draining): the grace still holds.
				cc.armGrace(graceEnd)
				continue
			}
			return false, false, false // soft stop: close silently
		}
		// A client that just got a response is likely sending its next
		// request right now: closing would race with it. Give it a
		// short grace to send, and answer that request with
		// "Connection: close" instead.
		if grace := cc.e.drainGrace; !cc.idleSince.IsZero() && time.Since(cc.idleSince) < grace {
			graced = true
			graceEnd = time.Now().Add(grace)
			cc.armGrace(graceEnd)
			continue
		}
		return false, false, false
	}
}

// armGrace makes the idle wait end at the drain grace's end, unless a
// hand-over wants the connection (its past deadline must stand).
func (cc *clientConn) armGrace(end time.Time) {
	cc.mu.Lock()
	if !cc.migrate {
		cc.c.SetReadDeadline(end)
	}
	cc.mu.Unlock()
	if cc.e.onGrace != nil {
		cc.e.onGrace()
	}
}

// handOver passes the connection to the hand-over's send. On success
// the connection belongs to the next generation: this engine closes
// only its own descriptor.
func (cc *clientConn) handOver() bool {
	ho := cc.e.handoff.Load()
	switch {
	case ho == nil:
		return false
	case cc.relayed:
		return cc.passRelay()
	case cc.tcp == nil, cc.upgraded:
		// An upgraded connection would start over as a new TCP one
		// there, its next request switched on raw bytes: it stays,
		// and is drained like an HTTP connection that could not move.
		return false
	case cc.tlsConn != nil:
		return cc.relayOver()
	}
	var buffered []byte
	if cc.buf != nil && cc.w > cc.r {
		buffered = (*cc.buf)[cc.r:cc.w]
	}
	cc.unpoll() // the next process shares the open socket
	if err := ho.send(cc.bind, cc.tcp, cc.handoverBytes(buffered)); err != nil {
		return false
	}
	cc.mu.Lock()
	cc.handedOver = true
	cc.mu.Unlock()
	return true
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
