package backend

import (
	"net/netip"
	"testing"
	"time"

	"baton/internal/config"
)

func slowBackend(d time.Duration) (*Backend, *Server) {
	b := New(&config.Proxy{Name: "be", Servers: []*config.Server{
		{Name: "a", Addr: "127.0.0.1:1", Weight: 10, MaxConn: 8, SlowStart: d, Host: "app", Resolvers: "dns"},
		{Name: "b", Addr: "127.0.0.1:2", Weight: 1},
	}})
	return b, b.Servers[0]
}

// waitRamp waits until s is back to full weight and maxconn, checking
// that both only grow on the way.
func waitRamp(t *testing.T, s *Server, weight, maxconn int) {
	t.Helper()
	lastW, lastM := s.Weight(), s.maxConn()
	deadline := time.Now().Add(10 * time.Second)
	for s.Weight() != weight || s.maxConn() != maxconn {
		if time.Now().After(deadline) {
			t.Fatalf("weight %d maxconn %d, want %d and %d", s.Weight(), s.maxConn(), weight, maxconn)
		}
		w, m := s.Weight(), s.maxConn()
		if w < lastW || m < lastM {
			t.Fatalf("ramp went down: weight %d after %d, maxconn %d after %d", w, lastW, m, lastM)
		}
		lastW, lastM = w, m
		time.Sleep(5 * time.Millisecond) // polling the ramp's atomics
	}
}

func TestSlowStart(t *testing.T) {
	b, s := slowBackend(time.Second)
	if s.Weight() != 10 || s.maxConn() != 8 {
		t.Fatalf("at start: weight %d maxconn %d, want full (no slow start at start)", s.Weight(), s.maxConn())
	}
	// Health comes back: from 1 to full.
	s.SetHealthy(false)
	s.SetHealthy(true)
	if w, m := s.Weight(), s.maxConn(); w > 3 || m > 3 {
		t.Fatalf("just back: weight %d maxconn %d, want about 1", w, m)
	}
	waitRamp(t, s, 10, 8)
	// A new address from DNS ramps; the weight set meanwhile is the
	// ramp's new target.
	b.Apply([]AddrUpdate{{Server: s, Addr: netip.MustParseAddrPort("10.0.0.2:80"), Weight: -1}})
	if w := s.Weight(); w > 3 {
		t.Fatalf("new address: weight %d, want about 1", w)
	}
	s.SetWeight(20)
	waitRamp(t, s, 20, 8)
	// A generation's starting address does not ramp.
	b.Apply([]AddrUpdate{{Server: s, Addr: netip.MustParseAddrPort("10.0.0.3:80"), Weight: -1, Initial: true}})
	if s.Weight() != 20 {
		t.Errorf("initial address ramped: weight %d", s.Weight())
	}
	// Leaving maintenance ramps too.
	s.SetState(Maint)
	s.SetState(Ready)
	if w := s.Weight(); w > 3 {
		t.Fatalf("out of maintenance: weight %d, want about 1", w)
	}
	waitRamp(t, s, 20, 8)
}

func TestRampOf(t *testing.T) {
	for _, tc := range []struct {
		full         int
		elapsed, dur time.Duration
		want         int
	}{
		{10, 0, time.Second, 1},
		{10, 100 * time.Millisecond, time.Second, 1},
		{10, 101 * time.Millisecond, time.Second, 2},
		{10, 500 * time.Millisecond, time.Second, 5},
		{10, 999 * time.Millisecond, time.Second, 10},
		{0, 500 * time.Millisecond, time.Second, 0},
		{256, 900 * time.Millisecond, time.Second, 231},
	} {
		if got := rampOf(tc.full, tc.elapsed, tc.dur); got != tc.want {
			t.Errorf("rampOf(%d, %v, %v) = %d, want %d", tc.full, tc.elapsed, tc.dur, got, tc.want)
		}
	}
}
