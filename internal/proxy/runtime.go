package proxy

import (
	"fmt"
	"net/netip"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/counters"
	"baton/internal/rules"
	"baton/internal/runtime"
	"baton/internal/serverstate"
	"baton/internal/stats"
)

// The Engine is the runtime API's Target (package runtime): the serving
// generation answers the commands the master forwards, reading the
// counters every generation shares and its own live state.

var _ runtime.Target = (*Engine)(nil)

// nodeName is the instance's name ("node", else the host name).
func (e *Engine) nodeName() string {
	if n := e.cfg.Global.Node; n != "" {
		return n
	}
	n, _ := os.Hostname()
	return n
}

// initRuntime numbers the proxies as HAProxy does (their "id", else the
// lowest unused number from 1 in file order, from 2 when a stats socket
// takes 1), computes each backend's fullconn,
// compiles the proxies' own conditions, and builds the server records.
func (e *Engine) initRuntime(opt Options) error {
	e.version, e.started = opt.Version, time.Now()
	if e.ctr != nil {
		if ns := e.ctr.Seg.Service(counters.ServiceMasterStart); ns != 0 {
			e.started = time.Unix(0, int64(ns))
		}
	}
	base := 1
	if len(e.cfg.Global.StatsSockets) > 0 {
		base = 2
	}
	iids := proxyIIDs(e.cfg.Proxies, base)
	for _, fe := range e.feList {
		fe.iid = iids[fe.p]
		if fe.p.Stats != nil || len(fe.p.MonitorFail) > 0 {
			fe.svc = fe.rules
		}
	}
	for _, be := range e.backendList {
		be.iid = iids[be.p]
		be.fullconn = e.fullconn(be)
		if be.p.Stats != nil {
			rs, err := rules.Compile(be.p)
			if err != nil {
				return fmt.Errorf("proxy %s: %w", be.p.Name, err)
			}
			be.svc = rs
		}
	}
	e.initServers(time.Now())
	return nil
}

// slim is a frontend's session limit: its maxconn, else the process's.
func (e *Engine) slim(fe *frontend) int {
	if n := int(fe.slots.max.Load()); n > 0 {
		return n
	}
	return e.maxconn()
}

// maxconn is the process's limit: the configured one, else the one
// HAProxy would derive from the descriptor limit.
func (e *Engine) maxconn() int {
	if n := int(e.global.max.Load()); n > 0 {
		return n
	}
	return hardMaxconn()
}

// hardMaxconn is the most "set maxconn global" may set: the configured
// maxconn, else the descriptor limit's.
func (e *Engine) hardMaxconn() int {
	if n := e.cfg.Global.MaxConn; n > 0 {
		return n
	}
	return hardMaxconn()
}

// hardMaxconn is HAProxy's default maxconn for the descriptor limit: two
// descriptors per connection, less a small reserve.
func hardMaxconn() int {
	return max((nofile()-30)/2, 1)
}

func nofile() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 1 << 20
	}
	return int(rl.Cur)
}

// fullconn is HAProxy's default fullconn: a tenth of the maxconn of the
// frontends that can reach the backend, rounded up.
func (e *Engine) fullconn(be *backendRT) int {
	sum := 0
	for _, fe := range e.feList {
		p := fe.p
		reaches := p.DefaultBackend == be.p.Name || (p == be.p)
		for _, ub := range p.UseBackends {
			reaches = reaches || ub.Backend == be.p.Name
		}
		if reaches {
			sum += e.slim(fe)
		}
	}
	return (sum + 9) / 10
}

// Version is Baton's version.
func (e *Engine) Version() string { return e.version }

func (e *Engine) snapshot(now time.Time) *counters.Snapshot {
	if e.ctr == nil {
		return &counters.Snapshot{}
	}
	return e.ctr.Seg.Snapshot(now.UnixNano())
}

// Info is "show info": the service's counters (every generation) and this
// process's facts.
func (e *Engine) Info(now time.Time) stats.Info {
	p := e.snapshot(now).Slot(e.ctr.Slot(counters.ProcessKey))
	if p == nil {
		p = &counters.Totals{}
	}
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	up := now.Sub(e.started)
	sec := int64(up / time.Second)
	node := e.nodeName()
	nbthread := goruntime.GOMAXPROCS(0)
	if e.cfg.Global.NbThread > 0 {
		nbthread = e.cfg.Global.NbThread
	}
	conns, listeners := e.jobs()
	stopping := 0
	if e.draining.Load() {
		stopping = 1
	}
	n := func(v uint64) stats.Value { return stats.Num(v) }
	z := stats.Num(0)
	info := stats.Info{
		"Name": stats.Str("Baton"), "Version": stats.Str(e.version), "Nbthread": stats.Num(nbthread),
		"Nbproc": stats.Num(1), "Process_num": stats.Num(1), "Pid": stats.Num(os.Getpid()),
		"Uptime":     stats.Str(fmt.Sprintf("%dd %dh%02dm%02ds", sec/86400, sec/3600%24, sec/60%60, sec%60)),
		"Uptime_sec": stats.Num(sec), "Memmax_MB": z, "PoolAlloc_MB": stats.Num(ms.HeapSys >> 20),
		"PoolUsed_MB": stats.Num(ms.HeapInuse >> 20), "PoolFailed": z, "Ulimit-n": stats.Num(nofile()),
		"Maxsock": stats.Num(nofile()), "Maxconn": stats.Num(e.maxconn()), "Hard_maxconn": stats.Num(e.hardMaxconn()),
		"CurrConns": n(p[counters.CurSessions]), "CumConns": n(p[counters.Conns]), "CumReq": n(p[counters.Requests]),
		"ConnRate": n(p[counters.ConnRate]), "MaxConnRate": n(p[counters.MaxConnRate]),
		"SessRate": n(p[counters.SessRate]), "MaxSessRate": n(p[counters.MaxSessRate]),
		"Tasks": stats.Num(goruntime.NumGoroutine()), "Run_queue": z, "Idle_pct": stats.Num(idlePct(up, nbthread)),
		"node": stats.Str(node), "Stopping": stats.Num(stopping), "Jobs": stats.Num(conns + listeners),
		"Unstoppable Jobs": z, "Listeners": stats.Num(listeners), "DroppedLogs": stats.Num(e.log.Dropped()),
		"TotalBytesOut": n(p[counters.BytesOut]), "Build info": stats.Str(e.version),
		"PoolAlloc_bytes": stats.Num(ms.HeapSys), "PoolUsed_bytes": stats.Num(ms.HeapInuse),
		"Start_time_sec": stats.Num(e.started.Unix()), "Tainted": stats.Str("0"),
	}
	for _, f := range []string{"MaxSslConns", "CurrSslConns", "CumSslConns", "Maxpipes", "PipesUsed", "PipesFree",
		"ConnRateLimit", "SessRateLimit", "SslRate", "SslRateLimit", "MaxSslRate", "SslFrontendKeyRate",
		"SslFrontendMaxKeyRate", "SslFrontendSessionReuse_pct", "SslBackendKeyRate", "SslBackendMaxKeyRate",
		"SslCacheLookups", "SslCacheMisses", "CompressBpsIn", "CompressBpsOut", "CompressBpsRateLim",
		"ActivePeers", "ConnectedPeers", "BusyPolling", "FailedResolutions", "TotalSplicdedBytesOut",
		"BytesOutRate", "DebugCommandsIssued", "CumRecvLogs", "Memmax_bytes"} {
		info[f] = z
	}
	return info
}

// idlePct is the share of the CPU time available since the start that
// the process did not use.
func idlePct(up time.Duration, threads int) int {
	var ru syscall.Rusage
	if up <= 0 || syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 100
	}
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return min(max(100-int(100*used/(up*time.Duration(threads))), 0), 100)
}

// jobs returns the live connections and listeners of this engine.
func (e *Engine) jobs() (conns, listeners int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.conns), len(e.listeners)
}

// Rows are the objects of "show stat", proxy by proxy in configuration
// order: the frontend, the servers, the backend.
func (e *Engine) Rows(now time.Time) []stats.Row {
	sn := e.snapshot(now)
	var rows []stats.Row
	fes := map[*config.Proxy]*frontend{}
	for _, fe := range e.feList {
		fes[fe.p] = fe
	}
	for _, p := range e.cfg.Proxies {
		if fe := fes[p]; fe != nil {
			f := e.frontendStats(fe, sn)
			rows = append(rows, f.Row())
			if p.SocketStats {
				rows = e.listenerRows(rows, fe, sn)
			}
		}
		if be := e.backends[p.Name]; be != nil && be.p == p {
			for _, rt := range be.servers() {
				if rt != nil {
					s := e.serverStats(rt, sn, now)
					rows = append(rows, s.Row(now))
				}
			}
			b := e.backendStats(be, sn, now)
			rows = append(rows, b.Row(now))
		}
	}
	return rows
}

func (e *Engine) frontendStats(fe *frontend, sn *counters.Snapshot) stats.Frontend {
	status := "OPEN"
	if m := fe.slots.max.Load(); m > 0 && fe.slots.cur.Load() >= m {
		status = "FULL"
	}
	return stats.Frontend{Name: fe.p.Name, IID: fe.iid, Mode: fe.p.Mode.String(), MaxConn: e.slim(fe), Status: status,
		T: sn.Slot(e.ctr.Slot(counters.FrontendKey(fe.p.Name)))}
}

// listenerRows appends the rows of fe's listeners (option
// socket-stats), in bind order.
func (e *Engine) listenerRows(rows []stats.Row, fe *frontend, sn *counters.Snapshot) []stats.Row {
	for i := range fe.p.Binds {
		b := &fe.p.Binds[i]
		brt := e.binds[b.Addr]
		if brt == nil {
			continue
		}
		sid := brt.pos
		if b.ID > 0 {
			sid = b.ID
		}
		name := b.Name
		if name == "" {
			name = "sock-" + strconv.Itoa(sid)
		}
		status := "OPEN"
		if m := brt.slot.max.Load(); m > 0 && brt.slot.cur.Load() >= m {
			status = "FULL"
		}
		l := stats.Listener{Frontend: fe.p.Name, IID: fe.iid, SID: sid, Name: name, Addr: b.Addr,
			Mode: fe.p.Mode.String(), MaxConn: b.MaxConn, Status: status,
			T: sn.Slot(e.ctr.Slot(counters.ListenerKey(fe.p.Name, brt.pos)))}
		rows = append(rows, l.Row())
	}
	return rows
}

func (e *Engine) backendStats(be *backendRT, sn *counters.Snapshot, now time.Time) stats.Backend {
	b := stats.Backend{Name: be.p.Name, IID: be.iid, Mode: be.p.Mode.String(), Algo: be.p.Balance.String(),
		FullConn: be.fullconn, Up: be.usable(), QCur: be.b.Queued(), T: sn.Slot(be.slot)}
	var wAct, wBck, uAct, uBck int
	for _, s := range be.b.List() {
		if !s.Usable() {
			continue
		}
		if s.Backup {
			b.Bck++
			wBck += s.Weight()
			uBck += s.Weight()
		} else {
			b.Act++
			wAct += s.Weight()
			uAct += s.Weight()
		}
	}
	b.Weight, b.UWeight = wAct, uAct
	if b.Act == 0 {
		b.Weight, b.UWeight = wBck, uBck
	}
	if len(be.b.List()) == 0 {
		b.Up, b.NoServers = true, true // HAProxy's view of a backend without servers
	}
	st := &be.state
	st.mu.Lock()
	b.LastChange, b.Downtime, b.ChkDown = st.lastChange, st.downtime, st.downs
	if !st.downSince.IsZero() {
		b.Downtime += now.Sub(st.downSince)
	}
	st.mu.Unlock()
	return b
}

func (e *Engine) serverStats(rt *serverRT, sn *counters.Snapshot, now time.Time) stats.Server {
	s, cs := rt.s, rt.s.Config
	inter, rise, fall := checkParams(cs)
	_ = inter
	out := stats.Server{Backend: rt.be.p.Name, Name: s.Name, IID: rt.be.iid, SID: rt.sid, Mode: rt.be.p.Mode.String(),
		Admin: int(s.State()), Down: !s.Healthy(), Rise: rise, Fall: fall, Weight: s.Weight(), UWeight: s.Weight(),
		Backup: s.Backup, MaxConn: s.CurrentMaxConn(), Addr: s.Addr(), Idle: s.IdleCount(), Used: s.Conns()}
	if rt.slot >= 0 {
		out.T = sn.Slot(rt.slot)
	}
	rt.mu.Lock()
	out.Checked = cs.Check && !rt.checksOff
	out.Stopping = rt.stopping
	if rt.stopping {
		out.UWeight = rt.weightBeforeStop
	}
	out.Health = rise
	if out.Down {
		out.Health = 0
	}
	out.CheckStatus, out.CheckDesc = "INI", "Initializing"
	if rt.probed {
		out.Health, out.CheckStatus, out.CheckDesc = rt.check.Health, rt.check.Status, rt.check.Desc
		out.CheckCode, out.CheckDuration = rt.check.Code, rt.check.Duration
	}
	out.LastChange, out.Downtime = rt.lastChange, rt.downtime
	if !rt.downSince.IsZero() {
		out.Downtime += now.Sub(rt.downSince)
	}
	rt.mu.Unlock()
	if out.T != nil {
		out.ChkFail, out.ChkDown = out.T[counters.CheckFailures], out.T[counters.CheckDowns]
	}
	return out
}

// checkParams are a server's check settings with HAProxy's defaults.
func checkParams(cs *config.Server) (time.Duration, int, int) {
	rise, fall := cs.Rise, cs.Fall
	if rise <= 0 {
		rise = 2
	}
	if fall <= 0 {
		fall = 3
	}
	return cs.Inter, rise, fall
}

// BackendNames lists the backends and listens, in configuration order.
func (e *Engine) BackendNames() []string {
	var out []string
	for _, be := range e.backendList {
		out = append(out, be.p.Name)
	}
	return out
}

// findBackend finds a backend by name or "#iid".
func (e *Engine) findBackend(name string) *backendRT {
	for _, be := range e.backendList {
		if be.p.Name == name || "#"+strconv.Itoa(be.iid) == name {
			return be
		}
	}
	return nil
}

// selected returns the named backend, or every one for "".
func (e *Engine) selected(name string) ([]*backendRT, error) {
	if name == "" {
		return e.backendList, nil
	}
	be := e.findBackend(name)
	if be == nil {
		return nil, runtime.ErrNoBackend
	}
	return []*backendRT{be}, nil
}

// ServerStates are "show servers state" lines (HAProxy's format 1).
func (e *Engine) ServerStates(name string, now time.Time) ([]serverstate.Line, error) {
	bes, err := e.selected(name)
	if err != nil {
		return nil, err
	}
	var out []serverstate.Line
	for _, be := range bes {
		for _, rt := range be.servers() {
			if rt != nil {
				out = append(out, rt.stateLine(now))
			}
		}
	}
	return out, nil
}

func (rt *serverRT) stateLine(now time.Time) serverstate.Line {
	s, cs := rt.s, rt.s.Config
	host, port := splitAddr(s.Addr())
	_, rise, _ := checkParams(cs)
	l := serverstate.Line{BackendID: rt.be.iid, Backend: rt.be.p.Name, ServerID: rt.sid, Server: s.Name, Addr: host,
		OpState: serverstate.OpRunning, UWeight: s.Weight(), IWeight: cs.Weight, Port: port,
		CheckStatus: serverstate.CheckStatusCode("INI"), CheckHealth: rise}
	if !s.Healthy() {
		l.OpState, l.CheckHealth = serverstate.OpStopped, 0
	}
	maint := s.State() == backend.Maint
	switch s.State() {
	case backend.Maint:
		// As in HAProxy, a server in maintenance is stopped and its
		// checks paused.
		l.OpState, l.AdminState = serverstate.OpStopped, serverstate.AdminForcedMaint
		if cs.Disabled {
			l.AdminState = serverstate.AdminConfigMaint
		}
	case backend.Drain:
		l.AdminState = serverstate.AdminForcedDrain
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.stopping {
		l.OpState, l.UWeight = serverstate.OpStopping, rt.weightBeforeStop
	}
	l.SinceChange = int64(now.Sub(rt.lastChange) / time.Second)
	if cs.Check {
		l.CheckState = serverstate.CheckConfigured
		if !rt.checksOff {
			l.CheckState |= serverstate.CheckEnabled
		}
		if maint {
			l.CheckState |= serverstate.CheckPaused
		}
	}
	if rt.probed {
		l.CheckStatus, l.CheckHealth = serverstate.CheckStatusCode(rt.check.Status), rt.check.Health
		l.CheckResult = 2 // failed
		if rt.check.OK {
			l.CheckResult = 3 // passed
		}
	}
	return l
}

// splitAddr cuts "host:port".
func splitAddr(a string) (string, int) {
	i := strings.LastIndexByte(a, ':')
	if i < 0 {
		return a, 0
	}
	p, _ := strconv.Atoi(a[i+1:])
	return strings.Trim(a[:i], "[]"), p
}

// ServerConns are "show servers conn" lines.
func (e *Engine) ServerConns(name string) ([]runtime.ServerConn, error) {
	bes, err := e.selected(name)
	if err != nil {
		return nil, err
	}
	sn := e.snapshot(time.Now())
	var out []runtime.ServerConn
	for _, be := range bes {
		for _, rt := range be.servers() {
			if rt == nil {
				continue
			}
			host, port := splitAddr(rt.s.Addr())
			c := runtime.ServerConn{Backend: be.p.Name, Server: rt.s.Name, BackendID: be.iid, SID: rt.sid, Addr: host,
				Port: port, Used: rt.s.Conns(), IdleCur: rt.s.IdleCount(), SafeIdle: rt.s.IdleCount()}
			var purge time.Duration
			c.IdleLim, purge = rt.s.PoolSettings()
			c.PurgeDelayMS = int(purge / time.Millisecond)
			if t := sn.Slot(rt.slot); t != nil {
				c.UsedMax = int(t[counters.MaxSessions])
			}
			c.NeedEst = max(c.Used+c.IdleCur, 1)
			out = append(out, c)
		}
	}
	return out, nil
}

// Sessions are the client connections of this generation.
func (e *Engine) Sessions(now time.Time) []runtime.SessionLine {
	e.mu.Lock()
	conns := make([]*clientConn, 0, len(e.conns))
	for cc := range e.conns {
		conns = append(conns, cc)
	}
	e.mu.Unlock()
	out := make([]runtime.SessionLine, 0, len(conns))
	for _, cc := range conns {
		// As HAProxy's streams: a connection between two requests has
		// none.
		if st := cc.state.Load(); st != stateActive && st != stateTunnel {
			continue
		}
		l := runtime.SessionLine{ID: uintptr(unsafe.Pointer(cc)), Proto: "tcpv4", Src: cc.src.String(),
			Frontend: cc.fe.p.Name, Age: now.Sub(cc.start), FD: connFD(cc), ServerFD: -1}
		if cc.src.Addr().Is6() && !cc.src.Addr().Is4In6() {
			l.Proto = "tcpv6"
		}
		if rt := cc.cur.Load(); rt != nil {
			l.Backend, l.Server = rt.be.p.Name, rt.s.Name
		}
		if dl := cc.parkDL.Load(); dl > 0 {
			l.Expire, l.HasExpire = time.Duration(max(dl-now.UnixNano(), 0)), true
		}
		out = append(out, l)
	}
	return out
}

// connFD is the client socket's descriptor, or -1.
func connFD(cc *clientConn) int {
	fd := -1
	if cc.raw != nil {
		cc.raw.Control(func(f uintptr) { fd = int(f) })
	}
	return fd
}

// Errors are the captured invalid requests and responses.
func (e *Engine) Errors() (int, []runtime.Capture) { return e.errs.list() }

// Server finds a server for the commands that change one.
func (e *Engine) Server(beName, srvName string) (runtime.ServerControl, error) {
	be := e.findBackend(beName)
	if be == nil {
		return nil, runtime.ErrNoBackend
	}
	for _, rt := range be.servers() {
		if rt != nil && (rt.s.Name == srvName || "#"+strconv.Itoa(rt.sid) == srvName) {
			return &serverControl{rt}, nil
		}
	}
	return nil, runtime.ErrNoServer
}

// SetFrontendMaxConn changes a frontend's maxconn.
func (e *Engine) SetFrontendMaxConn(name string, n int) error {
	for _, fe := range e.feList {
		if fe.p.Name == name || "#"+strconv.Itoa(fe.iid) == name {
			fe.slots.setMax(n)
			return nil
		}
	}
	return runtime.ErrNoFrontend
}

// SetGlobalMaxConn changes the process's maxconn, within the hard limit.
func (e *Engine) SetGlobalMaxConn(n int) error {
	if n <= 0 || n > e.hardMaxconn() {
		return runtime.ErrRange
	}
	e.global.setMax(n)
	return nil
}

// ClearCounters resets the maxima (all: every counter) of this
// configuration's objects, in every generation.
func (e *Engine) ClearCounters(all bool) {
	if e.ctr == nil {
		return
	}
	for _, slot := range e.ctr.Slots {
		e.ctr.Seg.Clear(slot, all)
	}
}

// serverControl is a server as the runtime API changes it.
type serverControl struct{ rt *serverRT }

func (c *serverControl) Weights() (int, int) {
	rt := c.rt
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.stopping {
		return rt.weightBeforeStop, rt.s.Config.Weight
	}
	return rt.s.Weight(), rt.s.Config.Weight
}

func (c *serverControl) StaticWeights() bool { return c.rt.be.p.Balance == config.StaticRR }

func (c *serverControl) SetWeight(w int) {
	rt := c.rt
	rt.mu.Lock()
	if rt.stopping {
		rt.weightBeforeStop = w
		w = 0
	}
	rt.mu.Unlock()
	rt.s.SetWeight(w)
	rt.publish()
	rt.be.stateChanged(time.Now())
}

func (c *serverControl) SetAdmin(a int) {
	c.rt.s.SetState(backend.State(a))
	c.rt.changed(time.Now())
}

// SetHealth forces the health verdict; "stopping" keeps the server up
// but out of load balancing (HAProxy's NOLB) by zeroing its weight until
// its health is set again. The checks go on and may change it.
func (c *serverControl) SetHealth(h string) {
	rt := c.rt
	rt.mu.Lock()
	switch {
	case h == "stopping" && !rt.stopping:
		rt.stopping, rt.weightBeforeStop = true, rt.s.Weight()
		rt.s.SetWeight(0)
	case h != "stopping" && rt.stopping:
		rt.stopping = false
		rt.s.SetWeight(rt.weightBeforeStop)
	}
	rt.mu.Unlock()
	rt.s.SetHealthy(h != "down")
	rt.changed(time.Now())
}

// SetChecks starts or stops the health checks; a server whose checks are
// stopped counts as up, as in HAProxy.
func (c *serverControl) SetChecks(on bool) {
	rt := c.rt
	rt.mu.Lock()
	rt.checksOff = !on
	rt.mu.Unlock()
	if !on {
		rt.s.SetHealthy(true)
	}
	rt.changed(time.Now())
}

func (c *serverControl) Addr() string { return c.rt.s.Addr() }

func (c *serverControl) SetAddr(ip string, port int) error {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return err
	}
	_, old := splitAddr(c.rt.s.Addr())
	if port == 0 {
		port = old
	}
	if err := c.rt.s.SetAddr(netip.AddrPortFrom(a, uint16(port)).String(), false); err != nil {
		return err
	}
	c.rt.publish()
	return nil
}

func (c *serverControl) SetMaxConn(n int) {
	c.rt.s.SetMaxConn(n)
	c.rt.publish()
}

// Shutdown aborts the exchanges using the server, as HAProxy does: their
// server connection is closed, so a client waiting for a response gets a
// 502 and a tunnel ends.
func (c *serverControl) Shutdown() int {
	e := c.rt.be.e
	e.mu.Lock()
	var victims []*clientConn
	for cc := range e.conns {
		if cc.cur.Load() == c.rt {
			victims = append(victims, cc)
		}
	}
	e.mu.Unlock()
	for _, cc := range victims {
		cc.aborted.Store(true)
		cc.mu.Lock()
		if cc.srv != nil {
			cc.srv.Close()
		}
		cc.mu.Unlock()
	}
	return len(victims)
}

// proxyIIDs gives each proxy its "id", and the others, in file order,
// the first number no proxy took from a candidate that starts at base
// and moves on by one per proxy.
func proxyIIDs(proxies []*config.Proxy, base int) map[*config.Proxy]int {
	iids := make(map[*config.Proxy]int, len(proxies))
	used := map[int]bool{}
	for _, p := range proxies {
		if p.ID != 0 {
			iids[p] = p.ID
			used[p.ID] = true
		}
	}
	// As HAProxy's check_config_validity: the candidate moves on past
	// every proxy, numbered or not.
	next := base
	for _, p := range proxies {
		if p.ID == 0 {
			for used[next] {
				next++
			}
			iids[p] = next
			used[next] = true
		}
		next++
	}
	return iids
}
