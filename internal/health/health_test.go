package health

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/backend"
	"baton/internal/check"
	"baton/internal/config"
)

// checkServer is a loopback HTTP server whose status the test sets.
type checkServer struct {
	*httptest.Server
	status atomic.Int32
	served atomic.Int64
}

func newCheckServer(t *testing.T) *checkServer {
	cs := &checkServer{}
	cs.status.Store(200)
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.served.Add(1)
		w.WriteHeader(int(cs.status.Load()))
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *checkServer) addr() string { return strings.TrimPrefix(cs.URL, "http://") }

// proxyWith builds a backend proxy with an httpchk ruleset (or the
// given option) and one checked server.
func proxyWith(t *testing.T, opt string, srv *config.Server) *config.Proxy {
	t.Helper()
	p := &config.Proxy{Name: "be", Servers: []*config.Server{srv}}
	// Checks get 2s once connected, whatever their interval: a loaded
	// machine must not fail them.
	p.Timeouts.Check = config.Timeout{Value: 2 * time.Second, Set: true}
	if srv.Name == "" {
		srv.Name = "s1"
	}
	if srv.Weight == 0 {
		srv.Weight = 1
	}
	switch opt {
	case "httpchk":
		rs := &check.Ruleset{Kind: check.KindHTTP}
		r, _, _ := check.ParseHTTPChkOption([]string{"GET", "/health"})
		if err := rs.Add(r); err != nil {
			t.Fatal(err)
		}
		p.CheckRules, p.CheckOption = rs, "httpchk"
	default:
		p.CheckRules = check.TCPConnect()
	}
	if err := p.CheckRules.Finish(); err != nil {
		t.Fatal(err)
	}
	return p
}

// recorder collects events.
type recorder struct {
	mu  sync.Mutex
	evs []Event
	ch  chan Event
}

func newRecorder() *recorder { return &recorder{ch: make(chan Event, 64)} }

func (r *recorder) on(e Event) {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
	r.ch <- e
}

// wait returns the next event of one of kinds, failing after 10s.
func (r *recorder) wait(t *testing.T, kinds ...EventKind) Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-r.ch:
			for _, k := range kinds {
				if e.Kind == k {
					return e
				}
			}
		case <-deadline:
			t.Fatalf("no event %v within 10s", kinds)
		}
	}
}

func run(t *testing.T, p *config.Proxy, opt Options) (*Checker, *backend.Backend, *recorder) {
	b := backend.New(p)
	rec := newRecorder()
	opt.OnEvent = rec.on
	c := New(p, b, opt)
	c.Start(context.Background())
	t.Cleanup(c.Stop)
	return c, b, rec
}

// A server starts up one step from down: its first failed check takes
// it down; it comes back after rise successes, and then needs fall
// failures in a row to go down again.
func TestRiseFall(t *testing.T) {
	cs := newCheckServer(t)
	cs.status.Store(503)
	p := proxyWith(t, "httpchk", &config.Server{Addr: cs.addr(), Check: true, Inter: 100 * time.Millisecond, Rise: 2, Fall: 3})
	_, b, rec := run(t, p, Options{})
	s := b.Servers[0]
	e := rec.wait(t, EventDown, EventUp)
	if e.Kind != EventDown || s.Healthy() {
		t.Fatalf("first event %v", e.Kind)
	}
	if cs.served.Load() != 1 {
		t.Errorf("went down after %d checks, want 1 (a server starts one failure from down)", cs.served.Load())
	}
	want := `Server be/s1 is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: `
	if l := e.Line(); !strings.HasPrefix(l, want) || !strings.HasSuffix(l, "ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.") {
		t.Errorf("line %q", l)
	}
	if e := rec.wait(t, EventNoServer); e.Line() != "backend be has no server available!" {
		t.Errorf("line %q", e.Line())
	}
	base := cs.served.Load()
	cs.status.Store(200)
	e = rec.wait(t, EventUp)
	if n := cs.served.Load() - base; n < 2 || n > 3 {
		t.Errorf("came up after %d checks, want rise 2 (+1 in flight)", n)
	}
	if l := e.Line(); !strings.Contains(l, "is UP, reason: Layer7 check passed, code: 200, check duration: ") || !strings.HasSuffix(l, "1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.") {
		t.Errorf("line %q", l)
	}
	// Fully up now (health rise+fall-1): fall failures in a row.
	base = cs.served.Load()
	cs.status.Store(500)
	rec.wait(t, EventDown)
	if n := cs.served.Load() - base; n < 3 || n > 4 {
		t.Errorf("went down after %d failures, want fall 3 (+1 in flight)", n)
	}
}

// fastinter is used while the health changes, downinter while fully
// down, inter while fully up.
func TestIntervals(t *testing.T) {
	cs := newCheckServer(t)
	p := proxyWith(t, "httpchk", &config.Server{Addr: cs.addr(), Check: true, Inter: time.Hour, Rise: 2, Fall: 2,
		ServerChecks: config.ServerChecks{FastInter: 100 * time.Millisecond, DownInter: 20 * time.Millisecond}})
	c, _, _ := run(t, p, Options{Spread: &Spread{}})
	sv := c.servers[0]
	deadline := time.Now().Add(5 * time.Second)
	for cs.served.Load() < 1 || sv.interval() != time.Hour {
		if time.Now().After(deadline) {
			t.Fatalf("after %d checks, interval %v, want inter once fully up", cs.served.Load(), sv.interval())
		}
		time.Sleep(5 * time.Millisecond) // polling the server's state
	}
	if got := cs.served.Load(); got != 1 {
		t.Errorf("%d checks to get fully up from rise (fall 2 needs one success), want 1", got)
	}
	sv.mu.Lock()
	sv.health, sv.up = 0, false
	sv.mu.Unlock()
	if d := sv.interval(); d != 20*time.Millisecond {
		t.Errorf("fully down: %v, want downinter", d)
	}
	sv.mu.Lock()
	sv.health = 1
	sv.mu.Unlock()
	if d := sv.interval(); d != 100*time.Millisecond {
		t.Errorf("going up: %v, want fastinter", d)
	}
}

// An agent's line sets the weight, the state and the health; failing to
// reach the agent changes nothing.
func TestAgent(t *testing.T) {
	var reply atomic.Value
	reply.Store("up 50%\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var asked atomic.Value
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b := make([]byte, 64)
			c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(b)
			asked.Store(string(b[:n]))
			c.Write([]byte(reply.Load().(string)))
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	p := proxyWith(t, "", &config.Server{Addr: "127.0.0.1:1", Weight: 10, Inter: 100 * time.Millisecond,
		ServerChecks: config.ServerChecks{Agent: true, AgentPort: port, AgentSend: "be/s1\n"}})
	c, b, rec := run(t, p, Options{})
	s := b.Servers[0]
	waitFor(t, "weight 50%", func() bool { return s.Weight() == 5 })
	if asked.Load() != "be/s1\n" {
		t.Errorf("agent-send: %q", asked.Load())
	}
	reply.Store("down #disk full\n")
	e := rec.wait(t, EventDown)
	if !strings.Contains(e.Line(), `reason: Layer7 wrong status, code: 0, info: "via agent : down (disk full)"`) {
		t.Errorf("line %q", e.Line())
	}
	reply.Store("drain up\n")
	rec.wait(t, EventUp)
	waitFor(t, "drain", func() bool { return s.State() == backend.Drain })
	ln.Close()
	sv := c.servers[0]
	waitFor(t, "an agent check failing to connect", func() bool {
		sv.mu.Lock()
		defer sv.mu.Unlock()
		return sv.lastAgent.Status == check.StatusL4Con
	})
	if !s.Healthy() {
		t.Error("an unreachable agent took the server down")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling state the checker sets
	}
}

// observe layer4 with on-error mark-down: error-limit connection errors
// take the server down at once, reported as HAProxy's health analysis.
func TestObserveMarkDown(t *testing.T) {
	cs := newCheckServer(t)
	p := proxyWith(t, "", &config.Server{Addr: cs.addr(), Check: true, Inter: time.Hour,
		ServerChecks: config.ServerChecks{Observe: "layer4", ErrorLimit: 3, OnError: "mark-down"}})
	var cut atomic.Int32
	_, b, rec := run(t, p, Options{Spread: &Spread{}, ShutdownSessions: func(*backend.Server, byte) { cut.Add(1) }})
	s := b.Servers[0]
	s.Observe(backend.ObsConnError)
	s.Observe(backend.ObsConnOK) // a success clears the count
	s.Observe(backend.ObsConnError)
	s.Observe(backend.ObsConnError)
	if !s.Healthy() {
		t.Fatal("down before error-limit errors in a row")
	}
	s.Observe(backend.ObsConnError)
	e := rec.wait(t, EventDown)
	if want := `Server be/s1 is DOWN, reason: Health analyze, info: "Detected 3 consecutive errors, last one was: L4 unsuccessful connection". 0 active`; !strings.HasPrefix(e.Line(), want) {
		t.Errorf("line %q\nwant %q", e.Line(), want)
	}
	if cut.Load() != 0 {
		t.Error("sessions cut without on-marked-down")
	}
}

func TestShutdownSessionsAndSlowStart(t *testing.T) {
	cs := newCheckServer(t)
	cs.status.Store(503)
	p := proxyWith(t, "httpchk", &config.Server{Addr: cs.addr(), Check: true, Inter: 100 * time.Millisecond, Rise: 1, Fall: 1,
		SlowStart: 3 * time.Second, ServerChecks: config.ServerChecks{OnMarkedDown: "shutdown-sessions"}})
	var codes []byte
	var mu sync.Mutex
	_, b, rec := run(t, p, Options{ShutdownSessions: func(_ *backend.Server, c byte) { mu.Lock(); codes = append(codes, c); mu.Unlock() }})
	s := b.Servers[0]
	rec.wait(t, EventDown)
	// The sessions are cut after the event is reported.
	waitFor(t, "sessions cut with code D", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return string(codes) == "D"
	})
	cs.status.Store(200)
	rec.wait(t, EventUp)
	if r := s.Ramp(); r >= 100 {
		t.Errorf("slow start not ramping: %d%%", r)
	}
	if w := s.EffectiveWeight(); w != 1 {
		t.Errorf("effective weight %d during the ramp, want 1", w)
	}
	waitFor(t, "the ramp to end", func() bool { return s.Ramp() == 100 })
}

func TestDisableOn404(t *testing.T) {
	cs := newCheckServer(t)
	p := proxyWith(t, "httpchk", &config.Server{Addr: cs.addr(), Check: true, Inter: 100 * time.Millisecond, Rise: 1, Fall: 1})
	p.CheckDisable404 = true
	_, b, rec := run(t, p, Options{})
	s := b.Servers[0]
	cs.status.Store(404)
	e := rec.wait(t, EventNOLB)
	if !s.NOLB() || s.Usable() || !strings.Contains(e.Line(), "is stopping, reason: Layer7 check conditionally passed, code: 404") {
		t.Errorf("NOLB %v usable %v line %q", s.NOLB(), s.Usable(), e.Line())
	}
	cs.status.Store(200)
	rec.wait(t, EventUp)
	if s.NOLB() || !s.Usable() {
		t.Error("not back from NOLB")
	}
}

func TestExternalCheck(t *testing.T) {
	script := filepath.Join(t.TempDir(), "chk.sh")
	flag := script + ".ok"
	os.WriteFile(script, []byte("#!/bin/sh\n[ -e "+flag+" ]\n"), 0o755)
	p := proxyWith(t, "", &config.Server{Addr: "127.0.0.1:3306", Check: true, Inter: 20 * time.Millisecond, Rise: 1, Fall: 1})
	p.CheckOption, p.ExternalCommand = "external-check", script
	_, _, rec := run(t, p, Options{})
	e := rec.wait(t, EventDown)
	if !strings.Contains(e.Line(), "reason: External check error, code: 1") {
		t.Errorf("line %q", e.Line())
	}
	os.WriteFile(flag, nil, 0o644)
	e = rec.wait(t, EventUp)
	if !strings.Contains(e.Line(), "reason: External check passed, code: 0") {
		t.Errorf("line %q", e.Line())
	}
}

func TestEventLines(t *testing.T) {
	s := backend.New(&config.Proxy{Name: "be", Servers: []*config.Server{{Name: "b1", Addr: "1.2.3.4:5", Backup: true}}}).Servers[0]
	res := check.Result{Status: check.StatusL4Con, Info: "Connection refused"}
	e := Event{Kind: EventDown, Backend: "be", Server: s, Result: res, Cause: true, Backup: 1}
	if got := e.Line(); got != `Backup Server be/b1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.` {
		t.Errorf("got %q", got)
	}
	e = Event{Kind: EventCheck, Backend: "be", Server: s, Result: check.Result{Status: check.StatusL7OK, Code: 200, Duration: time.Millisecond}, Health: Health{Up: true, Count: 2, Rise: 2, Fall: 2}}
	if got := e.Line(); got != `Health check for backup server be/b1 succeeded, reason: Layer7 check passed, code: 200, check duration: 1ms, status: 2/2 UP.` {
		t.Errorf("got %q", got)
	}
	e = Event{Kind: EventDown, Backend: "be", Server: s}
	if got := e.Line(); got != `Backup Server be/b1 is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.` {
		t.Errorf("got %q", got)
	}
	// The administrative changes an agent asks for.
	for _, c := range []struct {
		e    Event
		want string
	}{
		{Event{Kind: EventMaint, Active: 2, Sessions: 3}, `Backup Server be/b1 is going DOWN for maintenance. 2 active and 0 backup servers left. 3 sessions active, 0 requeued, 0 remaining in queue.`},
		{Event{Kind: EventMaint, Down: true}, `Backup Server be/b1 was DOWN and now enters maintenance.`},
		{Event{Kind: EventReady}, `Backup Server be/b1 is UP/READY (leaving forced maintenance).`},
		{Event{Kind: EventReady, Down: true}, `Backup Server be/b1 is DOWN/READY (leaving forced maintenance).`},
		{Event{Kind: EventDrain, Active: 1}, `Backup Server be/b1 enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.`},
		{Event{Kind: EventDrain, Down: true, Backup: 1}, `Backup Server be/b1 enters drain state. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.`},
		{Event{Kind: EventUndrain}, `Backup Server be/b1 is UP (leaving forced drain).`},
		{Event{Kind: EventDrainRemains}, `Backup Server be/b1 remains in forced drain mode.`},
	} {
		c.e.Backend, c.e.Server = "be", s
		if got := c.e.Line(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}
