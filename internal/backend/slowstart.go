package backend

import (
	"sync"
	"sync/atomic"
	"time"
)

// warmup is a server's slow start ("slowstart"): after it comes back
// (health up, out of maintenance, a new address from DNS) its weight
// grows linearly from 1 to the configured one over the period, and so
// does its maxconn, as in HAProxy; never at start.
type warmup struct {
	dur time.Duration // 0: no slow start; fixed at New
	// uweight is the weight the ramp leads to (the configured one, or
	// what SetWeight or DNS set): atomic because SetWeight and the ramp's
	// timer run on different goroutines. The ramp stores its steps in
	// Server.weight, which load balancing reads.
	uweight atomic.Int32
	// ratio is the ramp's progress in thousandths (0: no ramp under
	// way), which scales the maxconn in force; atomic because every
	// Acquire reads it while the ramp writes it.
	ratio atomic.Int32

	mu    sync.Mutex // guards since and timer
	since time.Time  // the ramp's start; zero when not ramping
	timer *time.Timer
}

// setUserWeight sets the weight a ramp leads to, and the weight in use
// unless a ramp is under way (it then takes the new target at its next
// step).
func (s *Server) setUserWeight(w int) {
	s.warm.uweight.Store(int32(w))
	s.warm.mu.Lock()
	defer s.warm.mu.Unlock()
	if s.warm.since.IsZero() {
		s.weight.Store(int32(w))
		return
	}
	s.warmStep()
}

// warmUp starts a slow start, when the server has one.
func (s *Server) warmUp() {
	if s.warm.dur <= 0 {
		return
	}
	s.warm.mu.Lock()
	defer s.warm.mu.Unlock()
	s.warm.since = time.Now()
	if s.warm.timer != nil {
		s.warm.timer.Stop()
	}
	s.warmStep()
}

// warmStep sets the weight and maxconn for the time elapsed and arms
// the next step, every twentieth of the period (50 ms at least).
// s.warm.mu must be held.
func (s *Server) warmStep() {
	elapsed := time.Since(s.warm.since)
	w := int(s.warm.uweight.Load())
	if elapsed >= s.warm.dur {
		s.warm.since = time.Time{}
		s.weight.Store(int32(w))
		s.warm.ratio.Store(0)
		s.b.stateChanged()
		return
	}
	s.weight.Store(int32(rampOf(w, elapsed, s.warm.dur)))
	s.warm.ratio.Store(int32(rampOf(1000, elapsed, s.warm.dur)))
	step := max(s.warm.dur/20, 50*time.Millisecond)
	s.warm.timer = time.AfterFunc(step, func() {
		s.warm.mu.Lock()
		defer s.warm.mu.Unlock()
		if !s.warm.since.IsZero() {
			s.warmStep()
		}
	})
	s.b.stateChanged()
}

// rampOf is full's share after elapsed of d, rounded up, at least 1
// (0 stays 0).
func rampOf(full int, elapsed, d time.Duration) int {
	if full <= 0 {
		return full
	}
	n := int((int64(full)*int64(elapsed) + int64(d) - 1) / int64(d))
	return min(max(n, 1), full)
}

// maxConn is the maxconn in force (0: none): CurrentMaxConn, between
// minconn and it as the backend's load approaches fullconn (dynamic.go),
// and less during a slow start (at least 1), as HAProxy's
// srv_dynamic_maxconn computes it.
func (s *Server) maxConn() int {
	m := s.CurrentMaxConn()
	if m <= 0 {
		return 0
	}
	if s.dynMax && s.b.fullConn > 0 {
		if be := int(s.b.load.Load()); be < s.b.fullConn {
			m = max(int(s.minconn), be*m/s.b.fullConn)
		}
	}
	if r := int(s.warm.ratio.Load()); r > 0 {
		m = max(1, (m*r+999)/1000)
	}
	return m
}

// Ramp returns the slow start's progress in percent (100: none under
// way), for HAProxy's "throttle" in a check's server state header.
func (s *Server) Ramp() int {
	if r := int(s.warm.ratio.Load()); r > 0 {
		return max(1, r/10)
	}
	return 100
}
