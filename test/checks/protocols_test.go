package checks_test

import (
	"crypto/tls"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// answerAndClose reads what the check sends, answers and closes: a
// server that answers wrongly. (Answering before the request arrived
// would make the request meet a closed socket: a reset, not the answer.)
func answerAndClose(answer string) func(net.Conn) {
	return func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 4096))
		c.Write([]byte(answer))
	}
}

// bannerAndClose speaks first, then closes once the check has answered
// or closed.
func bannerAndClose(banner string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(banner))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 4096))
	}
}

func mysqlPacket(seq byte, payload string) string {
	n := len(payload)
	return string([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}) + payload
}

// tlsServer is a TLS server (Go's), for ssl-hello-chk.
func tlsServer(t *testing.T) string {
	s := httptest.NewUnstartedServer(nil)
	s.Config.ErrorLog = nil
	s.TLS = &tls.Config{}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s.Listener.Addr().String()
}

// TestProtocolChecks runs each protocol check against the real server
// (through a relay that starts closed) and then against a fake that
// answers wrongly: the server goes down (Layer4), up (the protocol's
// success), and down again (the protocol's failure), with the same
// messages under Baton and HAProxy.
func TestProtocolChecks(t *testing.T) {
	tests := []struct {
		name   string
		option string
		real   func(t *testing.T) string
		fake   func(net.Conn)
		up     string // in the UP message
		down   string // in the second DOWN message
	}{
		{name: "redis", option: "option redis-check", real: redisPlainAddr, fake: answerAndClose("-ERR nope\r\n"),
			up: `Layer7 check passed, code: 0, info: "Redis server is ok"`, down: `Layer7 wrong status, code: 0, info: "-ERR nope"`},
		{name: "mysql", option: "option mysql-check user haproxy", real: mariaAddr,
			fake: bannerAndClose(mysqlPacket(0, "\xff\x6a\x04Host '127.0.0.1' is not allowed to connect")),
			up:   `Layer7 check passed, code: 0, check duration`, down: `Layer7 wrong status, code: 1130, info: "Host '127.0.0.1' is not allowed to connect"`},
		{name: "mysql-no-user", option: "option mysql-check", real: mariaAddr,
			fake: bannerAndClose(mysqlPacket(0, "\xff\x6a\x04Host '127.0.0.1' is not allowed to connect")),
			up:   `Layer7 check passed, code: 0, check duration`, down: `Layer7 wrong status, code: 1130`},
		{name: "pgsql", option: "option pgsql-check user postgres", real: pgAddr,
			fake: answerAndClose("E\x00\x00\x00\x30SFATAL\x00VFATAL\x00C28000\x00Mrole \"x\" does not exist\x00\x00"),
			up:   `Layer7 check passed, code: 0, info: "PostgreSQL server is ok"`, down: `Layer7 invalid response, info: "FATAL"`},
		{name: "ldap", option: "option ldap-check", real: ldapAddr,
			fake: answerAndClose("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x31\x04\x00\x04\x00"),
			up:   `Layer7 check passed, code: 0, check duration`, down: `Layer7 wrong status, code: 49, info: "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9"`},
		{name: "smtp", option: "option smtpchk HELO checks.example", real: smtpAddr, fake: bannerAndClose("554 go away\r\n"),
			up: `Layer7 check passed, code: 221, info: "2.0.0 Bye"`, down: `Layer7 wrong status, code: 554, info: "go away"`},
		{name: "ssl-hello", option: "option ssl-hello-chk", real: tlsServer, fake: answerAndClose("HTTP/1.1 400 Bad Request\r\n\r\n"),
			up: `Layer6 check passed`, down: `Layer6 invalid response`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			real := tt.real(t)
			fake := harness.StartOrigin(t, tt.fake)
			both(t, func(t *testing.T, start starter) []string {
				r := newRelay(t)
				fe := harness.FreeAddr(t)
				p := start(tcpProxy(fe, `
  timeout check 2s
  `+tt.option+`
  server s `+r.Addr+` check inter 100ms rise 1 fall 1
`), fe)
				p.wait(10*time.Second, "Server be/s is DOWN", "Layer4 connection problem", `info: "Connection refused"`)
				r.to(real)
				if l := p.wait(20*time.Second, "Server be/s is UP"); !strings.Contains(l, tt.up) {
					t.Errorf("UP message %q lacks %q", l, tt.up)
				}
				r.to(fake.Addr)
				deadline := time.Now().Add(20 * time.Second)
				for len(downs(p.transitions())) < 2 && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond) // polling the log
				}
				if d := downs(p.transitions()); len(d) < 2 || !strings.Contains(d[1], tt.down) {
					t.Fatalf("second DOWN message %q, want %q; logged:\n%s", d, tt.down, p.out)
				}
				return p.transitions()[:4]
			})
		})
	}
}

// tcpProxy is a TCP frontend on fe in front of backend "be" made of
// lines.
func tcpProxy(fe, lines string) string {
	return logged + `
frontend fe
  mode tcp
  bind ` + fe + `
  default_backend be
backend be
  mode tcp` + lines
}

func downs(ls []string) []string {
	var out []string
	for _, l := range ls {
		if strings.Contains(l, " is DOWN") {
			out = append(out, l)
		}
	}
	return out
}
