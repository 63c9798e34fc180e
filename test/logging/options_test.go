package logging_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"baton/test/harness"
)

// waitAll waits for every pattern's count of datagrams and returns all
// datagrams received.
func (r *run) waitAll(want map[string]int) []string {
	r.t.Helper()
	var lines []string
	for p, n := range want {
		lines = r.rcv.wait(r.t, n, regexp.MustCompile(p))
	}
	return lines
}

// The logging options and formats, line for line against HAProxy:
// dontlog-normal, log-separate-errors and error-log-format (levels shown
// by the short format), a custom log-format, the default "Connect from"
// line, logasap, tcplog and a TCP log-format, and sampling.
func TestOptionsMatchHAProxy(t *testing.T) {
	cfg := `global
    log ${UDP} format short local0
    log-tag test
` + httpDefaults + `frontend quiet
    bind ${FE1}
    option httplog
    option dontlog-normal
    option log-separate-errors
    error-log-format "ERR %ci %ST %tsc %r %b/%s"
    use_backend none if { path /none }
    default_backend app
frontend custom
    bind ${FE2}
    log-format "custom %f %b/%s %ST %HM %HU %HP %HQ %HV %{+Q}r %{+Q}b %tsc %rc %sq/%bq %si %fi"
    default_backend app
frontend plain
    bind ${FE3}
    default_backend app
frontend asap
    bind ${FE4}
    option httplog
    option logasap
    default_backend app
listen tcp
    mode tcp
    bind ${FE5}
    option tcplog
    server s1 ${S1}
listen tcpfmt
    mode tcp
    bind ${FE6}
    log-format "tcpfmt %f %b/%s %ts %tsc %U %ST %Tw %{+Q}f"
    server s1 ${S1}
frontend sampled
    bind ${FE7}
    no log
    log ${UDP} format raw sample 1,3:4 local0
    log ${UDP} format short local0
    log-format "sampled %HU"
    default_backend app
` + appBackends
	baton, hap := both(t, cfg, func(r *run) []string {
		r.get("FE1", "/ok")
		r.get("FE1", "/none")
		harness.RoundTrip(r.t, r.fe["FE1"], "garbage\r\n\r\n")
		r.get("FE2", "/c/d?q=1")
		r.get("FE3", "/plain")
		r.get("FE4", "/asap")
		harness.RoundTrip(r.t, r.fe["FE5"], "GET /tcp HTTP/1.0\r\n\r\n")
		harness.RoundTrip(r.t, r.fe["FE6"], "GET /tcpfmt HTTP/1.0\r\n\r\n")
		for i := 1; i <= 8; i++ {
			r.get("FE7", "/"+strconv.Itoa(i))
		}
		lines := r.waitAll(map[string]int{
			`<3>127\.0\.0\.1:\d+ .* quiet none/<NOSRV> `: 1,
			`<3>ERR 127\.0\.0\.1 400 PR-- <BADREQ> `:     1,
			`<6>custom custom app/s1 200 GET `:           1,
			`Connect from .* \(plain/HTTP\)`:             1, // not the readiness probe, which sent nothing
			` asap app/s1 .* "GET /asap HTTP/1\.1"`:      1,
			` tcp tcp/s1 `:                               1,
			`<6>tcpfmt tcpfmt tcpfmt/s1 `:                1,
			`<6>sampled /`:                               8, // the unsampled target: every line queued before is in
		})
		// logasap: '+' before the active time and the bytes (the head's).
		for _, l := range lines {
			if strings.Contains(l, "GET /asap") && !regexp.MustCompile(` \d+/\d+/\d+/\d+/\+\d+ 200 \+\d+ `).MatchString(l) {
				r.t.Errorf("%s: logasap line without '+': %s", r.proxy, l)
			}
		}
		return lines
	})
	// %Tw of a TCP session is a time (from the accept to the connection's
	// turn): a few milliseconds, more on a loaded machine, under both
	// proxies. It must be a number; its value is not compared.
	baton, hap = tcpWaitTimes(t, baton), tcpWaitTimes(t, hap)
	expectLines(t, baton, []string{
		`udp <3>127.0.0.1:PORT [LOGDATE] quiet none/<NOSRV> TIMERS 503 BYTES - - SC-- AC/FC/0/0/0 0/0 "GET /none HTTP/1.1"\n`,
		`udp <3>ERR 127.0.0.1 400 PR-- <BADREQ> quiet/<NOSRV>\n`,
		`udp <6>custom custom app/s1 200 GET /c/d?q=1 /c/d ?q=1 HTTP/1.1 "GET /c/d?q=1 HTTP/1.1" "app" ---- 0 0/0 127.0.0.1 127.0.0.1\n`,
		`udp <6>Connect from 127.0.0.1:PORT to 127.0.0.1:PORT (plain/HTTP)\n`,
		`udp <6>tcpfmt tcpfmt tcpfmt/s1 -- ---- 24 0 TW "tcpfmt"\n`,
	}, false)
	// "sample 1,3:4": two lines of every four, in the order lines are
	// written (requests on separate connections may be logged in either
	// order).
	sampled := 0
	for _, l := range baton {
		if strings.HasPrefix(l, "udp sampled /") {
			sampled++
		}
		if strings.Contains(l, "/ok ") {
			t.Errorf("dontlog-normal logged a normal request: %s", l)
		}
	}
	if sampled != 4 {
		t.Errorf("%d sampled lines of 8, want 4", sampled)
	}
	if hap != nil {
		// HAProxy 2.6.12 sent every line of the sampled frontend in our
		// runs, and a different subset of a global sampled target from
		// run to run: its sampling is checked against the manual above,
		// not against HAProxy.
		compareSorted(t, withoutSampled(baton), withoutSampled(hap))
	}
}

var tcpfmtWait = regexp.MustCompile(`^(udp <6>tcpfmt tcpfmt tcpfmt/s1 -- ---- \d+ 0 )(-?\d+)( "tcpfmt"\\n)$`)

// tcpWaitTimes replaces the %Tw of the tcpfmt lines with TW, after
// checking it is a time HAProxy could write (a number, at least 0).
func tcpWaitTimes(t *testing.T, ls []string) []string {
	t.Helper()
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		if m := tcpfmtWait.FindStringSubmatch(l); m != nil {
			if strings.HasPrefix(m[2], "-") {
				t.Errorf("tcpfmt line with a negative %%Tw: %q", l)
			}
			l = m[1] + "TW" + m[3]
		}
		out = append(out, l)
	}
	return out
}

func withoutSampled(ls []string) []string {
	var out []string
	for _, l := range ls {
		if !strings.Contains(l, "sampled /") {
			out = append(out, l)
		}
	}
	return out
}
