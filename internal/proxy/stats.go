package proxy

import (
	"time"

	"baton/internal/backend"
	"baton/internal/counters"
)

// Statistics. Every event is counted once, in the shared counters segment
// (package counters), on the object it happened on: a connection on its
// frontend, a request's answer on its frontend and on the server that
// gave it (or on its backend when no server did). Backend and process
// totals are sums readers make (counters.Snapshot). A connection counts
// in one shard of its generation's region group, picked when it is
// accepted (cc.shard), so concurrent connections seldom share a cache
// line; gauges, rates and maxima go to the group's first block, so they
// cover the whole generation. All of it is atomic adds on the mapping:
// no lock, no allocation.

// objCounters are the counter blocks of one object in this generation.
type objCounters = counters.Blocks

// srvCounters returns the blocks of server s of backend be.
func (be *backendRT) srvCounters(s *backend.Server) *objCounters {
	if rt := be.rtOf(s); rt != nil {
		return &rt.ctr
	}
	return &noCounters
}

// noCounters counts nothing (a server added at run time before its
// blocks exist, an engine without a segment).
var noCounters objCounters

// initCounters resolves the slots of every object of the configuration.
func (e *Engine) initCounters(v *counters.View) {
	e.ctr = v
	e.proc = v.Blocks(v.Slot(counters.ProcessKey))
	for _, fe := range e.frontends {
		fe.ctr = v.Blocks(v.Slot(counters.FrontendKey(fe.p.Name)))
	}
	for _, brt := range e.binds {
		if fe := e.frontends[brt.b.Addr]; fe != nil && fe.p.SocketStats {
			brt.ctr = v.Blocks(v.Slot(counters.ListenerKey(fe.p.Name, brt.pos)))
		}
	}
	for name, be := range e.backends {
		be.slot = v.Slot(counters.BackendKey(name))
		be.ctr = v.Blocks(be.slot)
	}
}

// countOpen counts an accepted connection (adopted: handed over by the
// previous generation, which counted it already: only the gauges move).
func (cc *clientConn) countOpen(adopted bool) {
	fe, proc := &cc.fe.ctr, &cc.e.proc
	fe.Gen().Enter(counters.CurSessions, counters.MaxSessions)
	proc.Gen().Enter(counters.CurSessions, counters.MaxSessions)
	if cc.brt != nil {
		cc.brt.ctr.Gen().Enter(counters.CurSessions, counters.MaxSessions)
	}
	if adopted {
		return
	}
	now := cc.start.Unix()
	f := fe.Shard(cc.shard)
	f.Inc(counters.Conns)
	f.Inc(counters.Sessions)
	cc.listenerBlock().Inc(counters.Sessions)
	fe.Gen().Tick(counters.ConnRate, counters.MaxConnRate, now)
	fe.Gen().Tick(counters.SessRate, counters.MaxSessRate, now)
	proc.Gen().Tick(counters.ConnRate, counters.MaxConnRate, now)
	proc.Gen().Tick(counters.SessRate, counters.MaxSessRate, now)
}

// countClose counts a connection's end.
func (cc *clientConn) countClose() {
	cc.fe.ctr.Gen().Leave(counters.CurSessions)
	cc.e.proc.Gen().Leave(counters.CurSessions)
	if cc.brt != nil {
		cc.brt.ctr.Gen().Leave(counters.CurSessions)
	}
}

// listenerBlock is the block of the listener cc came in on, with option
// socket-stats; without it (or without a listener: a hand-over) a zero
// Block, which counts nothing. Listener counters are the frontend's
// per-connection and per-request ones again (sessions, bytes, denials,
// errors): a few more atomic adds in the same shard, no allocation.
func (cc *clientConn) listenerBlock() counters.Block {
	if cc.brt == nil {
		return counters.Block{}
	}
	return cc.brt.ctr.Shard(cc.shard)
}

// enterBackend counts a session on be until the returned leave runs.
func (cc *clientConn) enterBackend(be *backendRT) {
	be.ctr.Gen().Enter(counters.CurSessions, counters.MaxSessions)
	if q := be.b.Queued(); q > 0 {
		be.ctr.Gen().Max(counters.MaxQueue, uint64(q))
	}
}

func leaveBackend(be *backendRT) { be.ctr.Gen().Leave(counters.CurSessions) }

// enterServer counts a session on the server an exchange just acquired
// (leaving the one a redispatch left); countHTTP and countTCP leave it.
func (cc *clientConn) enterServer(x *exchange, s *backend.Server) {
	x.leaveServer()
	if rt := x.be.rtOf(s); rt != nil {
		x.entered = rt
		rt.ctr.Gen().Enter(counters.CurSessions, counters.MaxSessions)
		cc.cur.Store(rt)
	}
}

func (x *exchange) leaveServer() {
	if x.entered != nil {
		x.entered.ctr.Gen().Leave(counters.CurSessions)
		x.entered = nil
	}
}

// endExchange leaves the exchange's server.
func (cc *clientConn) endExchange(x *exchange) {
	x.leaveServer()
	cc.cur.Store(nil)
	cc.aborted.Store(false)
}

// Outcomes of an exchange the proxy answered itself (exchange.answered).
const (
	answeredNone        uint8 = iota
	answeredDenied            // http-request deny
	answeredIntercepted       // redirect, return, stats page, monitor, services
)

// startCount marks x counted and returns its frontend's block; ok is
// false when x was counted already (an early log line does not count)
// or the engine counts nothing.
func (cc *clientConn) startCount(x *exchange) (fe counters.Block, ok bool) {
	if x.counted {
		return fe, false
	}
	x.counted = true
	fe = cc.fe.ctr.Shard(cc.shard)
	if !fe.Valid() {
		cc.endExchange(x)
		return fe, false
	}
	return fe, true
}

// countHTTP counts one HTTP exchange when it ends (logHTTP).
func (cc *clientConn) countHTTP(x *exchange) {
	fe, ok := cc.startCount(x)
	if !ok {
		return
	}
	defer cc.endExchange(x)
	sec := cc.now.Unix()
	fe.Inc(counters.Requests)
	cc.fe.ctr.Gen().Tick(counters.ReqRate, counters.MaxReqRate, sec)
	fe.Add(counters.BytesIn, uint64(x.bytesIn))
	fe.Add(counters.BytesOut, uint64(x.bytesOut))
	ln := cc.listenerBlock()
	ln.Add(counters.BytesIn, uint64(x.bytesIn))
	ln.Add(counters.BytesOut, uint64(x.bytesOut))
	if x.status > 0 {
		fe.Inc(counters.RespField(x.status))
	}
	switch {
	case x.answered == answeredDenied:
		ln.Inc(counters.DeniedReq)
		if x.be != nil {
			x.be.ctr.Shard(cc.shard).Inc(counters.DeniedReq)
		} else {
			fe.Inc(counters.DeniedReq)
		}
	case x.answered == answeredIntercepted:
		fe.Inc(counters.Intercepted)
	case x.be == nil && x.term[1] == 'R':
		fe.Inc(counters.ErrReq)
		ln.Inc(counters.ErrReq)
	}
	if x.be == nil {
		return
	}
	if x.srv == nil {
		b := x.be.ctr.Shard(cc.shard)
		countAnswered(b, x, sec)
		if x.term == [2]byte{'S', 'C'} {
			b.Inc(counters.ErrConn) // no server available
		}
		if x.answered == answeredIntercepted {
			b.Inc(counters.Intercepted)
		}
		return
	}
	sc := x.be.srvCounters(x.srv)
	s := sc.Shard(cc.shard)
	countAnswered(s, x, sec)
	s.Inc(counters.LBTotal)
	sc.Gen().Tick(counters.SessRate, counters.MaxSessRate, sec)
	cc.countServerOutcome(x, s)
	if x.term[0] == '-' && x.status > 0 {
		cc.sampleTimes(x, s)
	}
}

// countAnswered counts an HTTP exchange's request, bytes and answer on
// the backend or server block b.
func countAnswered(b counters.Block, x *exchange, sec int64) {
	b.Inc(counters.Requests)
	b.Inc(counters.Sessions)
	b.Add(counters.BytesIn, uint64(x.bytesIn))
	b.Add(counters.BytesOut, uint64(x.bytesOut))
	if x.status > 0 {
		b.Inc(counters.RespField(x.status))
	}
	b.Max(counters.LastSession, uint64(sec))
}

// countServerOutcome counts connection attempts, retries and failures.
func (cc *clientConn) countServerOutcome(x *exchange, s counters.Block) {
	if x.reused {
		s.Inc(counters.Reuses)
		s.Add(counters.Connects, uint64(x.retries))
	} else {
		s.Add(counters.Connects, uint64(1+x.retries))
	}
	if x.retries > 0 {
		s.Add(counters.Retries, uint64(x.retries))
	}
	if x.redispatched {
		s.Inc(counters.Redispatch)
	}
	switch x.term {
	case [2]byte{'S', 'C'}, [2]byte{'s', 'C'}:
		s.Inc(counters.ErrConn)
	case [2]byte{'S', 'H'}, [2]byte{'s', 'H'}, [2]byte{'P', 'H'}:
		s.Inc(counters.ErrResp)
	case [2]byte{'S', 'D'}, [2]byte{'s', 'D'}:
		s.Inc(counters.ErrResp)
		s.Inc(counters.SrvAborts)
	case [2]byte{'C', 'D'}, [2]byte{'C', 'H'}, [2]byte{'c', 'D'}:
		s.Inc(counters.CliAborts)
	}
}

// sampleTimes feeds the sliding averages of queue, connect, response and
// total time. The phases are measured only when the frontend logs
// (option httplog takes those clock readings); otherwise response and
// total time come from the two readings every exchange takes (request
// start, response head sent), and queue and connect time count as 0.
func (cc *clientConn) sampleTimes(x *exchange, s counters.Block) {
	tt := ms(cc.now.Sub(x.tStart))
	rt, ct, qt := tt, uint64(0), uint64(0)
	if !x.tRsp.IsZero() && !x.tConn.IsZero() {
		rt = ms(x.tRsp.Sub(x.tConn))
	}
	if !x.tConn.IsZero() && !x.tQueued.IsZero() && !x.reused {
		ct = ms(x.tConn.Sub(x.tQueued))
	}
	if !x.tQueued.IsZero() && !x.tHead.IsZero() {
		qt = ms(x.tQueued.Sub(x.tHead))
	}
	s.Sample(counters.QTime, counters.QTimeMax, qt)
	s.Sample(counters.CTime, counters.CTimeMax, ct)
	s.Sample(counters.RTime, counters.RTimeMax, rt)
	s.Sample(counters.TTime, counters.TTimeMax, tt)
}

func ms(d time.Duration) uint64 {
	if d < 0 {
		return 0
	}
	return uint64(d / time.Millisecond)
}

// countTCP counts a TCP-mode connection when it ends (logTCP).
func (cc *clientConn) countTCP(x *exchange) {
	fe, ok := cc.startCount(x)
	if !ok {
		return
	}
	defer cc.endExchange(x)
	fe.Add(counters.BytesIn, uint64(x.bytesIn))
	fe.Add(counters.BytesOut, uint64(x.bytesOut))
	ln := cc.listenerBlock()
	ln.Add(counters.BytesIn, uint64(x.bytesIn))
	ln.Add(counters.BytesOut, uint64(x.bytesOut))
	if x.be == nil {
		return
	}
	sec := time.Now().Unix()
	if x.srv == nil {
		b := x.be.ctr.Shard(cc.shard)
		b.Inc(counters.Sessions)
		b.Max(counters.LastSession, uint64(sec))
		if x.term == [2]byte{'S', 'C'} {
			b.Inc(counters.ErrConn)
		}
		return
	}
	sc := x.be.srvCounters(x.srv)
	s := sc.Shard(cc.shard)
	s.Inc(counters.Sessions)
	s.Inc(counters.LBTotal)
	s.Add(counters.BytesIn, uint64(x.bytesIn))
	s.Add(counters.BytesOut, uint64(x.bytesOut))
	s.Max(counters.LastSession, uint64(sec))
	sc.Gen().Tick(counters.SessRate, counters.MaxSessRate, sec)
	s.Add(counters.Connects, uint64(1+x.retries))
	if x.retries > 0 {
		s.Add(counters.Retries, uint64(x.retries))
	}
	switch x.term {
	case [2]byte{'S', 'C'}, [2]byte{'s', 'C'}:
		s.Inc(counters.ErrConn)
	case [2]byte{'S', 'D'}:
		s.Inc(counters.SrvAborts)
	case [2]byte{'C', 'D'}:
		s.Inc(counters.CliAborts)
	}
	if x.term[0] == '-' {
		s.Sample(counters.TTime, counters.TTimeMax, ms(time.Since(cc.start)))
	}
}
