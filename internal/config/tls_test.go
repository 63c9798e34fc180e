package config

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTLSBind(t *testing.T) {
	c := mustParse(t, `global
  crt-base /etc/ssl/private
  ca-base /etc/ssl/certs
  ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256
  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
  tune.ssl.lifetime 600
defaults
  mode http
  timeout connect 1s
  timeout client 2s
  timeout server 3s
frontend f
  bind :443 ssl crt site.pem crt-list list.txt strict-sni alpn h2,http/1.1 verify optional ca-file ca.pem tls-ticket-keys keys
  bind :8443 ssl crt /abs.pem ssl-max-ver TLSv1.2 ciphers ECDHE-RSA-AES256-GCM-SHA384
  bind :80
  http-request redirect scheme https unless { ssl_fc }
  http-request set-header X-Forwarded-Proto https if { ssl_fc }
  default_backend be
backend be
  server s 127.0.0.1:8443 ssl verify required ca-file ca.pem sni req.hdr(host) check-sni a.example alpn http/1.1 crt client.pem no-ssl-reuse check
`)
	g := c.Global.TLS
	if g.CrtBase != "/etc/ssl/private" || g.CABase != "/etc/ssl/certs" || g.Lifetime != 600*time.Second {
		t.Errorf("global %+v", g)
	}
	fe := c.Proxies[0]
	b := fe.Binds[0].TLS
	if b == nil || len(b.Crts) != 2 || !b.Crts[1].List || !b.StrictSNI || b.TicketKeys != "keys" || b.Opts.Verify != "optional" || b.Opts.CAFile != "ca.pem" {
		t.Fatalf("bind 1: %+v", b)
	}
	if b.Pos != "t.cfg:13" || b.Addr != ":443" || b.TCP {
		t.Errorf("bind 1 position: %+v", b)
	}
	// Defaults apply where the line is silent.
	if !b.Opts.NoTickets || b.Opts.MinVer != 4 || len(b.Opts.CipherSuites) != 1 {
		t.Errorf("defaults not merged: %+v", b.Opts)
	}
	b2 := fe.Binds[1].TLS
	if b2.Opts.MaxVer != 4 || b2.Opts.MinVer != 0 || b2.Opts.CipherSuites[0] != tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 {
		t.Errorf("bind 2: %+v", b2.Opts)
	}
	if fe.Binds[2].TLS != nil {
		t.Error("plain bind got TLS")
	}
	s := c.Proxies[1].Servers[0].TLS
	if s == nil || !s.SSL || !s.CheckSSL || s.SNI != "req.hdr(host)" || s.CheckSNI != "a.example" || s.Crt != "client.pem" || !s.NoReuse || s.Backend != "be" || s.Opts.Verify != "required" {
		t.Errorf("server: %+v", s)
	}
	specs := c.TLSSpecs()
	if len(specs.Binds) != 2 || len(specs.Servers) != 1 {
		t.Errorf("specs: %d binds, %d servers", len(specs.Binds), len(specs.Servers))
	}
	want := []string{`t.cfg:4: ssl-default-bind-ciphers: ciphers: not implemented by Go's TLS, ignored: DHE-RSA-AES128-GCM-SHA256`,
		`t.cfg:13: bind :443: alpn`} // h2 is dropped when loaded, not here
	joined := strings.Join(c.Warnings, "\n")
	if !strings.Contains(joined, want[0]) {
		t.Errorf("warnings lack %q:\n%s", want[0], joined)
	}
}

func TestParseTLSErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"ssl without crt", "frontend f\n  bind :443 ssl\n", `t.cfg:2: bind :443: ssl needs a certificate`},
		{"bad version", "frontend f\n  bind :443 ssl crt a.pem ssl-min-ver TLSv1.4\n", `t.cfg:2: bind :443: ssl-min-ver: unknown version "TLSv1.4"`},
		{"nothing usable", "frontend f\n  bind :443 ssl crt a.pem ciphers DHE-RSA-AES128-GCM-SHA256\n", `t.cfg:2: bind :443: ciphers: cipher list "DHE-RSA-AES128-GCM-SHA256" leaves no cipher suite`},
		{"crt value", "frontend f\n  bind :443 ssl crt\n", `t.cfg:2: bind :443: crt expects a value`},
		{"unsupported tls", "frontend f\n  bind :443 ssl crt a.pem generate-certificates\n", `t.cfg:2: bind :443: option "generate-certificates" is a HAProxy TLS option`},
		{"server default verify", "backend b\n  server s 127.0.0.1:443 ssl\n", `t.cfg:2: server "s": verify is enabled by default (ssl-server-verify) but no ca-file`},
		{"server verify value", "backend b\n  server s 127.0.0.1:443 ssl verify optional\n", `t.cfg:2: server "s": verify: `},
		{"server sni value", "backend b\n  server s 127.0.0.1:443 ssl verify none sni\n", `t.cfg:2: server "s": sni expects a value`},
		{"global options", "global\n  ssl-default-bind-options no-sslv3 strict-sni\n", `t.cfg:2: ssl-default-bind-options: "strict-sni" is not an option`},
		{"server verify global", "global\n  ssl-server-verify maybe\n", `t.cfg:2: ssl-server-verify: expects none or required`},
		{"tune value", "global\n  tune.ssl.default-dh-param 512\n", `t.cfg:2: tune.ssl.default-dh-param: 512 is out of range`},
		{"tcp-request action", "listen l\n  mode tcp\n  bind :80\n  tcp-request content track-sc0 src\n", `t.cfg:4: stick-table: unable to find table 'l'`},
		{"int fetch value", "listen l\n  mode tcp\n  bind :80\n  acl t req_ssl_hello_type one\n", `t.cfg:4: acl "t": "one" is not an integer or a range LO:HI`},
		{"sni reg", "listen l\n  mode http\n  bind :80\n  acl t ssl_fc_sni_reg ([\n", `t.cfg:4: acl "t": invalid regular expression`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.cfg", []byte(tt.src))
			var el ErrorList
			if !errors.As(err, &el) {
				t.Fatalf("want ErrorList, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("errors:\n%s\nlack %q", err, tt.want)
			}
		})
	}
}

func TestParseTLSWarnings(t *testing.T) {
	c := mustParse(t, `global
  tune.ssl.default-dh-param 2048
  ssl-server-verify none
  ssl-default-bind-options prefer-client-ciphers no-sslv3
defaults
  mode http
  timeout connect 1s
  timeout client 2s
  timeout server 3s
frontend f
  bind :80 alpn h2,http/1.1
  default_backend be
backend be
  server s 127.0.0.1:443 ssl
  server t 127.0.0.1:443 check check-ssl verify none
`)
	joined := strings.Join(c.Warnings, "\n")
	for _, w := range []string{
		`t.cfg:2: tune.ssl.default-dh-param: ignored: Go's TLS has no DHE`,
		`t.cfg:4: ssl-default-bind-options: prefer-client-ciphers: Go's TLS picks the suite itself`,
		`t.cfg:11: bind :80: alpn has no effect without ssl`,
	} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings lack %q:\n%s", w, joined)
		}
	}
	srv := c.Proxies[1].Servers
	if srv[0].TLS.Opts.Verify != "none" || !srv[1].TLS.CheckSSL || srv[1].TLS.SSL {
		t.Errorf("servers: %+v %+v", srv[0].TLS, srv[1].TLS)
	}
}

func TestParseTCPContent(t *testing.T) {
	c := mustParse(t, `defaults
  mode tcp
  timeout connect 1s
  timeout client 2s
  timeout server 3s
  tcp-request inspect-delay 5s
frontend f
  bind :443
  tcp-request content accept if { req_ssl_hello_type 1 }
  tcp-request content reject if { req.ssl_sni -i bad.example }
  acl www req_ssl_sni -i www.example.com
  use_backend web if www { req.ssl_hello_type 1 }
  use_backend ssh if !{ req.ssl_hello_type 1 }
  default_backend web
backend web
  server w 127.0.0.1:8443
backend ssh
  server s 127.0.0.1:22
`)
	fe := c.Proxies[0]
	if fe.InspectDelay != 5*time.Second || len(fe.TCPContentRules) != 2 || fe.TCPContentRules[1].Action != "reject" || fe.TCPContentRules[0].Cond == nil {
		t.Errorf("%+v %+v", fe.InspectDelay, fe.TCPContentRules)
	}
	if a := fe.TCPContentRules[1].Cond.Or[0][0].ACLs[0]; a.Fetch != "req.ssl_sni" || !a.IgnoreCase || a.Values[0] != "bad.example" {
		t.Errorf("acl %+v", a)
	}
}

// The TLS warnings are Baton's own: zero-warning, which refuses HAProxy's,
// lets them pass. The sockets of one bind line share its TLS side; each
// server of a template has its own.
func TestParseTLSListsAndZeroWarning(t *testing.T) {
	c := mustParse(t, `global
  zero-warning
  tune.ssl.default-dh-param 2048
defaults
  mode http
  timeout connect 1s
  timeout client 2s
  timeout server 3s
frontend f
  bind 127.0.0.1:8443,127.0.0.1:9443 ssl crt /x.pem alpn h2,http/1.1
  default_backend be
backend be
  server-template w 3 127.0.0.1:443 ssl verify none
`)
	if len(c.Warnings) == 0 {
		t.Errorf("no warnings")
	}
	b := c.Proxies[0].Binds
	if len(b) != 2 || b[0].TLS == nil || b[0].TLS != b[1].TLS {
		t.Fatalf("binds: %+v", b)
	}
	specs := c.TLSSpecs()
	if len(specs.Binds) != 1 || len(specs.Servers) != 3 {
		t.Errorf("specs: %d binds, %d servers", len(specs.Binds), len(specs.Servers))
	}
	srv := c.Proxies[1].Servers
	if srv[0].TLS == srv[1].TLS || srv[2].TLS.Name != "w3" || !srv[2].TLS.SSL {
		t.Errorf("template servers share or lack TLS: %+v %+v", srv[0].TLS, srv[2].TLS)
	}
}
