package proxy

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Health checks start when the engine serves: a dead checked server is
// marked down (one event line, HAProxy's words) and gets no traffic; the
// checks stop with the engine.
func TestHealthChecksRunWhileServing(t *testing.T) {
	good := newLabelled(t, "good", nil)
	// A checked server that accepts connections, counting probes.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var probes atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			probes.Add(1)
			c.Close()
		}
	}()
	p := listenProxy("web", refusedAddr(t), good.addr(), ln.Addr().String())
	for _, s := range p.Servers {
		s.Check, s.Inter, s.Rise, s.Fall = true, 20*time.Millisecond, 1, 1
	}
	p.Servers[2].Backup = true
	p.LogGlobal = true
	h := start(t, cfgOf(p))
	waitFor(t, "s1 marked down", func() bool { return strings.Contains(h.log.String(), "Server web/s1 is DOWN, reason: ") })
	if l := h.log.String(); !strings.Contains(l, "1 active and 1 backup servers left.") {
		t.Errorf("event line %q lacks the servers left", l)
	}
	c := h.dial()
	for i := 0; i < 4; i++ {
		if _, body := c.get("/"); body != "backend good\n" {
			t.Fatalf("request %d went to %q, want the live server", i, body)
		}
	}
	waitFor(t, "backup server probed", func() bool { return probes.Load() > 0 })
	h.e.Close()
	<-h.e.Done()
	n := probes.Load()
	for _, cc := range h.e.checkers {
		cc.Stop() // returns at once: stopped already; makes the count final
	}
	if got := probes.Load(); got != n {
		t.Fatalf("probes went on after Close: %d then %d", n, got)
	}
}
