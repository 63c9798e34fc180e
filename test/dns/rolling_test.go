package dns_test

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"baton/test/harness"
)

// The rolling-update configuration: the backends are what app.test
// resolves to, on one port, in a template of four slots.
const rollingConfig = `resolvers dns
    nameserver ns1 ${DNS}
    timeout resolve ${INTERVAL}
    timeout retry 100ms
    hold valid ${HOLD}
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 30s
    retries 3
    option redispatch
backend app
    balance roundrobin
    server-template web 4 app.test:${PORT} resolvers dns resolve-prefer ipv4 init-addr none
frontend fe
    bind ${FE}
    default_backend app
`

// resolversHead and defaultsHead start the configurations of the other
// scenarios: one name server, resolutions every 100 ms.
const (
	resolversHead = `resolvers dns
    nameserver ns1 ${DNS}
    timeout resolve 100ms
    timeout retry 100ms
`
	defaultsHead = `defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
`
)

// The resolution timers of the scenario: a change must be followed
// within hold valid plus one resolution interval.
const (
	interval  = 100 * time.Millisecond
	holdValid = time.Second
)

func render(cfg string, vars map[string]string) string {
	for k, v := range vars {
		cfg = strings.ReplaceAll(cfg, "${"+k+"}", v)
	}
	return cfg
}

// proxyUnderTest is Baton or HAProxy running the scenario.
type proxyUnderTest struct {
	name string
	fe   string
	// worker returns the PID serving now.
	worker func() int
}

func startProxy(t *testing.T, name, cfg, fe string) proxyUnderTest {
	t.Helper()
	switch name {
	case "haproxy":
		h := harness.StartHAProxy(t, cfg, []string{fe})
		return proxyUnderTest{name: name, fe: fe, worker: func() int {
			if h.Exited() {
				t.Fatalf("haproxy exited:\n%s", h.Stderr)
			}
			return h.Cmd.Process.Pid
		}}
	}
	b := harness.Start(t, cfg, []string{fe})
	return proxyUnderTest{name: name, fe: fe, worker: func() int { return servingWorker(t, b) }}
}

// servingWorker returns the PID of Baton's only worker, failing the test
// if there is another generation.
func servingWorker(t *testing.T, b *harness.Baton) int {
	t.Helper()
	out := b.CLI("show proc")
	var pids []int
	section := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "#") {
			section = l
			continue
		}
		if f := strings.Fields(l); len(f) > 2 && f[1] == "worker" {
			if section != "# workers" || f[2] != "1" {
				t.Fatalf("a worker other than generation 1:\n%s", out)
			}
			pid, _ := strconv.Atoi(f[0])
			pids = append(pids, pid)
		}
	}
	if len(pids) != 1 {
		t.Fatalf("want one worker:\n%q", out)
	}
	return pids[0]
}

// killMode is how old backends end.
type killMode int

const (
	sigkill killMode = iota // abruptly, once the proxy stopped using them
	sigterm                 // gracefully, with slow requests still in flight
)

// rollingUpdate moves app.test from sets[0] to sets[1], then to
// sets[2], under continuous traffic, ending the old backends after each
// step, and checks the promises: no failed request, no non-2xx, one
// worker throughout, new backends used within hold valid + one interval.
// It returns the follow time of each step.
func rollingUpdate(t *testing.T, proxy string, mode killMode) []time.Duration {
	dns := harness.StartDNS(t)
	port := portOf(harness.FreeAddr(t))
	var sets []group
	for s := range 3 {
		var g group
		for i := range 2 {
			n := 11 + 2*s + i
			g = append(g, startBackend(t, "127.0.0."+strconv.Itoa(n), port, fmt.Sprintf("s%d-%d", s, i)))
		}
		sets = append(sets, g)
	}
	dns.SetHosts(map[string][]string{"app.test": sets[0].ips()})
	fe := harness.FreeAddr(t)
	cfg := render(rollingConfig, map[string]string{"DNS": dns.Addr, "PORT": strconv.Itoa(port), "FE": fe,
		"INTERVAL": interval.String(), "HOLD": holdValid.String()})
	p := startProxy(t, proxy, cfg, fe)
	// The servers start without an address (init-addr none): wait for
	// the first resolution before the traffic starts.
	harness.Eventually(t, 10*time.Second, "the proxy routing to the first backends", func() bool {
		return harness.Get(t, fe, "/").Status == 200
	})
	pid := p.worker()

	m := mix{keepAlive: 3, newConn: 2, upload: 2}
	if mode == sigterm {
		m.slow = 4
	}
	tr := startTraffic(fe, m)
	defer tr.finishOnce()
	waitUsed(t, sets[0], 10*time.Second)

	var follows []time.Duration
	for step := 1; step < len(sets); step++ {
		old, cur := sets[step-1], sets[step]
		t0 := time.Now()
		dns.SetHosts(map[string][]string{"app.test": cur.ips()})
		newAt := waitUsed(t, cur, 10*time.Second)
		oldAt := waitUnused(t, old, 10*time.Second)
		follow := later(newAt, oldAt).Sub(t0)
		follows = append(follows, follow)
		t.Logf("%s step %d: new backends in use after %v, old ones unused after %v", proxy, step, newAt.Sub(t0).Round(time.Millisecond), oldAt.Sub(t0).Round(time.Millisecond))
		if limit := holdValid + interval; follow > limit {
			t.Errorf("step %d: followed the change in %v, want at most hold valid + one interval (%v)", step, follow, limit)
		}
		switch mode {
		case sigkill:
			for _, b := range old {
				b.signal(syscall.SIGKILL)
			}
		case sigterm:
			inflight := int64(0)
			for _, b := range old {
				inflight += b.mustStats().inflight
			}
			if inflight == 0 {
				t.Errorf("step %d: no slow request in flight on the old backends; the graceful stop proves nothing", step)
			}
			for _, b := range old {
				b.signal(syscall.SIGTERM)
			}
			for _, b := range old {
				last := b.waitExit(slowMS*time.Millisecond + 10*time.Second)
				if !strings.HasSuffix(last, " late=0") {
					t.Errorf("backend %s: %q: requests reached it after SIGTERM", b.label, last)
				}
			}
		}
	}
	// Traffic goes on a moment on the last set, then everything in
	// flight completes.
	before := tr.result().ok
	harness.Eventually(t, 10*time.Second, "traffic after the last step", func() bool { return tr.result().ok > before+50 })
	tr.finishOnce()
	res := tr.result()
	if len(res.failures) > 0 {
		t.Errorf("%d failed requests of %d, first: %s", len(res.failures), res.ok+len(res.failures), strings.Join(res.failures[:min(5, len(res.failures))], "\n"))
	}
	if mode == sigterm && res.slowOK == 0 {
		t.Error("no slow request completed")
	}
	if got := p.worker(); got != pid {
		t.Errorf("worker %d at the end, %d at the start: the proxy was restarted or reloaded", got, pid)
	}
	t.Logf("%s: %d requests ok (%d slow), by backend %v, follow times %v", proxy, res.ok, res.slowOK, res.byLabel, follows)
	return follows
}

// waitUsed waits until every backend of g has answered a request, and
// returns when the last of them began to.
func waitUsed(t *testing.T, g group, limit time.Duration) time.Time {
	t.Helper()
	first := make([]time.Time, len(g))
	base := make([]int64, len(g))
	for i, b := range g {
		base[i] = b.mustStats().requests
	}
	harness.Eventually(t, limit, "new backends in use", func() bool {
		done := true
		for i, b := range g {
			if first[i].IsZero() {
				if s := b.mustStats(); s.requests > base[i] {
					first[i] = s.last
				} else {
					done = false
				}
			}
		}
		return done
	})
	last := first[0]
	for _, f := range first {
		last = later(last, f)
	}
	return last
}

// waitUnused waits until no backend of g has started a request for
// quiet, and returns when the last request started.
func waitUnused(t *testing.T, g group, limit time.Duration) time.Time {
	t.Helper()
	const quiet = 300 * time.Millisecond
	var last time.Time
	harness.Eventually(t, limit, "old backends unused", func() bool {
		last = time.Time{}
		for _, b := range g {
			last = later(last, b.mustStats().last)
		}
		return time.Since(last) > quiet
	})
	return last
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// TestRollingUpdate: the name moves twice under traffic and the old
// backends are killed with SIGKILL once unused; Baton and HAProxy 2.6.
func TestRollingUpdate(t *testing.T) {
	for _, proxy := range []string{"baton", "haproxy"} {
		t.Run(proxy, func(t *testing.T) { rollingUpdate(t, proxy, sigkill) })
	}
}

// TestRollingUpdateGraceful: the old backends get SIGTERM while slow
// requests (3 s) are in flight on them: those finish, and no new request
// reaches them (beyond HAProxy's scenario).
func TestRollingUpdateGraceful(t *testing.T) {
	rollingUpdate(t, "baton", sigterm)
}
