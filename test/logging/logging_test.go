package logging_test

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// httpDefaults is the defaults section the scenarios share.
const httpDefaults = `defaults
    mode http
    log global
    option dontlognull
    timeout connect 2s
    timeout client 10s
    timeout server 10s
`

// appBackends are a backend with a server and one without any usable.
const appBackends = `backend app
    server s1 ${S1}
backend none
    server s2 ${S1} disabled
`

// expectLines checks that every line of want is among got: equal, or
// with prefix set, a prefix of one.
func expectLines(t *testing.T, got, want []string, prefix bool) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, l := range got {
			found = found || l == w || prefix && strings.HasPrefix(l, w)
		}
		if !found {
			t.Errorf("no line %q in Baton's:\n%s", w, strings.Join(got, "\n"))
		}
	}
}

// both runs scenario under Baton and HAProxy in parallel and returns
// their normalized datagrams (HAProxy's are nil when it is not
// installed).
func both(t *testing.T, cfg string, scenario func(r *run) []string) (baton, hap []string) {
	t.Helper()
	t.Run("run", func(t *testing.T) {
		for _, proxy := range []string{"baton", "haproxy"} {
			t.Run(proxy, func(t *testing.T) {
				t.Parallel()
				r := start(t, proxy, cfg)
				got := normalizer{pid: r.pid}.lines(scenario(r))
				if proxy == "baton" {
					baton = got
				} else {
					hap = got
				}
			})
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	return baton, hap
}

// Every header format, on a UDP target and a unix datagram target, for a
// request served and one refused: the same bytes from Baton and HAProxy
// but for times, ports, PIDs, durations and sizes. The PID in each
// header is the serving worker's.
func TestHeadersMatchHAProxy(t *testing.T) {
	cfg := `global
    log ${UDP} local0
    log ${UDP} format rfc3164 local1 notice
    log ${UDP} format rfc5424 local2
    log ${UDP} format short local3
    log ${UDP} format priority local4 info notice
    log ${UDP} format timed local5
    log ${UDP} format iso local6
    log ${UDP} format raw local7
    log ${UNIX} local0 info
    log ${UNIX} format rfc5424 user
    log-tag test
` + httpDefaults + `    option httplog
frontend web
    bind ${FE}
    log-format-sd [t@1\ fe=\"%f\"\ st=\"%ST\"]
    use_backend none if { path /none }
    default_backend app
` + appBackends
	baton, hap := both(t, cfg, func(r *run) []string {
		r.get("FE", "/a/b?x=1")
		r.get("FE", "/none")
		// Two requests, each to 7 UDP targets (rfc3164 keeps notice and
		// above) and 2 unix ones.
		lines := r.rcv.wait(r.t, 18, regexp.MustCompile(`"GET /`))
		// The worker's PID is in every header that has one.
		pid := strconv.Itoa(r.pid)
		for _, l := range lines {
			if strings.Contains(l, "test") && !strings.Contains(l, "test["+pid+"]: ") && !strings.Contains(l, " test "+pid+" - ") {
				r.t.Errorf("%s: line without the sender's PID %s: %s", r.proxy, pid, l)
			}
		}
		return lines
	})
	want := []string{
		`udp <134>DATE test[PID]: 127.0.0.1:PORT [LOGDATE] web app/s1 TIMERS 200 BYTES - - ---- AC/FC/0/0/0 0/0 "GET /a/b?x=1 HTTP/1.1"\n`,
		`udp <150>1 ISODATE - test PID - [t@1 fe="web" st="200"] 127.0.0.1:PORT [LOGDATE] web app/s1 TIMERS 200 BYTES - - ---- AC/FC/0/0/0 0/0 "GET /a/b?x=1 HTTP/1.1"\n`,
		`udp <6>127.0.0.1:PORT`,
		`udp <166>127.0.0.1:PORT`,
		`udp <6>ISODATE 127.0.0.1:PORT`,
		`udp ISODATE 127.0.0.1:PORT`,
		`udp 127.0.0.1:PORT`,
		`udp <134>DATE test[PID]: 127.0.0.1:PORT [LOGDATE] web none/<NOSRV> TIMERS 503 BYTES - - SC-- AC/FC/0/0/0 0/0 "GET /none HTTP/1.1"\n`,
	}
	expectLines(t, baton, want, true)
	if hap != nil {
		compareSorted(t, baton, hap)
	}
}

// compareSorted compares the lines each destination received, sorted:
// the lines of successive requests may be written in either order.
func compareSorted(t *testing.T, baton, hap []string) {
	t.Helper()
	b, h := append([]string(nil), baton...), append([]string(nil), hap...)
	sort.Strings(b)
	sort.Strings(h)
	compare(t, b, h)
}
