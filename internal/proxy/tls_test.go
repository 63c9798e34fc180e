package proxy

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/config"
	"baton/internal/tlsconf"
	"baton/internal/tlsconf/tlstest"
)

// tlsEnv is a CA and certificate files for TLS tests.
type tlsEnv struct {
	dir string
	ca  *tlstest.CA
}

func newTLSEnv(t *testing.T) *tlsEnv {
	return &tlsEnv{dir: t.TempDir(), ca: tlstest.NewCA("Proxy Test Root")}
}

// cert writes a certificate for names and returns its path.
func (e *tlsEnv) cert(t *testing.T, file string, o tlstest.Options, names ...string) string {
	return tlstest.Write(t, e.dir, file, e.ca.Issue(o, names...).Bundle())
}

func (e *tlsEnv) caFile(t *testing.T) string { return tlstest.Write(t, e.dir, "ca.pem", e.ca.PEM) }

func (e *tlsEnv) client(name string) *tls.Config {
	return &tls.Config{ServerName: name, RootCAs: e.ca.Pool(), ClientSessionCache: tls.NewLRUClientSessionCache(8)}
}

// parseTLS parses src (with ${DIR} replaced) and loads its TLS material.
func (e *tlsEnv) parse(t *testing.T, src string) (*config.Config, *tlsconf.Bundle) {
	t.Helper()
	cfg, err := config.Parse("t.cfg", []byte(strings.ReplaceAll(src, "${DIR}", e.dir)))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := tlsconf.Load(cfg.TLSSpecs(), &tlsconf.OSFiles{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.SetTicketKeys(testTicketKeys)
	return cfg, b
}

var testTicketKeys = [][32]byte{tlsconf.NewTicketKey()}

// tlsClient is a keep-alive client over TLS.
type tlsClient struct {
	*client
	tc *tls.Conn
}

func (h *harness) dialTLS(cfg *tls.Config) *tlsClient {
	h.t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", h.addr, cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	h.t.Cleanup(func() { c.Close() })
	return &tlsClient{client: &client{t: h.t, c: c, br: bufio.NewReader(c)}, tc: c}
}

const tlsDefaults = `global
  log stdout format raw local0
defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 3s
  timeout server 5s
`

func TestTLSTermination(t *testing.T) {
	env := newTLSEnv(t)
	env.cert(t, "www.pem", tlstest.Options{}, "www.example.com")
	env.cert(t, "api.pem", tlstest.Options{Key: tlstest.RSA}, "api.example.com")
	be := newLabelled(t, "a", nil)
	cfg, b := env.parse(t, tlsDefaults+`listen web
  bind 127.0.0.1:1 ssl crt ${DIR}/www.pem crt ${DIR}/api.pem alpn h2,http/1.1
  http-request set-header X-Forwarded-Proto https if { ssl_fc }
  http-request set-header X-SNI %[req.hdr(host)] if { ssl_fc_sni -i api.example.com }
  http-request set-header X-Proto TLSv1.3 if { ssl_fc_protocol TLSv1.3 }
  server s `+be.addr()+`
`)
	h := startOpts(t, cfg, Options{TLS: b})
	cfgW := env.client("www.example.com")
	cfgW.NextProtos = []string{"http/1.1"} // h2 has its own tests (h2_test.go)
	c := h.dialTLS(cfgW)
	if cs := c.tc.ConnectionState(); cs.NegotiatedProtocol != "http/1.1" || cs.PeerCertificates[0].Subject.CommonName != "www.example.com" {
		t.Fatalf("alpn %q, cert %q", cs.NegotiatedProtocol, cs.PeerCertificates[0].Subject.CommonName)
	}
	for i := 0; i < 3; i++ {
		resp, body := c.get("/")
		if resp.StatusCode != 200 || body != "backend a\n" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if be.header("X-Forwarded-Proto") != "https" || be.header("X-Proto") != "TLSv1.3" || be.header("X-SNI") != "" {
		t.Errorf("headers: proto %q tls %q sni %q", be.header("X-Forwarded-Proto"), be.header("X-Proto"), be.header("X-SNI"))
	}
	if be.conns.Load() != 1 {
		t.Errorf("%d server connections for 3 keep-alive requests", be.conns.Load())
	}
	a := h.dialTLS(env.client("api.example.com"))
	a.get("/")
	if be.header("X-SNI") != "x" { // the client sends "Host: x"
		t.Errorf("ssl_fc_sni: %q", be.header("X-SNI"))
	}
	if got := a.tc.ConnectionState().PeerCertificates[0].Subject.CommonName; got != "api.example.com" {
		t.Errorf("api served %q", got)
	}
	waitFor(t, "log lines", func() bool { return strings.Count(h.log.String(), `web~ web/s`) >= 4 })
}

func TestTLSKeepAliveAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation measurement (not under -short or -race)")
	}
	env := newTLSEnv(t)
	env.cert(t, "c.pem", tlstest.Options{}, "bench.example")
	cfg, b := env.parse(t, tlsDefaults+`listen bench
  bind 127.0.0.1:1 ssl crt ${DIR}/c.pem
  server s `+rawBackend(t)+`
`)
	cfg.Proxies[0].HTTPLog = false
	h := startOpts(t, cfg, Options{TLS: b})
	c, err := tls.Dial("tcp", h.addr, env.client("bench.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k := &kaClient{c: c, req: []byte("GET /bench HTTP/1.1\r\nHost: bench\r\n\r\n"), buf: make([]byte, 4096)}
	for i := 0; i < 200; i++ {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(500, func() {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per keep-alive request over TLS (whole process, client included): %.2f", allocs)
	// Go's crypto/tls allocates one small atLeastReader per record it
	// reads (tls.(*Conn).readFromUntil): one for the engine reading the
	// request, one for the client reading the response. Baton's own
	// path adds none (as TestKeepAliveRequestAllocs shows in plain).
	if allocs > 2 {
		t.Fatalf("%.2f allocations per keep-alive TLS request, want <= 2 (crypto/tls's own)", allocs)
	}
}

func TestTLSBadClients(t *testing.T) {
	env := newTLSEnv(t)
	env.cert(t, "c.pem", tlstest.Options{}, "bad.example")
	be := newLabelled(t, "a", nil)
	cfg, b := env.parse(t, tlsDefaults+`listen web
  bind 127.0.0.1:1 ssl crt ${DIR}/c.pem strict-sni
  timeout client 300ms
  server s `+be.addr()+`
`)
	h := startOpts(t, cfg, Options{TLS: b})
	goroutines := runtime.NumGoroutine()
	closed := func(c net.Conn) {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 512)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatal("connection left open")
				}
				return
			}
		}
	}
	cases := []struct {
		name string
		send []byte
		log  string
	}{
		{"plain http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "SSL handshake failure"},
		{"truncated record", []byte{22, 3, 1, 2, 0, 1, 0}, "Timeout during SSL handshake"},
		{"garbage record", []byte{22, 3, 1, 0, 5, 'h', 'e', 'l', 'l', 'o'}, "SSL handshake failure"},
		{"slowloris", []byte{22}, "Timeout during SSL handshake"},
		{"silent", nil, "Timeout during SSL handshake"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := strings.Count(h.log.String(), c.log)
			conn, err := net.Dial("tcp", h.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if c.send != nil {
				conn.Write(c.send)
			}
			closed(conn)
			waitFor(t, "the log line", func() bool { return strings.Count(h.log.String(), c.log) > before })
		})
	}
	// Oversized SNI and unknown SNI (strict-sni) are refused too.
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".e"
	for _, sni := range []string{"unknown.example", long} {
		if _, err := tls.Dial("tcp", h.addr, &tls.Config{ServerName: sni, InsecureSkipVerify: true}); err == nil {
			t.Errorf("sni %.20q...: handshake succeeded", sni)
		}
	}
	waitFor(t, "every connection gone", func() bool { return h.e.Conns() == 0 })
	if be.reqs.Load() != 0 {
		t.Errorf("%d requests reached the server", be.reqs.Load())
	}
	// Nothing left behind: the connections' goroutines are gone (a few
	// of the test's own clients may still be winding down).
	waitFor(t, "goroutines back", func() bool { return runtime.NumGoroutine() <= goroutines+2 })
}

// A server that wants a client certificate gets the one "crt" names.
func TestServerClientCertificate(t *testing.T) {
	env := newTLSEnv(t)
	clientCA := tlstest.NewCA("Origin Client CA")
	crt := env.ca.Issue(tlstest.Options{}, "origin.internal")
	kp, _ := tls.X509KeyPair(crt.CertPEM, crt.KeyPEM)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.Pool()}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tlstest.Write(t, env.dir, "baton-client.pem", clientCA.Issue(tlstest.Options{Client: true}, "baton").Bundle())
	cfg, b := env.parse(t, tlsDefaults+`listen web
  bind 127.0.0.1:1
  server o `+strings.TrimPrefix(srv.URL, "https://")+` ssl verify none crt ${DIR}/baton-client.pem
`)
	h := startOpts(t, cfg, Options{TLS: b})
	if resp, body := h.dial().get("/"); resp.StatusCode != 200 || body != "baton" {
		t.Errorf("%d %q", resp.StatusCode, body)
	}
}

// relayTo does what the worker does across processes for a TLS relay:
// the far end's descriptor is duplicated and adopted by next.
func relayTo(next *Engine, sent *atomic.Int64) RelaySend {
	return func(bind string, peer *net.UnixConn, meta []byte) error {
		nc, err := dupConn(peer)
		if err != nil {
			return err
		}
		if err := next.AdoptRelay(bind, nc, meta); err != nil {
			nc.Close()
			return err
		}
		sent.Add(1)
		return nil
	}
}

// A TLS keep-alive connection idle at a hand-over is relayed: its next
// request is answered by the new generation (with its TLS facts and the
// client's address), with Connection: close; the client then reconnects
// to the new generation and resumes its session; the old generation is
// done once the relayed exchange is over.
func TestTLSRelayAtHandOff(t *testing.T) {
	env := newTLSEnv(t)
	env.cert(t, "c.pem", tlstest.Options{}, "relay.example")
	a := newLabelled(t, "a", nil)
	bsrv := newLabelled(t, "b", nil)
	src := func(addr string) string {
		return tlsDefaults + `listen web
  bind 127.0.0.1:1 ssl crt ${DIR}/c.pem
  http-request set-header X-SSL yes if { ssl_fc } { ssl_fc_sni -i relay.example }
  http-request set-header X-Client %[src]
  server s ` + addr + "\n"
	}
	oldCfg, oldB := env.parse(t, src(a.addr()))
	newCfg, newB := env.parse(t, src(bsrv.addr()))
	oldH := startOpts(t, oldCfg, Options{TLS: oldB})
	newH := startOpts(t, newCfg, Options{TLS: newB})
	var sent atomic.Int64
	oldH.e.SetRelay(relayTo(newH.e, &sent))

	cfg := env.client("relay.example")
	c := oldH.dialTLS(cfg)
	if resp, _ := c.get("/"); resp.Header.Get("X-Backend") != "a" {
		t.Fatalf("before: %v", resp.Header)
	}
	waitFor(t, "idle connection", func() bool {
		oldH.e.mu.Lock()
		defer oldH.e.mu.Unlock()
		for cc := range oldH.e.conns {
			return cc.state.Load() == stateIdle
		}
		return false
	})
	oldH.e.HandOff(func(string, *net.TCPConn, []byte) error { t.Error("a TLS socket was handed over"); return nil })
	if sent.Load() != 1 {
		t.Fatalf("%d relays, want 1", sent.Load())
	}
	resp, body := c.get("/")
	if resp.Header.Get("X-Backend") != "b" || body != "backend b\n" || !resp.Close {
		t.Fatalf("relayed request: backend %q close %v", resp.Header.Get("X-Backend"), resp.Close)
	}
	if bsrv.header("X-SSL") != "yes" || !strings.HasPrefix(bsrv.header("X-Client"), "127.0.0.1") {
		t.Errorf("new generation saw X-SSL %q X-Client %q", bsrv.header("X-SSL"), bsrv.header("X-Client"))
	}
	c.expectClosed()
	select {
	case <-oldH.e.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("old generation not done: %d connection(s)", oldH.e.Conns())
	}
	// The client comes back to the new generation and resumes.
	again := newH.dialTLS(cfg)
	if !again.tc.ConnectionState().DidResume {
		t.Error("reconnect did a full handshake")
	}
	if resp, _ := again.get("/"); resp.Header.Get("X-Backend") != "b" || resp.Close {
		t.Errorf("after: %v close=%v", resp.Header, resp.Close)
	}
}

// A relayed connection whose client stays idle through a second reload
// moves on to the newest generation, which answers its next request.
func TestTLSRelayMovesOnAtNextHandOff(t *testing.T) {
	env := newTLSEnv(t)
	env.cert(t, "c.pem", tlstest.Options{}, "relay.example")
	src := func(addr string) string {
		return tlsDefaults + `listen web
  bind 127.0.0.1:1 ssl crt ${DIR}/c.pem
  server s ` + addr + "\n"
	}
	var hs []*harness
	for _, label := range []string{"a", "b", "c"} {
		cfg, b := env.parse(t, src(newLabelled(t, label, nil).addr()))
		hs = append(hs, startOpts(t, cfg, Options{TLS: b}))
	}
	var sent atomic.Int64
	hs[0].e.SetRelay(relayTo(hs[1].e, &sent))
	hs[1].e.SetRelay(relayTo(hs[2].e, &sent))
	c := hs[0].dialTLS(env.client("relay.example"))
	c.get("/")
	waitFor(t, "idle connection", func() bool { return hs[0].e.Conns() == 1 && waitingIn(hs[0].e) })
	hs[0].e.HandOff(func(string, *net.TCPConn, []byte) error { return errors.New("no socket hand-over") })
	waitFor(t, "relayed connection waiting", func() bool { return hs[1].e.Conns() == 1 && waitingIn(hs[1].e) })
	hs[1].e.HandOff(func(string, *net.TCPConn, []byte) error { return errors.New("no socket hand-over") })
	if sent.Load() != 2 {
		t.Fatalf("%d transfers, want 2 (a relay, then its near end)", sent.Load())
	}
	waitFor(t, "the middle generation done", func() bool { return hs[1].e.Conns() == 0 })
	resp, _ := c.get("/")
	if resp.Header.Get("X-Backend") != "c" || !resp.Close {
		t.Fatalf("answered by %q (close %v), want the newest generation, c", resp.Header.Get("X-Backend"), resp.Close)
	}
	c.expectClosed()
}

// waitingIn reports whether e's only connection waits for a request
// (idle, or fresh: an adopted one before its first request), where a
// hand-over takes it.
func waitingIn(e *Engine) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for cc := range e.conns {
		st := cc.state.Load()
		return st == stateIdle || st == stateFresh
	}
	return false
}

// TLS passthrough: the frontend reads the ClientHello and routes on its
// SNI; the TLS session is between the client and the chosen server.
func TestPassthroughSNI(t *testing.T) {
	env := newTLSEnv(t)
	origin := func(name string) string {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, name)
		}))
		crt := env.ca.Issue(tlstest.Options{}, name)
		kp, _ := tls.X509KeyPair(crt.CertPEM, crt.KeyPEM)
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return strings.TrimPrefix(srv.URL, "https://")
	}
	w, o := origin("www.example.com"), origin("other.example.com")
	cfg, _ := env.parse(t, `defaults
  mode tcp
  timeout connect 2s
  timeout client 3s
  timeout server 3s
frontend in
  bind 127.0.0.1:1
  tcp-request inspect-delay 2s
  tcp-request content reject if { req_ssl_sni -i blocked.example.com }
  tcp-request content accept if { req_ssl_hello_type 1 }
  use_backend www if { req_ssl_sni -i www.example.com }
  default_backend other
backend www
  server w `+w+`
backend other
  server o `+o+`
`)
	h := start(t, cfg)
	get := func(sni string) (string, error) {
		c := &http.Client{Transport: &http.Transport{
			DialTLS: func(string, string) (net.Conn, error) {
				return tls.Dial("tcp", h.addr, &tls.Config{ServerName: sni, RootCAs: env.ca.Pool(), InsecureSkipVerify: sni == "blocked.example.com"})
			}}, Timeout: 5 * time.Second}
		defer c.CloseIdleConnections()
		resp, err := c.Get("https://" + sni + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), nil
	}
	if got, err := get("www.example.com"); err != nil || got != "www.example.com" {
		t.Errorf("www: %q %v", got, err)
	}
	if got, err := get("other.example.com"); err != nil || got != "other.example.com" {
		t.Errorf("other: %q %v", got, err)
	}
	if _, err := get("blocked.example.com"); err == nil {
		t.Error("blocked SNI got through")
	}
	// A client that is not TLS goes to the default backend at once.
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, _ := io.ReadAll(c); !strings.Contains(string(b), "400") {
		t.Errorf("plain client: %q", b)
	}
}

// TLS towards servers: verified against the CA with the SNI sent, the
// session resumed on the next connection.
func TestServerTLS(t *testing.T) {
	env := newTLSEnv(t)
	crt := env.ca.Issue(tlstest.Options{}, "origin.internal")
	kp, _ := tls.X509KeyPair(crt.CertPEM, crt.KeyPEM)
	var resumed, full atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS.DidResume {
			resumed.Add(1)
		} else {
			full.Add(1)
		}
		w.Header().Set("Connection", "close") // a new server connection per request
		io.WriteString(w, r.TLS.ServerName)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "https://")
	ca := env.caFile(t)
	cfg, b := env.parse(t, tlsDefaults+`listen web
  bind 127.0.0.1:1
  server good `+addr+` ssl verify required ca-file `+ca+` sni str(origin.internal)
backend bad
  server wrong `+addr+` ssl verify required ca-file `+ca+` sni str(wrong.internal)
`)
	h := startOpts(t, cfg, Options{TLS: b})
	c := h.dial()
	for i := 0; i < 3; i++ {
		resp, body := c.get("/")
		if resp.StatusCode != 200 || body != "origin.internal" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if full.Load() != 1 || resumed.Load() != 2 {
		t.Errorf("server saw %d full and %d resumed handshakes, want 1 and 2", full.Load(), resumed.Load())
	}
	// A name the certificate does not hold fails verification: 503.
	cfg2, b2 := env.parse(t, tlsDefaults+`listen web
  bind 127.0.0.1:1
  retries 0
  server wrong `+addr+` ssl verify required ca-file `+ca+` sni str(wrong.internal)
`)
	h2 := startOpts(t, cfg2, Options{TLS: b2})
	if resp, _ := h2.dial().get("/"); resp.StatusCode != 503 {
		t.Errorf("wrong name: %d, want 503", resp.StatusCode)
	}
}

// Log lines of TLS connections: "%ft" has HAProxy's "~", %sslv and %sslc
// the version and suite in OpenSSL's names; %Th is the handshake, on the
// connection's first request only.
func TestTLSLogFormat(t *testing.T) {
	env := newTLSEnv(t)
	env.cert(t, "www.pem", tlstest.Options{}, "www.example.com")
	be := newLabelled(t, "a", nil)
	cfg, b := env.parse(t, tlsDefaults+`listen web
  bind 127.0.0.1:1 ssl crt ${DIR}/www.pem ssl-max-ver TLSv1.2 ciphers ECDHE-ECDSA-AES128-GCM-SHA256
  log-format "%ft %b %sslv %sslc Th=%Th %HP"
  server s `+be.addr()+`
`)
	h := startOpts(t, cfg, Options{TLS: b})
	c := h.dialTLS(env.client("www.example.com"))
	c.get("/one")
	c.get("/two")
	waitFor(t, "log lines", func() bool {
		return strings.Count(h.log.String(), "web~ web TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 Th=") >= 2
	})
	for _, l := range strings.Split(strings.TrimSpace(h.log.String()), "\n") {
		if strings.HasSuffix(l, " /two") && !strings.Contains(l, " Th=0 ") {
			t.Errorf("second request has a handshake time: %q", l)
		}
	}
}
