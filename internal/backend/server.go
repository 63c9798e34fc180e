package backend

import (
	"sync/atomic"

	"baton/internal/config"
)

// State is a server's administrative state, set by the operator.
type State int32

const (
	// Ready takes traffic (if healthy and weighted).
	Ready State = iota
	// Drain takes no new traffic from load balancing; requests already
	// on the server finish normally.
	Drain
	// Maint takes no traffic at all; its idle pooled connections are
	// closed.
	Maint
)

func (st State) String() string {
	switch st {
	case Ready:
		return "ready"
	case Drain:
		return "drain"
	case Maint:
		return "maint"
	}
	return "unknown"
}

// MaxWeight is the largest server weight, as in HAProxy.
const MaxWeight = 256

// Server is one server of a backend with its runtime state. The exported
// fields are fixed at New; the runtime state (its address too, see
// endpoint.go) is read and written through methods and is safe for
// concurrent use.
type Server struct {
	Name string
	// Backup servers take traffic only when no active server is usable.
	Backup bool
	// MaxConn caps the requests/connections using the server at once;
	// 0 means no limit. The runtime API may override it (SetMaxConn).
	MaxConn int
	// Index is the server's position among all servers of its backend,
	// in declaration order.
	Index int
	// Config is the "server" line the server was built from (health
	// checks read Check, Inter, Rise, Fall from it).
	Config *config.Server

	b *Backend

	// weight is atomic because the runtime API (stats socket, state
	// carried over a reload) writes it through SetWeight while every
	// Acquire reads it without a lock.
	weight atomic.Int32
	// state is atomic for the same reason: SetState is called by the
	// operator's goroutine, Acquire reads it on every pick.
	state atomic.Int32
	// healthy is atomic because the health checker's goroutine writes
	// it (SetHealthy) while Acquire reads it.
	healthy atomic.Bool
	// Traffic shaping by checks and agents (dynamic.go): see there for
	// each atomic.
	dynamics
	// conns is atomic because every connection goroutine changes it:
	// Acquire takes a slot with compare-and-swap (so MaxConn holds
	// without a lock) and Release gives it back.
	conns atomic.Int32

	// rrCur is the smooth weighted round-robin current weight; it is
	// guarded by b.rrMu, not atomic.
	rrCur int

	addrState
	warm warmup
	rt   runtimeState

	idle idlePool
}

// In reports whether s is one of b's servers.
func (s *Server) In(b *Backend) bool { return s.b == b }

func newServer(b *Backend, i int, cs *config.Server) *Server {
	s := &Server{
		Name:    cs.Name,
		Backup:  cs.Backup,
		MaxConn: cs.MaxConn,
		Index:   i,
		Config:  cs,
		b:       b,
	}
	s.weight.Store(int32(clampWeight(cs.Weight)))
	s.warm.uweight.Store(int32(clampWeight(cs.Weight)))
	s.warm.dur = cs.SlowStart
	if cs.Disabled {
		s.state.Store(int32(Maint))
	}
	s.healthy.Store(true)
	s.initAddr(cs)
	s.initDynamics(cs)
	return s
}

func clampWeight(w int) int {
	return min(max(w, 0), MaxWeight)
}

// Weight returns the current weight (0 to MaxWeight).
func (s *Server) Weight() int { return int(s.weight.Load()) }

// SetWeight sets the weight, clamped to 0..MaxWeight. Weight 0 takes the
// server out of load balancing without closing anything. roundrobin,
// leastconn, source, uri and random follow the new weight at once;
// static-rr keeps its configured proportions (only 0 versus non-zero
// matters to it), as in HAProxy.
func (s *Server) SetWeight(w int) {
	s.setUserWeight(clampWeight(w))
	s.b.stateChanged()
}

// State returns the administrative state.
func (s *Server) State() State { return State(s.state.Load()) }

// SetState sets the administrative state. Leaving Ready closes the idle
// pooled connections, since load balancing will not pick the server.
func (s *Server) SetState(st State) {
	if old := State(s.state.Swap(int32(st))); old != Ready && st == Ready {
		s.warmUp()
	}
	if st != Ready {
		s.idle.purge(false)
	}
	s.b.stateChanged()
}

// Healthy reports the last health-check verdict; it is true when the
// server has no checks.
func (s *Server) Healthy() bool { return s.healthy.Load() }

// SetHealthy records a health-check verdict. Going down closes the idle
// pooled connections.
func (s *Server) SetHealthy(up bool) {
	if was := s.healthy.Swap(up); up && !was {
		s.warmUp()
	}
	if !up {
		s.idle.purge(false)
	}
	s.b.stateChanged()
}

// Conns returns the number of requests/connections currently using the
// server (acquired and not yet released).
func (s *Server) Conns() int { return int(s.conns.Load()) }

// Usable reports whether load balancing may pick the server: Ready,
// healthy, not NOLB, weight > 0 and with an address (see Endpoint).
func (s *Server) Usable() bool {
	return s.state.Load() == int32(Ready) && s.healthy.Load() && s.weight.Load() > 0 && !s.nolb.Load() && s.ep.Load() != nil
}

// hasRoom reports whether the server is below its (possibly dynamic)
// maxconn.
func (s *Server) hasRoom() bool {
	m := s.maxConn()
	return m <= 0 || int(s.conns.Load()) < m
}

// tryTake takes a connection slot unless the server is at its maxconn.
// The compare-and-swap keeps the limit exact without a lock.
func (s *Server) tryTake() bool {
	m := s.maxConn()
	if m <= 0 {
		s.conns.Add(1)
		s.b.loadAdd(1)
		return true
	}
	for {
		c := s.conns.Load()
		if int(c) >= m {
			return false
		}
		if s.conns.CompareAndSwap(c, c+1) {
			s.b.loadAdd(1)
			return true
		}
	}
}
