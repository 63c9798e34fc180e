package proxy

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
)

// An upgraded connection (mode tcp frontend, mode http backend) is
// served keep-alive with the backend's response rules; at a hand-over it
// stays (the next generation would take it for a new TCP connection)
// and is drained like an HTTP connection that could not move.
func TestUpgradedConnectionStaysAtHandOff(t *testing.T) {
	a := newLabelled(t, "a", nil)
	cfg := parseConfig(t, `
frontend fe
    mode tcp
    bind 127.0.0.1:1
    default_backend web
backend web
    mode http
    http-response set-header X-Be yes
    server s1 ${A}
`, map[string]string{"A": a.addr()})
	h := start(t, cfg)
	c := h.dial()
	for i := range 2 {
		resp, body := c.get("/")
		if resp.StatusCode != 200 || body != "backend a\n" || resp.Header.Get("X-Be") != "yes" || resp.Close {
			t.Fatalf("request %d: %d %q %v close=%v", i, resp.StatusCode, body, resp.Header, resp.Close)
		}
	}
	waitFor(t, "the connection waiting", func() bool { return waiting(h.e) == 1 })
	var tries atomic.Int64
	h.e.HandOff(func(string, *net.TCPConn, []byte) error {
		tries.Add(1)
		return errors.New("unexpected send")
	})
	if n := tries.Load(); n != 0 {
		t.Fatalf("send called %d times for an upgraded connection", n)
	}
	h.e.SoftStop(0)
	c.expectClosed()
	<-h.e.Done()
}
