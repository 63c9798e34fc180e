package e2e_test

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"baton/test/harness"
)

// Servers behind a SOCKS4 proxy ("socks4", "check-via-socks4") under
// Baton and HAProxy 2.6, with a SOCKS4 proxy written here.

// socks4Proxy is a SOCKS4 proxy that records the CONNECTs it gets. It
// refuses (reply 91) everything when refuse is set, a request that is
// not a CONNECT with HAProxy's user id, and a destination it cannot
// reach. 127.0.0.3 stands for a network only the proxy reaches: it
// connects to 127.0.0.1 instead.
type socks4Proxy struct {
	refuse bool
	mu     sync.Mutex
	seen   map[string]int // destination "ip:port" -> CONNECTs
}

func newSocks4Proxy(refuse bool) *socks4Proxy {
	return &socks4Proxy{refuse: refuse, seen: map[string]int{}}
}

func (p *socks4Proxy) count(dst string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[dst]
}

func (p *socks4Proxy) serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(harness.IOTimeout))
	br := bufio.NewReader(c)
	var req [8]byte
	if _, err := io.ReadFull(br, req[:]); err != nil {
		return
	}
	user, err := br.ReadString(0)
	if err != nil {
		return
	}
	ip := net.IPv4(req[4], req[5], req[6], req[7])
	dst := net.JoinHostPort(ip.String(), strconv.Itoa(int(req[2])<<8|int(req[3])))
	p.mu.Lock()
	p.seen[dst]++
	p.mu.Unlock()
	refuse := func() { c.Write([]byte{0, 91, 0, 0, 0, 0, 0, 0}) }
	if p.refuse || req[0] != 4 || req[1] != 1 || user != "HAProxy\x00" {
		refuse()
		return
	}
	if ip.Equal(net.IPv4(127, 0, 0, 3)) {
		dst = net.JoinHostPort("127.0.0.1", strconv.Itoa(int(req[2])<<8|int(req[3])))
	}
	s, err := net.DialTimeout("tcp", dst, harness.IOTimeout)
	if err != nil {
		refuse()
		return
	}
	defer s.Close()
	c.Write([]byte{0, 90, 0, 0, 0, 0, 0, 0})
	c.SetDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		io.Copy(c, s)
		c.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(s, br)
	s.(*net.TCPConn).CloseWrite()
	<-done
}

// runSocks4 runs sc under each proxy with fresh SOCKS4 proxies (a
// granting one as ${O1}, a refusing one as ${O2}), whose records check
// then reads.
func runSocks4(t *testing.T, sc scenario, check func(e *env, grant, refuse *socks4Proxy)) {
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			t.Parallel()
			grant, refuse := newSocks4Proxy(false), newSocks4Proxy(true)
			sc := sc
			sc.origins = map[string]func(net.Conn){"O1": grant.serve, "O2": refuse.serve}
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
`}, func(e *env, grant, refuse *socks4Proxy) {
		e.do(req{path: "/", status: 200, backend: "s1"})
		e.do(req{path: "/again", status: 200, backend: "s1"})
		if n := grant.count(e.addrs["S1"]); n != 2 {
			e.t.Errorf("the SOCKS4 proxy got %d CONNECTs for s1 (%s), want 2", n, e.addrs["S1"])
		}
		e.do(req{path: "/refused", status: 503})
		if n := refuse.count(e.addrs["R2"]); n < 1 {
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
`}, func(e *env, grant, _ *socks4Proxy) {
		_, s1port, _ := net.SplitHostPort(e.addrs["S1"])
		_, s2port, _ := net.SplitHostPort(e.addrs["S2"])
		checkDst := func(port string) string { return net.JoinHostPort("127.0.0.3", port) }
		harness.Eventually(e.t, 10*time.Second, "s2 marked down by its direct check", func() bool {
			return harness.RoundTrip(e.t, e.fe(), harness.Request("GET", "/direct")+"\r\n").Status == 503
		})
		harness.Eventually(e.t, 10*time.Second, "three checks of s1 through the proxy", func() bool {
			return grant.count(checkDst(s1port)) >= 3
		})
		if n := grant.count(checkDst(s2port)); n != 0 {
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
