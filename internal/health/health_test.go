package health

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
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

// checkServer is a loopback HTTP server whose status the test sets.
type checkServer struct {
	*httptest.Server
	status atomic.Int32
	served atomic.Int64
	mu     sync.Mutex
	lines  []string // "METHOD URI PROTO"
}

func newCheckServer(t *testing.T) *checkServer {
	cs := &checkServer{}
	cs.status.Store(200)
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.mu.Lock()
		cs.lines = append(cs.lines, r.Method+" "+r.RequestURI+" "+r.Proto)
		cs.mu.Unlock()
		cs.served.Add(1)
		w.WriteHeader(int(cs.status.Load()))
	}))
	t.Cleanup(cs.Close)
	return cs
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

func TestHTTPCheckRiseFall(t *testing.T) {
	cs := newCheckServer(t)
	addr := strings.TrimPrefix(cs.URL, "http://")
	p := proxyFor(addr, &config.HTTPCheck{Method: "HEAD", URI: "/healthz"}, 2, 3)
	b := backend.New(p)
	s := b.Servers[0]

	cs.status.Store(503)
	ch := start(t, p, b, cs.served.Load)
	c := next(t, ch)
	if c.up || s.Healthy() {
		t.Fatalf("after 503s: up=%v healthy=%v", c.up, s.Healthy())
	}
	// A server starts one failure away from down (HAProxy's starting
	// health): down at the first check; the handler counts before
	// answering.
	if c.served != 1 || !strings.Contains(c.reason, "503") {
		t.Errorf("went down after %d checks (%q), want 1 and the status", c.served, c.reason)
	}

	base := cs.served.Load()
	cs.status.Store(302) // 3xx passes
	c = next(t, ch)
	if !c.up || !s.Healthy() {
		t.Fatalf("after 302s: up=%v healthy=%v", c.up, s.Healthy())
	}
	// The check in flight when the status changed may still have got a
	// 503; rise counts 2 consecutive successes after it.
	if n := c.served - base; n < 2 || n > 3 {
		t.Errorf("came up after %d checks, want rise=2 (+1 in flight)", n)
	}

	// Once fully up, it takes fall failures to go down.
	base = cs.served.Load()
	cs.status.Store(500)
	c = next(t, ch)
	if c.up || s.Healthy() {
		t.Fatalf("after 500s: up=%v healthy=%v", c.up, s.Healthy())
	}
	if n := c.served - base; n < 3 || n > 4 {
		t.Errorf("went down after %d checks, want fall=3 (+1 in flight)", n)
	}

	cs.mu.Lock()
	first := cs.lines[0]
	cs.mu.Unlock()
	if first != "HEAD /healthz HTTP/1.0" {
		t.Errorf("check request %q, want \"HEAD /healthz HTTP/1.0\"", first)
	}
}

func TestTCPCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	p := proxyFor(ln.Addr().String(), nil, 1, 2)
	b := backend.New(p)
	s := b.Servers[0]
	s.SetHealthy(false)
	ch := start(t, p, b, accepted.Load)
	if c := next(t, ch); !c.up || !s.Healthy() || !strings.HasPrefix(c.reason, "reason: Layer4 check passed, check duration: ") {
		t.Fatalf("listening server: %+v healthy=%v", c, s.Healthy())
	}
	ln.Close() // connections are now refused
	c := next(t, ch)
	if c.up || s.Healthy() || !strings.Contains(c.reason, "Layer4 connection problem") {
		t.Fatalf("closed listener: %+v healthy=%v", c, s.Healthy())
	}
}

func TestInvalidResponse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH\r\n"))
			c.Close()
		}
	}()
	p := proxyFor(ln.Addr().String(), &config.HTTPCheck{}, 1, 1)
	b := backend.New(p)
	ch := start(t, p, b, func() int64 { return 0 })
	if c := next(t, ch); c.up || !strings.Contains(c.reason, "invalid response") {
		t.Fatalf("non-HTTP server: %+v", c)
	}
}

func TestUncheckedServersUntouched(t *testing.T) {
	p := &config.Proxy{Name: "be", Servers: []*config.Server{
		{Name: "s1", Addr: "127.0.0.1:1", Weight: 1}, // no check
	}}
	b := backend.New(p)
	c := New(p, b, Options{})
	c.Start(context.Background())
	c.Stop() // returns: no loop was started for an unchecked server
	if !b.Servers[0].Healthy() {
		t.Error("unchecked server marked down")
	}
}

func TestStopEndsLoops(t *testing.T) {
	cs := newCheckServer(t)
	addr := strings.TrimPrefix(cs.URL, "http://")
	p := proxyFor(addr, &config.HTTPCheck{}, 1, 1)
	b := backend.New(p)
	ctx, cancel := context.WithCancel(context.Background())
	c := New(p, b, Options{})
	c.Start(ctx)
	// Wait for probes to be running, then cancel the parent context.
	end := time.Now().Add(10 * time.Second)
	for cs.served.Load() < 2 {
		if time.Now().After(end) {
			t.Fatal("no checks ran")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	// Stop waits for the loops; a loop that ignored ctx would hang here
	// and the test would fail on its timeout.
	c.Stop()
	if !b.Servers[0].Healthy() {
		t.Error("healthy server marked down while stopping")
	}
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
		OnCheck: func(s *backend.Server, r Result, h Health) {
			ch <- event{r.Reason()[:strings.Index(r.Reason(), ", check duration")], h.String()}
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
