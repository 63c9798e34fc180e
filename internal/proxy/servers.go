package proxy

import (
	"os"
	"strconv"
	"sync"
	"time"

	"baton/internal/backend"
	"baton/internal/counters"
	"baton/internal/health"
	"baton/internal/serverstate"
)

// serverRT is what the data path keeps about a server beyond
// backend.Server: its counters, its health-check results and the history
// the statistics show. Its state follows the server across reloads
// through the counters segment (carry, publish).
type serverRT struct {
	s       *backend.Server
	be      *backendRT
	ctr     objCounters
	slot    int // counters slot, -1 for none
	sid     int // server id: position in the backend, from 1
	dynamic bool

	mu sync.Mutex // guards the fields below
	// checksOff is "disable health"; stopping is a health forced to
	// "stopping" (up, but not load balanced).
	checksOff, stopping bool
	probed              bool // a probe ran (or one was carried over)
	check               checkResult
	lastChange          time.Time
	downtime            time.Duration
	downSince           time.Time // zero while up
	// weightBeforeStop is the weight a "stopping" health saved.
	weightBeforeStop int
}

// servers returns the backend's servers by Index (nil where a server was
// removed).
func (be *backendRT) servers() []*serverRT {
	if p := be.srvs.Load(); p != nil {
		return *p
	}
	return nil
}

// rtOf returns s's record.
func (be *backendRT) rtOf(s *backend.Server) *serverRT {
	if l := be.servers(); s.Index < len(l) && l[s.Index] != nil {
		return l[s.Index]
	}
	return nil
}

// initServers builds the records of every server, applies the state
// carried over from the previous generation (or, for servers that have
// none, the server state file) and notes the start.
func (e *Engine) initServers(now time.Time) {
	files := map[string]map[string]serverstate.Line{} // by path
	for _, be := range e.backendList {
		var list []*serverRT
		for _, s := range be.b.Servers {
			list = append(list, e.newServerRT(be, s, s.Index+1, now))
		}
		be.srvs.Store(&list)
		path := e.cfg.ServerStatePath(be.p)
		for _, rt := range list {
			if rt.carry() || path == "" {
				continue
			}
			if l, ok := e.stateLines(files, path)[be.p.Name+"/"+rt.s.Name]; ok {
				rt.applyFileState(l, now)
			}
		}
		be.carryBackend(now)
	}
}

// stateLines reads a server state file once, by backend/server name. A
// file that cannot be read is reported once and loads nothing, as in
// HAProxy.
func (e *Engine) stateLines(files map[string]map[string]serverstate.Line, path string) map[string]serverstate.Line {
	if m, ok := files[path]; ok {
		return m
	}
	m := map[string]serverstate.Line{}
	files[path] = m
	f, err := os.Open(path)
	if err != nil {
		e.diagf("server state file: %v", err)
		return m
	}
	defer f.Close()
	lines, bad, err := serverstate.Parse(f)
	if err != nil {
		e.diagf("server state file %s: %v", path, err)
		return m
	}
	for _, b := range bad {
		e.diagf("server state file %s: %s: skipped", path, b)
	}
	for _, l := range lines {
		m[l.Backend+"/"+l.Server] = l
	}
	return m
}

func (e *Engine) newServerRT(be *backendRT, s *backend.Server, sid int, now time.Time) *serverRT {
	slot := e.ctr.Slot(counters.ServerKey(be.p.Name, s.Name))
	return &serverRT{s: s, be: be, ctr: e.ctr.Blocks(slot), slot: slot, sid: sid, lastChange: now}
}

// carry applies the state the previous generation published for this
// server. Conflicts: what the configuration changed wins (an address,
// weight, maxconn or "disabled" different from the one the state was
// published with); otherwise the runtime state stays (a drained server
// stays drained, a server down stays down until its checks pass). It
// reports whether a state was carried.
func (rt *serverRT) carry() bool {
	seg := rt.be.e.ctr
	if rt.slot < 0 || seg == nil {
		return false
	}
	st, ok := seg.Seg.LoadState(rt.slot)
	if !ok {
		return false
	}
	s, cs := rt.s, rt.s.Config
	if st.FileAddr == cs.Addr && st.Addr != "" && st.Addr != cs.Addr {
		s.SetAddr(st.Addr, true)
	}
	if st.FileWeight == cs.Weight {
		s.SetWeight(st.Weight)
	}
	if st.FileMaxConn == cs.MaxConn {
		s.SetMaxConn(st.MaxConn)
	}
	if st.FileDisabled == cs.Disabled {
		s.SetState(backend.State(st.Admin))
	}
	if cs.Check {
		rt.checksOff = st.ChecksOff
		if !st.ChecksOff {
			s.SetHealthy(!st.Down)
		}
		if st.CheckStatus != 0 {
			rt.probed = true
			rt.check = checkResult{OK: !st.Down, Status: statusName(st.CheckStatus), Code: int(st.CheckCode),
				Duration: time.Duration(st.CheckMS) * time.Millisecond, Health: st.CheckHealth}
			rt.check.Desc = health.Describe(rt.check.Status)
		}
	}
	if st.LastChange != 0 {
		rt.lastChange = time.Unix(0, st.LastChange)
	}
	rt.downtime = time.Duration(st.Downtime)
	if st.DownSince != 0 && !s.Healthy() {
		rt.downSince = time.Unix(0, st.DownSince)
	}
	return true
}

// applyFileState applies a server-state-file line, as HAProxy does at
// start: the administrative state, the operational state and the weight
// (unless the configuration's weight changed since the file was
// written), and the address.
func (rt *serverRT) applyFileState(l serverstate.Line, now time.Time) {
	s, cs := rt.s, rt.s.Config
	switch {
	case l.AdminState&serverstate.AdminForcedMaint != 0:
		s.SetState(backend.Maint)
	case l.AdminState&serverstate.AdminForcedDrain != 0:
		s.SetState(backend.Drain)
	case l.AdminState&serverstate.AdminConfigMaint == 0 && cs.Disabled:
		// The file says the server was enabled at run time.
		s.SetState(backend.Ready)
	}
	if l.IWeight == cs.Weight {
		s.SetWeight(l.UWeight)
	}
	if cs.Check && l.OpState == serverstate.OpStopped {
		s.SetHealthy(false)
		rt.downSince = now
	}
	if l.CheckState&serverstate.CheckConfigured != 0 && l.CheckState&serverstate.CheckEnabled == 0 {
		rt.checksOff = true
	}
	if l.Addr != "" && l.Port > 0 {
		if a := joinHostPort(l.Addr, l.Port); a != cs.Addr {
			s.SetAddr(a, true)
		}
	}
	if l.SinceChange > 0 {
		rt.lastChange = now.Add(-time.Duration(l.SinceChange) * time.Second)
	}
}

// state is what publish writes.
func (rt *serverRT) state() counters.State {
	s, cs := rt.s, rt.s.Config
	rt.mu.Lock()
	defer rt.mu.Unlock()
	st := counters.State{Admin: uint8(s.State()), Weight: s.Weight(), FileWeight: cs.Weight,
		FileDisabled: cs.Disabled, MaxConn: s.CurrentMaxConn(), FileMaxConn: cs.MaxConn,
		FileAddr: cs.Addr, Down: !s.Healthy(), ChecksOff: rt.checksOff,
		LastChange: rt.lastChange.UnixNano(), Downtime: int64(rt.downtime)}
	if s.AddrSetAtRuntime() {
		st.Addr = s.Addr() // only an address set at run time is carried
	}
	if !rt.downSince.IsZero() {
		st.DownSince = rt.downSince.UnixNano()
	}
	if rt.probed {
		st.CheckStatus = uint8(serverstate.CheckStatusCode(rt.check.Status))
		st.CheckCode = uint16(rt.check.Code)
		st.CheckMS = uint32(rt.check.Duration / time.Millisecond)
		st.CheckHealth = rt.check.Health
	}
	return st
}

// publish writes the server's state to the segment, for the next
// generation; only a serving engine publishes (a draining one's view is
// older).
func (rt *serverRT) publish() {
	e := rt.be.e
	if rt.slot >= 0 && e.ctr != nil && e.publishing.Load() {
		e.ctr.Seg.StoreState(rt.slot, rt.state())
	}
}

// changed records a change of the server's state at now (its down time,
// its last change), publishes it and updates the backend's state.
func (rt *serverRT) changed(now time.Time) {
	rt.mu.Lock()
	rt.lastChange = now
	down := !rt.s.Healthy()
	switch {
	case down && rt.downSince.IsZero():
		rt.downSince = now
	case !down && !rt.downSince.IsZero():
		rt.downtime += now.Sub(rt.downSince)
		rt.downSince = time.Time{}
	}
	rt.mu.Unlock()
	rt.publish()
	rt.be.stateChanged(now)
}

// checkResult is the last health check as the statistics show it.
type checkResult struct {
	OK bool
	// Status is HAProxy's short name (L4OK, L7STS, ...) and Desc its
	// description.
	Status, Desc string
	Code         int // the HTTP status of a Layer7 check
	Duration     time.Duration
	// Health is HAProxy's health level after the check: 0..rise-1 down,
	// rise..rise+fall-1 up.
	Health int
}

// onProbe records a health check's result (health.Runtime.OnProbe).
func (rt *serverRT) onProbe(r health.Result, level int) {
	c := checkResult{OK: r.OK, Status: health.Codes[r.Status], Desc: r.Status, Code: r.Code, Duration: r.Duration, Health: level}
	rt.mu.Lock()
	wasUp := !rt.probed || rt.check.OK
	rt.probed, rt.check = true, c
	rt.mu.Unlock()
	if !r.OK && wasUp && rt.s.Healthy() && rt.be.e.publishing.Load() {
		rt.ctr.Gen().Inc(counters.CheckFailures)
	}
	rt.publish()
}

// onHealth records an up/down transition (health.Options.OnChange).
func (rt *serverRT) onHealth(up bool) {
	if !up && rt.be.e.publishing.Load() {
		rt.ctr.Gen().Inc(counters.CheckDowns)
	}
	rt.changed(time.Now())
}

// backendState is a backend's up/down history (its slot's state).
type backendState struct {
	mu         sync.Mutex
	up         bool
	lastChange time.Time
	downtime   time.Duration
	downSince  time.Time
	downs      uint64 // transitions to down
}

// usable reports whether some server of be can take traffic.
func (be *backendRT) usable() bool {
	for _, s := range be.b.List() {
		if s.Usable() {
			return true
		}
	}
	return false
}

// carryBackend starts the backend's history from the published one.
func (be *backendRT) carryBackend(now time.Time) {
	st := &be.state
	st.up, st.lastChange = be.usable(), now
	if !st.up {
		st.downSince = now
	}
	if be.slot < 0 || be.e.ctr == nil {
		return
	}
	if ps, ok := be.e.ctr.Seg.LoadState(be.slot); ok {
		if ps.LastChange != 0 {
			st.lastChange = time.Unix(0, ps.LastChange)
		}
		st.downtime, st.downs = time.Duration(ps.Downtime), ps.DownTransitions
		if ps.DownSince != 0 && !st.up {
			st.downSince = time.Unix(0, ps.DownSince)
		}
	}
}

// stateChanged updates the backend's history after a server changed.
func (be *backendRT) stateChanged(now time.Time) {
	st := &be.state
	up := be.usable()
	st.mu.Lock()
	if up != st.up {
		st.up, st.lastChange = up, now
		if up {
			st.downtime += now.Sub(st.downSince)
			st.downSince = time.Time{}
		} else {
			st.downSince = now
			st.downs++
		}
	}
	ps := counters.State{LastChange: st.lastChange.UnixNano(), Downtime: int64(st.downtime), DownTransitions: st.downs}
	if !st.downSince.IsZero() {
		ps.DownSince = st.downSince.UnixNano()
	}
	st.mu.Unlock()
	if be.slot >= 0 && be.e.ctr != nil && be.e.publishing.Load() {
		be.e.ctr.Seg.StoreState(be.slot, ps)
	}
}

// startPublishing makes the engine the one that publishes server state
// (its first Serve): the state it starts from goes out at once.
func (e *Engine) startPublishing() {
	if e.publishing.Swap(true) {
		return
	}
	now := time.Now()
	for _, be := range e.backendList {
		for _, rt := range be.servers() {
			if rt != nil {
				rt.publish()
			}
		}
		be.stateChanged(now)
	}
}

// checkOptions are the health checker's callbacks: the events
// (events.go) and the server records' hooks.
func (e *Engine) checkOptions(be *backendRT) health.Options {
	opt := e.checkEvents(be)
	opt.TLS = be.checkTLS
	onChange := opt.OnChange
	opt.OnChange = func(s *backend.Server, up bool, r health.Result) {
		if onChange != nil {
			onChange(s, up, r)
		}
		if rt := be.rtOf(s); rt != nil {
			rt.onHealth(up)
		}
	}
	opt.OnProbe = func(s *backend.Server, r health.Result, level int) {
		if rt := be.rtOf(s); rt != nil {
			rt.onProbe(r, level)
		}
	}
	opt.Paused = func(s *backend.Server) bool {
		rt := be.rtOf(s)
		if rt == nil {
			return false
		}
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return rt.checksOff
	}
	opt.Level = func(s *backend.Server) (int, bool) {
		rt := be.rtOf(s)
		if rt == nil {
			return 0, false
		}
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return rt.check.Health, rt.probed
	}
	return opt
}

// checkNames are HAProxy's check statuses by the number counters.State
// keeps (serverstate's numbering).
func statusName(code uint8) string {
	for _, n := range []string{"L4OK", "L4TOUT", "L4CON", "L7OK", "L7STS", "L7RSP", "L7TOUT"} {
		if serverstate.CheckStatusCode(n) == int(code) {
			return n
		}
	}
	return "UNK"
}

func joinHostPort(host string, port int) string {
	if len(host) > 0 && host[0] != '[' && containsColon(host) {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

func containsColon(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return true
		}
	}
	return false
}
