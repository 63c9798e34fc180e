package checks_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// proc is a running proxy (baton or haproxy) and what it logged.
type proc struct {
	t     *testing.T
	impl  string
	out   *harness.Output
	err   *harness.Output
	baton *harness.Baton
}

// starter starts the proxy of one implementation on cfg, waiting for
// the addresses.
type starter func(cfg string, wait ...string) *proc

// transition matches HAProxy's health messages, wherever a line has them.
var transition = regexp.MustCompile(`((Backup )?Server \S+ (is (DOWN|UP|stopping|going DOWN)\b|was DOWN|enters|remains).*|backend \S+ has no server available!)`)

var (
	durationRE = regexp.MustCompile(`check duration: \d+ms`)
	sessionsRE = regexp.MustCompile(`\d+ sessions active`)
)

// norm keeps a health message, its check duration and session count
// neutralised (both depend on timing: the harness's own probe may hold
// a session when a server goes down).
func norm(line string) string {
	m := transition.FindString(line)
	m = durationRE.ReplaceAllString(m, "check duration: Nms")
	return sessionsRE.ReplaceAllString(m, "N sessions active")
}

// transitions returns the health messages logged so far, in order.
func (p *proc) transitions() []string {
	var out []string
	for _, l := range p.out.Lines() {
		if m := norm(l); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// wait returns the first health message containing all of subs, failing
// after timeout.
func (p *proc) wait(timeout time.Duration, subs ...string) string {
	p.t.Helper()
	return p.waitFrom(0, timeout, subs...)
}

// waitFrom is wait for the messages after the first from ones.
func (p *proc) waitFrom(from int, timeout time.Duration, subs ...string) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		ts := p.transitions()
		for i := min(from, len(ts)); i < len(ts); i++ {
			l := ts[i]
			ok := true
			for _, s := range subs {
				ok = ok && strings.Contains(l, s)
			}
			if ok && complete(ts[i+1:], l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: no message with %q after %v; logged:\n%s\nstderr:\n%s", p.impl, subs, timeout, p.out, p.err)
		}
		time.Sleep(wait)
	}
}

// complete says the messages after a matched one include those that
// belong to it: a DOWN that left no server is followed by "backend ...
// has no server available!", which both proxies log as a second line, so
// a scenario that stopped at the first would race with the second.
func complete(after []string, matched string) bool {
	if !strings.Contains(matched, " 0 active and 0 backup servers left") {
		return true
	}
	for _, l := range after {
		if strings.HasSuffix(l, " has no server available!") {
			return true
		}
	}
	return false
}

// both runs scenario under baton, then under haproxy (skipped when not
// installed), and compares the health messages each logged.
func both(t *testing.T, scenario func(t *testing.T, start starter) []string) {
	got := map[string][]string{}
	for _, impl := range []string{"baton", "haproxy"} {
		t.Run(impl, func(t *testing.T) {
			start := func(cfg string, wait ...string) *proc {
				p := &proc{t: t, impl: impl}
				if impl == "baton" {
					b := harness.Start(t, cfg, wait)
					p.out, p.err, p.baton = b.Stdout, b.Stderr, b
				} else {
					h := harness.StartHAProxy(t, cfg, wait)
					p.out, p.err = h.Stdout, h.Stderr
				}
				return p
			}
			got[impl] = scenario(t, start)
		})
	}
	b, h := got["baton"], got["haproxy"]
	if b == nil || h == nil {
		return
	}
	if strings.Join(b, "\n") != strings.Join(h, "\n") {
		t.Errorf("health messages differ\nbaton:\n  %s\nhaproxy:\n  %s", strings.Join(b, "\n  "), strings.Join(h, "\n  "))
	}
}

// logged is the global and defaults prologue the scenarios share: logs
// on stdout in raw format, so both proxies' lines compare, and a check
// timeout well above the short intervals the tests use (without it, inter
// is the timeout, and a loaded machine makes checks time out).
const logged = `global
  log stdout format raw local0
defaults
  log global
  timeout connect 2s
  timeout client 10s
  timeout server 10s
  timeout check 2s
`

// tcpLogged is logged with defaults in mode tcp.
const tcpLogged = logged + `defaults
  mode tcp
  log global
  timeout connect 2s
  timeout client 10s
  timeout server 10s
`
