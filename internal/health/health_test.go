package health

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
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
	// Down at the first failure: a server starts at health level rise,
	// as in HAProxy, and one failure there takes it down (checks of one
	// server run one after another, and the handler counts before
	// answering).
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

	// Once fully up, it takes fall (3) failures in a row to go down.
	base = cs.served.Load()
	cs.status.Store(500)
	c = next(t, ch)
	if c.up {
		t.Fatal("expected a down transition")
	}
	if n := c.served - base; n < 3 || n > 4 {
		t.Errorf("went down after %d failures, want fall=3 (+1 in flight)", n)
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

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		reason string
		err    string
		status string
		code   int
	}{
		{"Layer4 check passed", "", "L4OK", 0},
		{"Layer7 check passed: 200", "", "L7OK", 200},
		{"", "Layer7 wrong status: 503", "L7STS", 503},
		{"", "Layer4 connection problem: refused", "L4CON", 0},
		{"", "Layer4 timeout: i/o timeout", "L4TOUT", 0},
		{"", "Layer7 timeout: i/o timeout", "L7TOUT", 0},
		{"", `Layer7 invalid response: "x"`, "L7RSP", 0},
	} {
		var err error
		if c.err != "" {
			err = errors.New(c.err)
		}
		r := classify(c.reason, err)
		if r.Status != c.status || r.Code != c.code || r.OK != (err == nil) || r.Desc == "" {
			t.Errorf("%q %q: %+v, want %s %d", c.reason, c.err, r, c.status, c.code)
		}
	}
}
