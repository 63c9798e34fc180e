package e2e_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// A mode tcp frontend routing to a mode http backend serves the
// connection as HTTP: the backend's rules and options apply, each
// request on the keep-alive connection goes through the frontend's
// switching rules again, and each gets a line in the frontend's format.
func TestTCPUpgrade(t *testing.T) {
	cfgLog := `global
    log stdout format raw local0

defaults
    log global
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind ${FE}
    option tcplog
    use_backend two if { req.hdr(x-to) two }
    use_backend raw if { req.hdr(x-to) raw }
    use_backend down if { req.hdr(x-to) down }
    default_backend web

frontend slow
    bind ${FE2}
    option tcplog
    timeout http-request 700ms
    default_backend web

backend web
    mode http
    option forwardfor
    http-response set-header X-Be yes
    server s1 ${S1}

backend two
    mode http
    http-response set-header X-Be two
    server s2 ${S2}

backend down
    mode http
    retries 0
    server d1 ${DEAD1}

backend raw
    server s3 ${S3}
`
	line := func(be, srv, timers, bytes, term string) *regexp.Regexp {
		return regexp.MustCompile(`127\.0\.0\.1:\d+ ` + httplogDate + ` fe ` + be + `/` + srv + ` ` + timers + ` ` + bytes + ` ` + term + ` \d+/\d+/\d+/\d+/\d+ \d+/\d+$`)
	}
	run(t, []scenario{
		{
			name: "tcp-frontend-http-backend",
			cfg:  cfgLog,
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				// The first request: the frontend chose web on the raw
				// bytes (none yet: no inspect-delay), and web's rules and
				// forwardfor apply.
				c.Send(harness.Request("GET", "/headers") + "\r\n")
				r := c.Read("GET")
				if r.Status != 200 || r.Get("X-Be") != "yes" || r.Get("X-Backend") != "s1" || r.HasToken("Connection", "close") {
					e.t.Fatalf("first request: %s", r)
				}
				if err := expectHeader(parseHead(string(r.Body)), "X-Forwarded-For: 127.0.0.1"); err != nil {
					e.t.Errorf("first request seen by the server: %v\n%s", err, r.Body)
				}
				// The next ones on the same connection are switched again:
				// two's rules, and no forwardfor there.
				c.Send(harness.Request("GET", "/headers", "X-To: two") + "\r\n")
				r = c.Read("GET")
				if r.Status != 200 || r.Get("X-Be") != "two" || r.Get("X-Backend") != "s2" {
					e.t.Fatalf("second request: %s", r)
				}
				if err := expectHeader(parseHead(string(r.Body)), "!X-Forwarded-For"); err != nil {
					e.t.Errorf("second request seen by the server: %v\n%s", err, r.Body)
				}
				c.Send(harness.Request("GET", "/headers") + "\r\n")
				if r = c.Read("GET"); r.Get("X-Be") != "yes" {
					e.t.Fatalf("third request: %s", r)
				}
				// A backend in mode tcp cannot take an HTTP request: the
				// connection closes without an answer.
				c.Send(harness.Request("GET", "/", "X-To: raw") + "\r\n")
				if closed, got := c.Closed(5 * time.Second); !closed || got != "" {
					e.t.Errorf("request routed to a mode tcp backend: closed %v, read %q; want closed without data", closed, got)
				}
				e.logLines(line("web", "s1", `\d+/\d+/\d+`, `\d+`, "--"), 2)
				e.logLines(line("two", "s2", `\d+/\d+/\d+`, `\d+`, "--"), 1)
				e.logLines(line("raw", "<NOSRV>", `-1/-1/\d+`, "0", "IR"), 1)

				// No server: the backend's 503.
				r = harness.RoundTrip(e.t, e.fe(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
				if r.Status != 200 {
					e.t.Errorf("fresh connection: %s", r)
				}
				c = harness.Dial(e.t, e.fe())
				c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nX-To: down\r\n\r\n")
				c.Read("GET")
				if r = c.Read("GET"); r.Status != 503 || !strings.Contains(string(r.Body), "No server is available") {
					e.t.Errorf("no server up: %s", r)
				}
				e.logLines(line("down", "d1", `\d+/-1/\d+`, `\d+`, "SC"), 1)

				// A client that does not speak HTTP gets a 400.
				c = harness.Dial(e.t, e.fe())
				c.Send("HELLO\r\n\r\n")
				r = c.Read("GET")
				if r.Status != 400 || !r.HasToken("Connection", "close") {
					e.t.Errorf("non-HTTP client: %s", r)
				}
				e.logLines(line("fe", "<NOSRV>", `-1/-1/\d+`, "0", "PR"), 1)

				// A request head not finished within timeout http-request:
				// 408, logged PR as HAProxy logs an upgraded connection's.
				c = harness.Dial(e.t, e.addrs["FE2"])
				c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /")
				c.Read("GET")
				if r = c.Read("GET"); r.Status != 408 {
					e.t.Errorf("unfinished head: %s", r)
				}
				slow := regexp.MustCompile(`127\.0\.0\.1:\d+ ` + httplogDate + ` slow slow/<NOSRV> -1/-1/\d+ 0 PR `)
				e.logLines(slow, 1)
			},
		},
		{
			// The frontend switches to HTTP itself: its HTTP rules, its
			// forwardfor and its switching on the first request's
			// headers apply; a client that is not HTTP is rejected.
			name: "tcp-request-content-switch-mode-http",
			cfg: `global
    log stdout format raw local0

defaults
    log global
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind ${FE}
    option tcplog
    option forwardfor
    tcp-request inspect-delay 2s
    tcp-request content switch-mode http if HTTP
    tcp-request content reject
    http-request set-header X-Fe fe
    http-response set-header X-Fe-Resp yes
    use_backend two if { req.hdr(x-to) two }
    default_backend web

backend web
    mode http
    http-response set-header X-Be yes
    server s1 ${S1}

backend two
    mode http
    http-response set-header X-Be two
    server s2 ${S2}
`,
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				for _, to := range []string{"two", "web"} {
					c.Send(harness.Request("GET", "/headers", "X-To: "+to) + "\r\n")
					r := c.Read("GET")
					if r.Status != 200 || r.Get("X-Be") != map[string]string{"two": "two", "web": "yes"}[to] || r.Get("X-Fe-Resp") != "yes" {
						e.t.Fatalf("request for %s: %s", to, r)
					}
					seen := parseHead(string(r.Body))
					for _, h := range []string{"X-Fe: fe", "X-Forwarded-For: 127.0.0.1"} {
						if err := expectHeader(seen, h); err != nil {
							e.t.Errorf("request for %s seen by the server: %v\n%s", to, err, r.Body)
						}
					}
				}
				e.logLines(line("two", "s2", `\d+/\d+/\d+`, `\d+`, "--"), 1)
				e.logLines(line("web", "s1", `\d+/\d+/\d+`, `\d+`, "--"), 1)
				c = harness.Dial(e.t, e.fe())
				c.Send("HELLO\r\n\r\n")
				if closed, got := c.Closed(8 * time.Second); !closed || got != "" {
					e.t.Errorf("non-HTTP client: closed %v, read %q; want closed without data", closed, got)
				}
			},
		},
	})
}
