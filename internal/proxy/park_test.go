//go:build linux

package proxy

import (
	"io"
	"sync/atomic"
	"testing"
	"time"
)

// parkedConns counts the engine's connections whose goroutine has left
// them to the idle poller.
func parkedConns(e *Engine) int {
	return countConns(e, func(cc *clientConn) bool { return cc.parkState.Load() == parkParked })
}

// Idle keep-alive connections give up their goroutines, come back for
// their next request, and a hard stop closes them while parked.
func TestIdleConnectionsPark(t *testing.T) {
	s := newLabelled(t, "s", nil)
	h := start(t, cfgOf(listenProxy("web", s.addr())))
	const n = 40
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = h.dial()
		clients[i].get("/")
	}
	waitFor(t, "every idle connection parked", func() bool { return parkedConns(h.e) == n })
	for round := 0; round < 3; round++ {
		for i, c := range clients {
			resp, body := c.get("/")
			if resp.StatusCode != 200 || body != "backend s\n" {
				t.Fatalf("round %d client %d: %d %q", round, i, resp.StatusCode, body)
			}
		}
		waitFor(t, "parked again", func() bool { return parkedConns(h.e) == n })
	}
	h.e.Close()
	for _, c := range clients {
		c.expectClosed()
	}
	select {
	case <-h.e.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after Close with parked connections")
	}
}

// A parked connection's keep-alive timeout is still enforced (by its
// shared idle timer waking it), silently.
func TestParkedKeepAliveTimeout(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.Timeouts.HTTPKeepAlive = to(300 * time.Millisecond)
	h := start(t, cfgOf(p))
	c := h.dial()
	c.get("/")
	waitFor(t, "parked", func() bool { return parkedConns(h.e) == 1 })
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := c.br.ReadByte(); err != io.EOF {
		t.Fatalf("after keep-alive timeout: %q %v, want EOF", b, err)
	}
	waitFor(t, "connection gone", func() bool { return h.e.Conns() == 0 })
}

// The shared idle timer fires at the earliest deadline and re-arms for
// the later ones: connections parked one after another all time out.
func TestParkedKeepAliveTimeoutsStaggered(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.Timeouts.HTTPKeepAlive = to(300 * time.Millisecond)
	h := start(t, cfgOf(p))
	var cs []*client
	for i := 0; i < 3; i++ {
		c := h.dial()
		c.get("/")
		waitFor(t, "parked", func() bool { return parkedConns(h.e) == i+1 })
		cs = append(cs, c)
	}
	for i, c := range cs {
		c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if b, err := c.br.ReadByte(); err != io.EOF {
			t.Fatalf("connection %d after keep-alive timeout: %q %v, want EOF", i, b, err)
		}
	}
	waitFor(t, "connections gone", func() bool { return h.e.Conns() == 0 })
}

// A soft stop closes parked idle connections.
func TestParkedSoftStop(t *testing.T) {
	s := newLabelled(t, "s", nil)
	h := start(t, cfgOf(listenProxy("web", s.addr())))
	c := h.dial()
	c.get("/")
	waitFor(t, "parked", func() bool { return parkedConns(h.e) == 1 })
	softStopCloses(t, h, c)
}

// softStopCloses soft-stops the engine and expects idle client c closed
// and the engine done.
func softStopCloses(t *testing.T, h *harness, c *client) {
	t.Helper()
	h.e.SoftStop(0)
	c.expectClosed()
	select {
	case <-h.e.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after a soft stop")
	}
}

// A wake racing with park (between arming and the final transition)
// keeps the connection in its goroutine with the very session the
// caller points into: requests keep being served correctly.
func TestParkRacingWakeKeepsSession(t *testing.T) {
	var races, switched atomic.Int64
	var last atomic.Pointer[session]
	parkRaceHook = func(cc *clientConn, sess *session) {
		races.Add(1)
		if prev := last.Swap(sess); prev != nil && prev != sess {
			switched.Add(1)
		}
		cc.wake()
		// Take whatever the pool holds, so a session taken anew would
		// differ from the connection's.
		cc.fe.sessions.Get()
	}
	t.Cleanup(func() { parkRaceHook = nil })
	s := newLabelled(t, "s", nil)
	h := start(t, cfgOf(listenProxy("web", s.addr())))
	c := h.dial()
	for i := 0; i < 20; i++ {
		resp, body := c.get("/")
		if resp.StatusCode != 200 || body != "backend s\n" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if races.Load() == 0 {
		t.Fatal("no park raced with a wake")
	}
	if n := switched.Load(); n != 0 {
		t.Fatalf("the connection's session changed across %d failed parks", n)
	}
	if n := parkedConns(h.e); n != 0 {
		t.Fatalf("%d connections parked although every park raced", n)
	}
}

// hotConn waits until the engine's only connection is idle in its hot
// read: answered, not parked. Only a client that came back within the
// hot wait gets one, so callers send two requests first.
func hotConn(t *testing.T, e *Engine) {
	t.Helper()
	waitFor(t, "connection idle in its hot read", func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		for cc := range e.conns {
			return cc.state.Load() == stateIdle && cc.parkState.Load() == parkRunning
		}
		return false
	})
}

// A connection reading for its next request right after a response (the
// hot read, here made to last an hour) is still an idle connection: its
// next request is served, its keep-alive timeout closes it silently, a
// soft stop closes it, and a hand-over moves it. A client that sent one
// request is not read for: it parks at once.
func TestHotReadIsAnIdleWait(t *testing.T) {
	hour := Options{HotWait: time.Hour}
	t.Run("next-request", func(t *testing.T) {
		s := newLabelled(t, "s", nil)
		h := startOpts(t, cfgOf(listenProxy("web", s.addr())), hour)
		c := h.dial()
		c.get("/")
		for i := range 3 {
			c.get("/")
			hotConn(t, h.e)
			if resp, body := c.get("/"); resp.StatusCode != 200 || body != "backend s\n" || resp.Close {
				t.Fatalf("request %d after a hot wait: %d %q close=%v", i, resp.StatusCode, body, resp.Close)
			}
		}
	})
	t.Run("single-request-parks", func(t *testing.T) {
		s := newLabelled(t, "s", nil)
		h := startOpts(t, cfgOf(listenProxy("web", s.addr())), hour)
		c := h.dial()
		c.get("/")
		waitFor(t, "a one-request client parked at once", func() bool { return parkedConns(h.e) == 1 })
	})
	t.Run("keep-alive-timeout", func(t *testing.T) {
		s := newLabelled(t, "s", nil)
		p := listenProxy("web", s.addr())
		p.Timeouts.HTTPKeepAlive = to(200 * time.Millisecond)
		h := startOpts(t, cfgOf(p), hour)
		c := h.dial()
		c.get("/")
		c.get("/") // came back at once: this wait is a hot read
		c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if b, err := c.br.ReadByte(); err != io.EOF {
			t.Fatalf("after keep-alive timeout: %q %v, want EOF", b, err)
		}
	})
	t.Run("soft-stop", func(t *testing.T) {
		s := newLabelled(t, "s", nil)
		h := startOpts(t, cfgOf(listenProxy("web", s.addr())), hour)
		c := h.dial()
		c.get("/")
		c.get("/")
		hotConn(t, h.e)
		softStopCloses(t, h, c)
	})
	t.Run("hand-over", func(t *testing.T) {
		a := newLabelled(t, "a", nil)
		b := newLabelled(t, "b", nil)
		oldH := startOpts(t, cfgOf(listenProxy("web", a.addr())), hour)
		newH := start(t, cfgOf(listenProxy("web", b.addr())))
		c := oldH.dial()
		c.get("/")
		c.get("/")
		hotConn(t, oldH.e)
		var sent atomic.Int64
		oldH.e.HandOff(dupTo(newH.e, &sent))
		if sent.Load() != 1 {
			t.Fatalf("%d connections handed over, want the hot one", sent.Load())
		}
		if resp, body := c.get("/"); body != "backend b\n" || resp.Close {
			t.Fatalf("after the hand-over: %q close=%v, want the new engine's backend", body, resp.Close)
		}
	})
}
