package e2e_test

import (
	"net"
	"testing"
	"time"

	"baton/test/harness"
)

// Servers behind a SOCKS4 proxy ("socks4", "check-via-socks4") under
// Baton and HAProxy 2.6, with the harness's SOCKS4 proxy.

// runSocks4 runs sc under each proxy with fresh SOCKS4 proxies (a
// granting one as ${O1}, a refusing one as ${O2}), whose records check
// then reads.
func runSocks4(t *testing.T, sc scenario, check func(e *env, grant, refuse *harness.Socks4Proxy)) {
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			t.Parallel()
			grant, refuse := &harness.Socks4Proxy{}, &harness.Socks4Proxy{Refuse: true}
			sc := sc
			sc.origins = map[string]func(net.Conn){"O1": grant.Serve, "O2": refuse.Serve}
			e := setup(t, proxy, sc)
			check(e, grant, refuse)
		})
	}
}

// TestSocks4Traffic: requests reach a server through a granting proxy,
// which is asked for the server's address with HAProxy's user id; a
// refused CONNECT is a failed connection: 503 after the retries, and the
// server never sees a connection.
func TestSocks4Traffic(t *testing.T) {
	runSocks4(t, scenario{cfg: base + `
frontend fe
    bind ${FE}
    use_backend refused if { path_beg /refused }
    default_backend via
backend via
    http-reuse never
    server s1 ${S1} socks4 ${O1}
backend refused
    retries 1
    server s2 ${R2} socks4 ${O2}
`}, func(e *env, grant, refuse *harness.Socks4Proxy) {
		e.do(req{path: "/", status: 200, backend: "s1"})
		e.do(req{path: "/again", status: 200, backend: "s1"})
		if n := grant.Count(e.addrs["S1"]); n != 2 {
			e.t.Errorf("the SOCKS4 proxy got %d CONNECTs for s1 (%s), want 2", n, e.addrs["S1"])
		}
		e.do(req{path: "/refused", status: 503})
		if n := refuse.Count(e.addrs["R2"]); n < 1 {
			e.t.Errorf("the refusing proxy got %d CONNECTs for s2, want at least 1", n)
		}
		if n := e.origins["R2"].Accepted(); n != 0 {
			e.t.Errorf("s2 got %d connections behind a refusing proxy, want 0", n)
		}
	})
}

// TestSocks4Checks: with check-via-socks4 the checks go through the
// proxy (here to an address only the proxy reaches, so the server stays
// up); without it they go straight to the server's check address (down
// here), though the traffic would still pass through the proxy. A
// refusing proxy fails the checks with a socket error.
func TestSocks4Checks(t *testing.T) {
	runSocks4(t, scenario{cfg: base + `
frontend fe
    bind ${FE}
    use_backend direct if { path_beg /direct }
    default_backend via
backend via
    server s1 ${S1} socks4 ${O1} check check-via-socks4 addr 127.0.0.3 inter 100ms fall 1 rise 1
backend direct
    server s2 ${S2} socks4 ${O1} check addr 127.0.0.3 inter 100ms fall 1 rise 1
backend refused
    server s3 ${S3} socks4 ${O2} check check-via-socks4 inter 100ms fall 1 rise 1
`}, func(e *env, grant, _ *harness.Socks4Proxy) {
		_, s1port, _ := net.SplitHostPort(e.addrs["S1"])
		_, s2port, _ := net.SplitHostPort(e.addrs["S2"])
		checkDst := func(port string) string { return net.JoinHostPort("127.0.0.3", port) }
		harness.Eventually(e.t, 10*time.Second, "s2 marked down by its direct check", func() bool {
			return harness.RoundTrip(e.t, e.fe(), harness.Request("GET", "/direct")+"\r\n").Status == 503
		})
		harness.Eventually(e.t, 10*time.Second, "three checks of s1 through the proxy", func() bool {
			return grant.Count(checkDst(s1port)) >= 3
		})
		if n := grant.Count(checkDst(s2port)); n != 0 {
			e.t.Errorf("s2's checks reached the SOCKS4 proxy %d times; without check-via-socks4 they go direct", n)
		}
		e.do(req{path: "/", status: 200, backend: "s1", describe: "s1, checked through the proxy"})
		// A refused CONNECT fails the check as a socket error (the
		// connection to the proxy was up), in HAProxy's words (HAProxy
		// appends a stale errno in parentheses).
		harness.Eventually(e.t, 10*time.Second, "s3 down with HAProxy's reason", func() bool {
			return e.stderr.Contains(`refused/s3 is DOWN, reason: Socket error, info: "SOCKS4 Proxy deny the request`)
		})
	})
}
