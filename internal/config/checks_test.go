package config

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"baton/internal/check"
)

// shapeOf summarises a ruleset: C connect, c implicit connect, S send,
// E expect.
func shapeOf(rs *check.Ruleset) string {
	var b strings.Builder
	for _, r := range rs.Rules {
		switch r.Action {
		case check.ActConnect:
			if r.Connect.Implicit {
				b.WriteByte('c')
			} else {
				b.WriteByte('C')
			}
		case check.ActSend:
			b.WriteByte('S')
		case check.ActExpect:
			b.WriteByte('E')
		default:
			b.WriteByte('V')
		}
	}
	return b.String()
}

func TestChecksParse(t *testing.T) {
	tests := []struct {
		name   string
		src    string // appended to base (in backend be)
		opt    string
		kind   check.Kind
		shape  string
		warn   string // a warning that must appear ("" none)
		verify func(t *testing.T, be *Proxy)
	}{
		{name: "plain", src: "  server s 127.0.0.1:1 check\n", kind: check.KindPlain, shape: "c"},
		{name: "httpchk", src: "  option httpchk GET /health\n  server s 127.0.0.1:1 check\n", opt: "httpchk", kind: check.KindHTTP, shape: "cSE"},
		{name: "httpchk one arg", src: "  option httpchk GET\n", opt: "httpchk", kind: check.KindHTTP, shape: "cSE", verify: func(t *testing.T, be *Proxy) {
			if req := be.CheckRules.Rules[1].Send.HTTP; req.URI != "GET" || req.Method != "" {
				t.Errorf("request %+v", req)
			}
		}},
		{name: "httpchk trick", src: "  option httpchk GET / HTTP/1.1\\r\\nHost:\\ www\n", opt: "httpchk", kind: check.KindHTTP, shape: "cSE", warn: "deprecated"},
		{name: "http-check expect", src: "  option httpchk GET /healthz\n  http-check expect status 200\n", opt: "httpchk", kind: check.KindHTTP, shape: "cSE"},
		{name: "tcp-check", src: "  option tcp-check\n  tcp-check connect\n  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG\n", opt: "tcp-check", kind: check.KindTCP, shape: "CSE"},
		{name: "tcp-check rules before option", src: "  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG\n  option tcp-check\n", opt: "tcp-check", kind: check.KindTCP, shape: "cSE"},
		{name: "tcp-check rules without option", src: "  tcp-check send x\n", kind: check.KindPlain, shape: "c", warn: "uses tcp-check rules without 'option tcp-check'"},
		{name: "http-check rules without option", src: "  http-check expect status 200\n", kind: check.KindPlain, shape: "c", warn: "uses http-check rules without 'option httpchk'"},
		{name: "observe layer7 in tcp", src: "  mode tcp\n  server s 127.0.0.1:1 check observe layer7\n", kind: check.KindPlain, shape: "c", warn: "observe layer7 can only be used in mode http; not observing",
			verify: func(t *testing.T, be *Proxy) {
				if be.Servers[0].Observe != "" {
					t.Errorf("observe %q kept", be.Servers[0].Observe)
				}
			}},
		{name: "last option wins", src: "  option httpchk GET /healthz\n  http-check expect status 200\n  option ssl-hello-chk\n", opt: "ssl-hello-chk", kind: check.KindSSL3, shape: "cSE"},
		{name: "redis", src: "  option redis-check\n", opt: "redis-check", kind: check.KindRedis, shape: "cSE"},
		{name: "mysql", src: "  option mysql-check user haproxy\n", opt: "mysql-check", kind: check.KindMySQL, shape: "CSEE"},
		{name: "mysql no user", src: "  option mysql-check\n", opt: "mysql-check", kind: check.KindMySQL, shape: "CE"},
		{name: "pgsql", src: "  option pgsql-check user postgres\n", opt: "pgsql-check", kind: check.KindPgSQL, shape: "CSEE"},
		{name: "smtp", src: "  option smtpchk EHLO example.com\n", opt: "smtpchk", kind: check.KindSMTP, shape: "CEESESEE"},
		{name: "ldap", src: "  option ldap-check\n", opt: "ldap-check", kind: check.KindLDAP, shape: "cSEE"},
		{name: "timeout check", src: "  timeout check 5s\n", kind: check.KindPlain, shape: "c", verify: func(t *testing.T, be *Proxy) {
			if !be.Timeouts.Check.Set || be.Timeouts.Check.Value != 5*time.Second {
				t.Errorf("timeout check %+v", be.Timeouts.Check)
			}
		}},
		{name: "flags", src: "  option httpchk\n  http-check send-state\n  http-check disable-on-404\n", opt: "httpchk", kind: check.KindHTTP, shape: "cSE", verify: func(t *testing.T, be *Proxy) {
			if !be.CheckSendState || !be.CheckDisable404 {
				t.Error("flags not set")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, base+tt.src)
			be := c.Backend("be")
			if be.CheckOption != tt.opt || be.CheckRules == nil || be.CheckRules.Kind != tt.kind || shapeOf(be.CheckRules) != tt.shape {
				t.Fatalf("option %q kind %v shape %q; want %q %v %q", be.CheckOption, be.CheckRules.Kind, shapeOf(be.CheckRules), tt.opt, tt.kind, tt.shape)
			}
			found := tt.warn == ""
			for _, w := range c.Warnings {
				found = found || strings.Contains(w, tt.warn)
			}
			if !found {
				t.Errorf("no warning %q in %q", tt.warn, c.Warnings)
			}
			if tt.verify != nil {
				tt.verify(t, be)
			}
		})
	}
}

// Rules inherit from defaults until a section writes its own; then the
// request of an inherited option httpchk is lost, as in HAProxy 2.6.
func TestChecksInherit(t *testing.T) {
	c := mustParse(t, `defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
  option httpchk GET /from-defaults
  default-server inter 3s fall 5 check
backend a
  server s 127.0.0.1:1
backend b
  http-check expect status 200
  server s 127.0.0.1:1 no-check
`)
	a, b := c.Backend("a"), c.Backend("b")
	if shapeOf(a.CheckRules) != "cSE" || a.CheckRules.Rules[1].Send.HTTP.URI != "/from-defaults" {
		t.Errorf("a: %q", shapeOf(a.CheckRules))
	}
	if shapeOf(b.CheckRules) != "cE" {
		t.Errorf("b: %q", shapeOf(b.CheckRules))
	}
	if s := a.Servers[0]; !s.Check || s.Inter != 3*time.Second || s.Fall != 5 {
		t.Errorf("default-server not applied: %+v", s)
	}
	if s := b.Servers[0]; s.Check || s.Inter != 3*time.Second {
		t.Errorf("no-check: %+v", s)
	}
	warned := false
	for _, w := range c.Warnings {
		warned = warned || strings.Contains(w, "checks send no request")
	}
	if !warned {
		t.Errorf("no warning about the lost request: %q", c.Warnings)
	}
}

func TestServerOptions(t *testing.T) {
	c := mustParse(t, base+`  default-server inter 1s fastinter 500ms downinter 5s rise 1 fall 2 slowstart 10s on-marked-down shutdown-sessions send-proxy-v2 proxy-v2-options crc32c,authority
  server a 127.0.0.1:81 check port 9000 addr 127.0.0.2 agent-check agent-port 9999 agent-inter 3s agent-send "hi\n" observe layer7 error-limit 5 on-error mark-down id 7 minconn 5 maxconn 50 maxqueue 0 tfo source 127.0.0.1 usesrc clientip
  server b unix@/run/app.sock no-send-proxy-v2 on-marked-up shutdown-backup-sessions weight 0 disabled enabled init-addr none
  server c localhost:83 init-addr 10.9.9.9 socks4 127.0.0.1:1080 check-via-socks4
  server d nowhere.invalid:84 init-addr libc,none
`)
	be := c.Backend("be")
	a, b, cc, d := be.Servers[0], be.Servers[1], be.Servers[2], be.Servers[3]
	if a.Inter != time.Second || a.FastInter != 500*time.Millisecond || a.DownInter != 5*time.Second || a.Rise != 1 || a.Fall != 2 || a.SlowStart != 10*time.Second {
		t.Errorf("a intervals %+v", a.ServerChecks)
	}
	if a.CheckPort != 9000 || a.CheckAddr != netip.MustParseAddr("127.0.0.2") || !a.Agent || a.AgentPort != 9999 || a.AgentInter != 3*time.Second || a.AgentSend != "hi\n" {
		t.Errorf("a checks %+v", a.ServerChecks)
	}
	if a.Observe != "layer7" || a.ErrorLimit != 5 || a.OnError != "mark-down" || a.OnMarkedDown != "shutdown-sessions" || a.ID != 7 || a.MinConn != 5 || a.MaxConn != 50 || !a.TFO {
		t.Errorf("a %+v %+v", a.ServerChecks, a.ServerTraffic)
	}
	if cc.Socks4 != netip.MustParseAddrPort("127.0.0.1:1080") || !cc.CheckViaSocks4 || a.Socks4.IsValid() || a.CheckViaSocks4 {
		t.Errorf("socks4: c %v %v, a %v %v", cc.Socks4, cc.CheckViaSocks4, a.Socks4, a.CheckViaSocks4)
	}
	if a.SendProxy != 2 || a.ProxyV2Options != PPv2CRC32C|PPv2Authority || a.Source == nil || a.Source.UseSrc != "clientip" {
		t.Errorf("a proxy %+v", a.ServerTraffic)
	}
	if b.UnixPath() != "/run/app.sock" || b.Addr != "unix@/run/app.sock" || b.SendProxy != 0 || b.OnMarkedUp != "shutdown-backup-sessions" || b.Disabled || b.Weight != 0 || b.ID != 1 {
		t.Errorf("b %+v", b)
	}
	if cc.Addr != "10.9.9.9:83" || d.Addr != "" {
		t.Errorf("init-addr: c %q d %q", cc.Addr, d.Addr)
	}
}

func TestConnOptions(t *testing.T) {
	c := mustParse(t, `defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
  option tcpka
  srvtcpka-idle 30
  clitcpka-intvl 5s
  clitcpka-cnt 4
  option forwardfor except 127.0.0.0/8 header X-Client if-none
frontend f
  bind 127.0.0.1:80 accept-proxy name web id 3 maxconn 10 backlog 100 defer-accept tfo v4v6
  tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }
  option originalto except 10.0.0.0/255.0.0.0
  option http-ignore-probes
  option nolinger
  default_backend be
backend be
  no option tcpka
  option srvtcpka
  http-reuse never
  fullconn 100
  source 127.0.0.1:0 interface lo
  server s 127.0.0.1:1
`)
	fe, be := c.Frontends()[0], c.Backend("be")
	if !fe.CliTCPKA || fe.CliTCPKAIntvl != 5*time.Second || fe.CliTCPKACnt != 4 || !fe.ForwardFor || fe.ForwardForHeader != "X-Client" || !fe.ForwardForIfNone || fe.ForwardForExcept != netip.MustParsePrefix("127.0.0.0/8") {
		t.Errorf("frontend %+v", fe.ConnOptions)
	}
	if !fe.OriginalTo || fe.OriginalToExcept != netip.MustParsePrefix("10.0.0.0/8") || !fe.HTTPIgnoreProbes || !fe.NoLinger || len(fe.TCPConnectionRules) != 1 || fe.TCPConnectionRules[0].Action != "expect-proxy" {
		t.Errorf("frontend %+v", fe.ConnOptions)
	}
	b := fe.Binds[0]
	if !b.AcceptProxy || b.Name != "web" || b.ID != 3 || b.MaxConn != 10 || b.Backlog != 100 || !b.DeferAccept || !b.TFO || !b.V4V6 {
		t.Errorf("bind %+v", b.BindOptions)
	}
	if be.CliTCPKA || !be.SrvTCPKA || be.SrvTCPKAIdle != 30*time.Second || be.HTTPReuse != "never" || be.FullConn != 100 || be.Source == nil || be.Source.Interface != "lo" {
		t.Errorf("backend %+v", be.ConnOptions)
	}
}

func TestChecksErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"  option httpchk GET / HTTP/1.1 extra\n", `t.cfg:7: option httpchk: cannot handle unexpected argument "extra"`},
		{"  option pgsql-check\n", `t.cfg:7: option pgsql-check: expects 'user <username>'`},
		{"  option mysql-check user x post-41 y\n", `t.cfg:7: option mysql-check: cannot handle unexpected argument "y"`},
		{"  option redis-check x\n", `t.cfg:7: option redis-check: cannot handle unexpected argument "x"`},
		{"  option httpchk\n  http-check expect status 200\n  http-check send meth GET\n", `t.cfg:9: http-check send: unable to add http-check send rule at step 2 (missing connect rule)`},
		{"  option tcp-check\n  tcp-check expect string x\n  tcp-check connect\n", `t.cfg:9: tcp-check connect: first step MUST also be a 'connect'`},
		{"  tcp-check connect ssl\n", `t.cfg:7: tcp-check connect: ssl: TLS health checks`},
		{"  http-check bogus\n", `t.cfg:7: unknown http-check "bogus"`},
		{"  tcp-check expect rstring (?=x)\n", `t.cfg:7: tcp-check: expect rstring: invalid regular expression`},
		{"  option external-check\n", `t.cfg:7: backend "be": 'option external-check' needs 'external-check' in the global section`},
		{"  server s 127.0.0.1:1 agent-check\n", `t.cfg:7: server "s": agent-check needs agent-port`},
		{"  server s 127.0.0.1:1 id 3\n  server t 127.0.0.1:2 id 3\n", `t.cfg:8: server "t": id 3 already used at t.cfg:7`},
		{"  default-server id 3\n", `t.cfg:7: default-server: option "id" is not accepted on default-server lines`},
		{"  server s 127.0.0.1:1 inter 0\n", `t.cfg:7: server "s": invalid inter "0"`},
		{"  server s 127.0.0.1:1 error-limit 0\n", `t.cfg:7: server "s": invalid error-limit "0"`},
		{"  server s 127.0.0.1:1 on-marked-down foo\n", `t.cfg:7: server "s": on-marked-down expects 'shutdown-sessions' but got "foo"`},
		{"  server s 127.0.0.1:1 send-proxy-v2 proxy-v2-options ssl,bogus\n", `t.cfg:7: server "s": proxy-v2-options: "bogus": proxy v2 option not implemented`},
		{"  server s 127.0.0.1:1 source 1.2.3.4 usesrc hdr_ip(x)\n", `t.cfg:7: server "s": source: usesrc hdr_ip() is not supported`},
		{"  server s nowhere.invalid:1 init-addr last\n", `t.cfg:7: server "s": no init-addr method resolved "nowhere.invalid" (add "none" to start without an address)`},
		{"  http-reuse sometimes\n", `t.cfg:7: http-reuse: unknown strategy "sometimes"`},
		{"  srvtcpka-idle 0\n", `t.cfg:7: srvtcpka-idle: invalid time "0"`},
		{"  option forwardfor except nope\n", `t.cfg:7: option forwardfor: except: invalid network "nope"`},
	}
	for _, tt := range tests {
		_, err := Parse("t.cfg", []byte(base+tt.src))
		var el ErrorList
		if !errors.As(err, &el) {
			t.Errorf("%q: want an error %q, got %v", tt.src, tt.want, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n got %s\nwant %s", tt.src, err, tt.want)
		}
	}
	_, err := Parse("t.cfg", []byte("frontend f\n  bind 127.0.0.1:1 name a id 2\n  bind 127.0.0.1:2 id 2\n  tcp-request connection expect-proxy layer7\n"))
	for _, want := range []string{`t.cfg:3: bind 127.0.0.1:2: id 2 already used at t.cfg:2`, `t.cfg:4: tcp-request connection expect-proxy: expects 'layer4'`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}

func TestGlobalChecks(t *testing.T) {
	c := mustParse(t, "global\n  spread-checks 5\n  max-spread-checks 2s\n  external-check\n  insecure-fork-wanted\n"+
		"backend be\n  timeout connect 1s\n  timeout server 1s\n  option external-check\n  external-check command /bin/true\n  external-check path /bin\n  server s 127.0.0.1:1 check\n")
	g := c.Global
	if g.SpreadChecks != 5 || g.MaxSpreadChecks != 2*time.Second || !g.ExternalCheck || !g.InsecureForkWanted {
		t.Errorf("global %+v", g.CheckGlobals)
	}
	be := c.Backend("be")
	if be.CheckOption != "external-check" || be.ExternalCommand != "/bin/true" || be.ExternalPath != "/bin" {
		t.Errorf("backend %+v", be.ProxyChecks)
	}
}

// The PROXY protocol fetches read the connection: they are allowed in
// mode tcp, and fc_rcvd_proxy is a boolean without values.
func TestProxyProtocolFetchesParse(t *testing.T) {
	c := mustParse(t, `frontend fe
  mode tcp
  bind :80 accept-proxy
  acl pp fc_rcvd_proxy
  acl site fc_pp_authority -i api.example.com
  use_backend be if pp site
  use_backend be if { fc_pp_unique_id abc }
  default_backend be
backend be
  mode tcp
  server s 127.0.0.1:81
`)
	fe := c.Proxies[0]
	if len(fe.ACLs) != 2 || fe.ACLs[0].Fetch != "fc_rcvd_proxy" || len(fe.ACLs[0].Values) != 0 || !fe.ACLs[1].IgnoreCase {
		t.Errorf("ACLs %+v", fe.ACLs)
	}
}

// TestPPv2OptionsWarn: cert-sig and cert-key are accepted with a warning
// (Baton does not keep the certificate they describe); the other TLS
// options are not.
func TestPPv2OptionsWarn(t *testing.T) {
	c := mustParse(t, base+"  server a 127.0.0.1:81 send-proxy-v2-ssl-cn proxy-v2-options ssl-cipher,cert-sig\n")
	var n int
	for _, w := range c.Warnings {
		if strings.Contains(w, "proxy-v2-options") {
			n++
			if !strings.Contains(w, "cert-sig") {
				t.Errorf("warning %q", w)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d proxy-v2-options warnings in %q, want 1 (cert-sig)", n, c.Warnings)
	}
	if s := c.Backend("be").Servers[0]; s.ProxyV2Options != PPv2SSL|PPv2CertCN|PPv2SSLCipher|PPv2CertSig {
		t.Errorf("options %b", s.ProxyV2Options)
	}
}
