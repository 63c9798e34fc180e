package proxy

import (
	"context"
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
	"baton/internal/config"
	"baton/internal/health"
	"baton/internal/rules"
)

// Options are the per-generation settings of an Engine.
type Options struct {
	// Log receives access and event log lines; nil means os.Stdout.
	Log io.Writer
	// Generation is the worker generation written in log lines.
	Generation int
	// PID is the process id written in log lines.
	PID int
	// HotWait is how long a connection that just answered reads for its
	// client's next request before it parks (see hotRead); zero means
	// DefaultHotWait, negative means park at once.
	HotWait time.Duration
	// DrainGrace is how long a soft stop spares a connection that was
	// answered just before it (see waitIdle); zero means
	// DefaultDrainGrace.
	DrainGrace time.Duration

	// onGrace, for tests, runs when a kicked connection enters its
	// drain grace, and again each time a later kick leaves it there.
	onGrace func()
}

// Engine is one worker generation's data path.
type Engine struct {
	cfg    *config.Config
	log    *accesslog.Logger
	global chan struct{} // global maxconn slots; nil means unlimited

	frontends map[string]*frontend // by bind address
	binds     map[string]*bindRT   // by bind address
	backends  map[string]*backendRT

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
}

// frontend is a frontend or listen proxy at run time.
type frontend struct {
	p       *config.Proxy
	rules   *rules.Set
	slots   chan struct{} // frontend maxconn; nil means unlimited
	self    *backendRT    // a listen proxy serving itself; nil otherwise
	logging bool
	feconn  atomic.Int64
	conn    frontendConn // accept-time settings (pproto.go)
}

// backendRT is a backend (or listen) proxy at run time.
type backendRT struct {
	p *config.Proxy
	b *backend.Backend
	// reqRules and respRules are the backend's own http-request and
	// http-response rules, run after (request) and before (response)
	// the frontend's; nil when it has none, and never used when the
	// backend is the frontend itself (a listen proxy's rules run once).
	reqRules, respRules *rules.Set
	beconn              atomic.Int64
	// dial is how to reach each server (by Server.Index); proven says,
	// for http-reuse aggressive, that a reused connection of the server
	// answered (atomic: any request's goroutine may set it).
	dial   []*srvDial
	proven []atomic.Bool
}

// New builds the run-time objects of cfg: compiled rules, backends with
// their server pools, and the access logger.
func New(cfg *config.Config, opt Options) (*Engine, error) {
	w := opt.Log
	if w == nil {
		w = os.Stdout
	}
	e := &Engine{
		cfg:       cfg,
		log:       accesslog.New(w, opt.Generation, opt.PID),
		frontends: make(map[string]*frontend),
		binds:     make(map[string]*bindRT),
		backends:  make(map[string]*backendRT),
		stop:      make(chan struct{}),
		conns:     make(map[*clientConn]struct{}),
		listeners: make(map[net.Listener]struct{}),
		hotWait:   opt.HotWait,
		done:      make(chan struct{}),
	}
	if e.hotWait == 0 {
		e.hotWait = DefaultHotWait
	}
	e.drainGrace, e.onGrace = opt.DrainGrace, opt.onGrace
	if e.drainGrace <= 0 {
		e.drainGrace = DefaultDrainGrace
	}
	if cfg.Global.MaxConn > 0 {
		e.global = make(chan struct{}, cfg.Global.MaxConn)
	}
	for _, p := range cfg.Proxies {
		if p.Kind == config.KindBackend || p.Kind == config.KindListen {
			be := &backendRT{p: p, b: backend.New(p)}
			for _, cs := range p.Servers {
				be.dial = append(be.dial, newSrvDial(p, cs))
			}
			be.proven = make([]atomic.Bool, len(p.Servers))
			if len(p.RequestRules) > 0 || len(p.ResponseRules) > 0 {
				rs, err := rules.Compile(p)
				if err != nil {
					return nil, fmt.Errorf("proxy %s: %w", p.Name, err)
				}
				if len(p.RequestRules) > 0 {
					be.reqRules = rs
				}
				if len(p.ResponseRules) > 0 {
					be.respRules = rs
				}
			}
			e.backends[p.Name] = be
			if c := health.New(p, be.b, e.healthOptions(p)); c.Active() {
				e.checkers = append(e.checkers, c)
			}
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
		fe := &frontend{p: p, rules: rs}
		if fe.conn, err = newFrontendConn(p); err != nil {
			return nil, fmt.Errorf("proxy %s: %w", p.Name, err)
		}
		if p.MaxConn > 0 {
			fe.slots = make(chan struct{}, p.MaxConn)
		}
		if p.Kind == config.KindListen && p.DefaultBackend == "" && len(p.Servers) > 0 {
			fe.self = e.backends[p.Name]
		}
		if p.DefaultBackend != "" && e.backends[p.DefaultBackend] == nil {
			return nil, fmt.Errorf("proxy %s: default_backend %q not found", p.Name, p.DefaultBackend)
		}
		for _, ub := range p.UseBackends {
			if e.backends[ub.Backend] == nil {
				return nil, fmt.Errorf("%s: proxy %s: use_backend %q not found", ub.Pos, p.Name, ub.Backend)
			}
		}
		fe.logging = p.LogGlobal && (p.HTTPLog || p.TCPLog)
		for i := range p.Binds {
			b := &p.Binds[i]
			if other := e.frontends[b.Addr]; other != nil {
				return nil, fmt.Errorf("%s: bind %s used by both %s and %s", b.Pos, b.Addr, other.p.Name, p.Name)
			}
			e.frontends[b.Addr] = fe
			brt := &bindRT{b: b, name: bindName(b, i+1)}
			if b.MaxConn > 0 {
				brt.slot = make(chan struct{}, b.MaxConn)
			}
			e.binds[b.Addr] = brt
		}
	}
	return e, nil
}

// backendFor resolves a backend name chosen by the rules ("" means the
// default: a listen proxy's own servers).
func (fe *frontend) backendFor(e *Engine, name string) *backendRT {
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
	startProfile()

	brt := e.binds[addr]
	var backoff time.Duration
	for {
		if !e.takeSlots(fe) {
			return nil
		}
		if !e.takeBindSlot(brt) {
			e.releaseSlots(fe)
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
			e.log.Event("proxy %s: accept on %s: %v; retrying in %v", fe.p.Name, addr, err, backoff)
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
		cc.slotG, cc.slotF = e.global != nil, fe.slots != nil
		cc.slotB = brt != nil && brt.slot != nil
		e.register(cc) // even when stopping: an accepted client is served
		go cc.serve()
	}
}

func (e *Engine) takeSlots(fe *frontend) bool {
	if e.global != nil {
		select {
		case e.global <- struct{}{}:
		case <-e.stop:
			return false
		}
	}
	if fe.slots != nil {
		select {
		case fe.slots <- struct{}{}:
		case <-e.stop:
			if e.global != nil {
				<-e.global
			}
			return false
		}
	}
	return true
}

func (e *Engine) releaseSlots(fe *frontend) {
	if fe.slots != nil {
		<-fe.slots
	}
	if e.global != nil {
		<-e.global
	}
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
	if cc.slotF {
		<-cc.fe.slots
	}
	if cc.slotG {
		<-e.global
	}
	if cc.slotB {
		e.releaseBindSlot(cc.brt)
	}
}

// takeBindSlot takes a slot of the listener's own maxconn, waiting like
// takeSlots; it reports false when the engine stops accepting.
func (e *Engine) takeBindSlot(b *bindRT) bool {
	if b == nil || b.slot == nil {
		return true
	}
	select {
	case b.slot <- struct{}{}:
		return true
	case <-e.stop:
		return false
	}
}

func (e *Engine) releaseBindSlot(b *bindRT) {
	if b != nil && b.slot != nil {
		<-b.slot
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
		if len(e.checkers) == 0 || closing {
			e.stopChecks = func() {}
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		for _, c := range e.checkers {
			c.Start(ctx)
		}
		var once sync.Once
		e.stopChecks = func() {
			once.Do(func() {
				cancel()
				for _, c := range e.checkers {
					c.Stop()
				}
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
