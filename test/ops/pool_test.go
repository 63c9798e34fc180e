package ops_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/test/harness"
)

const poolConfig = `global
    maxconn 5000
    stats socket ${SOCK} level admin
` + httpDefaults + `
frontend fe
    bind ${FE}
    default_backend wide

frontend fc
    bind ${FC}
    default_backend capped

backend wide
    server s1 ${S1} pool-purge-delay 30s

backend capped
    server s1 ${S1} pool-max-conn 5
`

// serverConn returns "show servers conn BE"'s columns for its server.
func serverConn(t *testing.T, p *proc, be string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(p.cmd(t, "show servers conn "+be)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%s: show servers conn %s: %q", p.name, be, lines)
	}
	return strings.Fields(lines[1])
}

// burst sends n slow requests at once, each on its own keep-alive client
// connection, and closes the connections once every answer arrived.
func burst(t *testing.T, addr string, n int) {
	t.Helper()
	conns := make([]*harness.Conn, n)
	for i := range conns {
		conns[i] = harness.Dial(t, addr)
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Send(harness.Request("GET", "/slow?ms=500", "Host: x") + "\r\n")
			if r, err := c.TryRead("GET"); err != nil || r.Status != 200 {
				t.Errorf("burst request: %v %v", r, err)
			}
		}()
	}
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
}

// TestIdlePoolSettings: after a burst of 80 concurrent requests, a server
// with no pool-max-conn keeps all 80 server connections for reuse (Baton
// used to keep 64 and redial the rest), one with pool-max-conn 5 keeps at
// most 5; "show servers conn" shows the limits (-1: none) and the purge
// delays as HAProxy 2.6 does.
func TestIdlePoolSettings(t *testing.T) {
	ps := startPair(t, poolConfig, map[string]string{"S1": origin(t, "s1")}, "FE", "FC")
	for _, p := range ps {
		t.Run(p.name, func(t *testing.T) {
			const n = 80
			burst(t, p.addrs["FE"], n)
			burst(t, p.addrs["FC"], n)
			idle := func(be string) int {
				v, _ := strconv.Atoi(serverConn(t, p, be)[12])
				return v
			}
			harness.Eventually(t, 10*time.Second, "the wide pool to fill", func() bool { return idle("wide") == n })
			harness.Eventually(t, 10*time.Second, "the capped pool to fill", func() bool { return idle("capped") > 0 })
			if got := idle("capped"); got > 5 {
				t.Errorf("pool-max-conn 5: %d idle connections", got)
			}
			w, c := serverConn(t, p, "wide"), serverConn(t, p, "capped")
			if w[5] != "30000" || w[11] != "-1" || c[5] != "5000" || c[11] != "5" {
				t.Errorf("purge_delay and idle_lim: wide %v, capped %v", w, c)
			}
		})
	}
}
