package reloadtest

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeMode is how the fake proxy behaves at a reload.
type fakeMode int

const (
	fakeGood       fakeMode = iota // switch new connections at once, keep old ones
	fakeCloseAll                   // close every client connection at reload
	fakeStaleAfter                 // send every other new connection to the old backend for a while
	fakeTLSNewKeys                 // terminate TLS, with new session ticket keys at every reload
)

// fakeProxy is a TCP forwarder whose backend a control connection flips.
type fakeProxy struct {
	mode fakeMode
	ln   net.Listener
	ctl  string // FIFO the reload command writes "label addrA addrB" to
	ack  string // FIFO the reload command reads "ok" from

	mu        sync.Mutex
	target    string
	old       string
	staleLeft int
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
	// tlsCfg, when set, makes the proxy terminate TLS (see tls_test.go).
	tlsCfg *tls.Config
	// via, when set, maps a backend address to the address actually
	// dialled (an HTTP/2 front of it, see h2_test.go).
	via func(backend string) string
}

func startFakeProxy(t *testing.T, mode fakeMode) *fakeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &fakeProxy{mode: mode, ln: ln, ctl: filepath.Join(dir, "ctl"), ack: filepath.Join(dir, "ack"),
		conns: make(map[net.Conn]struct{})}
	for _, fifo := range []string{p.ctl, p.ack} {
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p.wg.Add(2)
	go p.serve()
	go p.control()
	t.Cleanup(func() {
		ln.Close()
		// Unblock the control loop, which waits for a writer on ctl.
		if f, err := os.OpenFile(p.ctl, os.O_WRONLY, 0); err == nil {
			io.WriteString(f, "quit\n")
			f.Close()
		}
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// reloadCommand is the --reload command that flips this proxy: a shell
// writing to one FIFO and waiting for the acknowledgement on another, so
// the command returns once the proxy has switched.
func (p *fakeProxy) reloadCommand() string {
	return `echo "$BATON_RT_LABEL $BATON_RT_ADDR_A $BATON_RT_ADDR_B" > '` + p.ctl + `' && read ack < '` + p.ack + `' && [ "$ack" = ok ]`
}

func (p *fakeProxy) control() {
	defer p.wg.Done()
	for {
		// Opening a FIFO blocks until the other end opens it.
		data, err := os.ReadFile(p.ctl)
		if err != nil {
			return
		}
		f := strings.Fields(string(data))
		if len(f) != 3 {
			return // "quit"
		}
		target := f[1]
		if f[0] == "b" {
			target = f[2]
		}
		p.mu.Lock()
		p.old, p.target = p.target, target
		switch p.mode {
		case fakeCloseAll:
			for c := range p.conns {
				c.Close()
			}
		case fakeStaleAfter:
			if p.old != "" {
				p.staleLeft = 40
			}
		case fakeTLSNewKeys:
			p.tlsCfg.SetSessionTicketKeys([][32]byte{newKey()})
		}
		p.mu.Unlock()
		if err := os.WriteFile(p.ack, []byte("ok\n"), 0); err != nil {
			return
		}
	}
}

func (p *fakeProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		target := p.target
		if p.staleLeft > 0 {
			p.staleLeft--
			if p.staleLeft%2 == 0 {
				target = p.old
			}
		}
		if p.tlsCfg != nil {
			c = tls.Server(c, p.tlsCfg)
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		via := p.via
		p.mu.Unlock()
		if via != nil {
			target = via(target)
		}
		go p.forward(c, target)
	}
}

func (p *fakeProxy) forward(c net.Conn, target string) {
	defer p.wg.Done()
	defer func() {
		c.Close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(s, c)
		s.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, s)
	c.Close()
	<-done
}

// runKV runs Main with --format kv and returns the exit status and the
// parsed summary.
func runKV(t *testing.T, args ...string) (int, map[string]string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(append(args, "--format", "kv", "--verbose"), &out, &errOut)
	kv := map[string]string{}
	for _, f := range strings.Fields(out.String()) {
		k, v, _ := strings.Cut(f, "=")
		kv[k] = v
	}
	return code, kv, out.String() + errOut.String()
}

func num(t *testing.T, kv map[string]string, key string) int {
	t.Helper()
	n, err := strconv.Atoi(kv[key])
	if err != nil {
		t.Fatalf("summary has no %s: %v", key, kv)
	}
	return n
}

var testMix = []string{"--settle", "200ms", "--interval", "300ms", "--reloads", "3", "--clients", "new=2,busy=1,idle=3,upload=1,download=1"}

func TestGoodProxyPasses(t *testing.T) {
	p := startFakeProxy(t, fakeGood)
	code, kv, out := runKV(t, append([]string{"--target", p.ln.Addr().String(), "--reload", p.reloadCommand()}, testMix...)...)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	for _, key := range []string{"failed", "stale", "races", "reload_errors", "unswitched"} {
		if n := num(t, kv, key); n != 0 {
			t.Errorf("%s = %d, want 0\n%s", key, n, out)
		}
	}
	if n := num(t, kv, "requests"); n < 10 {
		t.Errorf("requests = %d, want many\n%s", n, out)
	}
	// A TCP forwarder keeps keep-alive connections on the old backend: the
	// tester reports them as pinned.
	if n := num(t, kv, "pinned"); n == 0 {
		t.Errorf("pinned = 0, want > 0 for a forwarder that never moves connections\n%s", out)
	}
}

func TestClosingIdleConnectionsIsARace(t *testing.T) {
	p := startFakeProxy(t, fakeCloseAll)
	code, kv, out := runKV(t, append([]string{"--target", p.ln.Addr().String(), "--reload", p.reloadCommand()}, testMix...)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if n := num(t, kv, "races"); n == 0 {
		t.Errorf("races = 0, want > 0\n%s", out)
	}
}

func TestNewConnectionsToOldConfigAreStale(t *testing.T) {
	p := startFakeProxy(t, fakeStaleAfter)
	code, kv, out := runKV(t, append([]string{"--target", p.ln.Addr().String(), "--reload", p.reloadCommand()}, testMix...)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if n := num(t, kv, "stale"); n == 0 {
		t.Errorf("stale = 0, want > 0\n%s", out)
	}
	if n := num(t, kv, "failed"); n != 0 {
		t.Errorf("failed = %d, want 0 (stale routing fails nothing)\n%s", n, out)
	}
}

func TestTextReport(t *testing.T) {
	p := startFakeProxy(t, fakeGood)
	var out, errOut bytes.Buffer
	code := Main([]string{"--target", p.ln.Addr().String(), "--reload", p.reloadCommand(),
		"--interval", "200ms", "--reloads", "2", "--clients", "new=1,busy=1", "--verbose"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	t.Log(out.String())
	for _, want := range []string{"requests", "stale new connections", "reuse races", "switch time", "result", "PASS", "per reload", "per client kind"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestFailingReloadCommandFails(t *testing.T) {
	p := startFakeProxy(t, fakeGood)
	// The setup reload works; every later one exits 3 without flipping.
	cmd := `if [ "$BATON_RT_RELOAD" = 0 ]; then ` + p.reloadCommand() + `; else exit 3; fi`
	code, kv, out := runKV(t, "--target", p.ln.Addr().String(), "--reload", cmd,
		"--interval", "200ms", "--reloads", "2", "--clients", "new=1")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	// Reload 2 asks for "a", which the proxy still routes to: it counts as seen.
	if num(t, kv, "reload_errors") != 2 || num(t, kv, "unswitched") != 1 {
		t.Fatalf("want 2 reload errors and 1 unseen reload\n%s", out)
	}
}

func TestUnreachableTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out, errOut bytes.Buffer
	code := Main([]string{"--target", addr, "--reload", "true", "--setup-timeout", "200ms"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "did not answer with backend a") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no target", []string{"--reload", "true"}, "--target is required"},
		{"no reload", []string{"--target", "x:1"}, "--reload is required"},
		{"bad backends", []string{"--target", "x:1", "--reload", "true", "--backends", "a"}, "ADDR_A,ADDR_B"},
		{"bad kind", []string{"--target", "x:1", "--reload", "true", "--clients", "new=1,fast=2"}, `unknown kind "fast"`},
		{"bad count", []string{"--target", "x:1", "--reload", "true", "--clients", "new=x"}, "is not kind=count"},
		{"no new clients", []string{"--target", "x:1", "--reload", "true", "--clients", "busy=2"}, "new-connection client"},
		{"zero reloads", []string{"--target", "x:1", "--reload", "true", "--reloads", "0"}, "at least 1"},
		{"bad interval", []string{"--target", "x:1", "--reload", "true", "--interval", "0s"}, "must be positive"},
		{"bad format", []string{"--target", "x:1", "--reload", "true", "--format", "xml"}, "want text or kv"},
		{"unknown flag", []string{"--nope"}, "flag provided but not defined"},
		{"extra argument", []string{"--target", "x:1", "--reload", "true", "extra"}, "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := Main(tc.args, &out, &errOut); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			if !strings.Contains(errOut.String(), tc.want) {
				t.Fatalf("stderr %q lacks %q", errOut.String(), tc.want)
			}
		})
	}
}

func TestParseClients(t *testing.T) {
	mix, err := parseClients("new=3, idle=4,download=0")
	if err != nil {
		t.Fatal(err)
	}
	want := [numKinds]int{kindNew: 3, kindIdle: 4}
	if mix != want {
		t.Fatalf("got %v, want %v", mix, want)
	}
	if got := formatClients(defaultClients); got != "new=2,busy=2,idle=8,upload=2,download=2" {
		t.Fatalf("default mix %q", got)
	}
}

func FuzzParseClients(f *testing.F) {
	f.Add("new=2,busy=2,idle=8,upload=2,download=2")
	f.Add("new=1,,idle=x")
	f.Add("=,=")
	f.Fuzz(func(t *testing.T, spec string) {
		mix, err := parseClients(spec)
		if err != nil {
			return
		}
		if mix[kindNew] < 1 {
			t.Fatalf("accepted %q without new clients", spec)
		}
		again, err := parseClients(formatClients(mix))
		if err != nil || again != mix {
			t.Fatalf("round trip of %q: %v, %v", spec, again, err)
		}
	})
}

// TestAnalyse checks the verdicts on hand-made records.
func TestAnalyse(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	s := &settings{target: "t", reloads: 2, interval: ms(100), timeout: time.Second}
	runs := []reloadRun{
		{n: 1, label: 'b', start: ms(100), end: ms(110)},
		{n: 2, label: 'a', start: ms(200), end: ms(210)},
	}
	records := []record{
		// Before reload 1: old label everywhere, fine.
		{dial: ms(10), sent: ms(10), done: ms(11), newConn: true, label: 'a'},
		// Reload 1: a new connection dialled before the reload sees b: not the switch.
		{dial: ms(90), sent: ms(120), done: ms(121), newConn: true, label: 'b'},
		// The switch: first b on a connection dialled after T1.
		{dial: ms(125), sent: ms(125), done: ms(130), newConn: true, label: 'b'},
		// Dialled after the switch, answered by a: stale.
		{dial: ms(131), sent: ms(131), done: ms(132), newConn: true, label: 'a'},
		// Dialled before the switch, answered by a: not stale.
		{dial: ms(129), sent: ms(129), done: ms(133), newConn: true, label: 'a'},
		// Dialled in window 1 but answered after reload 2 (to a) started:
		// reload 2 may have routed it, so it is not judged.
		{dial: ms(199), sent: ms(199), done: ms(201), newConn: true, label: 'a'},
		// Reused connection, sent after the switch, old label: pinned, last seen at 150.
		{dial: ms(5), sent: ms(149), done: ms(150), label: 'a'},
		// A race and a failure in window 1.
		{dial: ms(5), sent: ms(160), done: ms(161), out: outRace},
		{dial: ms(162), sent: ms(162), done: ms(163), newConn: true, out: outRefused},
		// Reload 2: never switches (no new connection answered by a).
		{dial: ms(220), sent: ms(220), done: ms(221), newConn: true, label: 'b'},
	}
	rep := analyse(s, runs, records, ms(300))
	if rep.requests != len(records) || rep.failed() != 1 || rep.byOutcome[outRace] != 1 {
		t.Fatalf("requests %d failed %d races %d", rep.requests, rep.failed(), rep.byOutcome[outRace])
	}
	r1, r2 := rep.reloads[0], rep.reloads[1]
	if !r1.switched || r1.switchAt != ms(130) {
		t.Errorf("reload 1 switch %v at %v, want 130ms", r1.switched, r1.switchAt)
	}
	if r1.stale != 1 || r1.pinned != 1 || r1.oldSeen != ms(20) || r1.races != 1 || r1.failed != 1 {
		t.Errorf("reload 1: stale %d pinned %d oldSeen %v races %d failed %d; want 1 1 20ms 1 1",
			r1.stale, r1.pinned, r1.oldSeen, r1.races, r1.failed)
	}
	if r2.switched || rep.unswitched != 1 {
		t.Errorf("reload 2 switched %v, unswitched %d", r2.switched, rep.unswitched)
	}
	if rep.stale != 1 || rep.pass() {
		t.Errorf("stale %d pass %v", rep.stale, rep.pass())
	}
	med, p90, top := quantiles([]time.Duration{ms(3), ms(1), ms(2), ms(10)})
	if med != ms(2) || p90 != ms(10) || top != ms(10) {
		t.Errorf("quantiles %v %v %v", med, p90, top)
	}
}
