package dns_test

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// SRV records fill a server-template's slots with their targets, ports
// and weights, and a record that leaves frees its slot for a new one;
// Baton and HAProxy 2.6 on the same configuration.
func TestSRVRecords(t *testing.T) {
	for _, proxy := range []string{"baton", "haproxy"} {
		t.Run(proxy, func(t *testing.T) { srvScenario(t, proxy) })
	}
}

func srvScenario(t *testing.T, proxy string) {
	var ports [3]int
	var bs [3]*backend
	for i := range bs {
		ports[i] = portOf(harness.FreeAddr(t))
		bs[i] = startBackend(t, "127.0.0."+strconv.Itoa(51+i), ports[i], "t"+strconv.Itoa(i+1))
	}
	// dnsmasq's SRV records: target, port, priority, weight.
	rec := func(i, weight int) string {
		return fmt.Sprintf("--srv-host=_web._tcp.app.test,t%d.app.test,%d,0,%d", i+1, ports[i], weight)
	}
	dns := harness.StartDNS(t, rec(0, 256), rec(1, 512))
	dns.SetHosts(map[string][]string{"t1.app.test": {"127.0.0.51"}, "t2.app.test": {"127.0.0.52"}, "t3.app.test": {"127.0.0.53"}})
	fe := harness.FreeAddr(t)
	cfg := render(resolversHead+defaultsHead+`backend app
    balance roundrobin
    server-template s 3 _web._tcp.app.test resolvers dns resolve-prefer ipv4
frontend fe
    bind ${FE}
    default_backend app
`, map[string]string{"DNS": dns.Addr, "FE": fe})
	startProxy(t, proxy, cfg, fe)
	// Until both targets are in use (the slots fill one by one).
	count := func(n int) map[string]int {
		got := map[string]int{}
		for range n {
			r := harness.Get(t, fe, "/")
			got[r.Get("X-Backend")]++
		}
		return got
	}
	harness.Eventually(t, 10*time.Second, "both SRV targets in use", func() bool {
		got := count(6)
		return got["t1"] > 0 && got["t2"] > 0
	})
	// Weights 256 and 512 become 1 and 2: t2 gets twice t1's share.
	got := count(60)
	if got["t1"]+got["t2"] != 60 || got["t2"] < 35 || got["t2"] > 45 {
		t.Errorf("60 requests: %v, want about 20 for t1 and 40 for t2", got)
	}
	// t1 leaves, t3 comes (SRV records change only with a restart of
	// dnsmasq): its slot is freed and t3 fills one.
	dns.Restart(rec(1, 512), rec(2, 512))
	harness.Eventually(t, 10*time.Second, "t3 in use, t1 out", func() bool {
		got := count(8)
		return got["t1"] == 0 && got["t3"] > 0 && got["t2"] > 0
	})
	before := bs[0].mustStats().requests
	count(20)
	if n := bs[0].mustStats().requests - before; n != 0 {
		t.Errorf("t1 got %d requests after its record left", n)
	}
}

// In mode tcp too, new connections follow the name.
func TestTCPModeFollowsDNS(t *testing.T) {
	for _, proxy := range []string{"baton", "haproxy"} {
		t.Run(proxy, func(t *testing.T) {
			port := portOf(harness.FreeAddr(t))
			startBackend(t, "127.0.0.61", port, "one")
			startBackend(t, "127.0.0.62", port, "two")
			dns := harness.StartDNS(t)
			dns.SetHosts(map[string][]string{"app.test": {"127.0.0.61"}})
			fe := harness.FreeAddr(t)
			cfg := render(resolversHead+strings.Replace(defaultsHead, "mode http", "mode tcp", 1)+`backend app
    server s1 app.test:${PORT} resolvers dns resolve-prefer ipv4 init-addr none
frontend fe
    bind ${FE}
    default_backend app
`, map[string]string{"DNS": dns.Addr, "FE": fe, "PORT": strconv.Itoa(port)})
			startProxy(t, proxy, cfg, fe)
			label := func() string {
				c, err := net.DialTimeout("tcp", fe, time.Second)
				if err != nil {
					return ""
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				r, err := roundTrip(c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET")
				if err != nil {
					return ""
				}
				return r.Get("X-Backend")
			}
			harness.Eventually(t, 10*time.Second, "first backend", func() bool { return label() == "one" })
			dns.SetHosts(map[string][]string{"app.test": {"127.0.0.62"}})
			harness.Eventually(t, 10*time.Second, "second backend", func() bool { return label() == "two" })
		})
	}
}
