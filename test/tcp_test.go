package e2e_test

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"baton/test/harness"
)

const tcpBase = `global
    maxconn 1000

defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
`

func TestTCP(t *testing.T) {
	run(t, []scenario{
		{
			name: "tcp-echo-half-close",
			cfg: tcpBase + `
listen echo
    bind ${FE}
    server e1 ${O1}
`,
			origins: map[string]func(net.Conn){"O1": harness.Echo},
			check: func(e *env) {
				// The client half-closes after sending; the echo server
				// sees the FIN through the proxy, finishes echoing and
				// closes, and the client still reads everything.
				c := harness.Dial(e.t, e.fe())
				msg := bytes.Repeat([]byte("tcp mode data "), 150000) // ~2 MB
				go func() {
					c.Write(msg)
					c.CloseWrite()
				}()
				c.SetReadDeadline(time.Now().Add(harness.IOTimeout))
				got, err := io.ReadAll(c.R)
				if err != nil {
					e.t.Fatalf("reading echo: %v after %d bytes", err, len(got))
				}
				if !bytes.Equal(got, msg) {
					e.t.Errorf("echoed %d bytes, sent %d (equal %v)", len(got), len(msg), bytes.Equal(got, msg))
				}
			},
		},
		{
			name: "tcp-frontend-backend-roundrobin",
			cfg: tcpBase + `
frontend fe
    bind ${FE}
    default_backend app

backend app
    balance roundrobin
    server s1 ${R1}
    server s2 ${R2}
`,
			check: func(e *env) {
				// Every connection takes a turn, the harness's readiness
				// probe included, which a proxy may accept concurrently
				// with the first request: so count server connections,
				// which alternate whatever that order.
				for range 6 {
					e.do(req{status: 200})
				}
				r1, r2 := e.origins["R1"], e.origins["R2"]
				harness.Eventually(e.t, 5*time.Second, "6 server connections", func() bool {
					return r1.Accepted()+r2.Accepted() >= 6
				})
				if d := r1.Accepted() - r2.Accepted(); d < -1 || d > 1 {
					e.t.Errorf("tcp roundrobin: %d and %d server connections, want an even spread", r1.Accepted(), r2.Accepted())
				}
				// In TCP mode the HTTP bytes pass through untouched.
				r := e.do(req{path: "/headers", headers: []string{"X-Raw: 1", "Connection: Foo", "Foo: bar"}, status: 200})
				if !bytes.Contains(r.Body, []byte("\r\nFoo: bar\r\n")) || !bytes.Contains(r.Body, []byte("\r\nX-Raw: 1\r\n")) {
					e.t.Errorf("tcp mode altered the request head:\n%s", r.Body)
				}
			},
		},
		{
			name: "tcp-server-refused-closes-client",
			cfg: tcpBase + `
listen dead
    bind ${FE}
    retries 0
    server d1 ${DEAD1}
`,
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				if closed, got := c.Closed(5 * time.Second); !closed || got != "" {
					e.t.Errorf("client of an unreachable server: closed %v, read %q; want closed without data", closed, got)
				}
			},
		},
	})
}
