package config

import (
	"strings"
	"testing"
)

const doResolveBase = `resolvers dns
  nameserver a 127.0.0.1:53
defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
frontend f
  bind 127.0.0.1:80
  default_backend b
backend b
  server s 127.0.0.1:80
`

func TestDoResolveParse(t *testing.T) {
	tests := []struct {
		line      string
		resolvers string
		ipv4      bool
		expr      string
	}{
		{"http-request do-resolve(txn.ip,dns,ipv4) hdr(host),field(1,:),lower", "dns", true, "hdr(host),field(1,:),lower"},
		{"http-request do-resolve(txn.ip,dns) req.hdr(host)", "dns", false, "req.hdr(host)"},
		{"http-request do-resolve(sess.ip,dns,ipv6) var(txn.name)", "dns", false, "var(txn.name)"},
		{"http-request do-resolve(txn.ip,dns,ipv6,ipv4) str(a.test) if TRUE", "dns", true, "str(a.test)"},
		{"tcp-request content do-resolve(sess.ip,dns,ipv4) req.ssl_sni", "dns", true, "req.ssl_sni"},
	}
	for _, tc := range tests {
		c, err := Parse("t.cfg", []byte(doResolveBase+"frontend g\n  bind 127.0.0.1:81\n  default_backend b\n  "+tc.line+"\n"))
		if err != nil {
			t.Errorf("%s: %v", tc.line, err)
			continue
		}
		var p *Proxy
		for _, f := range c.Frontends() {
			if f.Name == "g" {
				p = f
			}
		}
		rs := p.RequestRules
		if strings.HasPrefix(tc.line, "tcp-request") {
			rs = p.TCPContentRules
		}
		if len(rs) != 1 {
			t.Fatalf("%s: rules %+v", tc.line, rs)
		}
		r := rs[0]
		if r.Action != "do-resolve" || r.DoResolve == nil || r.DoResolve.Resolvers != tc.resolvers || r.DoResolve.IPv4 != tc.ipv4 ||
			r.Expr == nil || r.Expr.Text != tc.expr {
			t.Errorf("%s: rule %+v do-resolve %+v", tc.line, r, r.DoResolve)
		}
		for _, w := range c.Warnings {
			t.Errorf("%s: warning %s", tc.line, w)
		}
	}
}

func TestDoResolveErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"http-request do-resolve(txn.ip,nope) hdr(host)", `t.cfg:15: do-resolve: no resolvers section named "nope"`},
		{"http-request do-resolve(txn.ip,dns,ipv5) hdr(host)", `t.cfg:15: http-request do-resolve: unknown option "ipv5" (available: ipv4, ipv6)`},
		{"http-request do-resolve(txn.ip,dns,) hdr(host)", `t.cfg:15: http-request do-resolve: unknown option ""`},
		{"http-request do-resolve(txn.ip) hdr(host)", `t.cfg:15: http-request do-resolve: can't parse 'do-resolve(txn.ip)'`},
		{"http-request do-resolve(txn.ip,dns)", `t.cfg:15: http-request do-resolve: can't parse`},
		{"http-request do-resolve(txn.ip,dns) a b", `t.cfg:15: http-request do-resolve: can't parse`},
		{"http-request do-resolve txn.ip hdr(host)", `t.cfg:15: http-request do-resolve: missing variable name`},
		{"http-request do-resolve(txn.ip,dns) res.hdr(host)", `t.cfg:15: http-request do-resolve: failed to parse sample expression <res.hdr(host)>`},
		{"http-request do-resolve(nope.ip,dns) hdr(host)", `t.cfg:15: http-request do-resolve:`},
		{"tcp-request connection do-resolve(txn.ip,dns) src", `t.cfg:15: `},
		{"http-response do-resolve(txn.ip,dns) src", `t.cfg:15: `},
	}
	for _, tc := range tests {
		_, err := Parse("t.cfg", []byte(doResolveBase+"frontend g\n  bind 127.0.0.1:81\n  "+tc.line+"\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.line, err, tc.want)
		}
	}
}

// "hold valid" is used by do-resolve: no warning then; a section no
// do-resolve uses is told it has no effect.
func TestHoldValidWarning(t *testing.T) {
	src := strings.Replace(doResolveBase, "  nameserver a 127.0.0.1:53\n", "  nameserver a 127.0.0.1:53\n  hold valid 5s\n", 1)
	c := mustParse(t, src+"  http-request do-resolve(txn.ip,dns) hdr(host)\n")
	if len(c.Warnings) != 0 {
		t.Errorf("warnings %q", c.Warnings)
	}
	c = mustParse(t, src)
	if len(c.Warnings) != 1 || !strings.HasPrefix(c.Warnings[0], "t.cfg:3: hold valid: no effect: only do-resolve actions use it") {
		t.Errorf("warnings %q", c.Warnings)
	}
}
