package health

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
)

// probe is one OnProbe call.
type probe struct {
	ok    bool
	level int
}

// runHooks runs a checker on p with the runtime hooks: probes arrive on
// the returned channel; paused says whether checks are disabled; level,
// if >= 0, is the carried level.
func runHooks(t *testing.T, p *config.Proxy, b *backend.Backend, paused *atomic.Bool, level int) (<-chan probe, *Checker) {
	ch := make(chan probe, 64)
	opt := Options{Runtime: Runtime{
		OnProbe: func(s *backend.Server, r Result, l int) { ch <- probe{r.OK, l} },
		Paused:  func(*backend.Server) bool { return paused.Load() },
		Level:   func(*backend.Server) (int, bool) { return level, level >= 0 },
	}}
	c := New(p, b, opt)
	c.Start(context.Background())
	t.Cleanup(c.Stop)
	return ch, c
}

func nextProbe(t *testing.T, ch <-chan probe) probe {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no check within 10s")
	}
	return probe{}
}

// TestProbeLevels: HAProxy's health levels after each check, rise 2 fall
// 3: a server starts at 2 (up, one failure from down), climbs to the top
// (4), falls by one per failure while above rise, and drops to 0 below.
func TestProbeLevels(t *testing.T) {
	cs := newCheckServer(t)
	p := proxyFor(cs.Listener.Addr().String(), &config.HTTPCheck{}, 2, 3)
	b := backend.New(p)
	var paused atomic.Bool
	ch, _ := runHooks(t, p, b, &paused, -1)
	for i, want := range []probe{{true, 4}, {true, 4}} {
		if got := nextProbe(t, ch); got != want {
			t.Fatalf("check %d: %+v, want %+v", i, got, want)
		}
	}
	cs.status.Store(503)
	for i, want := range []probe{{false, 3}, {false, 2}, {false, 0}, {false, 0}} {
		if got := nextProbe(t, ch); got != want {
			t.Fatalf("failure %d: %+v, want %+v", i, got, want)
		}
	}
	if b.Servers[0].Healthy() {
		t.Fatal("down after three failures, still healthy")
	}
	cs.status.Store(200)
	for i, want := range []probe{{true, 1}, {true, 4}} {
		if got := nextProbe(t, ch); got != want {
			t.Fatalf("recovery %d: %+v, want %+v", i, got, want)
		}
	}
}

// TestCarriedLevelAndPause: a carried level is where the counting
// starts (level 1: down, one success from up); disabled checks run no
// check and count the server as up.
func TestCarriedLevelAndPause(t *testing.T) {
	cs := newCheckServer(t)
	p := proxyFor(cs.Listener.Addr().String(), &config.HTTPCheck{}, 2, 3)
	b := backend.New(p)
	s := b.Servers[0]
	s.SetHealthy(false) // as the carried state says
	var paused atomic.Bool
	ch, _ := runHooks(t, p, b, &paused, 1)
	if got := nextProbe(t, ch); got != (probe{true, 4}) || !s.Healthy() {
		t.Fatalf("first check from level 1: %+v (healthy %v), want up at 4", got, s.Healthy())
	}
	paused.Store(true)
	s.SetHealthy(false)
	deadline := time.Now().Add(10 * time.Second)
	for !s.Healthy() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling the checker's loop
	}
	if !s.Healthy() {
		t.Fatal("disabled checks: the server is not counted as up")
	}
	// At most one check was in flight when they were disabled; none
	// runs after (three intervals are watched).
	for len(ch) > 0 {
		<-ch
	}
	select {
	case p := <-ch:
		t.Errorf("a check ran while disabled: %+v", p)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestAddServer: a server added at run time with "check" is checked.
func TestAddServer(t *testing.T) {
	cs := newCheckServer(t)
	p := proxyFor(cs.Listener.Addr().String(), &config.HTTPCheck{}, 2, 3)
	p.Servers[0].Check = false
	b := backend.New(p)
	var paused atomic.Bool
	ch, c := runHooks(t, p, b, &paused, -1)
	s, err := b.AddServer(&config.Server{Name: "d1", Addr: cs.Listener.Addr().String(), Weight: 1, Check: true, Inter: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.SetState(backend.Ready)
	c.Add(s)
	if got := nextProbe(t, ch); !got.ok {
		t.Fatalf("added server's check: %+v", got)
	}
}
