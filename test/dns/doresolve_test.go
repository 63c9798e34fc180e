package dns_test

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// do-resolve: the request's Host names the backend; the name is resolved
// through the resolvers section and set-dst sends the request to the
// address found (a server at 0.0.0.0). A name that does not resolve, or
// cannot be a host name, leaves the variable unset, which the fallback
// rule sees. Baton and HAProxy 2.6 on the same configuration.
func TestDoResolve(t *testing.T) {
	for _, proxy := range []string{"baton", "haproxy"} {
		t.Run(proxy, func(t *testing.T) {
			port := portOf(harness.FreeAddr(t))
			one := startBackend(t, "127.0.0.71", port, "one")
			startBackend(t, "127.0.0.72", port, "two")
			startBackend(t, "127.0.0.73", port, "fallback")
			dns := harness.StartDNS(t)
			dns.SetHosts(map[string][]string{"one.app.test": {"127.0.0.71"}, "two.app.test": {"127.0.0.72"}})
			fe := harness.FreeAddr(t)
			cfg := render(`resolvers dns
    nameserver ns1 ${DNS}
    timeout resolve 1h
    timeout retry 200ms
    resolve_retries 2
    hold valid 1h
`+defaultsHead+`frontend fe
    bind ${FE}
    http-request do-resolve(txn.dstip,dns,ipv4) hdr(host),field(1,:),lower
    http-request set-header X-Dst-IP %[var(txn.dstip)]
    use_backend fallback unless { var(txn.dstip) -m found }
    default_backend fwd
backend fwd
    http-request set-dst var(txn.dstip)
    server next 0.0.0.0:${PORT}
backend fallback
    server s 127.0.0.73:${PORT}
backend named
    server one one.app.test:${PORT} resolvers dns resolve-prefer ipv4 init-addr none
`, map[string]string{"DNS": dns.Addr, "FE": fe, "PORT": strconv.Itoa(port)})
			startProxy(t, proxy, cfg, fe)
			get := func(host string) string {
				t.Helper()
				r := harness.RoundTrip(t, fe, "GET / HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n")
				if r.Status != 200 {
					t.Fatalf("Host %s: status %d", host, r.Status)
				}
				return r.Get("X-Backend")
			}
			for host, want := range map[string]string{
				"ONE.app.test:" + strconv.Itoa(port): "one",
				"two.app.test":                       "two",
				"nowhere.app.test":                   "fallback",
				"a..app.test":                        "fallback",
			} {
				if got := get(host); got != want {
					t.Errorf("Host %q reached %q, want %q", host, got, want)
				}
			}
			// one.app.test is a server's name too: its answer is kept for
			// hold valid (an hour; the server resolves every hour), and
			// the old address still serves. two.app.test only do-resolve
			// asks: it is resolved for each request, as in HAProxy, so the
			// new address serves at once.
			before := one.mustStats().requests
			dns.SetHosts(map[string][]string{"one.app.test": {"127.0.0.72"}, "two.app.test": {"127.0.0.71"}})
			if got := get("one.app.test"); got != "one" {
				t.Errorf("within hold valid, one.app.test reached %q, want the kept address (one)", got)
			}
			if got := get("two.app.test"); got != "one" {
				t.Errorf("two.app.test reached %q after its record changed, want one", got)
			}
			if n := one.mustStats().requests - before; n != 2 {
				t.Errorf("backend one got %d requests, want 2", n)
			}
		})
	}
}

// tcp-request content do-resolve: the connection goes where the name
// resolves while the inspect delay lets the rule wait; without one the
// rule cannot wait (HAProxy's ACT_OPT_FINAL), the variable stays unset
// and the fallback rule decides. In mode tcp and in an HTTP proxy.
func TestDoResolveTCPContent(t *testing.T) {
	for _, proxy := range []string{"baton", "haproxy"} {
		for _, tc := range []struct{ mode, delay, want string }{
			{"tcp", "5s", "found"}, {"tcp", "0", "fallback"}, {"http", "5s", "found"}, {"http", "0", "fallback"},
		} {
			t.Run(proxy+"/"+tc.mode+"/inspect-delay-"+tc.delay, func(t *testing.T) {
				port := portOf(harness.FreeAddr(t))
				startBackend(t, "127.0.0.74", port, "found")
				startBackend(t, "127.0.0.75", port, "fallback")
				dns := harness.StartDNS(t)
				dns.SetHosts(map[string][]string{"tcp.app.test": {"127.0.0.74"}})
				fe := harness.FreeAddr(t)
				cfg := render(`resolvers dns
    nameserver ns1 ${DNS}
    timeout retry 200ms
`+strings.Replace(defaultsHead, "mode http", "mode "+tc.mode, 1)+`frontend fe
    bind ${FE}
    tcp-request inspect-delay ${DELAY}
    tcp-request content do-resolve(sess.dstip,dns,ipv4) str(TCP.app.test)
    tcp-request content set-dst var(sess.dstip) if { var(sess.dstip) -m found }
    tcp-request content set-dst ipv4(127.0.0.75) unless { var(sess.dstip) -m found }
    tcp-request content accept
    default_backend fwd
backend fwd
    server next 0.0.0.0:${PORT}
`, map[string]string{"DNS": dns.Addr, "FE": fe, "PORT": strconv.Itoa(port), "DELAY": tc.delay})
				startProxy(t, proxy, cfg, fe)
				c, err := net.DialTimeout("tcp", fe, time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				r, err := roundTrip(c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET")
				if err != nil {
					t.Fatal(err)
				}
				if got := r.Get("X-Backend"); got != tc.want {
					t.Errorf("reached %q, want %q", got, tc.want)
				}
			})
		}
	}
}
