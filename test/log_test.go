package e2e_test

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

const logBase = `global
    log stdout format raw local0

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 10s
    timeout server 10s
`

// HAProxy's httplog layout:
// client:port [accept date] frontend backend/server TR/Tw/Tc/Tr/Ta status
// bytes cookie cookie termination actconn/feconn/beconn/srv_conn/retries
// srv_queue/backend_queue "request line". Baton may prefix the line (worker
// generation, PID), so the start is not anchored.
var (
	httplogDate = `\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}\.\d{3}\]`
	httplogLine = regexp.MustCompile(`127\.0\.0\.1:\d+ ` + httplogDate +
		` web app/s1 \d+/\d+/\d+/\d+/\d+ 200 \d+ - - ---- \d+/\d+/\d+/\d+/\d+ \d+/\d+ "GET /logged\?x=1 HTTP/1\.1"$`)
	httplog503 = regexp.MustCompile(`127\.0\.0\.1:\d+ ` + httplogDate +
		` web nosrv/<NOSRV> \d+/-1/-1/-1/\d+ 503 \d+ - - SC-- \d+/\d+/\d+/\d+/\d+ \d+/\d+ "GET /none HTTP/1\.1"$`)
	tcplogLine = regexp.MustCompile(`127\.0\.0\.1:\d+ ` + httplogDate +
		` tcpfe tcpbe/e1 \d+/\d+/\d+ \d+ -- \d+/\d+/\d+/\d+/\d+ \d+/\d+$`)
)

// logLines waits until n lines of stdout match re and returns them.
func (e *env) logLines(re *regexp.Regexp, n int) []string {
	e.t.Helper()
	var got []string
	harness.Eventually(e.t, 10*time.Second, "log line matching "+re.String()+"\nstdout:\n"+e.stdout.String(), func() bool {
		got = got[:0]
		for _, l := range e.stdout.Lines() {
			if re.MatchString(l) {
				got = append(got, l)
			}
		}
		return len(got) >= n
	})
	return got
}

func TestLogs(t *testing.T) {
	run(t, []scenario{
		{
			name: "option-httplog",
			cfg: logBase + `
frontend web
    bind ${FE}
    option httplog
    use_backend nosrv if { path /none }
    default_backend app

backend app
    server s1 ${S1}

backend nosrv
    server s2 ${S2} disabled
`,
			requests: []req{
				{path: "/logged?x=1", status: 200, backend: "s1"},
				{path: "/none", status: 503, backend: "-"},
			},
			check: func(e *env) {
				e.logLines(httplogLine, 1)
				e.logLines(httplog503, 1)
				// Exactly one line per request.
				harness.Get(e.t, e.fe(), "/logged?x=1")
				if got := e.logLines(httplogLine, 2); len(got) != 2 {
					e.t.Errorf("%d log lines for 2 requests:\n%s", len(got), strings.Join(got, "\n"))
				}
			},
		},
		{
			name: "option-tcplog",
			cfg: strings.Replace(logBase, "mode http", "mode tcp", 1) + `
frontend tcpfe
    bind ${FE}
    option tcplog
    default_backend tcpbe

backend tcpbe
    server e1 ${S1}
`,
			check: func(e *env) {
				e.do(req{status: 200, backend: "s1"})
				e.logLines(tcplogLine, 1)
			},
		},
	})
}

// TestLogTermination compares the status and termination state that the
// access log gives each kind of failure.
func TestLogTermination(t *testing.T) {
	cases := []struct{ path, backend, status, term string }{
		{"/ok", "app/s1", "200", "----"},
		{"/none", "nosrv/<NOSRV>", "503", "SC--"},
		{"/garbage", "bad/o1", "502", "PH--"},
		{"/silent", "silent/o2", "504", "sH--"},
		{"/deny", "web/<NOSRV>", "403", "PR--"},
	}
	run(t, []scenario{
		{
			name: "termination-states",
			cfg: logBase + `
frontend web
    bind ${FE}
    option httplog
    http-request deny if { path /deny }
    use_backend nosrv if { path /none }
    use_backend bad if { path /garbage }
    use_backend silent if { path /silent }
    default_backend app

backend app
    server s1 ${S1}
backend nosrv
    server s2 ${S2} disabled
backend bad
    server o1 ${O1}
backend silent
    timeout server 300ms
    server o2 ${O2}
`,
			origins: map[string]func(net.Conn){
				"O1": harness.Answer("garbage\r\n\r\n"),
				"O2": harness.Silent,
			},
			check: func(e *env) {
				for _, c := range cases {
					harness.Get(e.t, e.fe(), c.path)
					e.logLines(regexp.MustCompile(`127\.0\.0\.1:\d+ `+httplogDate+` web `+regexp.QuoteMeta(c.backend)+
						` \S+ `+c.status+` \d+ - - `+c.term+` \d+/\d+/\d+/\d+/\d+ \d+/\d+ "GET `+c.path+` HTTP/1\.1"$`), 1)
				}
			},
		},
	})
}
