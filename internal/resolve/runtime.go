package resolve

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/syslog"
)

// Options configure a Runtime.
type Options struct {
	// Log receives event lines (address changes, servers entering or
	// leaving maintenance, failed resolutions, bad answers) with their
	// syslog level and the backend they concern ("" for a resolvers
	// section's own); nil discards them.
	Log func(backend string, lvl syslog.Level, msg string)
	// Publish receives the whole State after each change, from a
	// goroutine of its own (a slow receiver never delays resolution);
	// nil means nobody is told.
	Publish func(State)
	// State is what the previous generation knew; New applies it before
	// anything is served.
	State State
}

// Runtime resolves the servers of one generation's backends: one
// goroutine per resolvers section (section.run) owns that section's
// resolutions and server slots; the data path only ever reads the
// servers' atomics.
type Runtime struct {
	opt      Options
	sections []*section

	// mu guards state, the latest ServerState of every resolved server,
	// written by the section goroutines and read by State and the
	// publisher.
	mu    sync.Mutex
	state map[string]ServerState
	// dirty wakes the publisher (capacity 1: changes coalesce).
	dirty chan struct{}

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	// done is closed by Stop: do-resolve lookups waiting give up.
	done chan struct{}
}

// slot is one server that resolution manages.
type slot struct {
	srv    *backend.Server
	be     *backend.Backend
	beName string
	cfg    *config.Server
	addr   netip.Addr // current address; invalid: none
	// An SRV slot's record: target host ("" for a free slot), port and
	// weight (-1 before any record).
	target string
	port   uint16
	weight int
	// targetRes resolves the target of an SRV slot whose answer had no
	// additional record for it; nil otherwise.
	targetRes *resolution
	targetGrp *addrGroup
}

func (sl *slot) name() string { return sl.beName + "/" + sl.srv.Name }

// portNum is the port the slot's address uses: the SRV record's, or the
// server line's.
func (sl *slot) portNum() uint16 {
	if sl.cfg.SRV {
		return sl.port
	}
	return uint16(sl.cfg.Port)
}

func (sl *slot) addrPort() netip.AddrPort {
	if !sl.addr.IsValid() || sl.portNum() == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(sl.addr, sl.portNum())
}

// New prepares resolution for every server of cfg with resolvers;
// backends are the generation's backends by proxy name. The previous
// generation's state (opt.State) is applied at once. Nothing is sent
// before Start.
func New(cfg *config.Config, backends map[string]*backend.Backend, opt Options) (*Runtime, error) {
	r := &Runtime{opt: opt, state: map[string]ServerState{}, dirty: make(chan struct{}, 1), done: make(chan struct{})}
	if r.opt.Log == nil {
		r.opt.Log = func(string, syslog.Level, string) {}
	}
	byName := map[string]*section{}
	for _, rc := range cfg.Resolvers {
		s, err := newSection(r, rc)
		if err != nil {
			r.closeSockets()
			return nil, err
		}
		r.sections = append(r.sections, s)
		byName[rc.Name] = s
	}
	carried := opt.State.index()
	restored := 0
	for _, p := range cfg.Proxies {
		b := backends[p.Name]
		if b == nil {
			continue
		}
		groups := map[string]group{} // by section, name and query type
		for _, srv := range b.Servers {
			cs := srv.Config
			if cs == nil || cs.Resolvers == "" || cs.Host == "" {
				continue
			}
			s := byName[cs.Resolvers]
			if s == nil {
				r.closeSockets()
				return nil, fmt.Errorf("%s: server %q: no resolvers section named %q", cs.Pos, cs.Name, cs.Resolvers)
			}
			sl := &slot{srv: srv, be: b, beName: p.Name, cfg: cs, weight: -1}
			if ep := srv.Endpoint(); ep != nil {
				sl.addr = ep.AddrPort.Addr()
			}
			if e, ok := carried[sl.name()]; ok && e.Name == cs.Host && restore(sl, e) {
				restored++
			}
			s.slots = append(s.slots, sl)
			qtype := TypeSRV
			if !cs.SRV {
				qtype = preferred(cs)
			}
			key := cs.Resolvers + " " + cs.Host + " " + strconv.Itoa(int(qtype))
			g := groups[key]
			if g == nil {
				if cs.SRV {
					g = &srvGroup{}
				} else {
					g = &addrGroup{}
				}
				groups[key] = g
				s.resolution(cs.Host, qtype).add(g)
			}
			g.addSlot(sl)
		}
	}
	updates := map[*backend.Backend][]backend.AddrUpdate{}
	for _, s := range r.sections {
		for _, sl := range s.slots {
			if sl.target != "" && sl.targetRes == nil && !sl.addr.IsValid() {
				s.resolveTarget(sl)
			}
			if ap := sl.addrPort(); ap != endpointOf(sl.srv) || sl.weight >= 0 {
				updates[sl.be] = append(updates[sl.be], backend.AddrUpdate{Server: sl.srv, Addr: ap, Weight: sl.weight, Initial: true})
			}
			r.record(sl)
		}
	}
	for b, u := range updates {
		b.Apply(u)
	}
	if restored > 0 {
		r.logf("", syslog.Notice, "resolvers: %d server(s) start with the address the previous generation resolved", restored)
	}
	return r, nil
}

// logf formats an event line for Options.Log.
func (r *Runtime) logf(backend string, lvl syslog.Level, format string, args ...any) {
	r.opt.Log(backend, lvl, fmt.Sprintf(format, args...))
}

// endpointOf returns s's current address.
func endpointOf(s *backend.Server) netip.AddrPort {
	if ep := s.Endpoint(); ep != nil {
		return ep.AddrPort
	}
	return netip.AddrPort{}
}

// restore gives a slot the state a previous generation left it with.
func restore(sl *slot, e ServerState) bool {
	var addr netip.Addr
	if e.Addr != "" {
		ap, err := netip.ParseAddrPort(e.Addr)
		if err != nil {
			return false
		}
		addr = ap.Addr()
	}
	if sl.cfg.SRV {
		if e.Target == "" && addr.IsValid() {
			return false
		}
		sl.target, sl.port = e.Target, e.Port
		if e.Target != "" && !sl.cfg.IgnoreWeight {
			sl.weight = e.Weight
		}
	}
	sl.addr = addr
	return true
}

// preferred is the query type a server asks first.
func preferred(cs *config.Server) uint16 {
	if cs.ResolvePrefer == "ipv4" {
		return TypeA
	}
	return TypeAAAA
}

// Start starts resolving, until Stop or ctx ends.
func (r *Runtime) Start(ctx context.Context) {
	ctx, r.cancel = context.WithCancel(ctx)
	for _, s := range r.sections {
		for _, ns := range s.servers {
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				s.read(ctx, ns)
			}()
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			s.run(ctx)
		}()
	}
	if r.opt.Publish != nil {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.publisher(ctx)
		}()
	}
}

// Stop ends every goroutine and closes the sockets. It may be called
// without Start, and more than once.
func (r *Runtime) Stop() {
	r.once.Do(func() {
		close(r.done)
		if r.cancel != nil {
			r.cancel()
		}
		r.closeSockets()
		r.wg.Wait()
	})
}

func (r *Runtime) closeSockets() {
	for _, s := range r.sections {
		for _, ns := range s.servers {
			ns.conn.Close()
		}
	}
}

// record stores a slot's state; the caller then calls changed.
func (r *Runtime) record(sl *slot) {
	e := ServerState{Backend: sl.beName, Server: sl.srv.Name, Name: sl.cfg.Host}
	if ap := sl.addrPort(); ap.IsValid() {
		e.Addr = ap.String()
	}
	if sl.cfg.SRV {
		e.Target, e.Port = sl.target, sl.port
		if sl.weight > 0 {
			e.Weight = sl.weight
		}
	}
	r.mu.Lock()
	r.state[sl.name()] = e
	r.mu.Unlock()
}

// changed tells the publisher that State changed.
func (r *Runtime) changed() {
	select {
	case r.dirty <- struct{}{}:
	default:
	}
}

// State returns every resolved server's state.
func (r *Runtime) State() State {
	r.mu.Lock()
	out := make(State, 0, len(r.state))
	for _, e := range r.state {
		out = append(out, e)
	}
	r.mu.Unlock()
	out.sort()
	return out
}

func (r *Runtime) publisher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.dirty:
			r.opt.Publish(r.State())
		}
	}
}

// holdFor is the hold period of a failed resolution's status.
func holdFor(h config.Holds, st status) time.Duration {
	switch st {
	case statusNX:
		return h.NX
	case statusRefused:
		return h.Refused
	case statusTimeout:
		return h.Timeout
	}
	return h.Other
}
