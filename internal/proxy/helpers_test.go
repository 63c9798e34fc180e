package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/config"
	"baton/internal/syslog"
)

// to is a set timeout.
func to(d time.Duration) config.Timeout { return config.Timeout{Value: d, Set: true} }

func defaultTimeouts() config.Timeouts {
	return config.Timeouts{
		Connect: to(2 * time.Second), Client: to(10 * time.Second), Server: to(10 * time.Second),
		HTTPRequest: to(5 * time.Second), HTTPKeepAlive: to(5 * time.Second), Queue: to(2 * time.Second),
		ClientFin: to(10 * time.Second), ServerFin: to(10 * time.Second),
	}
}

// listenProxy is an HTTP listen section serving its own servers.
func listenProxy(name string, servers ...string) *config.Proxy {
	p := &config.Proxy{Name: name, Kind: config.KindListen, Mode: config.ModeHTTP,
		Binds: []config.Bind{{Addr: "test:" + name}}, Timeouts: defaultTimeouts(), Retries: 3}
	for i, a := range servers {
		p.Servers = append(p.Servers, &config.Server{Name: fmt.Sprintf("s%d", i+1), Addr: a, Weight: 1})
	}
	return p
}

func backendProxy(name string, servers ...string) *config.Proxy {
	p := listenProxy(name, servers...)
	p.Kind = config.KindBackend
	p.Binds = nil
	return p
}

// harness runs an Engine on a loopback listener.
type harness struct {
	t    *testing.T
	e    *Engine
	addr string
	log  *syncBuffer // stdout log targets
	diag *syncBuffer // the engine's stderr: diagnostics and events
	done chan error
}

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

func start(t *testing.T, cfg *config.Config) *harness {
	t.Helper()
	return startOpts(t, cfg, Options{})
}

// startOpts is start with engine options; the log, generation and PID
// are the harness's own.
func startOpts(t *testing.T, cfg *config.Config, opt Options) *harness {
	t.Helper()
	lb, diag := &syncBuffer{}, &syncBuffer{}
	opt.Log, opt.Stderr, opt.Generation, opt.PID = lb, diag, 1, 42
	e, err := New(cfg, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	fes := cfg.Frontends()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, e: e, addr: ln.Addr().String(), log: lb, diag: diag, done: make(chan error, 1)}
	go func() { h.done <- e.Serve(fes[0].Binds[0].Addr, ln) }()
	t.Cleanup(func() {
		e.Close()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Serve did not return after Close")
		}
	})
	return h
}

// cfgOf is a configuration of ps. It has HAProxy's usual container
// target, "log stdout format raw local0", which proxies with LogGlobal
// use: their lines land in the harness's log.
func cfgOf(ps ...*config.Proxy) *config.Config {
	raw := config.LogTarget{Target: syslog.Target{Addr: syslog.Address{Network: syslog.FD, FD: 1},
		Format: syslog.Raw, Facility: 16, MaxLevel: syslog.Debug, Len: syslog.DefaultLen}}
	c := &config.Config{Proxies: ps, Global: config.Global{Logs: []config.LogTarget{raw}}}
	for _, p := range ps {
		if p.LogGlobal && len(p.Logs) == 0 {
			g := raw
			g.Global = true
			p.Logs = append(p.Logs, g)
		}
	}
	return c
}

// parseConfig parses a configuration written in HAProxy's language, with
// ${NAME} replaced by vars (server addresses), after a defaults section
// with the tests' timeouts.
func parseConfig(t testing.TB, text string, vars map[string]string) *config.Config {
	t.Helper()
	text = "defaults\n mode http\n timeout connect 2s\n timeout client 10s\n timeout server 10s\n timeout http-request 5s\n timeout http-keep-alive 5s\n" +
		os.Expand(text, func(k string) string { return vars[k] })
	cfg, err := config.Parse("t.cfg", []byte(text))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, text)
	}
	return cfg
}

// client is a raw keep-alive client connection.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func (h *harness) dial() *client {
	h.t.Helper()
	c, err := net.DialTimeout("tcp", h.addr, 5*time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	h.t.Cleanup(func() { c.Close() })
	return &client{t: h.t, c: c, br: bufio.NewReader(c)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read reads one response; method is the request's method.
func (c *client) read(method string) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	resp.Body.Close()
	return resp, string(body)
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
	return c.read("GET")
}

// expectClosed waits for the server side to close the connection.
func (c *client) expectClosed() {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := c.br.ReadByte()
	if err == nil {
		c.t.Fatalf("connection still open, read %q", b)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.t.Fatalf("connection not closed: %v", err)
	}
}

// labelled is an httptest server answering "backend <label>" and
// counting its connections.
type labelled struct {
	*httptest.Server
	label string
	conns atomic.Int64
	reqs  atomic.Int64
	last  atomic.Value // last request's headers
}

func newLabelled(t *testing.T, label string, h http.HandlerFunc) *labelled {
	l := &labelled{label: label}
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Backend", label)
			io.WriteString(w, "backend "+label+"\n")
		}
	}
	l.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.reqs.Add(1)
		l.last.Store(r.Header.Clone())
		h(w, r)
	}))
	l.Server.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			l.conns.Add(1)
		}
	}
	l.Start()
	t.Cleanup(l.Close)
	return l
}

func (l *labelled) addr() string { return strings.TrimPrefix(l.URL, "http://") }

func (l *labelled) header(name string) string {
	h, _ := l.last.Load().(http.Header)
	return h.Get(name)
}

// scripted is a raw TCP server: each accepted connection runs fn.
func scripted(t *testing.T, fn func(c net.Conn)) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				fn(c)
			}()
		}
	}()
	return ln.Addr().String(), &n
}

// readHead reads a request head from a scripted connection.
func readHead(br *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		line, err := br.ReadString('\n')
		sb.WriteString(line)
		if err != nil {
			return sb.String(), err
		}
		if line == "\r\n" {
			return sb.String(), nil
		}
	}
}

// refusedAddr returns a loopback address nobody listens on.
func refusedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	dl := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(dl) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	client.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { client.Close() })
	return client, server
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

// countConns counts the engine's connections for which is holds.
func countConns(e *Engine, is func(*clientConn) bool) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for cc := range e.conns {
		if is(cc) {
			n++
		}
	}
	return n
}
