package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"baton/internal/accesslog"
	"baton/internal/backend"
	"baton/internal/cache"
	"baton/internal/config"
	"baton/internal/counters"
	"baton/internal/health"
	"baton/internal/persist"
	"baton/internal/resolve"
	"baton/internal/rules"
	"baton/internal/sticktable"
	"baton/internal/tlsconf"
)

// Options are the per-generation settings of an Engine.
type Options struct {
	// Log receives the lines of "log stdout" targets; nil means
	// os.Stdout.
	Log io.Writer
	// Stderr receives the lines of "log stderr" targets and the engine's
	// own diagnostics (one line each, prefixed with the PID and
	// generation); nil means os.Stderr.
	Stderr io.Writer
	// Program is the default syslog tag ("log-tag"); "" means "baton".
	Program string
	// Generation is the worker generation written in log lines.
	Generation int
	// PID is the process id written in log lines.
	PID int
	// HotWait is how long a connection that just answered reads for its
	// client's next request before it parks (see hotRead); zero means
	// DefaultHotWait, negative means park at once. A client's FIN that
	// came with its last request is seen when this wait ends (internal/sockio).
	HotWait time.Duration
	// DrainGrace is how long a soft stop spares a connection that was
	// answered just before it (see waitIdle); zero means
	// DefaultDrainGrace.
	DrainGrace time.Duration
	// TLS is the configuration's loaded TLS material (tlsconf.Load); nil
	// when it has no TLS bind or server.
	TLS *tlsconf.Bundle
	// ResolverState is the resolution state the previous generation
	// published; servers with resolvers start from it (nil: none).
	ResolverState resolve.State
	// PublishResolvers receives the resolution state after each change,
	// for the next generation; nil means nobody keeps it.
	PublishResolvers func(resolve.State)

	// Counters is where the generation counts its statistics; nil
	// counts nothing.
	Counters *counters.View
	// Tables are the stick tables in memory the master shares with
	// every generation; nil gives the engine tables of its own, which
	// a reload loses.
	Tables *sticktable.Tables
	// Caches are the cache sections' stores in memory the master shares
	// with every generation, by name; a cache missing here lives in the
	// engine's own memory, which a reload loses.
	Caches map[string]*cache.Store
	// Version is Baton's version, for the runtime API and the stats
	// page.
	Version string

	// onGrace, for tests, runs when a kicked connection enters its
	// drain grace, and again each time a later kick leaves it there.
	onGrace func()
}

// Engine is one worker generation's data path.
type Engine struct {
	cfg    *config.Config
	log    *accesslog.Logger
	global *limiter // global maxconn (0: no limit)
	// diag receives the engine's own diagnostics, diagPrefix first.
	diag       io.Writer
	diagPrefix string
	// reqID numbers logged requests and TCP connections (%rt); atomic.
	reqID atomic.Uint64
	// stopLogged makes SoftStop log "Proxy X stopped" once.
	stopLogged sync.Once

	// descriptions are the proxies' "description" texts, by name, for
	// the stats page; set in New, read-only after.
	descriptions map[string]string

	frontends map[string]*frontend // by bind address
	binds     map[string]*bindRT   // by bind address
	feByName  map[string]*frontend
	backends  map[string]*backendRT
	// stopped names the disabled backends: routed to, they answer 503,
	// where an unknown name built per request falls back to the default
	// backend. Written by New only.
	stoppedBE map[string]bool
	// tls is the TLS material; tlsBinds the TLS binds by address.
	tls      *tlsconf.Bundle
	tlsBinds map[string]*tlsconf.Bind
	// h2Binds are the binds of HTTP frontends with "proto h2".
	h2Binds map[string]bool
	// relay passes TLS connections to the next generation (tlsrelay.go).
	relay relaySender

	actconn    atomic.Int64
	hotWait    time.Duration // Options.HotWait resolved; set once in New
	drainGrace time.Duration // Options.DrainGrace resolved; set once in New
	onGrace    func()        // Options.onGrace

	draining atomic.Bool
	// handoff is the hand-over in progress, nil outside HandOff.
	handoff  atomic.Pointer[handOff]
	stop     chan struct{} // closed by StopAccepting
	stopOnce sync.Once

	mu         sync.Mutex
	conns      map[*clientConn]struct{}
	listeners  map[net.Listener]struct{}
	stopped    bool // StopAccepting called
	acceptDone bool // and every accept loop has returned
	serving    sync.WaitGroup
	done       chan struct{}
	doneOnce   sync.Once

	// checkers run the health checks of backends with checked servers,
	// from the first Serve until Close or Done.
	checkers   []*health.Checker
	checksOnce sync.Once
	stopChecks func()

	// ctr is the generation's part of the statistics segment and proc
	// the process-wide blocks (stats.go); adoptSeq spreads adopted
	// connections over the shards.
	ctr      *counters.View
	proc     objCounters
	adoptSeq atomic.Uint32

	// The runtime API's view (runtime.go): proxies in configuration
	// order, publishing (set while this engine serves: it writes server
	// state for the next generation), the version, the captured errors.
	feList      []*frontend
	backendList []*backendRT
	publishing  atomic.Bool
	version     string
	started     time.Time
	errs        captures
	// tables are the generation's stick tables (stick.go); nil without
	// any.
	tables *sticktable.Tables
	// caches are the generation's cache sections by name (cache.go).
	caches map[string]*cacheRT
	// resolvers resolves servers' host names while serving, like the
	// checks; nil without resolvers sections.
	resolvers *resolve.Runtime

	// h2pools are the shared HTTP/2 server connections, by
	// *backend.Server (h2up.go); a sync.Map: any request may add one.
	h2pools sync.Map
}

// frontend is a frontend or listen proxy at run time.
type frontend struct {
	p     *config.Proxy
	rules *rules.Set
	// sessions are the frontend's pooled sessions (sized for its
	// capture slots).
	sessions sync.Pool
	slots    *limiter     // frontend maxconn (0: no limit)
	rate     *sessionRate // "rate-limit sessions"; nil: no limit
	self     *backendRT   // a listen proxy serving itself; nil otherwise
	logging  bool
	feconn   atomic.Int64
	conn     frontendConn // accept-time settings (pproto.go)
	ctr      objCounters
	iid      int
	// svc are the frontend's own conditions (monitor fail, stats page).
	svc *rules.Set

	// log is the proxy's logging; logging caches log.Traffic().
	log *accesslog.Proxy
	// feCum counts the connections accepted, for "Proxy X stopped".
	feCum atomic.Int64
}

// backendRT is a backend (or listen) proxy at run time.
type backendRT struct {
	p *config.Proxy
	b *backend.Backend
	// rules are the backend's own rules: http-request run after the
	// frontend's, http-response before them, use-server; never run twice
	// when the backend is the frontend itself (a listen proxy).
	rules  *rules.Set
	beconn atomic.Int64
	// dial is how to reach each server (by Server.Index); proven says,
	// for http-reuse aggressive, that a reused connection of the server
	// answered (atomic: any request's goroutine may set it).
	dial   []*srvDial
	proven []atomic.Bool
	// h2 says some server may speak HTTP/2 (h2up.go): requests then keep
	// their te and trailer fields for it before they are stripped.
	h2 bool
	// tls is the TLS client of each server by Server.Index; nil when no
	// server of the backend has TLS options.
	tls []*tlsconf.Client
	// ctr counts what happened without a server; srvCtr[i] counts for
	// the server of Index i.
	ctr objCounters
	// srvs are the server records by Index (servers.go); replaced whole
	// when a server is added or removed at run time.
	srvs     atomic.Pointer[[]*serverRT]
	e        *Engine
	slot     int // counters slot, -1 for none
	iid      int
	fullconn int
	state    backendState
	checker  *health.Checker // nil until a server has checks
	svc      *rules.Set      // the backend's stats page conditions

	// beCum counts the requests (TCP: connections) sent to the backend,
	// for "Proxy X stopped".
	beCum atomic.Int64
	log   *accesslog.Proxy
	// cookie is the backend's cookie persistence; nil for none.
	cookie *persist.Cookie
}

// New builds the run-time objects of cfg: compiled rules, backends with
// their server pools, and the access logger.
func New(cfg *config.Config, opt Options) (*Engine, error) {
	e := &Engine{
		cfg:          cfg,
		descriptions: proxyDescriptions(cfg),
		diag:         opt.Stderr,
		frontends:    make(map[string]*frontend),
		binds:        make(map[string]*bindRT),
		feByName:     make(map[string]*frontend),
		backends:     make(map[string]*backendRT),
		stoppedBE:    make(map[string]bool),
		stop:         make(chan struct{}),
		conns:        make(map[*clientConn]struct{}),
		listeners:    make(map[net.Listener]struct{}),
		hotWait:      opt.HotWait,
		done:         make(chan struct{}),
		tls:          opt.TLS,
		tlsBinds:     make(map[string]*tlsconf.Bind),
		h2Binds:      make(map[string]bool),
	}
	if e.hotWait == 0 {
		e.hotWait = DefaultHotWait
	}
	if e.diag == nil {
		e.diag = os.Stderr
	}
	e.diagPrefix = fmt.Sprintf("baton[%d] gen=%d worker: ", opt.PID, opt.Generation)
	e.drainGrace, e.onGrace = opt.DrainGrace, opt.onGrace
	if e.drainGrace <= 0 {
		e.drainGrace = DefaultDrainGrace
	}
	e.global = newLimiter(cfg.Global.MaxConn)
	for _, p := range cfg.Proxies {
		if p.Kind == config.KindBackend || p.Kind == config.KindListen {
			be := &backendRT{p: p, b: backend.New(p), e: e, slot: -1, cookie: persist.New(p)}
			e.backendList = append(e.backendList, be)
			for i, srv := range p.Servers {
				be.dial = append(be.dial, newSrvDial(p, srv))
				be.h2 = be.h2 || h2Capable(srv)
				if c := opt.TLS.Client(srv.TLS); srv.TLS != nil && c != nil {
					if be.tls == nil {
						be.tls = make([]*tlsconf.Client, len(p.Servers))
					}
					be.tls[i] = c
				}
			}
			be.proven = make([]atomic.Bool, len(p.Servers))
			rs, err := rules.Compile(p)
			if err != nil {
				return nil, fmt.Errorf("proxy %s: %w", p.Name, err)
			}
			be.rules = rs
			e.backends[p.Name] = be
			for _, srv := range p.Servers {
				if srv.Check || srv.Agent {
					be.checker = health.New(p, be.b, e.checkOptions(be))
					e.checkers = append(e.checkers, be.checker)
					break
				}
			}
		}
	}
	for _, p := range cfg.Stopped {
		if p.Kind != config.KindFrontend {
			e.stoppedBE[p.Name] = true
		}
	}
	spread := health.NewSpread(e.checkers, cfg.Global.CheckGlobals)
	for _, c := range e.checkers {
		c.SetSpread(spread)
	}
	for _, p := range cfg.Frontends() {
		rs, err := rules.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("proxy %s: %w", p.Name, err)
		}
		fe := &frontend{p: p, rules: rs, slots: newLimiter(p.MaxConn), rate: newSessionRate(p.RateLimitSessions)}
		fe.conn = newFrontendConn(p)
		e.feByName[p.Name] = fe
		e.feList = append(e.feList, fe)
		if p.Kind == config.KindListen && p.DefaultBackend == "" {
			fe.self = e.backends[p.Name]
		}
		if p.DefaultBackend != "" && e.backends[p.DefaultBackend] == nil && !e.stoppedBE[p.DefaultBackend] {
			return nil, fmt.Errorf("proxy %s: default_backend %q not found", p.Name, p.DefaultBackend)
		}
		for _, ub := range p.UseBackends {
			if ub.Dynamic == nil && e.backends[ub.Backend] == nil && !e.stoppedBE[ub.Backend] {
				return nil, fmt.Errorf("%s: proxy %s: use_backend %q not found", ub.Pos, p.Name, ub.Backend)
			}
		}
		for i := range p.Binds {
			b := &p.Binds[i]
			if other := e.frontends[b.Addr]; other != nil {
				return nil, fmt.Errorf("%s: bind %s used by both %s and %s", b.Pos, b.Addr, other.p.Name, p.Name)
			}
			e.frontends[b.Addr] = fe
			if b.Proto == "h2" && p.Mode == config.ModeHTTP {
				e.h2Binds[b.Addr] = true
			}
			brt := &bindRT{b: b, name: bindName(b, i+1), slot: newLimiter(b.MaxConn), pos: i + 1}
			e.binds[b.Addr] = brt
			if b.TLS != nil {
				tb := opt.TLS.Bind(b.TLS)
				if tb == nil {
					return nil, fmt.Errorf("%s: bind %s: TLS material not loaded", b.Pos, b.Addr)
				}
				e.tlsBinds[b.Addr] = tb
			}
		}
	}
	if err := e.openLogs(cfg, opt); err != nil {
		return nil, err
	}
	// After the logs: the resolvers report from New on.
	if err := e.newResolvers(opt); err != nil {
		return nil, err
	}
	e.initCounters(opt.Counters)
	e.initTables(cfg, opt.Tables)
	e.initCaches(cfg, opt.Caches)
	if err := e.initRuntime(opt); err != nil {
		return nil, err
	}
	return e, nil
}

// SetTicketKeys installs the master's session ticket keys (see
// tlsconf.Bundle.SetTicketKeys). Safe while serving.
func (e *Engine) SetTicketKeys(keys [][32]byte) { e.tls.SetTicketKeys(keys) }

// checkTLS is the TLS configuration of a server's health checks, nil for
// plain ones.
func (be *backendRT) checkTLS(srv *backend.Server) *tls.Config {
	if be.tls == nil || srv.Index >= len(be.tls) || be.tls[srv.Index] == nil || !be.tls[srv.Index].CheckSSL {
		return nil
	}
	return be.tls[srv.Index].CheckConfig()
}

// backendFor resolves the backend the rules chose: a name, or a name
// built per request (dyn, an unknown one falls back to the default
// backend as in HAProxy); "" means the default, a listen proxy's own
// servers. nil (a 503) for a disabled backend.
func (fe *frontend) backendFor(e *Engine, name string, dyn []byte) *backendRT {
	if dyn != nil {
		if be := e.backends[string(dyn)]; be != nil || e.stoppedBE[string(dyn)] {
			return be // nil for a disabled backend: 503
		}
		name = fe.rules.DefaultBackend()
	}
	if name == "" {
		return fe.self
	}
	return e.backends[name]
}

// Serve accepts on ln for the frontend bound to addr until StopAccepting,
// then returns nil. A connection slot (global and frontend maxconn) is
// taken before Accept, so excess connections wait in the kernel's queue.
func (e *Engine) Serve(addr string, ln net.Listener) error {
	fe := e.frontends[addr]
	if fe == nil {
		return fmt.Errorf("serve %s: no frontend binds this address", addr)
	}
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return nil
	}
	e.listeners[ln] = struct{}{}
	e.serving.Add(1)
	e.mu.Unlock()
	defer e.serving.Done()
	e.startChecks()
	e.startPublishing()
	startProfile()

	brt := e.binds[addr]
	var backoff time.Duration
	var shard uint8          // the next connection's counters shard
	var rateWait *time.Timer // sleeps for rate-limit sessions
	for {
		if !e.takeSlots(fe) {
			return nil
		}
		if !e.takeBindSlot(brt) {
			e.releaseSlots(fe)
			return nil
		}
		// Over the session rate, connections wait in the kernel's
		// queue, as in HAProxy.
		if fe.rate != nil && !fe.rate.wait(e.stop, &rateWait) {
			e.releaseSlots(fe)
			e.releaseBindSlot(brt)
			return nil
		}
		c, err := ln.Accept()
		if err != nil {
			e.releaseSlots(fe)
			e.releaseBindSlot(brt)
			select {
			case <-e.stop:
				return nil
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Temporary failures (EMFILE, ECONNABORTED...): back off and
			// try again rather than spinning or giving up.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff < time.Second {
				backoff *= 2
			}
			e.diagf("proxy %s: accept on %s: %v; retrying in %v", fe.p.Name, addr, err, backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-e.stop:
				t.Stop()
				return nil
			}
			continue
		}
		backoff = 0
		cc := newClientConn(e, fe, addr, c)
		cc.slotG, cc.slotF, cc.slotB = true, true, brt != nil
		cc.shard, shard = shard, shard+1
		e.register(cc) // even when stopping: an accepted client is served
		fe.feCum.Add(1)
		cc.countOpen(false)
		go cc.serve()
	}
}

func (e *Engine) takeSlots(fe *frontend) bool {
	if !e.global.acquire(e.stop) {
		return false
	}
	if !fe.slots.acquire(e.stop) {
		e.global.release()
		return false
	}
	return true
}

func (e *Engine) releaseSlots(fe *frontend) {
	fe.slots.release()
	e.global.release()
}

func (e *Engine) register(cc *clientConn) {
	e.mu.Lock()
	e.conns[cc] = struct{}{}
	e.actconn.Add(1)
	cc.fe.feconn.Add(1)
	e.mu.Unlock()
}

func (e *Engine) unregister(cc *clientConn) {
	e.mu.Lock()
	delete(e.conns, cc)
	e.actconn.Add(-1)
	cc.fe.feconn.Add(-1)
	e.checkDoneLocked()
	e.mu.Unlock()
	cc.countClose()
	if cc.slotF {
		cc.fe.slots.release()
	}
	if cc.slotG {
		e.global.release()
	}
	if cc.slotB {
		e.releaseBindSlot(cc.brt)
	}
}

// takeBindSlot takes a slot of the listener's own maxconn, waiting like
// takeSlots; it reports false when the engine stops accepting.
func (e *Engine) takeBindSlot(b *bindRT) bool {
	return b == nil || b.slot.acquire(e.stop)
}

func (e *Engine) releaseBindSlot(b *bindRT) {
	if b != nil {
		b.slot.release()
	}
}

// checkDoneLocked closes done once no accept loop runs and no
// connection remains.
func (e *Engine) checkDoneLocked() {
	if e.acceptDone && len(e.conns) == 0 {
		e.doneOnce.Do(func() { close(e.done) })
	}
}

// StopAccepting makes every Serve return and closes the engine's own
// listener descriptors. It returns once no accept loop can accept again.
func (e *Engine) StopAccepting() {
	e.publishing.Store(false) // the next generation publishes from now on
	e.stopOnce.Do(func() { close(e.stop) })
	e.mu.Lock()
	e.stopped = true
	for ln := range e.listeners {
		ln.Close()
	}
	e.mu.Unlock()
	e.serving.Wait()
	e.mu.Lock()
	e.acceptDone = true
	e.checkDoneLocked()
	e.mu.Unlock()
}

// SoftStop starts draining: responses in progress carry "Connection:
// close", idle keep-alive connections are closed spread over idleWindow,
// tunnels continue.
//
// A draining engine accepts nothing: SoftStop stops the accept loops
// first if StopAccepting was not called.
func (e *Engine) SoftStop(idleWindow time.Duration) {
	e.StopAccepting()
	e.draining.Store(true)
	e.drainH2()
	e.stopLogged.Do(e.logStopped)
	e.mu.Lock()
	var idle []*clientConn
	for cc := range e.conns {
		if cc.state.Load() == stateIdle {
			idle = append(idle, cc)
		}
	}
	e.checkDoneLocked()
	e.mu.Unlock()
	n := len(idle)
	for i, cc := range idle {
		delay := idleWindow * time.Duration(i) / time.Duration(n)
		if delay <= 0 {
			cc.kick()
			continue
		}
		time.AfterFunc(delay, cc.kick)
	}
}

// Done is closed once StopAccepting has returned and no client
// connection remains.
func (e *Engine) Done() <-chan struct{} { return e.done }

// Close closes every connection at once (hard stop) and the backends'
// idle server connections.
func (e *Engine) Close() {
	e.StopAccepting()
	e.mu.Lock()
	for cc := range e.conns {
		cc.closeAll()
	}
	e.mu.Unlock()
	e.startChecks() // makes sure a later Serve starts none
	e.stopChecks()
	for _, b := range e.backends {
		b.b.Close()
	}
	// The closed connections log their last lines as they unwind; stop
	// the log writer once the last one is gone.
	go func() {
		<-e.done
		e.log.Close()
	}()
}

// Conns returns the number of live client connections.
func (e *Engine) Conns() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.conns)
}

// startChecks starts the health checks once, when the engine starts
// serving; they stop on Close or once Done (a drained generation routes
// nothing more). After Close it starts nothing.
func (e *Engine) startChecks() {
	e.checksOnce.Do(func() {
		e.mu.Lock()
		closing := e.stopped && e.acceptDone
		e.mu.Unlock()
		if len(e.checkers) == 0 && e.resolvers == nil || closing {
			e.stopChecks = e.stopResolvers
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		for _, c := range e.checkers {
			c.Start(ctx)
		}
		if e.resolvers != nil {
			e.resolvers.Start(ctx)
		}
		var once sync.Once
		e.stopChecks = func() {
			once.Do(func() {
				cancel()
				for _, c := range e.checkers {
					c.Stop()
				}
				e.stopResolvers()
			})
		}
		go func() {
			select {
			case <-e.done:
			case <-ctx.Done():
			}
			e.stopChecks()
		}()
	})
}
