package proxy

import (
	"time"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/sticktable"
)

// Stick tables in the data path: each connection of a generation with
// tables has a sticktable.Tracker (its sticky counters), which the rules
// and fetches reach through the rules input; the proxy counts each
// request on what the connection tracks, accounts each answer and
// releases the entries when the request or the connection ends.

// initTables takes the generation's tables: those the worker mapped from
// the master's shared segment, else tables of this process alone.
func (e *Engine) initTables(cfg *config.Config, ts *sticktable.Tables) {
	specs := cfg.Tables()
	if len(specs) == 0 {
		return
	}
	if ts != nil {
		e.tables = ts
		return
	}
	var list []*sticktable.Table
	for _, sp := range specs {
		list = append(list, sticktable.NewLocal(sp))
	}
	e.tables = sticktable.NewTables(list...)
}

// stickStart gives a new connection its sticky counters.
func (cc *clientConn) stickStart() {
	if cc.e.tables == nil {
		return
	}
	cc.stk = &sticktable.Tracker{}
	cc.stk.BeginConnection(cc.e.tables, cc.fe.p.Mode == config.ModeHTTP)
}

// stickRequest counts a new request on the entries the connection
// tracks.
func (cc *clientConn) stickRequest() {
	if cc.stk != nil && cc.stk.Any() {
		cc.stk.BeginRequest(cc.now.UnixMilli())
	}
}

// stickEnd accounts a finished request and releases what the request
// tracked. As in HAProxy, a client error is a request the rules denied
// (or refused authentication) or a 4xx from the server; a failure is a
// 5xx but 501 and 505 that no rule built.
func (cc *clientConn) stickEnd(x *exchange) {
	if cc.stk == nil || !cc.stk.Any() {
		return
	}
	st := x.status
	o := sticktable.Outcome{BytesIn: x.bytesIn, BytesOut: x.bytesOut}
	switch x.answered {
	case answeredDenied:
		o.Err = true
	case answeredIntercepted:
		o.Err = st == 401 || st == 407
	default:
		o.Err = st >= 400 && st < 500 && x.forwarded
		o.Fail = st >= 500 && st < 600 && st != 501 && st != 505
	}
	cc.stk.EndRequest(o, time.Now().UnixMilli())
}

// stickClose releases what the connection tracked.
func (cc *clientConn) stickClose() {
	if cc.stk == nil || !cc.stk.Any() {
		return
	}
	var o sticktable.Outcome
	if cc.fe.p.Mode != config.ModeHTTP && !cc.upgraded { // HTTP: counted per request
		o.BytesIn, o.BytesOut = cc.ex.bytesIn, cc.ex.bytesOut
	}
	cc.stk.EndConnection(o, time.Now().UnixMilli())
}

// stickMatch runs the backend's stick match rules: the server an entry
// names takes the request when it is in service, healthy and below its
// maxconn. nil lets the balance algorithm choose.
func (cc *clientConn) stickMatch(be *backendRT) *backend.Server {
	if be.rules == nil || !be.rules.HasStick() {
		return nil
	}
	var got *backend.Server
	be.rules.StickMatch(&cc.in, func(id int64) bool {
		s := serverByID(be.b, id)
		if s != nil && be.b.TakeServer(s, false) {
			got = s
			return true
		}
		return false
	})
	return got
}

// stickStore records srv (its id) under the keys of the backend's
// store-request (or store-response) rules.
func (cc *clientConn) stickStore(be *backendRT, srv *backend.Server, response bool) {
	if be.rules == nil || srv == nil || !be.rules.HasStick() {
		return
	}
	be.rules.StickStore(&cc.in, response, serverID(srv))
}

// serverID is the id a stick table stores for s, as HAProxy's server_id:
// the "id" of its server line, which the configuration numbers from 1
// in order for the servers without one; a server added at run time
// without an id has its position from 1.
func serverID(s *backend.Server) int64 {
	if s.Config != nil && s.Config.ID > 0 {
		return int64(s.Config.ID)
	}
	return int64(s.Index) + 1
}

// serverByID returns the server whose id is id.
func serverByID(b *backend.Backend, id int64) *backend.Server {
	for _, s := range b.List() {
		if serverID(s) == id {
			return s
		}
	}
	return nil
}

// StickTables are the tables for the runtime API's table commands.
func (e *Engine) StickTables() *sticktable.Tables { return e.tables }
