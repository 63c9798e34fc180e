package proxy

import (
	"net"
	"net/netip"
	"time"

	"baton/internal/accesslog"
	"baton/internal/config"
)

// since returns b-a, or -1 (phase not reached) when either is unset.
func since(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() {
		return -1
	}
	return b.Sub(a)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// addrPort is c's address (local or remote) without allocating.
func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort()
	}
	return netip.AddrPort{}
}

// fillEntry sets the fields every line shares. The entry is the
// connection's own, reused for every line.
func (cc *clientConn) fillEntry(x *exchange) *accesslog.Entry {
	e := &cc.entry
	req, capReq, capRes := e.Request[:0], e.CapturedReq[:0], e.CapturedRes[:0]
	*e = accesslog.Entry{Request: req, CapturedReq: capReq, CapturedRes: capRes}
	e.HTTP = cc.fe.p.Mode == config.ModeHTTP || cc.upgraded
	cc.noteRules(e)
	e.Client = cc.src
	e.Local = addrPort(cc.c.LocalAddr())
	e.ServerSrc, e.ServerDst = x.srvSrc, x.srvDst
	e.Frontend = cc.fe.p.Name
	if f := cc.facts; f != nil {
		e.TLS = true // %ft: "fe~"
		e.TLSCipher, e.TLSVersion = f.Cipher, f.Protocol
	}
	e.ActConn = int(cc.e.actconn.Load())
	e.FeConn = int(cc.fe.feconn.Load())
	e.Retries = x.retries
	e.Redispatched = x.redispatched
	e.ID = x.id
	// The counts leave this exchange out: HAProxy logs once it has left
	// its backend and server.
	if x.be != nil {
		e.Backend = x.be.p.Name
		e.BeConn = int(x.be.beconn.Load()) - b2i(x.beHeld)
		e.BackendQueue = x.be.b.Queued()
	}
	if x.srv != nil {
		e.Server = x.srv.Name
		e.SrvConn = max(0, x.srv.Conns()-b2i(!x.released))
	} else if x.cached {
		e.Server = "<CACHE>"
	}
	e.State = [4]byte{x.term[0], x.term[1], '-', '-'}
	if k := cc.killed.Load(); k != 0 {
		e.State[0] = byte(k) // cut by on-marked-down/up
	}
	return e
}

// countSelf adds the exchange to the backend and server counts of an
// early line ("option logasap"): HAProxy writes it while the exchange
// still uses them, even if Baton already freed the server's slot.
func (x *exchange) countSelf(e *accesslog.Entry) {
	e.BeConn += b2i(x.beHeld)
	if x.srv != nil {
		e.SrvConn++
	}
}

// noteServer records the server connection's addresses for the log line.
func (x *exchange) noteServer(sc net.Conn) {
	x.srvSrc, x.srvDst = addrPort(sc.LocalAddr()), addrPort(sc.RemoteAddr())
}

// httpEntry is the entry of an HTTP exchange logged now.
func (cc *clientConn) httpEntry(x *exchange, now time.Time) *accesslog.Entry {
	e := cc.fillEntry(x)
	e.Accept = x.tAccept
	e.Handshake = x.tHandshake
	e.Idle = x.tStart.Sub(x.tAccept) - x.tHandshake
	e.TRequest = since(x.tAccept, x.tHead)
	e.TQueue = since(x.tAccept, x.tQueued)
	e.TConnect = since(x.tAccept, x.tConn)
	e.TData = since(x.tAccept, x.tRsp)
	e.TClose = now.Sub(x.tAccept)
	e.Status = x.status
	if e.Status == 0 {
		e.Status = -1
	}
	e.BytesOut, e.BytesIn = x.bytesOut, x.bytesIn
	e.Request = append(e.Request, x.reqLine...)
	return e
}

// logHTTP counts an exchange that ended (stats.go) and writes its
// traffic line, once, when the frontend logs.
func (cc *clientConn) logHTTP(x *exchange) {
	cc.countHTTP(x)
	if x.logged || !cc.fe.logging {
		return
	}
	if cc.session != nil && cc.in.Effects.LogLevel == "silent" {
		x.logged = true
		return
	}
	x.logged = true
	e := cc.httpEntry(x, time.Now())
	req := cc.forLog(x)
	cc.fe.log.Log(e)
	cc.afterLog(req)
}

// logHTTPEarly writes the line of an exchange whose response head (of
// headBytes) was just sent, for "option logasap".
func (cc *clientConn) logHTTPEarly(x *exchange, headBytes int) {
	if x.logged || !cc.fe.logging {
		return
	}
	x.logged = true
	if cc.session != nil && cc.in.Effects.LogLevel == "silent" {
		return
	}
	e := cc.httpEntry(x, time.Now())
	e.ASAP, e.BytesOut = true, int64(headBytes)
	x.countSelf(e)
	req := cc.forLog(x)
	cc.fe.log.Log(e)
	cc.afterLog(req)
}

// logHeadError writes the line of a request that failed before its head
// was read (HAProxy's session log, "error-log-format"): no backend, no
// timers but the total, nothing counted as sent.
func (cc *clientConn) logHeadError(x *exchange) {
	cc.countHTTP(x)
	if x.logged || !cc.fe.logging {
		return
	}
	x.logged = true
	e := cc.fillEntry(x)
	e.Sample = nil // no request was read: samples would see the previous one
	now := time.Now()
	e.Accept = x.tStart
	e.TRequest, e.TQueue, e.TConnect, e.TData = -1, -1, -1, -1
	e.TClose = now.Sub(x.tStart)
	e.Status = x.status
	cc.fe.log.LogError(e)
}

// tcpEntry is the entry of a TCP-mode connection logged now.
func (cc *clientConn) tcpEntry(x *exchange, now time.Time) *accesslog.Entry {
	e := cc.fillEntry(x)
	e.Accept = cc.start
	if !cc.hsEnd.IsZero() {
		e.Handshake = cc.hsEnd.Sub(cc.start)
	}
	// HAProxy has no request time in mode tcp: its Tw counts from -1.
	e.TRequest, e.TData = -1, -1
	e.TQueue = since(cc.start, x.tQueued)
	e.TConnect = since(cc.start, x.tConn)
	e.TClose = now.Sub(cc.start)
	e.BytesOut, e.BytesIn = x.bytesOut, x.bytesIn
	return e
}

// logTCP counts a TCP-mode connection that ended and writes its tcplog
// line, once.
func (cc *clientConn) logTCP(x *exchange) {
	cc.countTCP(x)
	if x.logged || !cc.fe.logging {
		return
	}
	if cc.session != nil && cc.in.Effects.LogLevel == "silent" {
		x.logged = true
		return
	}
	x.logged = true
	if cc.fe.p.DontLogNull && x.bytesIn == 0 {
		return
	}
	e := cc.tcpEntry(x, time.Now())
	req := cc.forLog(x)
	cc.fe.log.Log(e)
	cc.afterLog(req)
}

// logTCPEarly writes the line of a TCP connection that just reached its
// server, for "option logasap".
func (cc *clientConn) logTCPEarly(x *exchange) {
	if x.logged || !cc.fe.logging {
		return
	}
	x.logged = true
	e := cc.tcpEntry(x, time.Now())
	e.ASAP = true
	x.countSelf(e)
	req := cc.forLog(x)
	cc.fe.log.Log(e)
	cc.afterLog(req)
}

// logConnect writes HAProxy's "Connect from" line of a new connection
// (mode http: once its first request begins), for a frontend with log
// targets and no format.
func (cc *clientConn) logConnect() {
	e := &cc.entry
	req := e.Request[:0]
	*e = accesslog.Entry{Request: req, HTTP: cc.fe.p.Mode == config.ModeHTTP, Client: cc.src,
		Local: addrPort(cc.c.LocalAddr()), Frontend: cc.fe.p.Name}
	cc.fe.log.LogConnect(e)
}
