package proxy

import (
	"strings"
	"testing"
	"time"
)

// connState returns the state of the engine's only connection.
func connState(e *Engine) int32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	for cc := range e.conns {
		return cc.state.Load()
	}
	return -1
}

// A connection accepted before a soft stop that has not sent its first
// request is not idle: however long it has been waiting, the soft stop
// leaves it open and its request is answered, with Connection: close.
func TestSoftStopServesFreshConnection(t *testing.T) {
	s := newLabelled(t, "s", nil)
	h := start(t, cfgOf(listenProxy("web", s.addr())))
	c := h.dial()
	waitFor(t, "fresh connection waiting", func() bool { return connState(h.e) == stateFresh })
	// Older than the grace a just-answered client gets, so that only
	// its freshness can keep it open.
	accepted := time.Now()
	waitFor(t, "connection older than the drain grace", func() bool { return time.Since(accepted) > 2*DefaultDrainGrace })

	h.e.SoftStop(0)
	if st := connState(h.e); st != stateFresh {
		t.Fatalf("after SoftStop the connection is in state %d, want still fresh", st)
	}
	select {
	case <-h.e.Done():
		t.Fatal("Done while a fresh connection waits for its first request")
	default:
	}
	resp, body := c.get("/")
	if resp.StatusCode != 200 || body != "backend s\n" || !resp.Close {
		t.Fatalf("fresh connection after soft stop: %d %q close=%v, want 200 with Connection: close", resp.StatusCode, body, resp.Close)
	}
	c.expectClosed()
	select {
	case <-h.e.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the fresh connection was served")
	}
}

// A fresh connection that sends nothing after a soft stop is bounded by
// timeout http-request (408), not closed as idle.
func TestSoftStopFreshConnectionTimesOut(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.Timeouts.HTTPRequest = to(300 * time.Millisecond)
	h := start(t, cfgOf(p))
	c := h.dial()
	waitFor(t, "fresh connection waiting", func() bool { return connState(h.e) == stateFresh })
	h.e.SoftStop(0)
	resp, _ := c.read("GET")
	if resp.StatusCode != 408 {
		t.Fatalf("status %d, want 408 at timeout http-request", resp.StatusCode)
	}
	c.expectClosed()
	<-h.e.Done()
}

// A client that connects and closes without a byte is logged as HAProxy
// does: 400 <BADREQ> with CR--, no server.
func TestNullConnectionLogged(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.HTTPLog, p.LogGlobal = true, true
	h := start(t, cfgOf(p))
	c := h.dial()
	waitFor(t, "fresh connection waiting", func() bool { return connState(h.e) == stateFresh })
	c.c.Close()
	waitFor(t, "log line", func() bool { return strings.Contains(h.log.String(), "<BADREQ>") })
	line := h.log.String()
	for _, want := range []string{" web web/<NOSRV> -1/-1/-1/-1/", " 400 0 - - CR-- ", `"<BADREQ>"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}

	p2 := listenProxy("quiet", s.addr())
	p2.HTTPLog, p2.LogGlobal, p2.DontLogNull = true, true, true
	h2 := start(t, cfgOf(p2))
	c2 := h2.dial()
	waitFor(t, "fresh connection waiting", func() bool { return connState(h2.e) == stateFresh })
	c2.c.Close()
	waitFor(t, "connection gone", func() bool { return h2.e.Conns() == 0 })
	if l := h2.log.String(); l != "" {
		t.Errorf("dontlognull: logged %q", l)
	}
}

// A connection answered just before a soft stop keeps its whole drain
// grace when it is kicked again meanwhile (a second soft stop, a
// hand-over draining): the request its client sends within the grace is
// answered with "Connection: close", not met by a close.
func TestSoftStopKickDuringGraceKeepsGrace(t *testing.T) {
	s := newLabelled(t, "s", nil)
	graced := make(chan struct{}, 1)
	h := startOpts(t, cfgOf(listenProxy("web", s.addr())), Options{
		DrainGrace: time.Hour,
		onGrace:    func() { graced <- struct{}{} },
	})
	c := h.dial()
	c.get("/")
	h.e.SoftStop(0)
	<-graced
	h.e.SoftStop(0) // kicks the idle connection again
	select {
	case <-graced:
	case <-time.After(5 * time.Second):
		t.Fatal("the second kick did not leave the connection in its grace")
	}
	resp, body := c.get("/")
	if resp.StatusCode != 200 || body != "backend s\n" || !resp.Close {
		t.Fatalf("request in the grace after a second kick: %d %q close=%v, want an answer with Connection: close", resp.StatusCode, body, resp.Close)
	}
	c.expectClosed()
}
