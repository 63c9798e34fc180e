package proxy

import (
	"io"
	"net"
	"sync/atomic"
	"time"
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
	lastActive     atomic.Int64 // unix nanoseconds
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
	now := time.Now().UnixNano()
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

// expired reports whether a side has been idle past its limit, and
// which. A side's idle time runs from the last bytes either way, or with
// option independent-streams on its proxy, from the last bytes received
// from it.
func (ps *pipeState) expired(now time.Time) (byte, bool) {
	last := ps.lastActive.Load()
	idle := func(indep bool, from *atomic.Int64) time.Duration {
		if indep {
			return now.Sub(time.Unix(0, from.Load()))
		}
		return now.Sub(time.Unix(0, last))
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
		now := time.Now()
		if n > 0 {
			ps.lastActive.Store(now.UnixNano())
			if fromClient {
				ps.fromClient.Store(now.UnixNano())
			} else {
				ps.fromServer.Store(now.UnixNano())
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
func (cc *clientConn) serveTCP() {
	fe := cc.fe
	cc.setActive(stateTunnel)
	x := &cc.ex
	x.reset()
	x.tStart = cc.start
	cc.in.Req = &cc.req
	cc.in.Src = cc.src.Addr()
	cc.in.PP = cc.pp
	be := fe.backendFor(cc.e, fe.rules.Backend(&cc.in))
	if be == nil || be.b == nil {
		x.setTerm('S', 'C')
		cc.logTCP(x)
		return
	}
	x.be = be
	be.beconn.Add(1)
	defer be.beconn.Add(-1)
	bt := &be.p.Timeouts
	key := keyFor(cc)
	queueDL := deadline(time.Now(), bt.Queue)
	srv, err := be.b.Acquire(key, nil, queueDL)
	if err != nil {
		x.setTerm('S', 'C')
		cc.logTCP(x)
		return
	}
	x.srv = srv
	x.tQueued = time.Now()
	var sc net.Conn
	for {
		sc, err = cc.dialServer(be, srv, bt.Connect.Value)
		if err == nil {
			break
		}
		if x.retries >= be.p.Retries {
			be.b.Release(srv)
			x.setTerm('S', 'C')
			cc.logTCP(x)
			return
		}
		x.retries++
		if be.p.Redispatch {
			be.b.Release(srv)
			srv, err = be.b.Acquire(key, srv, queueDL)
			if err != nil {
				x.setTerm('S', 'C')
				cc.logTCP(x)
				return
			}
			x.srv = srv
		}
	}
	x.sc = sc
	cc.setServer(sc)
	cc.curSrv.Store(srv)
	x.tConn = time.Now()
	ft := &fe.p.Timeouts
	pt := tunnelTimeouts(ft, bt)
	pt.indepClient, pt.indepServer = fe.p.IndependentStreams, be.p.IndependentStreams
	res := pipe(cc.c, sc, pt)
	x.bytesIn, x.bytesOut = res.c2s, res.s2c
	x.setTerm(res.term[0], res.term[1])
	cc.dropServer(x)
	be.b.Release(srv)
	cc.logTCP(x)
}
