package proxy

import (
	"time"

	"baton/internal/accesslog"
)

// since returns b-a, or -1 (phase not reached) when either is unset.
func since(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() {
		return -1
	}
	return b.Sub(a)
}

// fillEntry sets the fields httplog and tcplog share. The entry is the
// connection's own, reused for every line.
func (cc *clientConn) fillEntry(x *exchange) *accesslog.Entry {
	e := &cc.entry
	req := e.Request[:0]
	*e = accesslog.Entry{Request: req}
	e.Client = cc.src
	e.Frontend = cc.fe.p.Name
	e.ActConn = int(cc.e.actconn.Load())
	e.FeConn = int(cc.fe.feconn.Load())
	e.Retries = x.retries
	e.Redispatched = x.retries > 0 && x.be != nil && x.be.p.Redispatch
	if x.be != nil {
		e.Backend = x.be.p.Name
		e.BeConn = int(x.be.beconn.Load())
		e.BackendQueue = x.be.b.Queued()
	}
	if x.srv != nil {
		e.Server = x.srv.Name
		e.SrvConn = x.srv.Conns()
		if x.released {
			e.SrvConn = x.srvConns
		}
	}
	e.State = [4]byte{x.term[0], x.term[1], '-', '-'}
	if k := cc.killed.Load(); k != 0 {
		e.State[0] = byte(k) // cut by on-marked-down/up
	}
	return e
}

// logHTTP writes the httplog line of an exchange, once, when the
// frontend logs.
func (cc *clientConn) logHTTP(x *exchange) {
	if x.logged || !cc.fe.logging || !cc.fe.p.HTTPLog {
		return
	}
	x.logged = true
	now := time.Now()
	e := cc.fillEntry(x)
	e.Date = x.tStart
	e.TR = since(x.tStart, x.tHead)
	e.Tw = since(x.tHead, x.tQueued)
	e.Tc = since(x.tQueued, x.tConn)
	e.Tr = since(x.tConn, x.tRsp)
	e.Ta = since(x.tStart, now)
	e.Status = x.status
	e.Bytes = x.bytesOut
	e.Request = append(e.Request, x.reqLine...)
	cc.e.log.HTTP(e)
}

// logTCP writes the tcplog line of a TCP-mode connection.
func (cc *clientConn) logTCP(x *exchange) {
	if x.logged || !cc.fe.logging || !cc.fe.p.TCPLog {
		return
	}
	x.logged = true
	if cc.fe.p.DontLogNull && x.bytesIn == 0 {
		return
	}
	e := cc.fillEntry(x)
	e.Date = cc.start
	e.Tw = since(cc.start, x.tQueued)
	e.Tc = since(x.tQueued, x.tConn)
	e.Tt = time.Since(cc.start)
	e.Bytes = x.bytesOut
	cc.e.log.TCP(e)
}
