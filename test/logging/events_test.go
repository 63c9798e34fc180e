package logging_test

import (
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// Server state changes, "option log-health-checks" and the soft stop's
// "Proxy X stopped" lines: the words, levels and tags HAProxy uses.
func TestEventsMatchHAProxy(t *testing.T) {
	cfg := `global
    log ${UDP} format priority local0
    log ${UNIX} format rfc3164 local1 notice
    log-send-hostname testhost
` + httpDefaults + `frontend web
    bind ${FE}
    log-tag webtag
    default_backend plain
backend plain
    log-tag plaintag
    server s1 ${DEAD1} check inter 100 rise 2 fall 2
    server s2 ${S1} check inter 100 rise 2 fall 2
backend lhc
    option log-health-checks
    server s1 ${DEAD2} check inter 100 rise 2 fall 2
    server b1 ${S2} check inter 100 rise 2 fall 2 backup
backend gone
    server s1 ${DEAD3} check inter 100 rise 2 fall 2
`
	baton, hap := both(t, cfg, func(r *run) []string {
		for _, p := range []string{`backend gone has no server available!`, `Server plain/s1 is DOWN`, `Server lhc/s1 is DOWN`, `lhc/b1 succeeded`} {
			r.rcv.wait(r.t, 2, regexp.MustCompile(p))
		}
		// A soft stop: SIGTERM to Baton's master, SIGUSR1 to HAProxy.
		if r.baton != nil {
			r.baton.Signal(syscall.SIGTERM)
		} else {
			r.hap.Cmd.Process.Signal(syscall.SIGUSR1)
		}
		return withoutHTTPClient(r.rcv.wait(r.t, 8, regexp.MustCompile(`Proxy (web|plain|lhc|gone) stopped`)))
	})
	want := []string{
		`udp <129>Server plain/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n`,
		`unix <137>DATE testhost plaintag[PID]: Server plain/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n`,
		`udp <133>Health check for server lhc/s1 failed, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms, status: 0/2 DOWN.\n`,
		`udp <129>Server lhc/s1 is DOWN. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.\n`,
		`udp <133>Health check for backup server lhc/b1 succeeded, reason: Layer4 check passed, check duration: Nms, status: 2/2 UP.\n`,
		`udp <128>backend gone has no server available!\n`,
		`unix <136>DATE testhost PROG[PID]: backend gone has no server available!\n`,
		`udp <132>Proxy web stopped (cumulated conns: FE: 1, BE: 0).\n`,
		`unix <140>DATE testhost webtag[PID]: Proxy web stopped (cumulated conns: FE: 1, BE: 0).\n`,
		`udp <132>Proxy plain stopped (cumulated conns: FE: 0, BE: 0).\n`,
	}
	expectLines(t, baton, want, false)
	if hap != nil {
		compareSorted(t, baton, hap)
	}
}

// withoutHTTPClient drops the lines of HAProxy's internal HTTP client
// proxy, which Baton does not have.
func withoutHTTPClient(ls []string) []string {
	var out []string
	for _, l := range ls {
		if !strings.Contains(l, "<HTTPCLIENT>") {
			out = append(out, l)
		}
	}
	return out
}
