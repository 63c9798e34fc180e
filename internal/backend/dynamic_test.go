package backend

import (
	"testing"

	"baton/internal/config"
)

// A server with minconn below maxconn takes minconn connections while the
// backend is idle, and more as the backend's load approaches fullconn, as
// HAProxy's srv_dynamic_maxconn computes; slow start scales the result.
func TestDynamicLimit(t *testing.T) {
	p := &config.Proxy{Name: "be", Kind: config.KindBackend, Balance: config.RoundRobin}
	p.FullConn = 100
	dynCfg := &config.Server{Name: "dyn", Addr: "127.0.0.1:10000", Weight: 10, MaxConn: 50}
	dynCfg.MinConn = 10
	p.Servers = []*config.Server{dynCfg, {Name: "fixed", Addr: "127.0.0.1:10001", Weight: 10, MaxConn: 20}}
	b := New(p)
	dyn, fixed := b.Servers[0], b.Servers[1]
	for _, c := range []struct {
		load, ramp, dyn, fixed int
	}{
		{0, 100, 10, 20},  // idle: minconn
		{20, 100, 10, 20}, // 20*50/100 = 10
		{50, 100, 25, 20}, // 50*50/100 = 25
		{99, 100, 49, 20},
		{100, 100, 50, 20}, // fullconn reached: maxconn
		{150, 100, 50, 20},
		{100, 50, 25, 10}, // slow start at 50%
		{100, 1, 1, 1},    // never below 1
	} {
		b.load.Store(int32(c.load))
		ratio := int32(c.ramp * 10)
		if c.ramp == 100 {
			ratio = 0
		}
		dyn.warm.ratio.Store(ratio)
		fixed.warm.ratio.Store(ratio)
		if got := dyn.Limit(); got != c.dyn {
			t.Errorf("load %d ramp %d%%: dynamic limit %d, want %d", c.load, c.ramp, got, c.dyn)
		}
		if got := fixed.Limit(); got != c.fixed {
			t.Errorf("load %d ramp %d%%: fixed limit %d, want %d", c.load, c.ramp, got, c.fixed)
		}
	}

	// Acquire and Release keep the load the limit follows.
	b.load.Store(0)
	dyn.warm.ratio.Store(0)
	fixed.warm.ratio.Store(0)
	var got []*Server
	for range 6 {
		got = append(got, mustAcquire(t, b, Key{}, nil))
	}
	if n := b.load.Load(); n != 6 {
		t.Errorf("load %d after 6 acquisitions, want 6", n)
	}
	for _, s := range got {
		b.Release(s)
	}
	if n := b.load.Load(); n != 0 {
		t.Errorf("load %d after releasing, want 0", n)
	}
}
