package accesslog

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"

	"baton/internal/config"
	"baton/internal/syslog"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLogger(t *testing.T, cfg string) (*Logger, *config.Config, *syncBuffer) {
	t.Helper()
	c, err := config.Parse("t.cfg", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	l, err := New(c, Options{Stdout: &out, PID: 42, Program: "prog", Hostname: "vm"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l, c, &out
}

const loggerCfg = `global
  log stdout format short local0
defaults
  mode http
  log global
  timeout connect 1s
  timeout client 1s
  timeout server 1s
frontend normal
  bind :1
  log-format "%f %ST %lc"
  default_backend b
frontend quiet
  bind :2
  log-format "%f %ST %tsc"
  error-log-format "ERR %ST %tsc"
  option dontlog-normal
  option log-separate-errors
  default_backend b
frontend plain
  bind :3
  default_backend b
frontend sd
  bind :4
  no log
  log stdout format rfc5424 local1
  log-tag sdtag
  log-format %f
  log-format-sd [x@1\ st=\"%ST\"]
  default_backend b
backend b
  log-tag btag
  server s 127.0.0.1:9
`

func TestProxyLines(t *testing.T) {
	l, c, out := newLogger(t, loggerCfg)
	px := map[string]*Proxy{}
	for _, p := range c.Proxies {
		px[p.Name] = l.Proxy(p)
	}
	ok := &Entry{HTTP: true, Status: 200, State: state("----")}
	bad := &Entry{HTTP: true, Status: 503, State: state("SC--")}
	retried := &Entry{HTTP: true, Status: 200, State: state("----"), Retries: 1}
	for _, n := range []string{"normal", "quiet"} {
		for _, e := range []*Entry{ok, bad, retried} {
			e.Frontend = n
			px[n].Log(e)
		}
	}
	px["quiet"].LogError(&Entry{HTTP: true, Status: 400, State: state("PR--")})
	px["plain"].LogConnect(&Entry{HTTP: true, Frontend: "plain"})
	px["plain"].Log(ok) // no format: no traffic line
	sd := &Entry{HTTP: true, Frontend: "sd", Status: 302}
	px["sd"].Log(sd)
	px["b"].Eventf(syslog.Alert, "Server b/s is DOWN")
	l.Eventf(syslog.Warning, "global event")
	l.Flush()
	got := out.String()
	want := "<6>normal 200 0\n<6>normal 503 1\n<6>normal 200 2\n" +
		"<3>quiet 503 SC--\n<3>quiet 200 ----\n" +
		"<3>ERR 400 PR--\n" +
		"<6>Connect from -:- to -:- (plain/HTTP)\n" +
		"<1>Server b/s is DOWN\n<4>global event\n"
	rest := got
	if i := strings.Index(got, "<142>1 "); i >= 0 {
		// The rfc5424 line: header fields, then the structured data.
		end := strings.IndexByte(got[i:], '\n')
		if l := got[i : i+end]; !strings.HasSuffix(l, ` - sdtag 42 - [x@1 st="302"] sd`) {
			t.Errorf("rfc5424 line %q", l)
		}
		rest = got[:i] + got[i+end+1:]
	} else {
		t.Errorf("no rfc5424 line in\n%s", got)
	}
	if rest != want {
		t.Errorf("lines:\n%s\nwant:\n%s", rest, want)
	}
	if !px["normal"].Traffic() || px["plain"].Traffic() || !px["plain"].Connects() || px["b"].Traffic() {
		t.Errorf("Traffic/Connects wrong")
	}
}

func TestProxyLogNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	c, err := config.Parse("t.cfg", []byte(`global
  log stdout local0
  log stdout format rfc5424 local0
defaults
  mode http
  log global
frontend f
  bind :1
  option httplog
  log-format-sd [a\ b=%{+Q}ci]
  timeout client 1s
`))
	if err != nil {
		t.Fatal(err)
	}
	// Warm up with the writer held, so every line buffer gets created.
	gate := gateWriter{gate: make(chan struct{})}
	l, err := New(c, Options{Stdout: gate, PID: 42})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := l.Proxy(c.Proxies[0])
	e := manualHTTP()
	for range 2000 {
		p.Log(e)
	}
	close(gate.gate)
	l.Flush()
	if n := testing.AllocsPerRun(500, func() { p.Log(e) }); n != 0 {
		t.Errorf("%v allocations per line", n)
	}
}

// gateWriter discards, but blocks while its gate is closed.
type gateWriter struct{ gate chan struct{} }

func (w gateWriter) Write(p []byte) (int, error) { <-w.gate; return len(p), nil }

// BenchmarkProxyLog is one httplog line formatted and queued for a
// target (written by the sink's goroutine to io.Discard).
func BenchmarkProxyLog(b *testing.B) {
	c, err := config.Parse("b.cfg", []byte("global\n  log stdout local0\ndefaults\n  mode http\n  log global\nfrontend f\n  bind :1\n  option httplog\n  timeout client 1s\n"))
	if err != nil {
		b.Fatal(err)
	}
	l, err := New(c, Options{Stdout: io.Discard, PID: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	p := l.Proxy(c.Proxies[0])
	e := manualHTTP()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		p.Log(e)
		if n++; n%512 == 0 {
			l.Flush() // keep the queue short: measure writing, not dropping
		}
	}
	if d := l.Dropped(); d > 0 {
		b.Logf("%d dropped", d)
	}
}
