package proxy

import (
	"net"
	"time"

	"baton/internal/h2"
	"baton/internal/syslog"
)

// HTTP/2 on the client side (internal/h2). A connection becomes HTTP/2
// when its TLS handshake chose "h2" by ALPN, or on a "proto h2" bind
// (prior knowledge). Its goroutine then runs the h2 frame loop instead
// of the HTTP/1.1 one; the connection keeps its maxconn slots and its
// place in e.conns, in the tunnel state, so a soft stop never closes it
// as idle and a hand-over never moves it (HPACK state and stream IDs
// cannot cross a process). Draining it is the two-phase GOAWAY instead.
//
// Each stream is served by a clientConn of its own whose connection is
// the stream's HTTP/1.1 view (h2.Stream.H1Conn): the exchange goes
// through the same code as an HTTP/1.1 request, so rules, logs,
// counters, retries and timeouts apply unchanged. A stream's clientConn
// is registered in e.conns (a hard stop closes it; Done waits for it)
// but holds no maxconn slot and counts no session: the connection does.

// serveH2 runs cc as an HTTP/2 connection until it ends.
func (cc *clientConn) serveH2() {
	cc.setActive(stateTunnel)
	t := &cc.fe.p.Timeouts
	set := h2.Settings{Limits: cc.e.cfg.Global.H2, WriteTimeout: t.Client.Value}
	set.IdleTimeout = t.HTTPKeepAlive.Value
	if set.IdleTimeout <= 0 {
		set.IdleTimeout = t.Client.Value
	}
	set.PrefaceTimeout = t.HTTPRequest.Value
	if set.PrefaceTimeout <= 0 {
		set.PrefaceTimeout = t.Client.Value
	}
	var c net.Conn = cc.c
	if cc.buf != nil && cc.w > cc.r {
		// Bytes already read (an adopted connection's): the preface.
		c = &prefixConn{Conn: c, pre: append([]byte(nil), (*cc.buf)[cc.r:cc.w]...)}
	}
	cc.releaseBufs()
	// The streams have sessions of their own: the connection's goes back
	// to the pool while it serves them (4 KB per idle connection), and a
	// fresh one serves what runs after Serve.
	cc.dropSession()
	defer cc.takeSession()
	cc.stkConn = cc.stk.ConnectionEntries()
	cc.h2owner() // the streams share the connection's server connections
	conn := h2.NewConn(c, set, h2Handler{cc})
	conn.Logf = func(format string, args ...any) {
		cc.e.event(cc.fe.log, syslog.Warning, "%s: %s/%s: "+format, append([]any{cc.src, cc.fe.p.Name, cc.bind}, args...)...)
	}
	cc.mu.Lock()
	cc.h2 = conn
	cc.mu.Unlock()
	if cc.e.draining.Load() {
		conn.Shutdown()
	}
	conn.Serve()
}

// h2Handler serves the streams of one HTTP/2 connection.
type h2Handler struct{ parent *clientConn }

func (h h2Handler) ServeStream(st *h2.Stream) {
	p := h.parent
	sc := newClientConn(p.e, p.fe, p.bind, st.H1Conn(p.c.LocalAddr(), p.c.RemoteAddr()))
	sc.tlsBind = nil // the parent did the handshake
	sc.facts = p.facts
	sc.shard = p.shard
	sc.h2stream = true
	sc.h2own = p.h2own
	// The connection ran its tcp-request connection and session rules,
	// and read its PROXY header, once: its streams take the outcome (the
	// addresses, the header, the tracked entries, which count each
	// stream's request), as HAProxy's streams take their session's.
	sc.rulesDone = true
	sc.src, sc.dst, sc.pp = p.src, p.dst, p.pp
	sc.srcIP = append(sc.srcIP[:0], p.srcIP...)
	if s := sc.session; s != nil {
		s.in.Src, s.in.Dst, s.in.PP = sc.src, sc.dst, sc.pp
	}
	if sc.stk != nil {
		sc.stk.Inherit(p.stkConn)
	}
	sc.start = time.Now()
	sc.now = sc.start
	p.e.mu.Lock()
	p.e.conns[sc] = struct{}{}
	p.e.mu.Unlock()
	sc.serve()
}

// unregisterStream forgets a stream's clientConn (see unregister).
func (e *Engine) unregisterStream(cc *clientConn) {
	e.mu.Lock()
	delete(e.conns, cc)
	e.checkDoneLocked()
	e.mu.Unlock()
}

// drainH2 starts the graceful GOAWAY of every HTTP/2 connection (soft
// stop, hand-over); one that becomes HTTP/2 later starts it itself.
func (e *Engine) drainH2() {
	e.mu.Lock()
	var conns []*h2.Conn
	for cc := range e.conns {
		cc.mu.Lock()
		if cc.h2 != nil {
			conns = append(conns, cc.h2)
		}
		cc.mu.Unlock()
	}
	e.mu.Unlock()
	for _, c := range conns {
		c.Shutdown()
	}
}

// wantsH2 says whether a connection about to read its first request
// speaks HTTP/2: a "proto h2" bind, or "h2" chosen by ALPN.
func (cc *clientConn) wantsH2() bool {
	if cc.h2stream || cc.relayed {
		return false
	}
	switch cc.upgradeProto { // switch-mode http proto
	case "h2":
		return true
	case "h1":
		return false
	}
	if cc.e.h2Binds[cc.bind] {
		return true
	}
	return cc.tlsConn != nil && cc.tlsConn.ConnectionState().NegotiatedProtocol == "h2"
}

// prefixConn reads pre before the connection's own bytes.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
