package proxy

import (
	"io"
	"net"
	"sync/atomic"
	"time"

	"baton/internal/config"
)

// pipeResult says how a two-way copy ended.
type pipeResult struct {
	c2s, s2c int64   // bytes copied each way
	term     [2]byte // termination state, "--" for a clean end
}

// pipeState is shared by the two directions of a pipe. Any progress in
// either direction is activity on both sides (each direction reads one
// side and writes the other), so one idle clock serves both: the pipe
// ends when it has been idle for the smallest limit in force.
type pipeState struct {
	client, server net.Conn
	lastActive     atomic.Int64 // monoSince at the last byte moved
	clientLimit    atomic.Int64 // ns; 0 means none
	serverLimit    atomic.Int64
	term           atomic.Value // [2]byte, first one wins
	pt             pipeTimeouts
	// fromClient and fromServer are when bytes last came from each side
	// (unix ns), for option independent-streams: atomic, each direction
	// writes its own and reads the other's.
	fromClient, fromServer atomic.Int64
}

// pipe copies client<->server until both directions end, propagating
// half-closes. Each direction is an io.Copy between the two connections
// (splice(2) on Linux between TCP sockets), run in rounds bounded by a
// read deadline so the idle limits can be checked between rounds: a
// timeout fires between limit and limit+limit/2 after the last byte.
func pipe(client, server net.Conn, pt pipeTimeouts) pipeResult {
	ps := &pipeState{client: client, server: server, pt: pt}
	now := monoSince()
	ps.lastActive.Store(now)
	ps.fromClient.Store(now)
	ps.fromServer.Store(now)
	ps.clientLimit.Store(int64(pt.client))
	ps.serverLimit.Store(int64(pt.server))
	var res pipeResult
	done := make(chan int64, 1)
	go func() { done <- ps.copyDir(server, client, true) }()
	res.s2c = ps.copyDir(client, server, false)
	res.c2s = <-done
	res.term = [2]byte{'-', '-'}
	if t, ok := ps.term.Load().([2]byte); ok {
		res.term = t
	}
	return res
}

type closeWriter interface{ CloseWrite() error }

// monoBase anchors monoSince: idle times are measured on the monotonic
// clock, which a wall-clock adjustment cannot move (one made a 100 ms
// timeout fire after 98.9 ms of real time).
var monoBase = time.Now()

// monoSince returns the monotonic nanoseconds since monoBase.
func monoSince() int64 { return int64(time.Since(monoBase)) }

// expired reports whether a side has been idle past its limit, and
// which. A side's idle time runs from the last bytes either way, or with
// option independent-streams on its proxy, from the last bytes received
// from it. now is monoSince's.
func (ps *pipeState) expired(now int64) (byte, bool) {
	last := ps.lastActive.Load()
	idle := func(indep bool, from *atomic.Int64) time.Duration {
		if indep {
			return time.Duration(now - from.Load())
		}
		return time.Duration(now - last)
	}
	if c := time.Duration(ps.clientLimit.Load()); c > 0 && idle(ps.pt.indepClient, &ps.fromClient) >= c {
		return 'c', true
	}
	if s := time.Duration(ps.serverLimit.Load()); s > 0 && idle(ps.pt.indepServer, &ps.fromServer) >= s {
		return 's', true
	}
	return 0, false
}

// limit returns the idle limit in force and which side it belongs to.
func (ps *pipeState) limit() (time.Duration, byte) {
	c, s := time.Duration(ps.clientLimit.Load()), time.Duration(ps.serverLimit.Load())
	switch {
	case c > 0 && (s == 0 || c <= s):
		return c, 'c'
	case s > 0:
		return s, 's'
	}
	return 0, 0
}

func (ps *pipeState) fail(term [2]byte) {
	ps.term.CompareAndSwap(nil, term)
	ps.client.Close()
	ps.server.Close()
}

// copyDir copies src to dst in rounds. fromClient says src is the client.
func (ps *pipeState) copyDir(dst, src net.Conn, fromClient bool) int64 {
	var total int64
	// suspect is set after a round found the pipe idle past its limit:
	// the other direction may be moving bytes it has not reported yet
	// (an io.Copy round reports only when it ends), so it is made to end
	// its round and report before the timeout is declared.
	suspect := false
	for {
		lim, _ := ps.limit()
		if lim > 0 {
			round := lim / 2
			if round < time.Millisecond {
				round = time.Millisecond
			}
			src.SetReadDeadline(time.Now().Add(round))
		} else {
			src.SetReadDeadline(time.Time{})
		}
		n, err := io.Copy(dst, src)
		total += n
		now := monoSince()
		if n > 0 {
			ps.lastActive.Store(now)
			if fromClient {
				ps.fromClient.Store(now)
			} else {
				ps.fromServer.Store(now)
			}
		}
		if err == nil {
			// EOF: pass the half-close on; the side that closed is now
			// bounded by its fin timeout.
			if cw, ok := dst.(closeWriter); ok {
				cw.CloseWrite()
			} else {
				dst.Close()
			}
			if fromClient {
				if ps.pt.clientFin > 0 {
					ps.clientLimit.Store(int64(ps.pt.clientFin))
				}
			} else if ps.pt.serverFin > 0 {
				ps.serverLimit.Store(int64(ps.pt.serverFin))
			}
			return total
		}
		if isTimeout(err) {
			if side, ok := ps.expired(now); ok {
				if suspect {
					ps.fail([2]byte{side, 'D'})
					return total
				}
				suspect = true
				dst.SetReadDeadline(pastDeadline) // dst is the other direction's source
				continue
			}
			suspect = false
			continue
		}
		// Reset or closed: the side we read from (or wrote to) failed.
		if ps.term.Load() == nil {
			if fromClient {
				ps.fail([2]byte{'C', 'D'})
			} else {
				ps.fail([2]byte{'S', 'D'})
			}
		}
		return total
	}
}

// serveTCP forwards a TCP-mode connection to a server of its backend.
// It returns true when that backend is in mode http: the connection is
// then served as HTTP (upgrade.go).
func (cc *clientConn) serveTCP() (upgrade bool) {
	fe := cc.fe
	cc.setActive(stateTunnel)
	x := &cc.ex
	x.reset()
	x.tAccept, x.tStart = cc.start, cc.start
	if cc.fe.logging {
		x.id = cc.e.reqID.Add(1) - 1
	}
	if !cc.adopted && fe.log.Connects() {
		cc.logConnect()
	}
	in := &cc.in
	in.Req = nil
	in.TLS = cc.facts                           // ssl_fc*, ssl_c_*
	in.UniqueIDFormat = fe.rules.UniqueIDFormat // unique-id, proxy-v2-options unique-id
	// tcp-request content rules look at the first bytes, within the
	// inspect delay; use_backend then sees them too.
	if fe.rules.HasTCPContent() && !cc.inspectTCP(fe.rules, fe.rules.InspectDelay) {
		x.setTerm('P', 'R')
		cc.logTCP(x)
		return false
	}
	if in.Effects.SwitchHTTP {
		cc.upgrade(nil, x.id) // switch-mode http: the frontend goes on in HTTP
		return true
	}
	beName, beDyn := fe.rules.Backend(in)
	be := fe.backendFor(cc.e, beName, beDyn)
	if be == nil || be.b == nil {
		x.setTerm('S', 'C')
		cc.logTCP(x)
		return false
	}
	if be.p.Mode == config.ModeHTTP {
		cc.upgrade(be, x.id)
		return true
	}
	if cc.h2stream {
		return cc.upgradedToTCP(x, be) // an HTTP/2 stream of an upgraded connection
	}
	x.be = be
	in.Backend = be.p.Name
	if be.p != fe.p && be.rules != nil && be.rules.HasTCPContent() && !cc.inspectTCP(be.rules, be.rules.InspectDelay) {
		x.setTerm('P', 'R')
		cc.logTCP(x)
		return false
	}
	be.beCum.Add(1)
	be.beconn.Add(1)
	defer be.beconn.Add(-1)
	x.beHeld = true
	cc.enterBackend(be)
	defer leaveBackend(be)
	bt := cc.timeouts(be)
	key := keyFor(cc)
	queueDL := deadline(time.Now(), bt.Queue)
	var err error
	srv := cc.pickServer(be) // use-server
	if srv == nil {
		srv, err = be.b.Acquire(key, nil, queueDL)
		if err != nil {
			x.setTerm('S', 'C')
			cc.logTCP(x)
			return false
		}
	}
	x.srv = srv
	cc.enterServer(x, srv)
	x.tQueued = time.Now()
	var sc net.Conn
	for {
		in.Server = x.srv.Name // a retry may have redispatched
		sc, _, err = cc.connect(be, x.srv, bt, true)
		if err == nil {
			cc.stickStore(be, x.srv, false)
			break
		}
		ok, aerr := cc.retry(x, config.RetryConnFailure, key, queueDL)
		if aerr != nil || !ok {
			if aerr == nil {
				x.release() // (a failed redispatch released it already)
			}
			x.setTerm('S', 'C')
			cc.logTCP(x)
			return false
		}
	}
	x.sc = sc
	cc.setServer(sc)
	cc.curSrv.Store(x.srv)
	x.tConn = time.Now()
	x.noteServer(sc)
	if fe.log.ASAP {
		cc.logTCPEarly(x)
	}
	ft := &fe.p.Timeouts
	var inspected int64
	if cc.w > cc.r {
		// What inspection read goes first, unchanged.
		sc.SetWriteDeadline(deadline(time.Now(), bt.Server))
		n, err := sc.Write((*cc.buf)[cc.r:cc.w])
		inspected = int64(n)
		if err != nil {
			x.bytesIn = inspected
			x.setTerm('S', 'D')
			cc.dropServer(x)
			x.release()
			cc.logTCP(x)
			return false
		}
		sc.SetWriteDeadline(time.Time{})
	}
	x.bytesIn = inspected
	if be.rules != nil && be.rules.HasTCPResponse() && !cc.inspectServer(x, be, sc) {
		cc.dropServer(x)
		x.release()
		cc.logTCP(x)
		return false
	}
	cc.releaseBufs()
	pt := tunnelTimeouts(ft, bt)
	pt.indepClient, pt.indepServer = fe.p.IndependentStreams, be.p.IndependentStreams
	res := pipe(cc.c, sc, pt)
	x.bytesIn, x.bytesOut = x.bytesIn+res.c2s, x.bytesOut+res.s2c
	x.setTerm(res.term[0], res.term[1])
	cc.dropServer(x)
	x.release()
	cc.logTCP(x)
	return false
}
