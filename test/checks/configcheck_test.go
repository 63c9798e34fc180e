package checks_test

import (
	"strings"
	"testing"

	"baton/test/harness"
)

// TestConfigCheck runs "-c" on configurations using this issue's
// keywords under Baton and HAProxy: both accept, or both refuse; Baton's
// message says what HAProxy's does (want), and a warning HAProxy gives
// Baton gives too (warn).
func TestConfigCheck(t *testing.T) {
	const be = "backend be\n  mode tcp\n"
	cases := []struct {
		name, cfg string
		ok        bool
		want      string // in Baton's output
	}{
		{name: "server options", ok: true, cfg: be + "  default-server inter 3s fastinter 1s downinter 5s rise 3 fall 2 slowstart 10s maxconn 10 maxqueue 5 weight 20\n" +
			"  server a 127.0.0.1:1 check port 2 addr 127.0.0.2 observe layer4 error-limit 5 on-error mark-down on-marked-down shutdown-sessions id 7\n" +
			"  server b 127.0.0.1:3 check agent-check agent-port 4 agent-inter 1s agent-send hello\\n backup minconn 2 send-proxy-v2 proxy-v2-options crc32c,authority\n" +
			"  server c 127.0.0.1:5 disabled no-check tfo init-addr last,libc,none\n  fullconn 100\n"},
		{name: "agent without port", cfg: be + "  server a 127.0.0.1:1 agent-check\n", want: "agent-port"},
		// HAProxy alerts, but starts without observing.
		{name: "observe layer7 in tcp", ok: true, cfg: be + "  server a 127.0.0.1:1 check observe layer7\n", want: "layer7"},
		{name: "bad on-error", cfg: be + "  server a 127.0.0.1:1 check on-error explode\n", want: "on-error"},
		{name: "bad rise", cfg: be + "  server a 127.0.0.1:1 check rise 0\n", want: "rise"},
		{name: "external check without global", cfg: be + "  option external-check\n  external-check command /bin/true\n  server a 127.0.0.1:1 check\n", want: "external-check"},
		{name: "external check", ok: true, cfg: "global\n  external-check\n  insecure-fork-wanted\n" + be + "  option external-check\n  external-check command /bin/true\n  server a 127.0.0.1:1 check\n"},
		{name: "tcp-check rules", ok: true, cfg: be + "  option tcp-check\n  tcp-check connect port 6379\n  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG\n  tcp-check send-binary 50494e470d0a\n  tcp-check expect rbinary ^2b\n  tcp-check comment done\n  server a 127.0.0.1:1 check\n"},
		{name: "tcp-check bad expect", cfg: be + "  option tcp-check\n  tcp-check expect strin +PONG\n  server a 127.0.0.1:1 check\n", want: "expect"},
		{name: "http-check rules", ok: true, cfg: "backend be\n  mode http\n  option httpchk\n  http-check connect\n  http-check send meth GET uri /h ver HTTP/1.1 hdr Host x\n  http-check expect ! rstatus ^5\n  http-check set-var(check.x) int(1)\n  http-check unset-var(check.x)\n  http-check send-state\n  server a 127.0.0.1:1 check\n"},
		{name: "http-check bad status", cfg: "backend be\n  mode http\n  option httpchk\n  http-check expect status abc\n  server a 127.0.0.1:1 check\n", want: "status"},
		{name: "protocol checks", ok: true, cfg: "backend r\n  mode tcp\n  option redis-check\n  server a 127.0.0.1:1 check\nbackend m\n  mode tcp\n  option mysql-check user haproxy post-41\n  server a 127.0.0.1:1 check\n" +
			"backend p\n  mode tcp\n  option pgsql-check user postgres\n  server a 127.0.0.1:1 check\nbackend s\n  mode tcp\n  option smtpchk EHLO example.com\n  server a 127.0.0.1:1 check\n" +
			"backend l\n  mode tcp\n  option ldap-check\n  server a 127.0.0.1:1 check\nbackend t\n  mode tcp\n  option ssl-hello-chk\n  server a 127.0.0.1:1 check\n"},
		{name: "pgsql-check without user", cfg: be + "  option pgsql-check\n  server a 127.0.0.1:1 check\n", want: "user"},
		{name: "bind options", ok: true, cfg: "frontend fe\n  mode tcp\n  bind 127.0.0.1:1 name one id 3 accept-proxy defer-accept tfo backlog 100 maxconn 10\n  bind 127.0.0.1:2 transparent\n  tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }\n  default_backend be\n" + be + "  server a 127.0.0.1:1\n"},
		{name: "connection options", ok: true, cfg: "defaults\n  mode http\n  option clitcpka\n  option srvtcpka\n  clitcpka-idle 30s\n  clitcpka-cnt 3\n  clitcpka-intvl 5s\n  srvtcpka-idle 1m\n" +
			"  option forwardfor except 10.0.0.0/8 header X-Client if-none\n  option originalto\n  option http-ignore-probes\n  option http-buffer-request\n  option nolinger\n  option abortonclose\n  http-reuse safe\n" +
			"frontend fe\n  bind 127.0.0.1:1\n  default_backend be\nbackend be\n  server a 127.0.0.1:1 source 127.0.0.1\n"},
		{name: "bad http-reuse", cfg: "backend be\n  mode http\n  http-reuse sometimes\n  server a 127.0.0.1:1\n", want: "http-reuse"},
		{name: "bad proxy-v2-options", cfg: be + "  server a 127.0.0.1:1 send-proxy-v2 proxy-v2-options colour\n", want: "proxy-v2-options"},
	}
	// Timeouts and a listener, so that a valid configuration exits 0.
	prologue := "defaults\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nlisten lst\n  mode tcp\n  bind " +
		harness.FreeAddr(t) + "\n  server x 127.0.0.1:9\n"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			if strings.HasPrefix(cfg, "global") {
				g, rest, _ := strings.Cut(cfg, "backend")
				cfg = g + prologue + "backend" + rest
			} else if !strings.HasPrefix(cfg, "defaults") {
				cfg = prologue + cfg
			}
			bout, bcode := harness.Check(t, cfg)
			hout, hcode := harness.CheckHAProxy(t, cfg)
			if (bcode == 0) != c.ok || (hcode == 0) != c.ok {
				t.Errorf("accepted: baton %v, haproxy %v, want %v\nbaton:\n%s\nhaproxy:\n%s", bcode == 0, hcode == 0, c.ok, bout, hout)
			}
			if c.want != "" && !strings.Contains(bout, c.want) {
				t.Errorf("baton's message lacks %q:\n%s", c.want, bout)
			}
		})
	}
}
