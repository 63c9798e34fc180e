package config

import (
	"strings"
	"testing"
)

// A server's sni is a sample expression: any fetch the request, backend
// or server provide, with converters, in mode http and tcp alike (as
// HAProxy 2.6's "haproxy -c" accepts them); a response fetch is an error.
func TestServerSNIExpression(t *testing.T) {
	tests := []struct {
		mode, sni string
		err       string // "" when valid
	}{
		{"http", "str(origin.internal)", ""},
		{"http", "req.hdr(host),field(1,:),lower", ""},
		{"http", "ssl_fc_sni,lower", ""},
		{"http", "var(txn.sni)", ""},
		{"http", "srv_name,concat(.internal)", ""},
		{"tcp", "req.hdr(host),field(1,:)", ""},
		{"tcp", "req.ssl_sni", ""},
		{"http", "res.hdr(x)", `t.cfg:8: server "s": sni: failed to parse sample expression <res.hdr(x)>`},
		{"http", "nosuchfetch", `t.cfg:8: server "s": sni: failed to parse sample expression <nosuchfetch>`},
		{"http", "req.hdr(host),nosuchconv", `t.cfg:8: server "s": sni: failed to parse sample expression`},
	}
	for _, tc := range tests {
		src := "defaults\n  mode " + tc.mode + "\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n" +
			"backend b\n  default-server ssl verify none\n  server s 127.0.0.1:443 sni " + tc.sni + "\n"
		c, err := Parse("t.cfg", []byte(src))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s sni %s: error %v, want %q", tc.mode, tc.sni, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s sni %s: %v", tc.mode, tc.sni, err)
			continue
		}
		s := c.Backend("b").Servers[0]
		if s.SNI == nil || s.SNI.Text != tc.sni || s.TLS.SNI != tc.sni {
			t.Errorf("%s sni %s: compiled %+v", tc.mode, tc.sni, s.SNI)
		}
	}
	// default-server's sni reaches each server; none means nil.
	c := mustParse(t, base+"  default-server ssl verify none sni req.hdr(host)\n  server a 127.0.0.1:443\n  server b 127.0.0.1:444 sni str(b.internal)\nbackend plain\n  server p 127.0.0.1:80\n")
	srv := c.Backend("be").Servers
	if srv[0].SNI == nil || srv[0].SNI.Text != "req.hdr(host)" || srv[1].SNI == nil || srv[1].SNI.Text != "str(b.internal)" || c.Backend("plain").Servers[0].SNI != nil {
		t.Errorf("sni: a %+v b %+v", srv[0].SNI, srv[1].SNI)
	}
}
