package dns_test

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// A reload starts the new generation with the addresses the old one
// resolved, not the init-addr values: here the name server is gone when
// the reload comes, and init-addr names a stale backend that must never
// get a request. A binary upgrade after it does the same.
func TestReloadKeepsResolution(t *testing.T) {
	dns := harness.StartDNS(t)
	port := portOf(harness.FreeAddr(t))
	cur := startBackend(t, "127.0.0.31", port, "current")
	stale := startBackend(t, "127.0.0.32", port, "stale")
	dns.SetHosts(map[string][]string{"app.test": {"127.0.0.31"}})
	fe := harness.FreeAddr(t)
	cfg := render(resolversHead+defaultsHead+`backend app
    server-template web 2 app.test:${PORT} resolvers dns resolve-prefer ipv4 init-addr 127.0.0.32
frontend fe
    bind ${FE}
    default_backend app
`, map[string]string{"DNS": dns.Addr, "PORT": strconv.Itoa(port), "FE": fe})
	b := harness.Start(t, cfg, []string{fe})
	// Until the first answer both slots hold the stale address; after it,
	// web1 has the current one and web2, a duplicate, none.
	harness.Eventually(t, 10*time.Second, "resolution applied", func() bool {
		return strings.Contains(b.Stdout.String()+b.Stderr.String(), "app/web2 is going DOWN for maintenance")
	})
	before := stale.mustStats().requests
	for i := range 20 {
		if r := harness.Get(t, fe, "/"); r.Status != 200 || r.Get("X-Backend") != "current" {
			t.Fatalf("request %d before the reload: %d from %q", i, r.Status, r.Get("X-Backend"))
		}
	}
	dns.Kill() // the new generation cannot resolve anything
	if out, code := b.Reload(); code != 0 {
		t.Fatalf("reload: %s", out)
	}
	if !strings.Contains(b.CLI("show proc"), "serving") {
		t.Fatal("no serving worker after the reload")
	}
	for i := range 50 {
		if r := harness.Get(t, fe, "/"); r.Status != 200 || r.Get("X-Backend") != "current" {
			t.Fatalf("request %d after the reload: %d from %q", i, r.Status, r.Get("X-Backend"))
		}
	}
	if n := stale.mustStats().requests - before; n != 0 {
		t.Errorf("the stale init-addr backend got %d requests", n)
	}
	if cur.mustStats().requests < 70 {
		t.Errorf("current backend: %d requests", cur.mustStats().requests)
	}
	harness.Eventually(t, 5*time.Second, "the new generation's log line", func() bool {
		return strings.Contains(b.Stderr.String(), "gen=2 worker: resolvers: 2 server(s) start with the address the previous generation resolved")
	})

	// A binary upgrade carries the state too: the new image's first
	// generation starts with the resolved addresses.
	if out, err := exec.Command(harness.Binary(t), "upgrade", "-S", b.Socket).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "Success=1") {
		t.Fatalf("upgrade: %v\n%s", err, out)
	}
	for i := range 50 {
		if r := harness.Get(t, fe, "/"); r.Status != 200 || r.Get("X-Backend") != "current" {
			t.Fatalf("request %d after the upgrade: %d from %q", i, r.Status, r.Get("X-Backend"))
		}
	}
	if n := stale.mustStats().requests - before; n != 0 {
		t.Errorf("the stale init-addr backend got %d requests", n)
	}
	harness.Eventually(t, 5*time.Second, "the upgraded generation's log line", func() bool {
		return strings.Contains(b.Stderr.String(), "gen=3 worker: resolvers: 2 server(s) start with the address the previous generation resolved")
	})
}

// "show resolvers" (on the stats socket, and Baton's master CLI) has
// HAProxy's layout and counter names, and the counts follow the queries.
func TestShowResolvers(t *testing.T) {
	dns := harness.StartDNS(t)
	dns.SetHosts(map[string][]string{"app.test": {"127.0.0.41"}})
	fe := harness.FreeAddr(t)
	cfg := func(sock string) string {
		return render(`global
    stats socket ${SOCK} level admin
resolvers dns
    nameserver ns1 ${DNS}
    nameserver ns2 ${DEAD}
    timeout resolve 100ms
    timeout retry 100ms
`+defaultsHead+`backend app
    server s1 app.test:80 resolvers dns resolve-prefer ipv4 init-addr none
frontend fe
    bind ${FE}
    default_backend app
`, map[string]string{"DNS": dns.Addr, "DEAD": harness.ClosedAddr(t), "FE": fe, "SOCK": sock})
	}
	number := regexp.MustCompile(`[0-9]+`)
	shape := func(out string) string {
		// The "dns" section only (HAProxy adds a "default" one), with
		// numbers blanked.
		var keep []string
		in := false
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "Resolvers section ") {
				in = l == "Resolvers section dns"
			}
			if in && l != "" {
				keep = append(keep, number.ReplaceAllString(l, "N"))
			}
		}
		return strings.Join(keep, "\n")
	}
	var outs []string
	for _, proxy := range []string{"baton", "haproxy"} {
		t.Run(proxy, func(t *testing.T) {
			sock := t.TempDir() + "/stats.sock"
			// The socket may answer a moment after the frontend (Baton's
			// master binds it once its worker serves): "" until then.
			show := func() string {
				out, _ := harness.TrySocketCommand(sock, "show resolvers")
				return out
			}
			var b *harness.Baton
			if proxy == "baton" {
				b = harness.Start(t, cfg(sock), []string{fe})
			} else {
				harness.StartHAProxy(t, cfg(sock), []string{fe})
			}
			sentValid := regexp.MustCompile(`(?s)nameserver ns1:\n  sent: +([0-9]+)\n.*?  valid: +([0-9]+)\n`)
			var out string
			harness.Eventually(t, 10*time.Second, "answers counted", func() bool {
				out = show()
				m := sentValid.FindStringSubmatch(out)
				return m != nil && m[1] != "0" && m[2] != "0"
			})
			if b != nil {
				if out := b.CLI("@1 show resolvers"); !strings.HasPrefix(out, "Resolvers section ") {
					t.Errorf("master CLI @1 show resolvers: %q", out)
				}
			}
			outs = append(outs, shape(out))
		})
	}
	if len(outs) == 2 && outs[0] != outs[1] {
		t.Errorf("layouts differ:\nbaton:\n%s\nhaproxy:\n%s", outs[0], outs[1])
	}
}
