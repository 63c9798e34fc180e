package hardening_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// cfgTemplate is the configuration every case runs under; ${FE} is the
// proxy's port, ${REC} the recording backend, ${DEAD} a refused port,
// ${FEOPTS} and ${BEOPTS} per-case lines.
const cfgTemplate = `global
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout http-request 5s

frontend fe
    bind ${FE}
${FEOPTS}    default_backend app

backend app
${BEOPTS}`

// env is one running proxy (baton or HAProxy) in front of a recorder.
type env struct {
	t       *testing.T
	haproxy bool
	fe      string
	rec     *recorder
	out     *harness.Output
	baton   *harness.Baton // nil under HAProxy
	logSeen int            // log lines already matched by earlier cases
}

// servers is the default backend: the recorder alone.
const recServer = "    server rec ${REC}\n"

// startEnv starts a recorder and a proxy with the given frontend and
// backend lines (backend lines name the servers; "" means recServer).
func startEnv(t *testing.T, haproxy bool, feOpts, beOpts string) *env {
	t.Helper()
	if beOpts == "" {
		beOpts = recServer
	}
	rec := startRecorder(t)
	fe := harness.FreeAddr(t)
	cfg := strings.NewReplacer("${FEOPTS}", feOpts, "${BEOPTS}", beOpts).Replace(cfgTemplate)
	cfg = strings.NewReplacer("${FE}", fe, "${REC}", rec.Addr, "${DEAD}", harness.ClosedAddr(t), "${DEAD2}", harness.ClosedAddr(t)).Replace(cfg)
	e := &env{t: t, haproxy: haproxy, fe: fe, rec: rec}
	if haproxy {
		h := harness.StartHAProxy(t, cfg, []string{fe})
		e.out = h.Stdout
	} else {
		e.baton = harness.Start(t, cfg, []string{fe})
		e.out = e.baton.Stdout
	}
	return e
}

// httpLogRE matches an httplog line's status, bytes, cookies and
// termination state: "... 400 217 - - PR-- 1/1/0/0/0 0/0 ...".
var httpLogRE = regexp.MustCompile(`\] \S+ \S+ -?\d+/-?\d+/-?\d+/-?\d+/\+?-?\d+ (-?\d+) \d+ \S+ \S+ (\S{4}) `)

// logEntry is the part of an httplog line the cases assert.
type logEntry struct {
	status string
	term   string // first two characters of the termination state
	line   string
}

// nextLog waits for the next httplog line after those already consumed.
func (e *env) nextLog(timeout time.Duration) (logEntry, bool) {
	e.t.Helper()
	var got logEntry
	ok := false
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; ; wait = min(wait*2, 50*time.Millisecond) {
		lines := e.out.Lines()
		for i := e.logSeen; i < len(lines); i++ {
			if m := httpLogRE.FindStringSubmatch(lines[i]); m != nil {
				e.logSeen = i + 1
				got, ok = logEntry{status: m[1], term: m[2][:2], line: lines[i]}, true
				break
			}
		}
		if ok || time.Now().After(deadline) {
			return got, ok
		}
		time.Sleep(wait)
	}
}

// skipLogs marks every log line written so far as consumed.
func (e *env) skipLogs() { e.logSeen = len(e.out.Lines()) }

// expectLog asserts the next httplog line carries status and term.
func (e *env) expectLog(status, term string) {
	e.t.Helper()
	l, ok := e.nextLog(5 * time.Second)
	if !ok {
		e.t.Errorf("no httplog line (want status %s, state %s); output:\n%s", status, term, e.out)
		return
	}
	if (status != "" && l.status != status) || l.term != term {
		e.t.Errorf("log status %s state %s, want %s %s\n%s", l.status, l.term, status, term, l.line)
	}
}

// needBaton builds the binary (once per process) before timed sections.
func needBaton(t *testing.T) {
	t.Helper()
	harness.Binary(t)
}
