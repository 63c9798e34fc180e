package health

// The tests of the runtime hooks' model (OnChange, a server's address
// changing under its checks, the sequence log-health-checks reports),
// with their helpers: a proxy with one server checked every 100 ms.

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
)

type change struct {
	up     bool
	reason string
	served int64 // requests the test server had answered at the change
}

func proxyFor(addr string, chk *config.HTTPCheck, rise, fall int) *config.Proxy {
	return &config.Proxy{
		Name:    "be",
		HTTPChk: chk,
		Servers: []*config.Server{{
			Name: "s1", Addr: addr, Weight: 1, Check: true,
			// Each check has one interval to complete: long enough that
			// a loaded machine does not turn a check into a timeout.
			Inter: 100 * time.Millisecond, Rise: rise, Fall: fall,
		}},
	}
}

// start runs a checker reporting changes on the returned channel.
func start(t *testing.T, p *config.Proxy, b *backend.Backend, served func() int64) <-chan change {
	ch := make(chan change, 16)
	c := New(p, b, Options{OnChange: func(s *backend.Server, up bool, r Result) {
		ch <- change{up, r.Reason(), served()}
	}})
	c.Start(context.Background())
	t.Cleanup(c.Stop)
	return ch
}

func next(t *testing.T, ch <-chan change) change {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no health change within 10s")
	}
	return change{}
}

// Checks follow a server's address: a new address is probed at once and
// the verdicts are about it. A new address starts as a server leaving
// maintenance does: up, one failure away from down.
func TestCheckFollowsAddress(t *testing.T) {
	bad := newCheckServer(t)
	bad.status.Store(503)
	good := newCheckServer(t)
	p := proxyFor(bad.Listener.Addr().String(), &config.HTTPCheck{Method: "GET", URI: "/"}, 2, 2)
	p.Servers[0].Inter = time.Hour // only an address change triggers a probe after the first
	p.Servers[0].Resolvers, p.Servers[0].Host = "dns", "app"
	b := backend.New(p)
	s := b.Servers[0]
	ch := start(t, p, b, good.served.Load)
	// No address change yet: the first probe comes within one interval
	// (spread), far beyond the test. Each change probes at once.
	b.Apply([]backend.AddrUpdate{{Server: s, Addr: netip.MustParseAddrPort(good.Listener.Addr().String()), Weight: -1}})
	deadline := time.Now().Add(10 * time.Second)
	for good.served.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("new address not probed")
		}
		time.Sleep(time.Millisecond) // polling the server's counter
	}
	if bad.served.Load() != 0 {
		t.Fatalf("old address probed %d times", bad.served.Load())
	}
	// To the failing address: its first failure takes the server down.
	b.Apply([]backend.AddrUpdate{{Server: s, Addr: netip.MustParseAddrPort(bad.Listener.Addr().String()), Weight: -1}})
	if c := next(t, ch); c.up || bad.served.Load() != 1 {
		t.Fatalf("change %+v after %d probes of the new address, want down after one", c, bad.served.Load())
	}
	// Back to the good one: up at once (a new address starts healthy),
	// and the probe agrees: no change.
	n := good.served.Load()
	b.Apply([]backend.AddrUpdate{{Server: s, Addr: netip.MustParseAddrPort(good.Listener.Addr().String()), Weight: -1}})
	if !s.Healthy() {
		t.Fatal("a new address does not start healthy")
	}
	for good.served.Load() == n {
		if time.Now().After(deadline) {
			t.Fatal("good address not probed again")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case c := <-ch:
		t.Fatalf("unexpected change %+v", c)
	case <-time.After(50 * time.Millisecond): // a change would follow the probe at once
	}
	if !s.Healthy() {
		t.Error("server down on its good address")
	}
}

// The checks "option log-health-checks" reports, with HAProxy's health
// counts (its sequence for rise 2, fall 2 on a server that answers 200,
// then 503, then 200 again).
func TestOnCheckSequence(t *testing.T) {
	cs := newCheckServer(t)
	p := proxyFor(cs.Listener.Addr().String(), &config.HTTPCheck{Method: "GET", URI: "/"}, 2, 2)
	b := backend.New(p)
	type event struct{ what, health string }
	ch := make(chan event, 64)
	c := New(p, b, Options{
		OnEvent: func(e Event) {
			if e.Kind == EventCheck {
				r := resultOf(e.Result)
				ch <- event{r.Reason()[:strings.Index(r.Reason(), ", check duration")], e.Health.String()}
			}
		},
		OnChange: func(s *backend.Server, up bool, r Result) {
			ch <- event{"change", map[bool]string{true: "up", false: "down"}[up]}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); c.Stop() }()
	c.Start(ctx)
	expect := func(want ...event) {
		t.Helper()
		for _, w := range want {
			select {
			case got := <-ch:
				if got != w {
					t.Fatalf("got %+v, want %+v", got, w)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no event, want %+v", w)
			}
		}
	}
	ok := "reason: Layer7 check passed, code: 200"
	bad := `reason: Layer7 wrong status, code: 503, info: "Service Unavailable"`
	expect(event{ok, "2/2 UP"})
	cs.status.Store(503)
	expect(event{bad, "1/2 UP"}, event{bad, "0/2 DOWN"}, event{"change", "down"})
	// Further failures change nothing and are not reported.
	n := cs.served.Load()
	for deadline := time.Now().Add(10 * time.Second); cs.served.Load() < n+3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no more checks within 10s")
		}
	}
	select {
	case e := <-ch:
		t.Fatalf("unexpected %+v", e)
	default:
	}
	cs.status.Store(200)
	expect(event{ok, "1/2 DOWN"}, event{ok, "2/2 UP"}, event{"change", "up"})
	cs.Close()
	expect(event{`reason: Layer4 connection problem, info: "Connection refused"`, "1/2 UP"})
}
