package tls_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/sample"
	"baton/test/harness"
)

// lower is s lowercased, for header checks (HAProxy lowercases names).
func lower(s string) string { return strings.ToLower(s) }

func TestTermination(t *testing.T) {
	run(t, func(t *testing.T, proxy string) {
		e := start(t, proxy, base+`
frontend fe
    bind ${FE} ssl crt ${DIR}/www.pem crt ${DIR}/api.pem crt ${DIR}/wild.pem alpn http/1.1
    bind ${FEPLAIN}
    http-request redirect scheme https unless { ssl_fc }
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    http-request set-header X-Tls13 yes if { ssl_fc_protocol TLSv1.3 }
    default_backend be

backend be
    server s1 ${S1}
`, nil)
		_, port, _ := net.SplitHostPort(e.addrs["FE"])
		out, code := curl(t, append(e.resolve("www.example.com", "FE"), "--cacert", e.certs.dir+"/ca.pem",
			"https://www.example.com:"+port+"/headers")...)
		if code != 0 || !strings.Contains(lower(out), "x-forwarded-proto: https") || !strings.Contains(lower(out), "x-tls13: yes") {
			t.Errorf("curl https (exit %d):\n%s", code, out)
		}
		out, _ = curl(t, "-i", "http://"+e.addrs["FEPLAIN"]+"/x?y=1")
		if !strings.Contains(out, " 302 ") || !strings.Contains(lower(out), "location: https://"+e.addrs["FEPLAIN"]+"/x?y=1") {
			t.Errorf("plain request not redirected:\n%s", out)
		}
		for sni, want := range map[string]string{
			"www.example.com": "www.example.com", "api.example.com": "api.example.com",
			"a.example.org": "*.example.org", "unknown.test": "www.example.com", "": "www.example.com",
		} {
			if got := e.served("FE", sni); got != want {
				t.Errorf("SNI %q: served %q, want %q", sni, got, want)
			}
		}
		c, err := e.goTLS("FE", "www.example.com", func(c *tls.Config) { c.NextProtos = []string{"h2", "http/1.1"} })
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if p := c.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
			t.Errorf("ALPN %q, want http/1.1", p)
		}
		// The access log names the frontend "fe~" for deciphered requests.
		harness.Eventually(t, 5*time.Second, "an httplog line with fe~\n"+e.stdout.String(), func() bool {
			return e.stdout.Contains(" fe~ be/s1 ")
		})
	}, nil)
}

func TestCrtListAndStrictSNI(t *testing.T) {
	c := sharedCerts(t)
	list := filepath.Join(t.TempDir(), "list.txt")
	os.WriteFile(list, []byte(fmt.Sprintf(`# default first
%[1]s/www.pem
%[1]s/wild.pem *.example.org !secret.example.org
%[1]s/api.pem [ssl-min-ver TLSv1.3] api.example.com alias.example.net
`, c.dir)), 0o644)
	run(t, func(t *testing.T, proxy string) {
		e := start(t, proxy, base+`
frontend fe
    bind ${FE} ssl crt-list ${LIST} strict-sni
    default_backend be

backend be
    server s1 ${S1}
`, map[string]string{"LIST": list})
		for sni, want := range map[string]string{
			"www.example.com": "www.example.com", "x.example.org": "*.example.org",
			"alias.example.net": "api.example.com", "api.example.com": "api.example.com",
			"secret.example.org": "refused", "unknown.test": "refused",
		} {
			if got := e.served("FE", sni); got != want && !(want == "refused" && strings.HasPrefix(got, "refused")) {
				t.Errorf("SNI %q: %q, want %q", sni, got, want)
			}
		}
		if _, err := e.goTLS("FE", "api.example.com", func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }); err == nil {
			t.Error("a TLS 1.2 client got the certificate its crt-list line limits to TLS 1.3")
		}
		_, port, _ := net.SplitHostPort(e.addrs["FE"])
		if out, code := curl(t, append(e.resolve("x.example.org", "FE"), "--cacert", c.dir+"/ca.pem", "https://x.example.org:"+port+"/")...); code != 0 || !strings.Contains(out, "backend s1") {
			t.Errorf("curl x.example.org: %d %s", code, out)
		}
	}, nil)
}

func TestVersionsAndCiphers(t *testing.T) {
	run(t, func(t *testing.T, proxy string) {
		e := start(t, proxy, base+`
frontend fe
    bind ${FE13} ssl crt ${DIR}/www.pem ssl-min-ver TLSv1.3
    bind ${FE12} ssl crt ${DIR}/www.pem force-tlsv12 ciphers ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256
    default_backend be

backend be
    server s1 ${S1}
`, nil)
		ca := e.certs.dir + "/ca.pem"
		_, p13, _ := net.SplitHostPort(e.addrs["FE13"])
		if _, code := curl(t, append(e.resolve("www.example.com", "FE13"), "--cacert", ca, "--tls-max", "1.2", "https://www.example.com:"+p13+"/")...); code == 0 {
			t.Error("TLS 1.2 accepted by an ssl-min-ver TLSv1.3 bind")
		}
		if out, code := curl(t, append(e.resolve("www.example.com", "FE13"), "--cacert", ca, "https://www.example.com:"+p13+"/")...); code != 0 {
			t.Errorf("TLS 1.3: %d %s", code, out)
		}
		if out := sClient(t, e.addrs["FE12"], "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"); strings.Contains(out, "New, TLS") {
			t.Errorf("a cipher outside the list was negotiated:\n%s", out)
		}
		if out := sClient(t, e.addrs["FE12"], "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"); !strings.Contains(out, "Cipher is ECDHE-ECDSA-AES256-GCM-SHA384") {
			t.Errorf("the listed cipher was refused:\n%s", out)
		}
		if out := sClient(t, e.addrs["FE12"], "-tls1_3"); strings.Contains(out, "New, TLS") {
			t.Errorf("TLS 1.3 accepted by force-tlsv12:\n%s", out)
		}
		if proxy == "baton" && !e.stderr.Contains("not implemented by Go's TLS, ignored: DHE-RSA-AES128-GCM-SHA256") {
			t.Errorf("no warning naming the DHE suite:\n%s", e.stderr)
		}
	}, nil)
}

func TestClientCertificates(t *testing.T) {
	run(t, func(t *testing.T, proxy string) {
		e := start(t, proxy, base+`
frontend fe
    bind ${FE} ssl crt ${DIR}/www.pem verify required ca-file ${DIR}/client-ca.pem crl-file ${DIR}/client-crl.pem
    http-request set-header X-Alice yes if { ssl_c_s_dn /CN=alice }
    http-request set-header X-Verified yes if { ssl_c_used } { ssl_c_verify 0 }
    default_backend be

backend be
    server s1 ${S1}
`, nil)
		_, port, _ := net.SplitHostPort(e.addrs["FE"])
		get := func(cert string) (string, int) {
			args := append(e.resolve("www.example.com", "FE"), "--cacert", e.certs.dir+"/ca.pem")
			if cert != "" {
				args = append(args, "--cert", e.certs.dir+"/"+cert)
			}
			return curl(t, append(args, "https://www.example.com:"+port+"/headers")...)
		}
		out, code := get("alice.pem")
		if code != 0 || !strings.Contains(lower(out), "x-alice: yes") || !strings.Contains(lower(out), "x-verified: yes") {
			t.Errorf("alice (exit %d):\n%s", code, out)
		}
		if out, code := get("bob-chain.pem"); code != 0 || strings.Contains(lower(out), "x-alice") || !strings.Contains(lower(out), "x-verified: yes") {
			t.Errorf("bob with his chain (exit %d):\n%s", code, out)
		}
		for _, bad := range []string{"", "mallory.pem", "eve.pem", "bob-leaf.pem"} {
			if out, code := get(bad); code == 0 && strings.Contains(out, "backend s1") {
				t.Errorf("client certificate %q accepted:\n%s", bad, out)
			}
		}
	}, nil)
}

// tlsOrigin is a TLS HTTP server with certificate file cert, answering
// name; it counts resumed handshakes.
func tlsOrigin(t *testing.T, certFile, name string, resumed *atomic.Int64) string {
	kp, err := tls.LoadX509KeyPair(certFile, certFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS.DidResume && resumed != nil {
			resumed.Add(1)
		}
		w.Header().Set("Connection", "close")
		fmt.Fprintf(w, "%s sni=%s", name, r.TLS.ServerName)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://")
}

func TestPassthroughSNIRouting(t *testing.T) {
	c := sharedCerts(t)
	www := tlsOrigin(t, c.dir+"/www.pem", "www", nil)
	api := tlsOrigin(t, c.dir+"/api.pem", "api", nil)
	run(t, func(t *testing.T, proxy string) {
		e := start(t, proxy, base+`
frontend fe
    mode tcp
    option tcplog
    bind ${FE}
    tcp-request inspect-delay 5s
    tcp-request content accept if { req_ssl_hello_type 1 }
    use_backend www if { req_ssl_sni -i www.example.com }
    default_backend api

backend www
    mode tcp
    server w ${OWWW}

backend api
    mode tcp
    server a ${OAPI}
`, map[string]string{"OWWW": www, "OAPI": api})
		_, port, _ := net.SplitHostPort(e.addrs["FE"])
		for sni, want := range map[string]string{"www.example.com": "www sni=www.example.com", "api.example.com": "api sni=api.example.com"} {
			out, code := curl(t, append(e.resolve(sni, "FE"), "--cacert", c.dir+"/ca.pem", "https://"+sni+":"+port+"/")...)
			if code != 0 || out != want {
				t.Errorf("%s: %d %q, want %q", sni, code, out, want)
			}
		}
	}, nil)
}

func TestServerTLS(t *testing.T) {
	c := sharedCerts(t)
	var resumed atomic.Int64
	origin := tlsOrigin(t, c.dir+"/origin.pem", "origin", &resumed)
	run(t, func(t *testing.T, proxy string) {
		before := resumed.Load()
		e := start(t, proxy, base+`
frontend fe
    bind ${FE}
    default_backend be

backend be
    server o ${OTLS} ssl verify required ca-file ${DIR}/ca.pem sni str(origin.internal)
    server down ${S1} check check-ssl verify none inter 200ms fall 1 rise 1
`, map[string]string{"OTLS": origin})
		harness.Eventually(t, 10*time.Second, "the plain server marked DOWN by its TLS check\n"+e.stdout.String()+e.stderr.String(), func() bool {
			return strings.Contains(e.stdout.String()+e.stderr.String(), "be/down is DOWN")
		})
		for i := 0; i < 4; i++ {
			r := harness.Get(t, e.addrs["FE"], "/")
			if r.Status != 200 || string(r.Body) != "origin sni=origin.internal" {
				t.Fatalf("request %d: %s", i, r)
			}
		}
		if resumed.Load()-before < 2 {
			t.Errorf("%d resumed handshakes to the server in 4 connections, want at least 2", resumed.Load()-before)
		}
	}, nil)
}

// TestServerTLSThroughSocks4: a TLS server behind a SOCKS4 proxy (HAProxy's
// examples/socks4.cfg): the tunnel is opened first, then the TLS
// handshake runs through it with the server's SNI and verification, and
// a TLS check with check-via-socks4 goes the same way.
func TestServerTLSThroughSocks4(t *testing.T) {
	c := sharedCerts(t)
	origin := tlsOrigin(t, c.dir+"/origin.pem", "origin", nil)
	run(t, func(t *testing.T, proxy string) {
		socks := &harness.Socks4Proxy{}
		sp := harness.StartOrigin(t, socks.Serve)
		e := start(t, proxy, base+`
frontend fe
    bind ${FE}
    default_backend be

backend be
    server o ${OTLS} ssl verify required ca-file ${DIR}/ca.pem sni str(origin.internal) socks4 ${SOCKS} check check-via-socks4 inter 200ms
`, map[string]string{"OTLS": origin, "SOCKS": sp.Addr})
		harness.Eventually(t, 10*time.Second, "a check through the proxy", func() bool {
			return socks.Count(origin) >= 1
		})
		for i := 0; i < 2; i++ {
			r := harness.Get(t, e.addrs["FE"], "/")
			if r.Status != 200 || string(r.Body) != "origin sni=origin.internal" {
				t.Fatalf("request %d: %s", i, r)
			}
		}
		if strings.Contains(e.stdout.String()+e.stderr.String(), "be/o is DOWN") {
			t.Errorf("the server was marked down:\n%s%s", e.stdout, e.stderr)
		}
	}, nil)
}

// TestResumptionAcrossReload: a session from before a reload resumes
// after it (openssl s_client -sess_out, reload, -sess_in), TLS 1.2 and
// 1.3. With tls-ticket-keys both proxies do; without, Baton still does
// (its master owns the keys), HAProxy makes new ones.
func TestResumptionAcrossReload(t *testing.T) {
	for _, keys := range []bool{true, false} {
		name := "master keys"
		opt := ""
		if keys {
			name, opt = "tls-ticket-keys", " tls-ticket-keys ${DIR}/ticket.keys"
		}
		t.Run(name, func(t *testing.T) {
			run(t, func(t *testing.T, proxy string) {
				e := start(t, proxy, base+`
frontend fe
    bind ${FE} ssl crt ${DIR}/www.pem`+opt+`
    default_backend be

backend be
    server s1 ${S1}
`, nil)
				dir := t.TempDir()
				for _, v := range []string{"-tls1_2", "-tls1_3"} {
					sess := filepath.Join(dir, "sess"+v)
					req := "GET / HTTP/1.0\r\n\r\n"
					if out := sClientIn(t, e.addrs["FE"], req, v, "-ign_eof", "-servername", "www.example.com", "-sess_out", sess); !strings.Contains(out, "New, TLS") {
						t.Fatalf("%s first: %s", v, out)
					}
					e.reload()
					if out := sClientIn(t, e.addrs["FE"], req, v, "-ign_eof", "-servername", "www.example.com", "-sess_in", sess); !strings.Contains(out, "Reused, TLS") || !strings.Contains(out, "backend s1") {
						t.Errorf("%s after a reload: not resumed:\n%s", v, out)
					}
				}
			}, func(proxy string) string {
				if proxy == "haproxy" && !keys {
					return "HAProxy makes new ticket keys at each reload unless tls-ticket-keys is set"
				}
				return ""
			})
		})
	}
}

// TestIdleTLSConnectionAcrossReload: an idle keep-alive TLS connection is
// neither cut nor pinned by a reload: its next request is answered by the
// new configuration, with Connection: close, and the client's reconnect
// resumes its session.
func TestIdleTLSConnectionAcrossReload(t *testing.T) {
	run(t, func(t *testing.T, proxy string) {
		cfg := base + `
frontend fe
    bind ${FE} ssl crt ${DIR}/www.pem
    default_backend be

backend be
    server s1 ${S1}
`
		e := start(t, proxy, cfg, nil)
		cache := tls.NewLRUClientSessionCache(4)
		c, err := e.goTLS("FE", "www.example.com", func(c *tls.Config) { c.ClientSessionCache = cache })
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		get := func() *harness.Response {
			t.Helper()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
			r, err := harness.ReadResponse(br, "GET")
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			return r
		}
		if r := get(); r.Get("X-Backend") != "s1" {
			t.Fatalf("before: %s", r)
		}
		next := strings.Replace(e.cfg, "server s1 "+e.addrs["S1"], "server s2 ${S2}", 1)
		next = placeholderS2(t, next)
		e.baton.WriteConfig(next)
		e.reload()
		r := get()
		if r.Get("X-Backend") != "s2" || !r.HasToken("Connection", "close") {
			t.Errorf("after the reload: %s", r)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := br.ReadByte(); err == nil {
			t.Error("connection still open after Connection: close")
		}
		again, err := e.goTLS("FE", "www.example.com", func(c *tls.Config) { c.ClientSessionCache = cache })
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if !again.ConnectionState().DidResume {
			t.Error("the reconnect did a full handshake")
		}
		// The old generation is gone soon after the relayed exchange.
		harness.Eventually(t, 10*time.Second, "old generation exited\n"+e.stderr.String(), func() bool {
			return strings.Contains(e.baton.CLI("show proc"), "# old workers\n") &&
				!strings.Contains(strings.SplitN(e.baton.CLI("show proc"), "# old workers\n", 2)[1], "worker")
		})
	}, func(proxy string) string {
		if proxy == "haproxy" {
			return "HAProxy closes idle keep-alive connections at a reload (a reuse race for the client); Baton relays them (see doc/configuration.md, TLS)"
		}
		return ""
	})
}

// placeholderS2 starts the sample server ${S2} and puts its address in cfg.
func placeholderS2(t *testing.T, cfg string) string {
	a := harness.FreeAddr(t)
	srv, err := sample.Start(a, "s2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return strings.ReplaceAll(cfg, "${S2}", a)
}

// TestBadClients: garbage and truncated records, a slowloris handshake,
// an oversized SNI: each is refused cleanly, Baton logs a line, and no
// connection is left behind.
func TestBadClients(t *testing.T) {
	run(t, func(t *testing.T, proxy string) {
		e := start(t, proxy, base+`
frontend fe
    bind ${FE} ssl crt ${DIR}/www.pem
    timeout client 1s
    default_backend be

backend be
    server s1 ${S1}
`, nil)
		long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".example"
		for name, send := range map[string][]byte{
			"http to https": []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
			"garbage":       []byte("\x16\x03\x01\x00\x05hello"),
			"truncated":     {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01},
			"slowloris":     {0x16},
			"oversized sni": helloWithSNI(long),
		} {
			conn, err := net.Dial("tcp", e.addrs["FE"])
			if err != nil {
				t.Fatal(err)
			}
			conn.Write(send)
			conn.SetReadDeadline(time.Now().Add(8 * time.Second))
			b, err := io.ReadAll(conn)
			conn.Close()
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("%s: connection left open", name)
			}
			if strings.Contains(string(b), "HTTP/1.") {
				t.Errorf("%s: answered in plain HTTP: %q", name, b)
			}
		}
		if _, err := e.goTLS("FE", long, nil); err == nil {
			t.Error("oversized SNI accepted")
		}
		if proxy != "baton" {
			return
		}
		harness.Eventually(t, 10*time.Second, "handshake failures logged\n"+e.stdout.String(), func() bool {
			out := e.stdout.String()
			return strings.Count(out, "SSL handshake failure")+strings.Count(out, "Timeout during SSL handshake") >= 5
		})
		harness.Eventually(t, 10*time.Second, "no connection left", func() bool {
			return strings.Contains(e.baton.CLI("show proc"), " serving   0 ")
		})
	}, nil)
}

// helloWithSNI is a minimal TLS 1.2 ClientHello record carrying sni.
func helloWithSNI(sni string) []byte {
	name := append([]byte{0, byte(len(sni) >> 8), byte(len(sni))}, sni...)
	list := append([]byte{byte(len(name) >> 8), byte(len(name))}, name...)
	ext := append([]byte{0, 0, byte(len(list) >> 8), byte(len(list))}, list...)
	body := append([]byte{3, 3}, make([]byte, 32)...)
	body = append(body, 0, 0, 2, 0xc0, 0x2b, 1, 0)
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	msg := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{22, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// TestRelayEndsSoonAfterNextRequest measures the bound of TLS relays: 50
// idle keep-alive TLS connections across a reload stay open (relayed by
// the old generation), and once each client sends its next request the
// old generation exits within about a second (lingerTime after the new
// generation's Connection: close, or at once when the client closes).
func TestRelayEndsSoonAfterNextRequest(t *testing.T) {
	e := start(t, "baton", base+`
frontend fe
    bind ${FE} ssl crt ${DIR}/www.pem
    timeout http-keep-alive 60s
    default_backend be

backend be
    server s1 ${S1}
`, nil)
	const n = 50
	type kc struct {
		c  *tls.Conn
		br *bufio.Reader
	}
	var conns []kc
	get := func(k kc) *harness.Response {
		t.Helper()
		k.c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(k.c, "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
		r, err := harness.ReadResponse(k.br, "GET")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for i := 0; i < n; i++ {
		c, err := e.goTLS("FE", "www.example.com", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		k := kc{c, bufio.NewReader(c)}
		get(k)
		conns = append(conns, k)
	}
	e.reload()
	oldWorkers := func() int {
		out := e.baton.CLI("show proc")
		_, old, _ := strings.Cut(out, "# old workers\n")
		return strings.Count(old, " worker ")
	}
	harness.Eventually(t, 5*time.Second, "the old generation relaying", func() bool { return oldWorkers() == 1 })
	begin := time.Now()
	for _, k := range conns {
		if r := get(k); !r.HasToken("Connection", "close") {
			t.Fatalf("relayed answer without Connection: close: %s", r)
		}
		k.c.Close() // the client reconnects elsewhere, as browsers do
	}
	lastAnswer := time.Since(begin)
	harness.Eventually(t, 5*time.Second, "the old generation exits", func() bool { return oldWorkers() == 0 })
	t.Logf("%d relayed connections: last answer %v after the first request, old generation gone %v after it",
		n, lastAnswer.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
}
