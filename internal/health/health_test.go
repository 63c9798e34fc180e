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
			Inter: 5 * time.Millisecond, Rise: rise, Fall: fall,
		}},
	}
}

// start runs a checker reporting changes on the returned channel.
func start(t *testing.T, p *config.Proxy, b *backend.Backend, served func() int64) <-chan change {
	ch := make(chan change, 16)
	c := New(p, b, Options{OnChange: func(s *backend.Server, up bool, reason string) {
		ch <- change{up, reason, served()}
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
	// Down exactly at the fall-th failure: checks of one server run one
	// after another, and the handler counts before answering.
	if c.served != 3 || !strings.Contains(c.reason, "503") {
		t.Errorf("went down after %d checks (%q), want 3 and the status", c.served, c.reason)
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
	if c := next(t, ch); !c.up || !s.Healthy() || c.reason != "Layer4 check passed" {
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

// Checks follow a server's address: a new address is probed at once,
// with the counts started over, and the verdicts are about it.
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
	// (spread), far beyond the test. Change the address to the good
	// server, then to the bad one twice: each change probes at once.
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
	// Back to the failing address: one probe per change; fall 2 needs two.
	for i := range 2 {
		addr := netip.MustParseAddrPort(bad.Listener.Addr().String())
		if i == 1 {
			// A change needs another address: go through none.
			b.Apply([]backend.AddrUpdate{{Server: s, Weight: -1}})
		}
		b.Apply([]backend.AddrUpdate{{Server: s, Addr: addr, Weight: -1}})
		want := int64(i + 1)
		for bad.served.Load() < want {
			if time.Now().After(deadline) {
				t.Fatalf("change %d not probed", i+1)
			}
			time.Sleep(time.Millisecond)
		}
	}
	// Each change started the counts over: one failure each, never two
	// in a row on one address, so the server is still up.
	select {
	case c := <-ch:
		t.Fatalf("unexpected change %+v", c)
	default:
	}
	if !s.Healthy() {
		t.Error("server marked down across address changes")
	}
}
