package rules

import (
	"testing"

	"baton/internal/config"
	"baton/internal/h1"
	"baton/internal/tlsconf"
)

// compileFE parses src and compiles its proxy "fe".
func compileFE(t *testing.T, src string) *Set {
	t.Helper()
	s, err := Compile(parseProxy(t, src, "fe"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parseProxy(t *testing.T, src string, name string) *config.Proxy {
	t.Helper()
	c, err := config.Parse("t.cfg", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Proxies {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no proxy %s", name)
	return nil
}

var facts = &tlsconf.Facts{
	Protocol: []byte("TLSv1.3"), Cipher: []byte("TLS_AES_128_GCM_SHA256"), SNI: []byte("www.example.com"),
	ALPN: []byte("http/1.1"), ClientCert: true, SubjectDN: []byte("/C=FR/O=Example/CN=alice"), IssuerDN: []byte("/CN=Client CA"),
}

func TestTLSFetches(t *testing.T) {
	s := compileFE(t, `defaults
  mode http
  timeout client 1s
frontend fe
  bind :80
  bind :443 ssl crt x.pem
  http-request redirect scheme https unless { ssl_fc }
  http-request set-header X-Forwarded-Proto https if { ssl_fc }
  http-request set-header X-Client-DN alice if { ssl_c_s_dn /C=FR/O=Example/CN=alice }
  use_backend sni if { ssl_fc_sni -i WWW.EXAMPLE.COM }
  default_backend other
backend sni
backend other
`)
	f := newFixture("/x")
	x := in(&f.r, "10.0.0.1")
	v := Verdict{}.Reset()
	s.Request(x, &v)
	if !v.Respond || v.Status != 302 || string(v.Location) != "https://api.example.com/x" {
		t.Fatalf("plain: verdict %+v %q", v, v.Location)
	}
	if got := s.Backend(x); got != "other" {
		t.Errorf("plain backend %q", got)
	}
	f.reset()
	x.TLS = facts
	v = v.Reset()
	s.Request(x, &v)
	if v.Respond {
		t.Fatalf("tls: redirected")
	}
	if h, _ := f.r.Header("X-Forwarded-Proto"); string(h) != "https" {
		t.Errorf("X-Forwarded-Proto %q", h)
	}
	if h, _ := f.r.Header("X-Client-DN"); string(h) != "alice" {
		t.Errorf("X-Client-DN %q", h)
	}
	if got := s.Backend(x); got != "sni" {
		t.Errorf("tls backend %q", got)
	}
}

func TestTLSFetchMatchers(t *testing.T) {
	cases := []struct {
		acl  config.ACL
		in   *tlsconf.Facts
		want bool
	}{
		{config.ACL{Fetch: "ssl_fc"}, facts, true},
		{config.ACL{Fetch: "ssl_fc"}, nil, false},
		{config.ACL{Fetch: "ssl_c_used"}, facts, true},
		{config.ACL{Fetch: "ssl_c_used"}, &tlsconf.Facts{}, false},
		{config.ACL{Fetch: "ssl_fc_has_sni"}, &tlsconf.Facts{}, false},
		{config.ACL{Fetch: "ssl_fc_sni_end", Values: []string{".example.com"}}, facts, true},
		{config.ACL{Fetch: "ssl_fc_sni_reg", IgnoreCase: true, Values: []string{`^WWW\.`}}, facts, true},
		{config.ACL{Fetch: "ssl_fc_protocol", Values: []string{"TLSv1.2"}}, facts, false},
		{config.ACL{Fetch: "ssl_fc_protocol", Values: []string{"TLSv1.2", "TLSv1.3"}}, facts, true},
		{config.ACL{Fetch: "ssl_fc_cipher", Values: []string{"TLS_AES_128_GCM_SHA256"}}, facts, true},
		{config.ACL{Fetch: "ssl_fc_alpn", Values: []string{"h2"}}, facts, false},
		{config.ACL{Fetch: "ssl_c_i_dn", Values: []string{"/CN=Client CA"}}, facts, true},
		{config.ACL{Fetch: "ssl_c_verify", Values: []string{"0"}}, facts, true},
		{config.ACL{Fetch: "ssl_c_verify", Values: []string{"1:"}}, facts, false},
		{config.ACL{Fetch: "ssl_c_verify", Values: []string{"0"}}, nil, true},
	}
	for _, c := range cases {
		s, err := Compile(aclProxy(c.acl, false))
		if err != nil {
			t.Fatalf("%s: %v", c.acl.Fetch, err)
		}
		x := &Input{Req: &h1.Request{}, TLS: c.in}
		if got := s.Backend(x) == "hit"; got != c.want {
			t.Errorf("%s %v on %v: %v, want %v", c.acl.Fetch, c.acl.Values, c.in != nil, got, c.want)
		}
	}
	if _, err := Compile(aclProxy(config.ACL{Fetch: "ssl_fc", Values: []string{"1"}}, false)); err == nil {
		t.Error("boolean fetch with a value compiled")
	}
}

func TestContentRules(t *testing.T) {
	s := compileFE(t, `defaults
  mode tcp
  timeout client 1s
frontend fe
  bind :443
  tcp-request inspect-delay 5s
  tcp-request content reject if { req_ssl_sni -i bad.example }
  tcp-request content accept if { req_ssl_hello_type 1 }
  use_backend www if { req.ssl_sni -i www.example.com }
  use_backend ssh if !{ req.ssl_hello_type 1 }
  default_backend other
backend www
backend ssh
backend other
`)
	if !s.HasContentRules() {
		t.Fatal("no content rules")
	}
	hello := func(sni string) *tlsconf.Hello { return &tlsconf.Hello{Type: 1, SNI: []byte(sni)} }
	cases := []struct {
		name    string
		x       Input
		final   bool
		verdict ContentVerdict
		backend string
	}{
		{"nothing yet", Input{HelloPending: true}, false, ContentWait, ""},
		{"delay over, nothing", Input{HelloPending: true}, true, ContentAccept, "ssh"},
		{"not tls", Input{}, false, ContentAccept, "ssh"},
		{"www", Input{Hello: hello("WWW.example.com")}, false, ContentAccept, "www"},
		{"no sni", Input{Hello: &tlsconf.Hello{Type: 1}}, false, ContentAccept, "other"},
		{"bad", Input{Hello: hello("bad.example")}, false, ContentReject, ""},
		{"server hello", Input{Hello: &tlsconf.Hello{Type: 2}}, false, ContentAccept, "ssh"},
	}
	for _, c := range cases {
		if got := s.Content(&c.x, c.final); got != c.verdict {
			t.Errorf("%s: verdict %d, want %d", c.name, got, c.verdict)
			continue
		}
		if c.verdict == ContentAccept {
			if got := s.Backend(&c.x); got != c.backend {
				t.Errorf("%s: backend %q, want %q", c.name, got, c.backend)
			}
		}
	}
}

func TestTLSNoAlloc(t *testing.T) {
	s := compileFE(t, `defaults
  mode http
  timeout client 1s
frontend fe
  bind :443 ssl crt x.pem
  http-request redirect scheme https unless { ssl_fc }
  http-request set-header X-Forwarded-Proto https if { ssl_fc }
  http-request set-header X-SSL-Client-DN %[ssl_c_s_dn]
  use_backend sni if { ssl_fc_sni -i www.example.com } { ssl_c_verify 0 }
  default_backend other
backend sni
backend other
`)
	f := newFixture("/x")
	x := in(&f.r, "10.0.0.1")
	x.TLS = facts
	v := Verdict{}.Reset()
	s.Request(x, &v) // warm the scratch buffers
	if n := testing.AllocsPerRun(200, func() {
		f.reset()
		v = v.Reset()
		s.Request(x, &v)
		s.Backend(x)
	}); n != 0 {
		t.Errorf("TLS rules allocate %v times per request", n)
	}
}

// TLS fetches in header values: the mTLS headers operators pass on.
func TestTLSValues(t *testing.T) {
	s := compileFE(t, `defaults
  mode http
  timeout client 1s
frontend fe
  bind :443 ssl crt x.pem
  http-request set-header X-SSL %[ssl_fc]
  http-request set-header X-SSL-Client-Used %[ssl_c_used]
  http-request set-header X-SSL-Client-DN %[ssl_c_s_dn]
  http-request set-header X-SSL-Issuer %[ssl_c_i_dn]
  http-request set-header X-SSL-Verify %[ssl_c_verify]
  http-request set-header X-TLS "%[ssl_fc_protocol] %[ssl_fc_cipher] %[ssl_fc_sni] %[ssl_fc_alpn]"
  default_backend b
backend b
`)
	for _, c := range []struct {
		facts *tlsconf.Facts
		want  map[string]string
	}{
		{facts, map[string]string{"X-SSL": "1", "X-SSL-Client-Used": "1", "X-SSL-Client-DN": "/C=FR/O=Example/CN=alice",
			"X-SSL-Issuer": "/CN=Client CA", "X-SSL-Verify": "0", "X-TLS": "TLSv1.3 TLS_AES_128_GCM_SHA256 www.example.com http/1.1"}},
		{nil, map[string]string{"X-SSL": "0", "X-SSL-Client-Used": "0", "X-SSL-Client-DN": "", "X-SSL-Verify": "0", "X-TLS": "   "}},
	} {
		f := newFixture("/")
		x := in(&f.r, "10.0.0.1")
		x.TLS = c.facts
		v := Verdict{}.Reset()
		s.Request(x, &v)
		for h, want := range c.want {
			if got, _ := f.r.Header(h); string(got) != want {
				t.Errorf("tls=%v %s: %q, want %q", c.facts != nil, h, got, want)
			}
		}
	}
}
