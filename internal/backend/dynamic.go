package backend

import (
	"sync/atomic"

	"baton/internal/config"
)

// dynamics is what health checks and agents change on a server while it
// serves beyond its weight, maxconn (runtime.go) and slow start
// (slowstart.go): the dynamic connection limit of minconn/fullconn, the
// NOLB state of http-check disable-on-404, and the error counting of
// "observe".
type dynamics struct {
	// minconn and dynMax are fixed at New: dynMax makes the limit follow
	// the backend's load (minconn below maxconn).
	minconn int32
	dynMax  bool
	// nolb is set while checks say NOLB (http-check disable-on-404): the
	// server takes no new traffic from load balancing. Atomic: the health
	// goroutine writes it, every pick reads it.
	nolb atomic.Bool

	// observe is 0 (off), 4 (layer4) or 7 (layer7); errLimit the errors
	// in a row that trigger onErrorLimit. Fixed at New.
	observe  uint8
	errLimit int32
	// consecErr counts observed errors in a row. Atomic: every request
	// goroutine of the server reports into it.
	consecErr atomic.Int32
	// onErrorLimit is called (from a request's goroutine) when consecErr
	// reaches errLimit, with the count and what the last error was. Set
	// by SetObserver before the backend is shared.
	onErrorLimit func(n int32, last string)
}

func (s *Server) initDynamics(cs *config.Server) {
	s.minconn = int32(cs.MinConn)
	s.dynMax = cs.MinConn > 0 && cs.MinConn < cs.MaxConn
	switch cs.Observe {
	case "layer4":
		s.observe = 4
	case "layer7":
		s.observe = 7
	}
	s.errLimit = int32(cs.ErrorLimit)
	if s.errLimit <= 0 {
		s.errLimit = 10
	}
}

// lbWeight is the weight load balancing uses: the weight, which a slow
// start ramps (slowstart.go).
func (s *Server) lbWeight() int { return int(s.weight.Load()) }

// EffectiveWeight returns the weight load balancing uses now.
func (s *Server) EffectiveWeight() int { return s.lbWeight() }

// Limit returns the connection limit in force now (0: none).
func (s *Server) Limit() int { return s.maxConn() }

// SetNOLB puts the server in, or out of, the NOLB state: up, but taking
// no new traffic from load balancing (http-check disable-on-404).
func (s *Server) SetNOLB(on bool) {
	s.nolb.Store(on)
	s.b.stateChanged()
}

// NOLB reports the NOLB state.
func (s *Server) NOLB() bool { return s.nolb.Load() }

// Observation is one outcome of real traffic to a server, for "observe".
type Observation uint8

// Observations, with HAProxy's names for the health-analysis statuses.
const (
	ObsConnOK          Observation = iota + 1 // L4 successful connection
	ObsConnError                              // L4 unsuccessful connection
	ObsHTTPOK                                 // Correct http response
	ObsHTTPStatus                             // Wrong http response
	ObsHTTPHeaders                            // Invalid http response (headers)
	ObsHTTPInvalid                            // Invalid http response
	ObsHTTPReadError                          // Read error (http)
	ObsHTTPReadTimeout                        // Read timeout (http)
	ObsHTTPClosed                             // Close from server (http)
)

// observations gives each observation's description and its verdict in
// layer4 and layer7 modes: 0 ignored, 1 error, 2 success.
var observations = [...]struct {
	desc   string
	l4, l7 uint8
}{
	ObsConnOK:          {"L4 successful connection", 2, 0},
	ObsConnError:       {"L4 unsuccessful connection", 1, 1},
	ObsHTTPOK:          {"Correct http response", 0, 2},
	ObsHTTPStatus:      {"Wrong http response", 0, 1},
	ObsHTTPHeaders:     {"Invalid http response (headers)", 0, 1},
	ObsHTTPInvalid:     {"Invalid http response", 0, 1},
	ObsHTTPReadError:   {"Read error (http)", 0, 1},
	ObsHTTPReadTimeout: {"Read timeout (http)", 0, 1},
	ObsHTTPClosed:      {"Close from server (http)", 0, 1},
}

// ObserveStatus classifies an HTTP response status: 100-499, 501 and 505
// are correct answers, others wrong.
func ObserveStatus(code int) Observation {
	if code >= 100 && code <= 499 || code == 501 || code == 505 {
		return ObsHTTPOK
	}
	return ObsHTTPStatus
}

// Observe records an outcome of real traffic when the server has
// "observe": errors in a row reaching error-limit call the observer (set
// by the health checker); a success clears the count. It does nothing,
// at the cost of one comparison, when observing is off.
func (s *Server) Observe(o Observation) {
	if s.observe == 0 {
		return
	}
	v := observations[o].l4
	if s.observe == 7 {
		v = observations[o].l7
	}
	switch v {
	case 2:
		if s.consecErr.Load() != 0 {
			s.consecErr.Store(0)
		}
	case 1:
		if n := s.consecErr.Add(1); n >= s.errLimit && s.onErrorLimit != nil {
			s.consecErr.Store(0)
			s.onErrorLimit(n, observations[o].desc)
		}
	}
}

// ClearObservedErrors resets the count of errors in a row (a passing
// check does, in HAProxy).
func (s *Server) ClearObservedErrors() {
	if s.consecErr.Load() != 0 {
		s.consecErr.Store(0)
	}
}

// SetObserver installs the function told when observed errors reach the
// limit. Call it before the backend serves.
func (s *Server) SetObserver(f func(n int32, last string)) { s.onErrorLimit = f }

// loadState follows a backend's load for dynamic server limits.
type loadState struct {
	// fullConn is the load at which dynamic limits reach maxconn; fixed.
	fullConn int
	// tracked is set when some server's limit is dynamic; fixed.
	tracked bool
	// load counts the connections in use on the backend's servers, kept
	// only when tracked. Atomic: every Acquire and Release change it.
	load atomic.Int32
}

func (b *Backend) initLoad(p *config.Proxy) {
	b.fullConn = p.FullConn
	for _, s := range b.Servers {
		b.tracked = b.tracked || s.dynMax
	}
}

func (b *Backend) loadAdd(d int32) {
	if b.tracked {
		b.load.Add(d)
	}
}
