package check

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeServer accepts connections and runs script on each.
func fakeServer(t *testing.T, script func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				script(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// answer reads what the check sends (up to a short pause) and answers.
func answer(resp ...string) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 4096)
		for _, r := range resp {
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			c.Read(buf)
			c.Write([]byte(r))
		}
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		c.Read(buf)
	}
}

// banner writes first, then answers each read.
func banner(first string, resp ...string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(first))
		answer(resp...)(c)
	}
}

func rules(t *testing.T, kind Kind, lines ...string) *Ruleset {
	t.Helper()
	rs, err := build(t, kind, lines...)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func finished(rs *Ruleset) *Ruleset {
	if err := rs.Finish(); err != nil {
		panic(err)
	}
	return rs
}

func mysqlPkt(seq byte, payload []byte) string {
	n := len(payload)
	return string(append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...))
}

var mysqlHandshake = mysqlPkt(0, append([]byte{10}, []byte("10.11.6-MariaDB-0+deb12u1\x00\x01\x02\x03\x04")...))

func TestRun(t *testing.T) {
	closed := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		a := ln.Addr().String()
		ln.Close()
		return a
	}()
	tests := []struct {
		name   string
		rs     func(t *testing.T) *Ruleset
		server func(net.Conn) // nil: the closed port
		target func(*Target)
		status Status
		code   int
		info   string
	}{
		{name: "refused", rs: func(*testing.T) *Ruleset { return finished(TCPConnect()) }, status: StatusL4Con, info: "Connection refused"},
		{name: "refused tcp-check", rs: func(t *testing.T) *Ruleset { return rules(t, KindTCP, "send|PING\r\n") }, status: StatusL4Con, info: "Connection refused at initial connection step of tcp-check"},
		{name: "refused explicit connect", rs: func(t *testing.T) *Ruleset { return rules(t, KindTCP, "connect|comment|first") }, status: StatusL4Con, info: "Connection refused at step 1 of tcp-check (connect) comment: 'first'"},
		{name: "connect", rs: func(*testing.T) *Ruleset { return finished(TCPConnect()) }, server: answer(), status: StatusL4OK},
		{name: "tcp-check connect only", rs: func(t *testing.T) *Ruleset { return rules(t, KindTCP, "connect") }, server: answer(), status: StatusL4OK, info: "(tcp-check)"},
		{name: "redis ok", rs: func(*testing.T) *Ruleset { return finished(RedisCheck()) }, server: answer("+PONG\r\n"), status: StatusL7OK, info: "Redis server is ok"},
		{name: "redis error", rs: func(*testing.T) *Ruleset { return finished(RedisCheck()) }, server: answer("-ERR nope\r\n"), status: StatusL7Sts, info: "-ERR nope"},
		{name: "tcp-check role", rs: func(t *testing.T) *Ruleset {
			return rules(t, KindTCP, "send|PING\r\n", "expect|string|+PONG", "send|info replication\r\n", "expect|string|role:master", "send|QUIT\r\n")
		}, server: answer("+PONG\r\n", "# Replication\r\nrole:slave\r\n"), status: StatusL7Rsp, info: "TCPCHK did not match content 'role:master' at step 4"},
		{name: "tcp-check passes", rs: func(t *testing.T) *Ruleset {
			return rules(t, KindTCP, "send|PING\r\n", "expect|string|+PONG", "send|info replication\r\n", "expect|string|role:master")
		}, server: answer("+PONG\r\n", "# Replication\r\nrole:master\r\n"), status: StatusL7OK, info: "(tcp-check)"},
		{name: "tcp-check timeout", rs: func(t *testing.T) *Ruleset {
			return rules(t, KindTCP, "send|PING\r\n", "expect|string|+PONG")
		}, server: func(c net.Conn) { time.Sleep(2 * time.Second) }, status: StatusL7Tout, info: " at step 2 of tcp-check (expect string '+PONG')"},
		{name: "tcp-check empty answer", rs: func(t *testing.T) *Ruleset {
			return rules(t, KindTCP, "send|PING\r\n", "expect|string|+PONG")
		}, server: func(c net.Conn) { c.Read(make([]byte, 10)) }, status: StatusL7Rsp, info: "TCPCHK got an empty response at step 2"},
		{name: "negated expect waits for the end", rs: func(t *testing.T) *Ruleset {
			return rules(t, KindTCP, "expect|!|string|ERROR")
		}, server: banner("hello\r\n"), status: StatusL7OK, info: "(tcp-check)"},
		{name: "negated expect matches", rs: func(t *testing.T) *Ruleset {
			return rules(t, KindTCP, "expect|!|string|ERROR|comment|no errors")
		}, server: banner("ERROR 1\r\n"), status: StatusL7Rsp, info: "TCPCHK matched unwanted content 'ERROR' at step 1 comment: no errors"},
		{name: "min-recv conclusive", rs: func(t *testing.T) *Ruleset {
			return rules(t, KindTCP, "expect|min-recv|3|rstring|^OK")
		}, server: func(c net.Conn) { c.Write([]byte("NOK")); time.Sleep(time.Second) }, status: StatusL7Rsp, info: "TCPCHK did not match content (regex) at step 1"},
		{name: "binary", rs: func(t *testing.T) *Ruleset {
			return rules(t, KindTCP, "send-binary|50494e470d0a", "expect|binary|2b504f4e47")
		}, server: answer("+PONG\r\n"), status: StatusL7OK, info: "(tcp-check)"},
		{name: "http 503", rs: func(t *testing.T) *Ruleset { return rules(t, KindHTTP, "option|httpchk|GET|/") },
			server: answer("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"), status: StatusL7Sts, code: 503, info: "Service Unavailable"},
		{name: "http 200", rs: func(t *testing.T) *Ruleset { return rules(t, KindHTTP, "option|httpchk|GET|/") },
			server: answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), status: StatusL7OK, code: 200},
		{name: "http body mismatch", rs: func(t *testing.T) *Ruleset { return rules(t, KindHTTP, "option|httpchk|GET|/", "expect|string|world") },
			server: answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), status: StatusL7Rsp, code: 200, info: "HTTP content check did not match"},
		{name: "http body chunked", rs: func(t *testing.T) *Ruleset { return rules(t, KindHTTP, "option|httpchk|GET|/", "expect|rstring|wor.d") },
			server: answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nwor\r\n2\r\nld\r\n0\r\n\r\n"), status: StatusL7OK, code: 200},
		{name: "http header", rs: func(t *testing.T) *Ruleset {
			return rules(t, KindHTTP, "option|httpchk", "expect|hdr|name|x-role|value|-m|beg|prim")
		}, server: answer("HTTP/1.0 200 OK\r\nX-Role: replica, primary\r\n\r\n"), status: StatusL7OK, code: 200},
		{name: "http garbage", rs: func(t *testing.T) *Ruleset { return rules(t, KindHTTP, "option|httpchk") },
			server: answer("garbage\r\n"), status: StatusL7Rsp},
		{name: "http not status", rs: func(t *testing.T) *Ruleset { return rules(t, KindHTTP, "option|httpchk", "expect|!|status|500-599") },
			server: answer("HTTP/1.1 502 Bad Gateway\r\n\r\n"), status: StatusL7Sts, code: 502, info: "Bad Gateway"},
		{name: "http disable-on-404", rs: func(t *testing.T) *Ruleset { return rules(t, KindHTTP, "option|httpchk") },
			server: answer("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), target: func(tg *Target) { tg.Disable404, tg.ServerUp = true, true }, status: StatusL7OKC, code: 404},
		{name: "http timeout", rs: func(t *testing.T) *Ruleset { return rules(t, KindHTTP, "option|httpchk") },
			server: func(c net.Conn) { time.Sleep(2 * time.Second) }, status: StatusL7Tout},
		{name: "smtp 554", rs: func(*testing.T) *Ruleset { return finished(SMTPCheck(nil)) }, server: banner("554 go away\r\n"), status: StatusL7Sts, code: 554, info: "go away"},
		{name: "smtp ok", rs: func(*testing.T) *Ruleset { return finished(SMTPCheck([]string{"EHLO", "example.com"})) },
			server: banner("220 mx.example ESMTP\r\n", "250-mx.example\r\n250 8BITMIME\r\n", "221 2.0.0 Bye\r\n"), status: StatusL7OK, code: 221, info: "2.0.0 Bye"},
		{name: "smtp garbage", rs: func(*testing.T) *Ruleset { return finished(SMTPCheck(nil)) }, server: banner("hello there\r\n"), status: StatusL7Rsp, info: "hello there"},
		{name: "pgsql ok", rs: func(*testing.T) *Ruleset { return finished(PgSQLCheck("haproxy")) },
			server: answer("R\x00\x00\x00\x08\x00\x00\x00\x00"), status: StatusL7OK, info: "PostgreSQL server is ok"},
		{name: "pgsql scram", rs: func(*testing.T) *Ruleset { return finished(PgSQLCheck("haproxy")) },
			server: answer("R\x00\x00\x00\x17\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00"), status: StatusL7Sts, info: "PostgreSQL unknown error"},
		{name: "pgsql error", rs: func(*testing.T) *Ruleset { return finished(PgSQLCheck("haproxy")) },
			server: answer("E\x00\x00\x00\x50SFATAL\x00VFATAL\x00C28000\x00Mrole \"haproxy\" does not exist\x00\x00"), status: StatusL7Rsp, info: "FATAL"},
		{name: "mysql ok", rs: func(*testing.T) *Ruleset { return finished(MySQLCheck("haproxy", false)) },
			server: banner(mysqlHandshake, mysqlPkt(2, []byte{0, 0, 0, 2, 0, 0, 0})), status: StatusL7OK, info: ""},
		{name: "mysql denied", rs: func(*testing.T) *Ruleset { return finished(MySQLCheck("haproxy", false)) },
			server: banner(mysqlHandshake, mysqlPkt(2, append([]byte{0xff, 0x15, 0x04}, "#28000Access denied for user 'haproxy'"...))), status: StatusL7Sts, code: 1045, info: "#28000Access denied for user 'haproxy'"},
		{name: "mysql no user", rs: func(*testing.T) *Ruleset { return finished(MySQLCheck("", false)) },
			server: banner(mysqlHandshake), status: StatusL7OK, info: ""},
		{name: "mysql truncated", rs: func(*testing.T) *Ruleset { return finished(MySQLCheck("", false)) },
			server: banner("\x30\x00\x00\x00\x0a1.2"), status: StatusL7Rsp},
		{name: "ldap ok", rs: func(*testing.T) *Ruleset { return finished(LDAPCheck()) },
			server: answer("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"), status: StatusL7OK},
		{name: "ldap denied", rs: func(*testing.T) *Ruleset { return finished(LDAPCheck()) },
			server: answer("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x31\x04\x00\x04\x00"), status: StatusL7Sts, code: 49, info: "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9"},
		{name: "ldap not ldap", rs: func(*testing.T) *Ruleset { return finished(LDAPCheck()) },
			server: answer("HTTP/1.1 400 Bad Request\r\n\r\n"), status: StatusL7Rsp, info: "Not LDAPv3 protocol"},
		{name: "ssl hello plain server", rs: func(*testing.T) *Ruleset { return finished(SSLHelloCheck()) },
			server: answer("HTTP/1.1 400 Bad Request\r\n\r\n"), status: StatusL6Rsp},
		{name: "agent", rs: func(*testing.T) *Ruleset { return finished(AgentCheck("hello\n")) },
			server: answer("75% drain\n"), status: StatusChecked},
		{name: "agent down", rs: func(*testing.T) *Ruleset { return finished(AgentCheck("")) },
			server: banner("down #maintenance\n"), status: StatusL7Sts},
		{name: "proxy header", rs: func(*testing.T) *Ruleset { return finished(TCPConnect()) },
			target: func(tg *Target) { tg.SendProxy = 1 },
			server: func(c net.Conn) {
				l, _ := bufio.NewReader(c).ReadString('\n')
				if l != "PROXY UNKNOWN\r\n" {
					c.(*net.TCPConn).SetLinger(0)
				}
			}, status: StatusL4OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := closed
			if tt.server != nil {
				addr = fakeServer(t, tt.server)
			}
			tg := &Target{Network: "tcp", Addr: addr, Inter: 5 * time.Second, ConnectTimeout: time.Second, Timeout: 500 * time.Millisecond}
			if tt.target != nil {
				tt.target(tg)
			}
			res := Run(context.Background(), tt.rs(t), tg)
			if res.Status != tt.status || res.Code != tt.code || res.Info != tt.info {
				t.Errorf("got %s code %d info %q, want %s code %d info %q", res.Status, res.Code, res.Info, tt.status, tt.code, tt.info)
			}
		})
	}
}

func TestAgentResult(t *testing.T) {
	addr := fakeServer(t, func(c net.Conn) {
		b := make([]byte, 64)
		n, _ := c.Read(b)
		if string(b[:n]) != "be1/s1\n" {
			c.Write([]byte("fail\n"))
			return
		}
		c.Write([]byte("up 50% maxconn:10 # fine\n"))
	})
	res := Run(context.Background(), finished(AgentCheck("be1/s1\n")), &Target{Network: "tcp", Addr: addr, Inter: 2 * time.Second})
	if res.Status != StatusL7OK || res.Agent == nil || res.Agent.Weight != "50%" || res.Agent.MaxConn != 10 || res.Agent.Desc != "fine" {
		t.Fatalf("got %+v agent %+v", res, res.Agent)
	}
}

// The SSL hello gets an answer from a real TLS stack: an alert or a
// handshake record, either passes.
func TestSSLHelloAgainstTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	defer srv.Close()
	res := Run(context.Background(), finished(SSLHelloCheck()), &Target{Network: "tcp", Addr: srv.Listener.Addr().String(), Inter: 2 * time.Second})
	if res.Status != StatusL6OK {
		t.Fatalf("got %s %q", res.Status, res.Info)
	}
}

// TLS connects go through Target.TLS.
func TestTLSConnect(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	defer srv.Close()
	rs := rules(t, KindTCP, "connect|ssl|sni|example.com")
	tg := &Target{Network: "tcp", Addr: srv.Listener.Addr().String(), Inter: 2 * time.Second}
	if res := Run(context.Background(), rs, tg); res.Status != StatusL6Rsp {
		t.Fatalf("without TLS: %s", res.Status)
	}
	var gotSNI string
	tg.TLS = func(ctx context.Context, c net.Conn, sni string, alpn []string) (net.Conn, error) {
		gotSNI = sni
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: sni})
		return tc, tc.HandshakeContext(ctx)
	}
	if res := Run(context.Background(), rs, tg); res.Status != StatusL6OK || gotSNI != "example.com" {
		t.Fatalf("with TLS: %s %q, sni %q", res.Status, res.Info, gotSNI)
	}
}

// The request bytes are those HAProxy 2.6 sends for the same lines
// (captured from haproxy 2.6.12).
func TestBuildRequest(t *testing.T) {
	tests := []struct {
		lines []string
		state string
		want  string
	}{
		{[]string{"option|httpchk"}, "", "OPTIONS / HTTP/1.0\r\n\r\n"},
		{[]string{"option|httpchk|GET|/x|HTTP/1.1"}, "", "GET /x HTTP/1.1\r\nconnection: close\r\n\r\n"},
		{[]string{"option|httpchk|POST|/y|HTTP/1.0", "send|body|abc|hdr|connection|keep-alive"}, "", "POST /y HTTP/1.0\r\ncontent-length: 3\r\nconnection: keep-alive\r\n\r\nabc"},
		{[]string{"option|httpchk|GET|/x|HTTP/1.1", "send|hdr|Host|foo|hdr|X-Custom|bar|body|hello"}, "UP 1/3",
			"GET /x HTTP/1.1\r\nhost: foo\r\nx-custom: bar\r\nx-haproxy-server-state: UP 1/3\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello"},
	}
	for _, tt := range tests {
		rs := rules(t, KindHTTP, tt.lines...)
		r := &run{rs: rs, t: &Target{}}
		r.env.Vars = NewVars()
		if tt.state != "" {
			r.t.StateHeader = func() string { return tt.state }
		}
		var got string
		for _, rule := range rs.Rules {
			if rule.Action == ActSend {
				got = string(r.buildRequest(rule.Send.HTTP))
			}
		}
		if got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.lines, got, tt.want)
		}
	}
}

func TestExternal(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "check.sh")
	os.WriteFile(script, []byte("#!/bin/sh\n"+
		"echo \"$@ $HAPROXY_SERVER_NAME $HAPROXY_PROXY_NAME $PATH\" > \"$0.out\"\n"+
		"case $HAPROXY_SERVER_NAME in ok) exit 0;; bad) exit 3;; *) sleep 10;; esac\n"), 0o755)
	run := func(name string) Result {
		return RunExternal(context.Background(), &External{Command: script, Path: "/usr/bin:/bin", ProxyName: "be",
			ServerAddr: "10.0.0.1", ServerPort: "3306", ServerName: name, Timeout: 500 * time.Millisecond})
	}
	if r := run("ok"); r.Status != StatusProcOK {
		t.Errorf("ok: %+v", r)
	}
	out, _ := os.ReadFile(script + ".out")
	if want := "NOT_USED NOT_USED 10.0.0.1 3306 ok be /usr/bin:/bin\n"; string(out) != want {
		t.Errorf("arguments and environment: %q, want %q", out, want)
	}
	if r := run("bad"); r.Status != StatusProcErr || r.Code != 3 {
		t.Errorf("bad: %+v", r)
	}
	start := time.Now()
	if r := run("slow"); r.Status != StatusProcTout || time.Since(start) > 5*time.Second {
		t.Errorf("slow: %+v after %v", r, time.Since(start))
	}
}

func TestReason(t *testing.T) {
	r := Result{Status: StatusL7Sts, Code: 503, Info: "Service \"Unavailable\"", Duration: 6 * time.Millisecond}
	if got, want := r.Reason(), `reason: Layer7 wrong status, code: 503, info: "Service \"Unavailable\"", check duration: 6ms`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	r = Result{Status: StatusL4Con, Info: "Connection refused"}
	if got := r.Reason(); got != `reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms` {
		t.Errorf("got %s", got)
	}
}

// FuzzAnswers feeds arbitrary answers to every protocol check: the run
// always ends with a status and never panics.
func FuzzAnswers(f *testing.F) {
	f.Add([]byte(mysqlHandshake), uint8(0))
	f.Add([]byte("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"), uint8(3))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), uint8(6))
	f.Add([]byte("220 x\r\n250 y\r\n"), uint8(4))
	f.Fuzz(func(t *testing.T, answer []byte, which uint8) {
		sets := []func() *Ruleset{
			func() *Ruleset { return MySQLCheck("u", false) },
			func() *Ruleset { return MySQLCheck("", true) },
			func() *Ruleset { return PgSQLCheck("u") },
			LDAPCheck, func() *Ruleset { return SMTPCheck(nil) },
			RedisCheck, func() *Ruleset {
				rs := &Ruleset{Kind: KindHTTP}
				r, _, _ := ParseHTTPChkOption(nil)
				rs.Add(r)
				return rs
			},
			func() *Ruleset { return AgentCheck("") }, SSLHelloCheck,
		}
		rs := finished(sets[int(which)%len(sets)]())
		d := pipeDialer{answer: answer}
		res := Run(context.Background(), rs, &Target{Network: "tcp", Addr: "10.0.0.1:1", Inter: time.Second, Dialer: d})
		if res.Status == StatusUnknown {
			t.Fatalf("no status for %q", answer)
		}
	})
}

// pipeDialer answers with fixed bytes over an in-memory pipe.
type pipeDialer struct{ answer []byte }

func (p pipeDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	a, b := net.Pipe()
	go func() {
		defer b.Close()
		go func() { bytes.NewBuffer(nil).ReadFrom(b) }()
		b.SetWriteDeadline(time.Now().Add(time.Second))
		b.Write(p.answer)
	}()
	return a, nil
}
