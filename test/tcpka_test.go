package e2e_test

import (
	"os/exec"
	"strings"
	"testing"

	"baton/test/harness"
)

// TestClientKeepAliveProbes: a client socket gets TCP keep-alive probes
// with "option clitcpka" (and its clitcpka-idle), and none without it,
// under both proxies. ss shows the kernel's keep-alive timer on the
// proxy's side of the connection.
func TestClientKeepAliveProbes(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) is not installed")
	}
	probe := func(e *env, want bool) {
		c := harness.Dial(e.t, e.fe())
		defer c.Close()
		c.Send(harness.Request("GET", "/") + "\r\n")
		c.Read("GET") // the proxy has accepted and set the socket up
		fe := e.fe()
		port := fe[strings.LastIndexByte(fe, ':')+1:]
		out, err := exec.Command("ss", "-tnoH", "state", "established", "sport", "= :"+port).CombinedOutput()
		if err != nil {
			e.t.Fatalf("ss: %v: %s", err, out)
		}
		if got := strings.Contains(string(out), "timer:(keepalive"); got != want {
			e.t.Errorf("keep-alive timer on the proxy's client socket: %v, want %v\nss: %s", got, want, out)
		}
	}
	run(t, []scenario{{
		name: "without-clitcpka",
		cfg: base + `
frontend fe
    bind ${FE}
    default_backend app
` + threeBackends,
		check: func(e *env) { probe(e, false) },
	}, {
		name: "with-clitcpka",
		cfg: base + `
frontend fe
    bind ${FE}
    option clitcpka
    clitcpka-idle 30s
    default_backend app
` + threeBackends,
		check: func(e *env) { probe(e, true) },
	}})
}

// TestProxyBacklog: the proxy-level backlog (inherited from defaults)
// is the listen queue of a bind without its own, and a bind's own wins;
// ss shows a listener's queue limit as its Send-Q.
func TestProxyBacklog(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) is not installed")
	}
	queue := func(e *env, addr string) string {
		port := addr[strings.LastIndexByte(addr, ':')+1:]
		out, err := exec.Command("ss", "-ltnH", "sport", "= :"+port).CombinedOutput()
		if err != nil {
			e.t.Fatalf("ss: %v: %s", err, out)
		}
		f := strings.Fields(string(out))
		if len(f) < 3 {
			e.t.Fatalf("ss: no listener on %s: %q", addr, out)
		}
		return f[2] // State Recv-Q Send-Q ...
	}
	run(t, []scenario{{
		name: "backlog",
		cfg: base + `
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    backlog 77

frontend fe
    bind ${FE}
    bind ${FE2} backlog 55
    default_backend app
` + threeBackends,
		check: func(e *env) {
			if got := queue(e, e.addrs["FE"]); got != "77" {
				e.t.Errorf("bind without backlog: queue %s, want 77 (the proxy's)", got)
			}
			if got := queue(e, e.addrs["FE2"]); got != "55" {
				e.t.Errorf("bind with backlog 55: queue %s, want 55", got)
			}
		},
	}})
}
