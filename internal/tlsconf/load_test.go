package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/internal/tlsconf/tlstest"
)

// handshake runs a TLS handshake between srv and a client with cfg over
// a pipe and returns the client's view, or the client's error.
func handshake(t *testing.T, srv *tls.Config, cfg *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	done := make(chan error, 1)
	go func() {
		s := tls.Server(a, srv)
		err := s.Handshake()
		if err == nil {
			// TLS 1.3 tickets go out after the handshake: let the
			// client read them before the pipe closes.
			s.Write([]byte("x"))
		}
		done <- err
	}()
	c := tls.Client(b, cfg)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	err := c.Handshake()
	if err == nil {
		buf := make([]byte, 1)
		_, err = c.Read(buf)
	}
	a.Close()
	<-done
	return c.ConnectionState(), err
}

type fixture struct {
	dir string
	ca  *tlstest.CA
}

func newFixture(t *testing.T) *fixture {
	return &fixture{dir: t.TempDir(), ca: tlstest.NewCA("Test Root")}
}

func (f *fixture) write(t *testing.T, name string, data []byte) string {
	return tlstest.Write(t, f.dir, name, data)
}

func (f *fixture) load(t *testing.T, s *Specs) (*Bundle, []string) {
	t.Helper()
	b, warns, err := Load(s, &OSFiles{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return b, warns
}

func (f *fixture) client(name string) *tls.Config {
	return &tls.Config{ServerName: name, RootCAs: f.ca.Pool()}
}

func leafName(cs tls.ConnectionState) string {
	if len(cs.PeerCertificates) == 0 {
		return ""
	}
	return cs.PeerCertificates[0].Subject.CommonName
}

func TestLoadCertErrors(t *testing.T) {
	f := newFixture(t)
	good := f.ca.Issue(tlstest.Options{}, "good.example")
	other := f.ca.Issue(tlstest.Options{}, "other.example")
	expired := f.ca.Issue(tlstest.Options{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, "old.example")
	inter := f.ca.Intermediate("Inter")
	chained := inter.IssueChained(tlstest.Options{}, "chained.example")
	cases := []struct {
		name  string
		files map[string][]byte
		err   string
		warn  string
	}{
		{name: "bundle", files: map[string][]byte{"c.pem": good.Bundle()}},
		{name: "key beside", files: map[string][]byte{"c.pem": good.CertPEM, "c.pem.key": good.KeyPEM}},
		{name: "no key", files: map[string][]byte{"c.pem": good.CertPEM}, err: "no private key"},
		{name: "mismatched key", files: map[string][]byte{"c.pem": append(append([]byte(nil), good.CertPEM...), other.KeyPEM...)}, err: "does not match"},
		{name: "two keys", files: map[string][]byte{"c.pem": append(good.Bundle(), other.KeyPEM...)}, err: "more than one private key"},
		{name: "no cert", files: map[string][]byte{"c.pem": good.KeyPEM}, err: "no certificate"},
		{name: "garbage", files: map[string][]byte{"c.pem": []byte("hello")}, err: "no PEM data"},
		{name: "broken der", files: map[string][]byte{"c.pem": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}, err: "certificate 1"},
		{name: "encrypted key", files: map[string][]byte{"c.pem": append(append([]byte(nil), good.CertPEM...), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"...)}, err: "encrypted"},
		{name: "expired", files: map[string][]byte{"c.pem": expired.Bundle()}, warn: "expired on"},
		{name: "chain in order", files: map[string][]byte{"c.pem": chained.Bundle()}},
		{name: "chain out of order", files: map[string][]byte{"c.pem": append(append(append([]byte(nil), chained.CertPEM...), f.ca.PEM...), chained.KeyPEM...)}, warn: "out of order"},
		{name: "missing", files: map[string][]byte{}, err: "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, d := range c.files {
				tlstest.Write(t, dir, n, d)
			}
			cert, warns, err := LoadCert(&OSFiles{}, filepath.Join(dir, "c.pem"), time.Now())
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "c.pem") {
					t.Fatalf("err = %v, want %q naming the file", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w := strings.Join(warns, "|"); (c.warn == "") != (w == "") || !strings.Contains(w, c.warn) {
				t.Errorf("warnings %q, want %q", w, c.warn)
			}
			if len(cert.Names) == 0 {
				t.Error("no names")
			}
		})
	}
}

func TestSNISelection(t *testing.T) {
	f := newFixture(t)
	def := f.ca.Issue(tlstest.Options{}, "default.example")
	www := f.ca.Issue(tlstest.Options{}, "www.example.org")
	wild := f.ca.Issue(tlstest.Options{}, "*.example.org")
	wildRSA := f.ca.Issue(tlstest.Options{Key: tlstest.RSA}, "*.example.net")
	wildEC := f.ca.Issue(tlstest.Options{}, "*.example.net")
	secure := f.ca.Issue(tlstest.Options{}, "secure.example.org")
	f.write(t, "certs/def.pem", def.Bundle())
	f.write(t, "certs/www.pem", www.Bundle())
	f.write(t, "certs/wild.pem", wild.Bundle())
	f.write(t, "certs/wrsa.pem", wildRSA.Bundle())
	f.write(t, "certs/wec.pem", wildEC.Bundle())
	f.write(t, "certs/secure.pem", secure.Bundle())
	list := f.write(t, "list", []byte(`# the default first
def.pem
www.pem
wild.pem *.example.org !excluded.example.org
wrsa.pem
wec.pem
secure.pem [alpn http/1.1 ssl-min-ver TLSv1.3] secure.example.org alias.example.com
`))
	spec := &BindSpec{Pos: "t.cfg:3", Addr: ":443", Crts: []CrtRef{{Path: list, List: true}}}
	b, _ := f.load(t, &Specs{Global: Global{CrtBase: filepath.Join(f.dir, "certs")}, Binds: []*BindSpec{spec}})
	srv := b.Bind(spec).Config
	for _, c := range []struct{ sni, want string }{
		{"www.example.org", "www.example.org"},
		{"WWW.Example.ORG", "www.example.org"},
		{"api.example.org", "*.example.org"},
		{"a.b.example.org", "default.example"},      // one label only
		{"excluded.example.org", "default.example"}, // negative filter
		{"alias.example.com", "secure.example.org"},
		{"unknown.test", "default.example"},
		{"", "default.example"},
	} {
		cfg := f.client(c.sni)
		cfg.InsecureSkipVerify = c.sni == "" || c.want != c.sni && !strings.HasPrefix(c.want, "*")
		cs, err := handshake(t, srv, cfg)
		if err != nil {
			t.Errorf("sni %q: %v", c.sni, err)
			continue
		}
		if got := leafName(cs); got != c.want {
			t.Errorf("sni %q: served %q, want %q", c.sni, got, c.want)
		}
	}
	// Per-line options: secure.pem only speaks TLS 1.3.
	cfg := f.client("secure.example.org")
	cfg.MaxVersion = tls.VersionTLS12
	if _, err := handshake(t, srv, cfg); err == nil {
		t.Error("TLS 1.2 client got the TLS 1.3-only certificate")
	}
	// Key types: an ECDSA-capable client gets the ECDSA one, an RSA-only
	// one the RSA one.
	cs, err := handshake(t, srv, f.client("x.example.net"))
	if err != nil || cs.PeerCertificates[0].PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("ecdsa client: %v %v", err, cs.PeerCertificates)
	}
	cfg = f.client("x.example.net")
	cfg.MaxVersion = tls.VersionTLS12
	cfg.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
	cs, err = handshake(t, srv, cfg)
	if err != nil || cs.PeerCertificates[0].PublicKeyAlgorithm != x509.RSA {
		t.Errorf("rsa-only client: %v", err)
	}
}

func TestStrictSNIAndALPN(t *testing.T) {
	f := newFixture(t)
	c := f.ca.Issue(tlstest.Options{}, "a.example")
	p := f.write(t, "a.pem", c.Bundle())
	spec := &BindSpec{Pos: "t.cfg:1", Addr: ":443", Crts: []CrtRef{{Path: p}}, StrictSNI: true}
	spec.Opts.Apply("alpn", "h2,http/1.1,spdy/3", CtxBind, func(string) {})
	b, warns := f.load(t, &Specs{Binds: []*BindSpec{spec}})
	if w := strings.Join(warns, "|"); !strings.Contains(w, `"spdy/3" is left out`) || strings.Contains(w, `"h2"`) {
		t.Errorf("warnings %q", warns)
	}
	srv := b.Bind(spec).Config
	if _, err := handshake(t, srv, f.client("b.example")); err == nil {
		t.Error("strict-sni served an unknown name")
	}
	cfg := f.client("a.example")
	cfg.NextProtos = []string{"h2", "http/1.1"}
	cs, err := handshake(t, srv, cfg)
	if err != nil || cs.NegotiatedProtocol != "h2" {
		t.Errorf("alpn: %q %v", cs.NegotiatedProtocol, err)
	}
	// No protocol in common: go on without ALPN, as HAProxy does.
	cfg.NextProtos = []string{"spdy/3"}
	cs, err = handshake(t, srv, cfg)
	if err != nil || cs.NegotiatedProtocol != "" {
		t.Errorf("no overlap: %q %v", cs.NegotiatedProtocol, err)
	}
}

func TestClientCertificates(t *testing.T) {
	f := newFixture(t)
	srvCert := f.ca.Issue(tlstest.Options{}, "mtls.example")
	clientCA := tlstest.NewCA("Client CA")
	good := clientCA.Issue(tlstest.Options{Client: true}, "alice")
	revoked := clientCA.Issue(tlstest.Options{Client: true}, "mallory")
	stranger := tlstest.NewCA("Other CA").Issue(tlstest.Options{Client: true}, "eve")
	inter := clientCA.Intermediate("Client Inter")
	chained := inter.IssueChained(tlstest.Options{Client: true}, "bob")
	crt := f.write(t, "srv.pem", srvCert.Bundle())
	caFile := f.write(t, "ca.pem", clientCA.PEM)
	crlFile := f.write(t, "crl.pem", append(clientCA.CRL(revoked), inter.CRL()...))
	mk := func(verify string, crl bool) *tls.Config {
		spec := &BindSpec{Pos: "t.cfg:1", Addr: ":443", Crts: []CrtRef{{Path: crt}}}
		spec.Opts.Verify, spec.Opts.CAFile = verify, caFile
		if crl {
			spec.Opts.CRLFile = crlFile
		}
		b, _ := f.load(t, &Specs{Binds: []*BindSpec{spec}})
		return b.Bind(spec).Config
	}
	with := func(c *tlstest.Cert, chain bool) *tls.Config {
		cfg := f.client("mtls.example")
		if c != nil {
			pem := c.CertPEM
			if chain {
				pem = c.ChainPEM
			}
			kp, err := tls.X509KeyPair(pem, c.KeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			// Always send it: Go's client would hold back a certificate
			// the server's CA names do not cover.
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &kp, nil }
		}
		return cfg
	}
	req := mk("required", true)
	opt := mk("optional", false)
	for _, c := range []struct {
		name string
		srv  *tls.Config
		cli  *tls.Config
		ok   bool
	}{
		{"required, good", req, with(good, false), true},
		{"required, none", req, with(nil, false), false},
		{"required, revoked", req, with(revoked, false), false},
		{"required, unknown CA", req, with(stranger, false), false},
		{"required, chained", req, with(chained, true), true},
		{"required, broken chain", req, with(chained, false), false},
		{"optional, none", opt, with(nil, false), true},
		{"optional, good", opt, with(good, false), true},
		{"optional, unknown CA", opt, with(stranger, false), false},
	} {
		_, err := handshake(t, c.srv, c.cli)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
	// verify without a CA file is a configuration error.
	spec := &BindSpec{Pos: "t.cfg:9", Addr: ":443", Crts: []CrtRef{{Path: crt}}}
	spec.Opts.Verify = "required"
	if _, _, err := Load(&Specs{Binds: []*BindSpec{spec}}, &OSFiles{}, time.Now()); err == nil || !strings.Contains(err.Error(), "t.cfg:9: bind :443: verify required needs a ca-file") {
		t.Errorf("err = %v", err)
	}
}

func TestTicketsAcrossBundles(t *testing.T) {
	f := newFixture(t)
	c := f.ca.Issue(tlstest.Options{}, "r.example")
	p := f.write(t, "r.pem", c.Bundle())
	keys := [][32]byte{NewTicketKey()}
	gen := func() *tls.Config {
		spec := &BindSpec{Pos: "t.cfg:1", Addr: ":443", Crts: []CrtRef{{Path: p}}}
		b, _ := f.load(t, &Specs{Binds: []*BindSpec{spec}})
		b.SetTicketKeys(keys)
		return b.Bind(spec).Config
	}
	old, next := gen(), gen()
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := f.client("r.example")
		cfg.MaxVersion = v
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		if cs, err := handshake(t, old, cfg); err != nil || cs.DidResume {
			t.Fatalf("%s first: %v resumed=%v", tls.VersionName(v), err, cs.DidResume)
		}
		cs, err := handshake(t, next, cfg)
		if err != nil || !cs.DidResume {
			t.Errorf("%s: the next generation did not resume (%v)", tls.VersionName(v), err)
		}
	}
	// Another key: no resumption, and no failure.
	cfg := f.client("r.example")
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	handshake(t, old, cfg)
	spec := &BindSpec{Pos: "t.cfg:1", Addr: ":443", Crts: []CrtRef{{Path: p}}}
	fresh, _ := f.load(t, &Specs{Binds: []*BindSpec{spec}})
	fresh.SetTicketKeys([][32]byte{NewTicketKey()})
	if cs, err := handshake(t, fresh.Bind(spec).Config, cfg); err != nil || cs.DidResume {
		t.Errorf("unknown key: err %v resumed %v", err, cs.DidResume)
	}
}

func TestTicketLifetime(t *testing.T) {
	cfg := &tls.Config{}
	lifetime(cfg, time.Minute)
	ss := &tls.SessionState{}
	ss.Extra = append(ss.Extra, stampTicket(time.Now().Add(-2*time.Minute)))
	if tm, ok := ticketStamp(ss.Extra); !ok || time.Since(tm) < time.Minute {
		t.Fatal("stamp")
	}
}

func TestParseTicketKeys(t *testing.T) {
	k48 := strings.Repeat("QUFB", 16) // 48 bytes of 'A'
	k48b := strings.Repeat("QkJC", 16)
	k48c := strings.Repeat("Q0ND", 16)
	keys, err := ParseTicketKeys([]byte(k48 + "\n" + k48b + "\n\n" + k48c + "\n"))
	if err != nil || len(keys) != 3 {
		t.Fatalf("%v %d", err, len(keys))
	}
	again, _ := ParseTicketKeys([]byte("# c\n" + k48 + "\n" + k48b + "\n" + k48c))
	if keys[0] != again[0] {
		t.Error("not deterministic")
	}
	for _, bad := range []string{k48 + "\n" + k48b, "!!!\n" + k48 + "\n" + k48b, "QUFB\n" + k48 + "\n" + k48b} {
		if _, err := ParseTicketKeys([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestAssetsRoundTrip(t *testing.T) {
	f := newFixture(t)
	c := f.ca.Issue(tlstest.Options{}, "a.example")
	f.write(t, "d/a.pem", c.Bundle())
	f.write(t, "d/a.pem.ocsp", []byte("ocsp"))
	f.write(t, "d/.hidden", []byte("x"))
	spec := &BindSpec{Pos: "t.cfg:1", Addr: ":443", Crts: []CrtRef{{Path: filepath.Join(f.dir, "d")}}}
	rec := &OSFiles{Record: true}
	if _, _, err := Load(&Specs{Binds: []*BindSpec{spec}}, rec, time.Now()); err != nil {
		t.Fatal(err)
	}
	names, data := rec.Recorded().Flatten()
	a, err := Unflatten(names, data)
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(f.dir) // the worker must not need the disk
	b, _, err := Load(&Specs{Binds: []*BindSpec{spec}}, a, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cs, err := handshake(t, b.Bind(spec).Config, f.client("a.example"))
	if err != nil || string(cs.OCSPResponse) != "ocsp" {
		t.Errorf("from assets: %v ocsp=%q", err, cs.OCSPResponse)
	}
}

// no-tls-tickets: no RFC 5077 ticket up to TLS 1.2 (Go has no session-ID
// cache, so no resumption there); TLS 1.3 resumes from the generation's
// own cache, which a reload starts empty; tune.ssl.cachesize 0 keeps none.
func TestNoTLSTickets(t *testing.T) {
	f := newFixture(t)
	p := f.write(t, "n.pem", f.ca.Issue(tlstest.Options{}, "n.example").Bundle())
	gen := func(g Global) *tls.Config {
		spec := &BindSpec{Pos: "t.cfg:1", Addr: ":443", Crts: []CrtRef{{Path: p}}}
		spec.Opts.NoTickets = true
		b, _ := f.load(t, &Specs{Global: g, Binds: []*BindSpec{spec}})
		b.SetTicketKeys([][32]byte{NewTicketKey()})
		return b.Bind(spec).Config
	}
	srv := gen(Global{})
	try := func(srv *tls.Config, v uint16, cache tls.ClientSessionCache) bool {
		cfg := f.client("n.example")
		cfg.MaxVersion, cfg.ClientSessionCache = v, cache
		cs, err := handshake(t, srv, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return cs.DidResume
	}
	c12 := tls.NewLRUClientSessionCache(2)
	if try(srv, tls.VersionTLS12, c12) || try(srv, tls.VersionTLS12, c12) {
		t.Error("TLS 1.2 resumed under no-tls-tickets")
	}
	c13 := tls.NewLRUClientSessionCache(2)
	if try(srv, tls.VersionTLS13, c13) || !try(srv, tls.VersionTLS13, c13) {
		t.Error("TLS 1.3 did not resume from the session cache")
	}
	if try(gen(Global{}), tls.VersionTLS13, c13) {
		t.Error("another generation resumed a session of this one's cache")
	}
	off := gen(Global{CacheSize: 0, CacheSizeSet: true})
	c := tls.NewLRUClientSessionCache(2)
	if try(off, tls.VersionTLS13, c) || try(off, tls.VersionTLS13, c) {
		t.Error("resumed with tune.ssl.cachesize 0")
	}
}

func TestSessionCacheBounds(t *testing.T) {
	c := newSessionCache(2, time.Minute)
	a, b := c.put([]byte("a")), c.put([]byte("b"))
	c.get(a) // a is now the most recent
	c.put([]byte("c"))
	if c.get(b) != nil || string(c.get(a)) != "a" {
		t.Error("the least recently used entry was not evicted")
	}
	old := newSessionCache(2, time.Nanosecond)
	n := old.put([]byte("x"))
	time.Sleep(time.Millisecond)
	if old.get(n) != nil {
		t.Error("an expired session was returned")
	}
}

// TestDefaultALPN: an HTTP bind without "alpn" offers h2 then http/1.1;
// a TCP one offers nothing.
func TestDefaultALPN(t *testing.T) {
	f := newFixture(t)
	c := f.ca.Issue(tlstest.Options{}, "a.example")
	p := f.write(t, "a.pem", c.Bundle())
	httpSpec := &BindSpec{Pos: "t.cfg:1", Addr: ":443", Crts: []CrtRef{{Path: p}}}
	tcpSpec := &BindSpec{Pos: "t.cfg:2", Addr: ":444", Crts: []CrtRef{{Path: p}}, TCP: true}
	b, _ := f.load(t, &Specs{Binds: []*BindSpec{httpSpec, tcpSpec}})
	for _, tc := range []struct {
		spec  *BindSpec
		offer []string
		want  string
	}{
		{httpSpec, []string{"h2", "http/1.1"}, "h2"},
		{httpSpec, []string{"http/1.1"}, "http/1.1"},
		{tcpSpec, []string{"h2", "http/1.1"}, ""},
	} {
		cfg := f.client("a.example")
		cfg.NextProtos = tc.offer
		cs, err := handshake(t, b.Bind(tc.spec).Config, cfg)
		if err != nil || cs.NegotiatedProtocol != tc.want {
			t.Errorf("%s offering %v: %q %v, want %q", tc.spec.Addr, tc.offer, cs.NegotiatedProtocol, err, tc.want)
		}
	}
}
