package proxy

import (
	"net"
	"testing"
	"time"

	"baton/internal/config"
	"baton/internal/counters"
	th "baton/test/harness"
)

// startCounted runs cfg's first frontend with a counters segment.
func startCounted(t *testing.T, cfg *config.Config) (*harness, *counters.View) {
	t.Helper()
	v, _, err := counters.NewTestView(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Never unmapped: connection goroutines may still count after the
	// test ends (the process exit releases it).
	return startOpts(t, cfg, Options{Counters: v}), v
}

func totals(v *counters.View, k counters.Key) *counters.Totals {
	return v.Seg.Snapshot(time.Now().UnixNano()).Slot(v.Slot(k))
}

// TestCountersHTTP: requests, bytes, status classes and sessions land on
// the frontend and the server, the backend and process totals add them
// up, and the session gauges return to zero.
func TestCountersHTTP(t *testing.T) {
	p := listenProxy("web", rawBackend(t))
	p.RequestRules = nil
	h, v := startCounted(t, cfgOf(p))
	c := h.dial()
	for range 3 {
		resp, body := c.get("/x")
		if resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("status %d body %q", resp.StatusCode, body)
		}
	}
	c.c.Close()
	var fe *counters.Totals
	th.Eventually(t, 5*time.Second, "the closed connection leaves the gauges", func() bool {
		fe = totals(v, counters.FrontendKey("web"))
		return fe[counters.CurSessions] == 0 && fe[counters.Requests] == 3
	})
	if fe[counters.Requests] != 3 || fe[counters.Resp2xx] != 3 || fe[counters.Conns] != 1 || fe[counters.Sessions] != 1 {
		t.Errorf("frontend: requests %d 2xx %d conns %d sessions %d, want 3 3 1 1",
			fe[counters.Requests], fe[counters.Resp2xx], fe[counters.Conns], fe[counters.Sessions])
	}
	if fe[counters.BytesOut] == 0 || fe[counters.BytesIn] == 0 {
		t.Errorf("frontend bytes in %d out %d", fe[counters.BytesIn], fe[counters.BytesOut])
	}
	if fe[counters.MaxSessions] != 1 {
		t.Errorf("frontend max sessions %d, want 1", fe[counters.MaxSessions])
	}
	srv := totals(v, counters.ServerKey("web", "s1"))
	if srv[counters.Requests] != 3 || srv[counters.Sessions] != 3 || srv[counters.LBTotal] != 3 || srv[counters.Resp2xx] != 3 {
		t.Errorf("server: requests %d sessions %d lbtot %d 2xx %d, want 3 each",
			srv[counters.Requests], srv[counters.Sessions], srv[counters.LBTotal], srv[counters.Resp2xx])
	}
	if srv[counters.Connects] != 1 || srv[counters.Reuses] != 2 {
		t.Errorf("server: connects %d reuses %d, want 1 and 2", srv[counters.Connects], srv[counters.Reuses])
	}
	if srv[counters.CurSessions] != 0 || srv[counters.MaxSessions] != 1 {
		t.Errorf("server sessions: current %d max %d, want 0 and 1", srv[counters.CurSessions], srv[counters.MaxSessions])
	}
	be := totals(v, counters.BackendKey("web"))
	if be[counters.Requests] != 3 || be[counters.BytesOut] != srv[counters.BytesOut] || be[counters.CurSessions] != 0 {
		t.Errorf("backend: requests %d bytes out %d (server %d) current %d",
			be[counters.Requests], be[counters.BytesOut], srv[counters.BytesOut], be[counters.CurSessions])
	}
	proc := totals(v, counters.ProcessKey)
	if proc[counters.Requests] != 3 || proc[counters.Conns] != 1 || proc[counters.MaxConnRate] < 1 {
		t.Errorf("process: requests %d conns %d max conn rate %d", proc[counters.Requests], proc[counters.Conns], proc[counters.MaxConnRate])
	}
}

// TestCountersErrors: a server that refuses counts a connection error on
// it, and a backend without a usable server counts on the backend.
func TestCountersErrors(t *testing.T) {
	dead := th.FreeAddr(t)
	p := listenProxy("web", dead)
	p.Retries = 1
	h, v := startCounted(t, cfgOf(p))
	c := h.dial()
	if resp, _ := c.get("/"); resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	// The count follows the answer: wait for it.
	var srv *counters.Totals
	th.Eventually(t, 5*time.Second, "the 503 counted", func() bool {
		srv = totals(v, counters.ServerKey("web", "s1"))
		return srv[counters.Requests] == 1
	})
	if srv[counters.ErrConn] != 1 || srv[counters.Retries] != 1 || srv[counters.Connects] != 2 || srv[counters.Resp5xx] != 1 {
		t.Errorf("server: econ %d wretr %d connect %d 5xx %d, want 1 1 2 1",
			srv[counters.ErrConn], srv[counters.Retries], srv[counters.Connects], srv[counters.Resp5xx])
	}
	h.e.backends["web"].b.Servers[0].SetState(2) // maint
	c = h.dial()
	if resp, _ := c.get("/"); resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	var be *counters.Totals
	th.Eventually(t, 5*time.Second, "the second 503 counted", func() bool {
		be = totals(v, counters.BackendKey("web"))
		return be[counters.Requests] == 2
	})
	if be[counters.ErrConn] != 2 || be[counters.Resp5xx] != 2 || be[counters.Requests] != 2 {
		t.Errorf("backend: econ %d 5xx %d requests %d, want 2 2 2", be[counters.ErrConn], be[counters.Resp5xx], be[counters.Requests])
	}
}

// TestKeepAliveRequestAllocsCounted is TestKeepAliveRequestAllocs with the
// statistics on, per listener too (option socket-stats): counting
// allocates nothing.
func TestKeepAliveRequestAllocsCounted(t *testing.T) {
	p := listenProxy("bench", rawBackend(t))
	p.SocketStats = true
	cfg := cfgOf(p)
	v, _, err := counters.NewTestView(cfg)
	if err != nil {
		t.Fatal(err)
	}
	keepAliveAllocs(t, p, Options{Counters: v}, cfg)
	fe := totals(v, counters.FrontendKey("bench"))
	if got := fe[counters.Requests]; got < 2000 {
		t.Errorf("counted %d requests, want at least 2000", got)
	}
	ln := totals(v, counters.ListenerKey("bench", 1))
	// (The last exchange may still be counting: no exact comparison.)
	if ln == nil || ln[counters.Sessions] == 0 || ln[counters.BytesIn] < fe[counters.BytesIn]/2 {
		t.Errorf("listener totals %v, want the frontend's sessions and bytes (%d, %d)", ln, fe[counters.Sessions], fe[counters.BytesIn])
	}
}

// BenchmarkKeepAliveRequestsCounted is BenchmarkKeepAliveRequests with the
// statistics on.
func BenchmarkKeepAliveRequestsCounted(b *testing.B) {
	p := listenProxy("bench", rawBackend(b))
	v, _, err := counters.NewTestView(cfgOf(p))
	if err != nil {
		b.Fatal(err)
	}
	benchKeepAlive(b, p, Options{Log: &syncBuffer{}, Counters: v})
}

// BenchmarkCountHTTP is what counting adds to an HTTP exchange: the
// frontend's, backend's and server's counters of one answered request,
// with its rates and timings.
func BenchmarkCountHTTP(b *testing.B) {
	p := listenProxy("bench", "127.0.0.1:1")
	cfg := cfgOf(p)
	v, _, err := counters.NewTestView(cfg)
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(cfg, Options{Log: &syncBuffer{}, Counters: v})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	fe := e.feList[0]
	be := fe.self
	srv := be.b.Servers[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cc := newClientConn(e, fe, "", c)
	x := &cc.ex
	b.ReportAllocs()
	for b.Loop() {
		x.reset()
		x.be, x.srv, x.status, x.bytesIn, x.bytesOut = be, srv, 200, 80, 120
		cc.enterServer(x, srv)
		cc.countHTTP(x)
	}
}
