package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/config"
	"baton/internal/syslog"
)

// rawBackend answers every request on a keep-alive connection with a
// fixed 2-byte response, reading heads with a tiny parser so that the
// backend itself stays cheap and allocation-light.
func rawBackend(tb testing.TB) string {
	return rawBackendAnswering(tb, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", nil)
}

// fixedBackend answers every request on a keep-alive connection with
// resp.
func fixedBackend(tb testing.TB, resp []byte) string {
	return rawBackendAnswering(tb, string(resp), nil)
}

// rawBackendAnswering is rawBackend answering resp, counting the
// requests in seen (when not nil).
func rawBackendAnswering(tb testing.TB, answer string, seen *atomic.Int64) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	serveRaw(tb, ln, answer, seen)
	return ln.Addr().String()
}

// serveRaw is rawBackendAnswering's server on ln (which may be TLS).
func serveRaw(tb testing.TB, ln net.Listener, answer string, seen *atomic.Int64) {
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReaderSize(c, 16384)
				resp := []byte(answer)
				for {
					// A head ends with an empty line.
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
					}
					if seen != nil {
						seen.Add(1)
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
}

// kaClient sends one GET and reads the fixed response, reusing buffers.
type kaClient struct {
	c   net.Conn
	req []byte
	buf []byte
}

func (k *kaClient) do() error {
	if _, err := k.c.Write(k.req); err != nil {
		return err
	}
	// Read until the 2-byte body after the head is in.
	n := 0
	for {
		m, err := k.c.Read(k.buf[n:])
		if err != nil {
			return err
		}
		n += m
		if i := bytes.Index(k.buf[:n], []byte("\r\n\r\n")); i >= 0 && n >= i+4+2 {
			return nil
		}
	}
}

func newKAClient(tb testing.TB, addr string) *kaClient {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return &kaClient{c: c, req: []byte("GET /bench HTTP/1.1\r\nHost: bench\r\n\r\n"), buf: make([]byte, 4096)}
}

// TestKeepAliveRequestAllocs measures a steady-state keep-alive request
// through the engine: client and server connections already open and
// pooled. The count covers the whole process (client, engine, backend).
func TestKeepAliveRequestAllocs(t *testing.T) {
	p := listenProxy("bench", rawBackend(t))
	keepAliveAllocs(t, p, Options{})
}

// TestKeepAliveRequestAllocsLogged is the same request with an httplog
// line per request, to a stdout target and to a UDP syslog target in
// rfc5424 with structured data: formatting and queueing the lines must
// not allocate either.
func TestKeepAliveRequestAllocsLogged(t *testing.T) {
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	var lines atomic.Int64
	go func() { // drain, so the syslog socket never backs up
		b := make([]byte, 4096)
		for {
			n, _, err := udp.ReadFromUDPAddrPort(b)
			if err != nil {
				return
			}
			if bytes.Contains(b[:n], []byte(`[req@1 path="/bench" st="200"] 127.0.0.1:`)) {
				lines.Add(1)
			}
		}
	}()
	p := listenProxy("bench", rawBackend(t))
	p.HTTPLog, p.LogGlobal = true, true
	p.LogFormatSD = `[req@1 path="%HP" st="%ST"]`
	cfg := cfgOf(p)
	tg, err := syslog.ParseTarget([]string{udp.LocalAddr().String(), "format", "rfc5424", "local0"})
	if err != nil {
		t.Fatal(err)
	}
	p.Logs = append(p.Logs, config.LogTarget{Target: tg, Pos: config.Pos{File: "t", Line: 1}})
	keepAliveAllocs(t, p, Options{Log: io.Discard}, cfg)
	if lines.Load() == 0 {
		t.Errorf("the syslog target received no line")
	}
}

// keepAliveAllocs runs p's engine and measures a keep-alive request;
// cfg defaults to cfgOf(p).
func keepAliveAllocs(t *testing.T, p *config.Proxy, opt Options, cfg ...*config.Config) {
	allocs := measureKeepAlive(t, p, opt, cfg...)
	// Zero in the engine; leave a little room for runtime noise
	// (timers, netpoll) across the whole process.
	if allocs > 1 {
		t.Fatalf("%.2f allocations per keep-alive request, want <= 1", allocs)
	}
}

// measureKeepAlive returns the allocations of a keep-alive request
// through p's engine (see keepAliveAllocs).
func measureKeepAlive(t *testing.T, p *config.Proxy, opt Options, cfg ...*config.Config) float64 {
	if testing.Short() || raceEnabled {
		t.Skip("allocation measurement (not under -short or -race)")
	}
	c := cfgOf(p)
	if len(cfg) > 0 {
		c = cfg[0]
	}
	e, err := New(c, opt)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Serve(p.Binds[0].Addr, ln)
	defer e.Close()
	k := newKAClient(t, ln.Addr().String())
	for i := 0; i < 2000; i++ { // warm up pools, log buffers and the server connection
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.HasPrefix(k.buf, []byte("HTTP/1.1 200 ")) {
		t.Fatalf("warm-up response %q, want 200", k.buf[:32])
	}
	allocs := testing.AllocsPerRun(500, func() {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per keep-alive request (whole process): %.2f", allocs)
	return allocs
}

// TestKeepAliveRequestAllocsWithOptions is the same measure with the
// per-request options of health checks and connection options at work:
// observe layer7, X-Forwarded-For with except and a header name,
// X-Original-To, and http-reuse safe.
func TestKeepAliveRequestAllocsWithOptions(t *testing.T) {
	p := listenProxy("bench", rawBackend(t))
	p.ForwardFor, p.ForwardForHeader = true, "X-Client"
	p.ForwardForExcept = netip.MustParsePrefix("10.0.0.0/8")
	p.OriginalTo, p.HTTPReuse = true, "safe"
	p.Servers[0].Observe, p.Servers[0].Check, p.Servers[0].Inter = "layer7", true, time.Hour
	keepAliveAllocs(t, p, Options{Log: io.Discard})
}

// kaClientFor serves cfg's first frontend with a new engine and
// returns a keep-alive client of it.
func kaClientFor(t testing.TB, cfg *config.Config) *kaClient {
	return newKAClient(t, serveFirstFrontend(t, cfg))
}

// serveFirstFrontend serves cfg's first frontend with a new engine on a
// kernel-picked loopback port, and returns the address.
func serveFirstFrontend(t testing.TB, cfg *config.Config) string {
	e, err := New(cfg, Options{Log: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Serve(cfg.Frontends()[0].Binds[0].Addr, ln)
	t.Cleanup(func() { e.Close() })
	return ln.Addr().String()
}

// ruleSetHarness starts the engine on the bench rule set with a keep-alive
// client that sends what bench/run.sh's rules case sends.
func ruleSetHarness(t testing.TB) *kaClient {
	tmpl, err := os.ReadFile("../../bench/rules/rules.cfg.in")
	if err != nil {
		t.Fatal(err)
	}
	rules := strings.NewReplacer("@MAP@", "../../bench/rules/tenants.map", "@API@", "api", "@STATIC@", "static").Replace(string(tmpl))
	srv := rawBackend(t)
	cfg := parseConfig(t, "frontend fe\n bind 127.0.0.1:1\n"+rules+" default_backend web\n"+
		"backend api\n server a ${S}\nbackend static\n server s ${S}\nbackend web\n server w ${S}\n", map[string]string{"S": srv})
	k := kaClientFor(t, cfg)
	k.req = []byte("GET /products/42?ref=home HTTP/1.1\r\nHost: bench\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\r\nAccept: text/html,application/xhtml+xml\r\n" +
		"Cookie: theme=dark\r\nX-Debug: 1\r\n\r\n")
	for i := 0; i < 200; i++ {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.HasPrefix(k.buf, []byte("HTTP/1.1 200 ")) {
		t.Fatalf("the rule set answered %q, want the server's 200", k.buf[:32])
	}
	return k
}

// TestKeepAliveRuleSetAllocs is TestKeepAliveRequestAllocs through the
// rule set of bench/run.sh's "rules" case (20 ACLs, a map lookup through a
// variable, 5 header rewrites, use_backend): a request that meets only
// the rules it uses allocates nothing either.
func TestKeepAliveRuleSetAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation measurement (not under -short or -race)")
	}
	k := ruleSetHarness(t)
	allocs := testing.AllocsPerRun(500, func() {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per keep-alive request through the rule set (whole process): %.2f", allocs)
	if allocs > 1 {
		t.Fatalf("%.2f allocations per keep-alive request through the rule set, want <= 1", allocs)
	}
}

// BenchmarkKeepAliveRuleSet is BenchmarkKeepAliveRequests through the
// bench rule set (client and server in the process too).
func BenchmarkKeepAliveRuleSet(b *testing.B) {
	k := ruleSetHarness(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := k.do(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeepAliveRequests(b *testing.B) {
	benchKeepAlive(b, listenProxy("bench", rawBackend(b)), Options{Log: &syncBuffer{}})
}

// BenchmarkKeepAliveRequestsLogged adds an httplog line per request to
// a UDP syslog target (a socket the benchmark drains).
func BenchmarkKeepAliveRequestsLogged(b *testing.B) {
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer udp.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, _, err := udp.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	p := listenProxy("bench", rawBackend(b))
	p.HTTPLog = true
	tg, err := syslog.ParseTarget([]string{udp.LocalAddr().String(), "local0"})
	if err != nil {
		b.Fatal(err)
	}
	p.Logs = []config.LogTarget{{Target: tg, Pos: config.Pos{File: "b", Line: 1}}}
	benchKeepAlive(b, p, Options{})
}

func benchKeepAlive(b *testing.B, p *config.Proxy, opt Options) {
	e, err := New(cfgOf(p), opt)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go e.Serve(p.Binds[0].Addr, ln)
	defer e.Close()
	k := newKAClient(b, ln.Addr().String())
	for i := 0; i < 100; i++ {
		if err := k.do(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := k.do(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if d := e.DroppedLogs(); d > 0 {
		b.Logf("%d log lines dropped", d)
	}
}
