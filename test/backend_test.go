package e2e_test

import (
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"baton/test/harness"
)

// settles waits until n consecutive requests for path are all answered by
// want, as health checks take a few intervals to change a server's state.
func (e *env) settles(path, want string, n int) {
	e.t.Helper()
	harness.Eventually(e.t, 10*time.Second, "traffic settling on "+want, func() bool {
		for range n {
			r := harness.Get(e.t, e.fe(), path)
			if r.Status != 200 || r.Get("X-Backend") != want {
				return false
			}
		}
		return true
	})
}

// holdSlot sends a request that server name holds for ms milliseconds,
// in the background, and waits until the server has it. It returns a
// time no later than 50 ms after the server got it (Eventually polls that
// often) and a function that waits for the slow answer.
func (e *env) holdSlot(name string, ms int) (arrived time.Time, wait func()) {
	e.t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := harness.RoundTrip(e.t, e.fe(), harness.Request("GET", fmt.Sprintf("/slow?ms=%d", ms), "Connection: close")+"\r\n")
		if r.Status != 200 {
			e.t.Errorf("slow request: status %d", r.Status)
		}
	}()
	harness.Eventually(e.t, 5*time.Second, "slow request reaching "+name, func() bool {
		return e.servers[name].Requests() == 1
	})
	return time.Now(), wg.Wait
}

func TestBackendServers(t *testing.T) {
	run(t, []scenario{
		{
			name: "server-maxconn-queues",
			cfg:  oneServer("", "    server s1 ${S1} maxconn 1\n"),
			check: func(e *env) {
				// Only lower bounds on time: the server holds the first
				// request 800 ms, so a second one that waited for the only
				// slot cannot be answered sooner than that after the
				// first arrived (less the 50 ms the arrival may be late).
				// Comparing completion times across goroutines would race.
				arrived, firstDone := e.holdSlot("S1", 800)
				r := harness.RoundTrip(e.t, e.fe(), harness.Request("GET", "/second", "Connection: close")+"\r\n")
				waited := time.Since(arrived)
				firstDone()
				if r.Status != 200 || r.Get("X-Backend") != "s1" {
					e.t.Errorf("queued request: status %d\n%s", r.Status, r)
				}
				if waited < 700*time.Millisecond {
					e.t.Errorf("queued request answered %v after the first arrived, want it to wait for the slot (about 800ms)", waited)
				}
			},
		},
		{
			name: "timeout-queue-503",
			cfg:  oneServer("    timeout queue 300ms\n", "    server s1 ${S1} maxconn 1\n"),
			check: func(e *env) {
				_, firstDone := e.holdSlot("S1", 3000)
				start := time.Now()
				e.do(req{path: "/second", status: 503, backend: "-"})
				within(e.t, "queue timeout", time.Since(start), 250*time.Millisecond, 2500*time.Millisecond)
				firstDone()
			},
		},
	})
}

func TestBadRequests(t *testing.T) {
	cfg := oneServer("", "    server s1 ${S1}\n")
	run(t, []scenario{
		{
			name: "malformed-requests-400",
			cfg:  cfg,
			requests: []req{
				{raw: "HELLO\r\n\r\n", status: 400, backend: "-"},
				{raw: "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", status: 400, backend: "-", describe: "conflicting Content-Length"},
				{raw: "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", status: 400, backend: "-", describe: "space in a field name"},
				{raw: "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", status: 400, backend: "-", describe: "non-numeric Content-Length"},
			},
			check: func(e *env) {
				if n := e.servers["S1"].Requests(); n != 0 {
					e.t.Errorf("%d malformed requests reached the server", n)
				}
			},
		},
		{
			name: "head-has-no-body",
			cfg:  cfg,
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				c.Send(harness.Request("HEAD", "/size?bytes=5000") + "\r\n")
				r := c.Read("HEAD")
				if r.Status != 200 || r.Get("Content-Length") != "5000" {
					e.t.Errorf("HEAD: status %d\n%s", r.Status, r.Head)
				}
				// The connection stays usable: no body bytes were sent.
				c.Send(harness.Request("GET", "/after") + "\r\n")
				if r := c.Read("GET"); r.Get("X-Request-Path") != "/after" {
					e.t.Errorf("request after HEAD: %s", r.Head)
				}
			},
		},
	})
}

func TestDontLogNull(t *testing.T) {
	anyLine := regexp.MustCompile(`\S`)
	run(t, []scenario{
		{
			name: "option-dontlognull",
			cfg: logBase + `
frontend web
    bind ${FE}
    option httplog
    option dontlognull
    default_backend app

backend app
    server s1 ${S1}
`,
			check: func(e *env) {
				// The readiness probe and this connection send nothing.
				c := harness.Dial(e.t, e.fe())
				c.Close()
				e.do(req{path: "/logged?x=1", status: 200})
				e.logLines(httplogLine, 1)
				var access []string
				for _, l := range e.stdout.Lines() {
					if regexp.MustCompile(`127\.0\.0\.1:\d+ \[`).MatchString(l) && anyLine.MatchString(l) {
						access = append(access, l)
					}
				}
				if len(access) != 1 {
					e.t.Errorf("%d access log lines, want only the real request's:\n%q", len(access), access)
				}
			},
		},
		{
			// HAProxy logs a connection closed before sending anything as
			// a 400 <BADREQ> with CR--, unless option dontlognull.
			name: "null-connection-logged",
			cfg: logBase + `
frontend web
    bind ${FE}
    option httplog
    default_backend app

backend app
    server s1 ${S1}
`,
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				c.Close()
				e.logLines(regexp.MustCompile(`127\.0\.0\.1:\d+ `+httplogDate+
					` web web/<NOSRV> -1/-1/-1/-1/\d+ 400 0 - - CR-- \d+/\d+/\d+/\d+/\d+ \d+/\d+ "<BADREQ>"$`), 1)
			},
		},
	})
}
