package e2e_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"baton/test/harness"
)

// within asserts that d lies in [lo, hi].
func within(t *testing.T, what string, d, lo, hi time.Duration) {
	t.Helper()
	if d < lo || d > hi {
		t.Errorf("%s after %v, want between %v and %v", what, d, lo, hi)
	}
}

// oneServer is a frontend and a backend with the given server lines and
// backend options.
func oneServer(opts, servers string) string {
	return base + `
frontend fe
    bind ${FE}
    default_backend app

backend app
` + opts + servers
}

func TestFailures(t *testing.T) {
	run(t, []scenario{
		{
			name:     "503-all-servers-disabled",
			cfg:      oneServer("", "    server s1 ${S1} disabled\n"),
			requests: []req{{status: 503, backend: "-"}},
		},
		{
			name:     "503-backend-without-servers",
			cfg:      oneServer("    balance roundrobin\n", ""),
			requests: []req{{status: 503, backend: "-"}},
		},
		{
			name:     "503-connection-refused",
			cfg:      oneServer("    retries 1\n", "    server s1 ${DEAD1}\n"),
			requests: []req{{status: 503, backend: "-"}},
		},
		{
			name:     "502-garbage-response",
			cfg:      oneServer("", "    server o1 ${O1}\n"),
			origins:  map[string]func(net.Conn){"O1": harness.Answer("garbage\r\n\r\n")},
			requests: []req{{status: 502, backend: "-"}},
		},
		{
			name:     "502-server-closes-without-answer",
			cfg:      oneServer("", "    server o1 ${O1}\n"),
			origins:  map[string]func(net.Conn){"O1": harness.Answer("")},
			requests: []req{{status: 502, backend: "-"}},
		},
		{
			name:    "504-timeout-server",
			cfg:     oneServer("    timeout server 300ms\n", "    server o1 ${O1}\n"),
			origins: map[string]func(net.Conn){"O1": harness.Silent},
			check: func(e *env) {
				start := time.Now()
				e.do(req{status: 504, backend: "-"})
				within(e.t, "504", time.Since(start), 250*time.Millisecond, 5*time.Second)
			},
		},
		{
			name: "retries-redispatch",
			cfg: oneServer("    retries 1\n    option redispatch\n",
				"    server s1 ${DEAD1}\n    server s2 ${S2}\n"),
			requests: []req{{status: 200, backend: "s2", repeat: 4}},
		},
		{
			name: "retries-without-redispatch",
			cfg: oneServer("    retries 1\n",
				"    server s1 ${DEAD1}\n    server s2 ${S2}\n"),
			check: func(e *env) {
				// Round robin alternates; a request bound to the dead
				// server stays there and fails after its retry.
				got := map[int]int{}
				for range 4 {
					got[harness.Get(e.t, e.fe(), "/").Status]++
				}
				if got[200] != 2 || got[503] != 2 {
					e.t.Errorf("statuses %v, want two 200 and two 503", got)
				}
			},
		},
	})
}

func TestTimeouts(t *testing.T) {
	run(t, []scenario{
		{
			name: "timeout-http-request-408",
			cfg:  oneServer("", "    server s1 ${S1}\n") + "\nfrontend slow\n    bind ${FE2}\n    timeout http-request 500ms\n    default_backend app\n",
			check: func(e *env) {
				c := harness.Dial(e.t, e.addrs["FE2"])
				start := time.Now()
				c.Send("GET / HTTP/1.1\r\nHost: test.local\r\n") // head never ends
				r, err := c.TryRead("GET")
				if err != nil {
					e.t.Fatalf("stalled head: %v, want a 408", err)
				}
				if r.Status != 408 {
					e.t.Errorf("stalled head: status %d, want 408\n%s", r.Status, r)
				}
				within(e.t, "408", time.Since(start), 400*time.Millisecond, 5*time.Second)
				if closed, _ := c.Closed(5 * time.Second); !closed {
					e.t.Errorf("connection left open after 408")
				}
			},
		},
		{
			name: "timeout-http-keep-alive",
			cfg:  oneServer("", "    server s1 ${S1}\n") + "\nfrontend short\n    bind ${FE2}\n    timeout http-keep-alive 300ms\n    default_backend app\n",
			check: func(e *env) {
				c := harness.Dial(e.t, e.addrs["FE2"])
				c.Send(harness.Request("GET", "/") + "\r\n")
				keepsAlive(e.t, "request", c.Read("GET"))
				start := time.Now()
				closed, extra := c.Closed(5 * time.Second)
				if !closed || extra != "" {
					e.t.Fatalf("idle keep-alive connection: closed %v (read %q), want closed silently", closed, extra)
				}
				within(e.t, "idle close", time.Since(start), 250*time.Millisecond, 5*time.Second)
			},
		},
		{
			name: "timeout-client-idle-connection",
			cfg:  oneServer("", "    server s1 ${S1}\n") + "\nfrontend short\n    bind ${FE2}\n    timeout client 300ms\n    default_backend app\n",
			check: func(e *env) {
				c := harness.Dial(e.t, e.addrs["FE2"])
				start := time.Now()
				closed, extra := c.Closed(5 * time.Second)
				if !closed {
					e.t.Fatalf("silent client never closed (read %q)", extra)
				}
				within(e.t, "silent client closed", time.Since(start), 250*time.Millisecond, 5*time.Second)
			},
		},
		{
			name: "frontend-maxconn-queues",
			cfg: base + `
frontend fe
    bind ${FE}
    maxconn 1
    default_backend app

backend app
    server s1 ${S1}
`,
			check: func(e *env) {
				// The first client holds the only slot for a slow request;
				// a second one must wait (not be refused) and be served
				// once the first connection ends.
				// The server holds the slow request for 1000 ms after it
				// arrives, so a second client that had to wait for the slot
				// cannot be answered sooner than that after the first
				// request reached the server. (Comparing completion times
				// across goroutines would race: the slot is freed when the
				// first response is sent, before its reader records a time.)
				const slow = 1000 * time.Millisecond
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := harness.RoundTrip(e.t, e.fe(), harness.Request("GET", "/slow?ms=1000", "Connection: close")+"\r\n")
					if r.Status != 200 {
						e.t.Errorf("first client: status %d", r.Status)
					}
				}()
				harness.Eventually(e.t, 5*time.Second, "first request reaching the server", func() bool {
					return e.servers["S1"].Requests() == 1
				})
				firstArrived := time.Now()
				r := harness.RoundTrip(e.t, e.fe(), harness.Request("GET", "/second", "Connection: close")+"\r\n")
				waited := time.Since(firstArrived)
				wg.Wait()
				if r.Status != 200 || r.Get("X-Request-Path") != "/second" {
					e.t.Errorf("second client: status %d\n%s", r.Status, r)
				}
				// Eventually polls at most 50 ms apart, so firstArrived is
				// at most that late.
				if waited < slow-100*time.Millisecond {
					e.t.Errorf("second client answered %v after the first request reached the server, want it to wait for the only slot (about %v)", waited, slow)
				}
			},
		},
	})
}
