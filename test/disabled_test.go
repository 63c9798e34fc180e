package e2e_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// TestDisabledProxies: a disabled frontend binds nothing, a request
// routed to a disabled backend (by name, or by a name built per request)
// gets a 503, "disabled" in a defaults section disables the proxies that
// follow unless they say "enabled", and disabled proxies have no row in
// "show stat" (HAProxy 2.6 behaves so).
func TestDisabledProxies(t *testing.T) {
	run(t, []scenario{{
		name: "disabled-enabled",
		cfg: strings.Replace(base, "    maxconn 1000\n", "    maxconn 1000\n    stats socket ${FILES}/admin.sock level admin\n", 1) + `
frontend fe
    bind ${FE}
    use_backend dis if { path /dis }
    use_backend %[req.hdr(x-be)] if { req.hdr(x-be) -m found }
    default_backend app

frontend off
    disabled
    bind ${DEAD}
    default_backend app

backend app
    server s ${S1}

backend dis
    disabled
    server s ${S2} check inter 100ms

defaults
    mode http
    disabled
    timeout connect 2s
    timeout client 10s
    timeout server 10s

backend dis2
    server s ${S2}

backend on
    enabled
    server s ${S3}
`,
		requests: []req{
			{path: "/", status: 200, backend: "s1"},
			{path: "/dis", status: 503, backend: "-"},
			{path: "/", headers: []string{"X-Be: dis"}, status: 503, backend: "-"},
			{path: "/", headers: []string{"X-Be: dis2"}, status: 503, backend: "-"},
			{path: "/", headers: []string{"X-Be: on"}, status: 200, backend: "s3"},
			{path: "/", headers: []string{"X-Be: nope"}, status: 200, backend: "s1"},
		},
		check: func(e *env) {
			// Both frontends are bound at start-up, before FE answers.
			if c, err := net.DialTimeout("tcp", e.addrs["DEAD"], 2*time.Second); err == nil {
				c.Close()
				e.t.Errorf("the disabled frontend's address %s accepts connections", e.addrs["DEAD"])
			}
			var names []string
			for _, l := range strings.Split(harness.SocketCommand(e.t, e.addrs["FILES"]+"/admin.sock", "show stat"), "\n") {
				if l != "" && !strings.HasPrefix(l, "#") {
					f := strings.SplitN(l, ",", 3)
					names = append(names, f[0]+"/"+f[1])
				}
			}
			if got := strings.Join(names, " "); got != "fe/FRONTEND app/s app/BACKEND on/s on/BACKEND" {
				e.t.Errorf("show stat rows %q, want only the enabled proxies", got)
			}
		},
	}})
}
