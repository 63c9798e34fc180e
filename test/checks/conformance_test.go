package checks_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/test/harness"
)

// The check logic of configurations from the wild (the conformance set's
// 07 Patroni, 08 kubeadm, 18 Argo CD Redis HA, 19 and 20 Percona XtraDB
// Cluster), run against real servers or, where Debian has none, scripted
// ones. The sections are copied from those files; only addresses, and
// check intervals (shorter here), differ.

// roleEndpoint is Patroni's REST API as the health check sees it: any
// request (Python's http.server takes "OPTIONS GET HTTP/1.0", which
// "option httpchk GET" sends: GET is the URI there) answers 200 on the
// primary and 503 on a replica.
type roleEndpoint struct {
	primary atomic.Bool
	Addr    string // on 127.0.0.1, the servers' address: "check port" finds it
}

func newRoleEndpoint(t *testing.T, primary bool) *roleEndpoint {
	e := &roleEndpoint{}
	e.primary.Store(primary)
	e.Addr = harness.StartOrigin(t, e.serve).Addr
	return e
}

// eachLine reads c line by line (for a few seconds at most) while fn
// returns true; it reports whether fn ended the loop.
func eachLine(c net.Conn, fn func(line string) bool) bool {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		if !fn(l) {
			return true
		}
	}
}

func (e *roleEndpoint) serve(c net.Conn) {
	endOfHead := func(l string) bool { return l != "\r\n" && l != "\n" }
	if !eachLine(c, endOfHead) {
		return
	}
	status, body := "200 OK", `{"role": "master"}`
	if !e.primary.Load() {
		status, body = "503 Service Unavailable", `{"role": "replica"}`
	}
	fmt.Fprintf(c, "HTTP/1.0 %s\r\nServer: BaseHTTP/0.6 Python/3.11\r\nContent-Type: application/json\r\n\r\n%s", status, body)
}

// dial connects to addr for a short exchange, closed at cleanup.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// pgAnswers sends PostgreSQL's SSLRequest through addr and returns the
// answer byte ('N' from a server without TLS).
func pgAnswers(t *testing.T, addr string) string {
	c := dial(t, addr)
	c.Write([]byte{0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f})
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil {
		return err.Error()
	}
	return string(b)
}

// TestPatroni is 07-patroni-postgres.cfg: mode tcp, "option httpchk GET"
// and "check port" on Patroni's REST API. The replica is down, the
// primary up; a failover swaps them.
func TestPatroni(t *testing.T) {
	pg := pgAddr(t)
	both(t, func(t *testing.T, start starter) []string {
		e1, e2 := newRoleEndpoint(t, true), newRoleEndpoint(t, false)
		fe := harness.FreeAddr(t)
		p := start(replace(`global
	maxconn 100
	log stdout format raw local0

defaults
	log	global
	mode	tcp
	retries 2
	timeout client 30m
	timeout connect 4s
	timeout server 30m
	timeout check 5s

frontend ft_postgresql
	bind @FE@
	default_backend bk_db

backend bk_db
	option httpchk GET

  server postgresql_127.0.0.1_5432 @PG@ maxconn 100 check port @P1@ inter 100ms
  server postgresql_127.0.0.1_5433 @PG@ maxconn 100 check port @P2@ inter 100ms
`, "@FE@", fe, "@PG@", pg, "@P1@", port(e1.Addr), "@P2@", port(e2.Addr)), fe)
		p.wait(10*time.Second, "Server bk_db/postgresql_127.0.0.1_5433 is DOWN")
		if got := pgAnswers(t, fe); got != "N" {
			t.Errorf("through the primary: %q, want N", got)
		}
		e1.primary.Store(false)
		p.wait(10*time.Second, "Server bk_db/postgresql_127.0.0.1_5432 is DOWN")
		e2.primary.Store(true)
		p.wait(10*time.Second, "Server bk_db/postgresql_127.0.0.1_5433 is UP")
		if got := pgAnswers(t, fe); got != "N" {
			t.Errorf("through the new primary: %q, want N", got)
		}
		return p.transitions()
	})
}

// replace applies old, new pairs to s.
func replace(s string, pairs ...string) string {
	return strings.NewReplacer(pairs...).Replace(s)
}

// TestKubeadm is 08-kubeadm-apiserver-lb.cfg: "option ssl-hello-chk"
// comes after "option httpchk GET /healthz" and "http-check expect status
// 200", and wins: the API server is checked with a TLS ClientHello.
func TestKubeadm(t *testing.T) {
	apiserver := tlsServer(t)
	plain := harness.StartOrigin(t, answerAndClose("HTTP/1.1 400 Bad Request\r\n\r\n"))
	both(t, func(t *testing.T, start starter) []string {
		r := newRelay(t)
		fe := harness.FreeAddr(t)
		p := start(replace(`global
    log stdout format raw local0
defaults
    mode                    http
    log                     global
    option                  httplog
    option                  dontlognull
    option http-server-close
    option forwardfor       except 127.0.0.0/8
    option                  redispatch
    retries                 1
    timeout http-request    10s
    timeout queue           20s
    timeout connect         5s
    timeout client          20s
    timeout server          20s
    timeout http-keep-alive 10s
    timeout check           10s
frontend apiserver
    bind @FE@
    mode tcp
    option tcplog
    default_backend apiserverbackend
backend apiserverbackend
    option httpchk GET /healthz
    http-check expect status 200
    mode tcp
    option ssl-hello-chk
    balance     roundrobin
        server master1 @MASTER1@ check inter 100ms
`, "@FE@", fe, "@MASTER1@", r.Addr), fe)
		p.wait(10*time.Second, "Server apiserverbackend/master1 is DOWN", "Layer4 connection problem")
		r.to(apiserver)
		p.wait(10*time.Second, "Server apiserverbackend/master1 is UP", "Layer6 check passed")
		c, err := tls.Dial("tcp", fe, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatalf("TLS through the frontend: %v", err)
		}
		c.Close()
		r.to(plain.Addr)
		p.wait(10*time.Second, "Server apiserverbackend/master1 is DOWN", "Layer6 invalid response")
		return p.transitions()
	})
}

// mysqlGreets reads the server's first packet through addr and returns
// its protocol version byte (10), or the error.
func mysqlGreets(t *testing.T, addr string) string {
	c := dial(t, addr)
	b := make([]byte, 5)
	if _, err := io.ReadFull(c, b); err != nil {
		return err.Error()
	}
	return fmt.Sprint(b[4])
}

// TestPXCMySQLCheck is 19-pxc-mysql-check.cfg's listen proxy-mysql:
// "option mysql-check user haproxy" on three nodes (one MariaDB here,
// each node behind its own relay), with option tcpka.
func TestPXCMySQLCheck(t *testing.T) {
	maria := mariaAddr(t)
	denied := harness.StartOrigin(t, bannerAndClose(mysqlPacket(0, "\xff\x6a\x04Host '127.0.0.1' is not allowed to connect to this MariaDB server")))
	both(t, func(t *testing.T, start starter) []string {
		var relays [3]*relay
		for i := range relays {
			relays[i] = newRelay(t)
		}
		relays[1].to(maria)
		relays[2].to(maria)
		fe := harness.FreeAddr(t)
		p := start(replace(logged+`
listen  proxy-mysql
    bind  @FE@
    mode  tcp
    balance  roundrobin
    option  tcplog
    option  mysql-check user haproxy
    server  MySQL_1 @N1@ check weight 1 maxconn 2000 inter 100ms
    server  MySQL_2 @N2@ check weight 1 maxconn 2000 inter 100ms
    server  MySQL_3 @N3@ check weight 1 maxconn 2000 inter 100ms
    option  tcpka
`, "@FE@", fe, "@N1@", relays[0].Addr, "@N2@", relays[1].Addr, "@N3@", relays[2].Addr), fe)
		p.wait(10*time.Second, "Server proxy-mysql/MySQL_1 is DOWN", "Layer4 connection problem")
		relays[0].to(maria)
		p.wait(10*time.Second, "Server proxy-mysql/MySQL_1 is UP", "Layer7 check passed")
		for i := 0; i < 3; i++ {
			if got := mysqlGreets(t, fe); got != "10" {
				t.Errorf("greeting through the proxy: %s, want protocol 10", got)
			}
		}
		relays[2].to(denied.Addr)
		p.wait(10*time.Second, "Server proxy-mysql/MySQL_3 is DOWN", "code: 1130")
		return p.transitions()
	})
}

// redisFake answers each command line with answers[first word], and
// closes after QUIT or the command closeAfter: a Redis or Sentinel that
// says the wrong things (and closes, else the check would wait for more
// until timeout check).
func redisFake(closeAfter string, answers map[string]string) func(net.Conn) {
	return func(c net.Conn) {
		eachLine(c, func(l string) bool {
			cmd, _, _ := strings.Cut(strings.TrimSpace(l), " ")
			cmd = strings.ToUpper(cmd)
			io.WriteString(c, answers[cmd])
			return cmd != "QUIT" && cmd != closeAfter
		})
	}
}

// TestArgoCDRedisHA is 18-argocd-redis-ha-haproxy.cfg's checks: a
// Sentinel asked for the master's address (tcp-check send/expect
// string), and Redis itself checked with AUTH ${AUTH}, PING, INFO
// replication and QUIT. One sentinel and one Redis here; R0 of each
// backend is behind a relay that switches to fakes.
func TestArgoCDRedisHA(t *testing.T) {
	master := redisAddr(t)
	sentinel := startSentinel(t, master)
	t.Setenv("AUTH", redisPass)
	otherMaster := harness.StartOrigin(t, redisFake("SENTINEL", map[string]string{"PING": "+PONG\r\n",
		"SENTINEL": "*2\r\n$9\r\n127.0.0.9\r\n$4\r\n6379\r\n", "QUIT": "+OK\r\n"}))
	badAuth := harness.StartOrigin(t, redisFake("AUTH", map[string]string{"AUTH": "-WRONGPASS invalid username-password pair or user is disabled.\r\n"}))
	both(t, func(t *testing.T, start starter) []string {
		s0, m0 := newRelay(t), newRelay(t)
		s0.to(sentinel)
		m0.to(master)
		fe := harness.FreeAddr(t)
		p := start(replace(`global
  maxconn 4096
  log stdout format raw local0
defaults REDIS
  mode tcp
  log global
  timeout connect 4s
  timeout server 6m
  timeout client 6m
  timeout check 2s
# Check Sentinel and whether they are nominated master
backend check_if_redis_is_master_0
  mode tcp
  option tcp-check
  tcp-check connect
  tcp-check send PING\r\n
  tcp-check expect string +PONG
  tcp-check send SENTINEL\ get-master-addr-by-name\ argocd\r\n
  tcp-check expect string 127.0.0.2
  tcp-check send QUIT\r\n
  server R0 @S0@ check inter 100ms
  server R1 @SENTINEL@ check inter 100ms
  server R2 @SENTINEL@ check inter 100ms
frontend ft_redis_master
  bind @FE@
  use_backend bk_redis_master
# Check all redis servers to see if they think they are master
backend bk_redis_master
  mode tcp
  option tcp-check
  tcp-check connect
  tcp-check send "AUTH ${AUTH}"\r\n
  tcp-check expect string +OK
  tcp-check send PING\r\n
  tcp-check expect string +PONG
  tcp-check send info\ replication\r\n
  tcp-check expect string role:master
  tcp-check send QUIT\r\n
  tcp-check expect string +OK
  server R0 @M0@ check inter 100ms fall 1 rise 1
  server R1 @MASTER@ check inter 100ms fall 1 rise 1
  server R2 @MASTER@ check inter 100ms fall 1 rise 1
`, "@FE@", fe, "@S0@", s0.Addr, "@SENTINEL@", sentinel, "@M0@", m0.Addr, "@MASTER@", master), fe)
		s0.to(otherMaster.Addr)
		p.wait(10*time.Second, "Server check_if_redis_is_master_0/R0 is DOWN")
		s0.to(sentinel)
		p.wait(10*time.Second, "Server check_if_redis_is_master_0/R0 is UP")
		m0.to(badAuth.Addr)
		p.wait(10*time.Second, "Server bk_redis_master/R0 is DOWN")
		m0.to(master)
		p.wait(10*time.Second, "Server bk_redis_master/R0 is UP")
		c := dial(t, fe)
		io.WriteString(c, "AUTH "+redisPass+"\r\nPING\r\n")
		br := bufio.NewReader(c)
		for _, want := range []string{"+OK\r\n", "+PONG\r\n"} {
			if l, _ := br.ReadString('\n'); l != want {
				t.Errorf("through the proxy: %q, want %q", l, want)
			}
		}
		return p.transitions()
	})
}

// pxcCheckScript is a stand-in for the operator's haproxy_check_pxc.sh:
// it asks the node (at the address and port HAProxy passes) for SELECT 1
// as user haproxy, fails while a file named after the server exists in
// dir, and records its arguments and HAProxy's variables.
func pxcCheckScript(t *testing.T, dir string) string {
	// HAProxy runs the command with PATH set to "external-check path"
	// (empty by default): the client is named by its full path.
	client, err := exec.LookPath("mariadb")
	if err != nil {
		t.Skip("mariadb client not installed")
	}
	path := filepath.Join(dir, "haproxy_check_pxc.sh")
	script := `#!/bin/sh
echo "$HAPROXY_PROXY_NAME $HAPROXY_SERVER_NAME $1 $2 $HAPROXY_SERVER_MAXCONN $HAPROXY_SERVER_PORT" >> ` + dir + `/calls
[ -e "` + dir + `/down-$HAPROXY_SERVER_NAME" ] && exit 1
exec ` + client + ` --no-defaults -h "$3" -P "$4" -u haproxy -N -e 'SELECT 1' >/dev/null 2>&1
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPXCOperator is 20-percona-pxc-operator.cfg's galera-nodes backend:
// an external check (global external-check and insecure-fork-wanted),
// one active node and two backups, on-marked-down shutdown-sessions and
// on-marked-up shutdown-backup-sessions. A client on the active node is
// cut when it goes down, and one on the backup when it comes back.
func TestPXCOperator(t *testing.T) {
	maria := mariaAddr(t)
	both(t, func(t *testing.T, start starter) []string {
		dir := t.TempDir()
		script := pxcCheckScript(t, dir)
		fe := harness.FreeAddr(t)
		p := start(replace(`    global
      log stdout format raw local0
      maxconn 2048
      external-check
      insecure-fork-wanted
      hard-stop-after 10s

    defaults
      no option dontlognull
      log global
      mode tcp
      retries 10
      timeout client 28800s
      timeout connect 100500
      timeout server 28800s

    frontend galera-in
      bind @FE@
      mode tcp
      option clitcpka
      default_backend galera-nodes

    backend galera-nodes
      mode tcp
      option srvtcpka
      balance roundrobin
      option external-check
      external-check command @SCRIPT@
server cluster1-pxc-0 @NODE@  check inter 1000 rise 1 fall 2 weight 1 on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions
server cluster1-pxc-2 @NODE@  check inter 1000 rise 1 fall 2 weight 1 on-marked-down shutdown-sessions backup
server cluster1-pxc-1 @NODE@  check inter 1000 rise 1 fall 2 weight 1 on-marked-down shutdown-sessions backup
`, "@FE@", fe, "@SCRIPT@", script, "@NODE@", maria), fe)
		// A client on the active node, cut when it is marked down.
		active := dialGreeted(t, fe)
		os.WriteFile(filepath.Join(dir, "down-cluster1-pxc-0"), nil, 0o644)
		p.wait(10*time.Second, "Server galera-nodes/cluster1-pxc-0 is DOWN", "External check error", "Running on backup")
		expectCut(t, "active node's client", active)
		// Now on the first backup; cut when the active node is back.
		backup := dialGreeted(t, fe)
		os.Remove(filepath.Join(dir, "down-cluster1-pxc-0"))
		p.wait(10*time.Second, "Server galera-nodes/cluster1-pxc-0 is UP", "External check passed")
		expectCut(t, "backup's client", backup)
		calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
		var seen []string
		for _, l := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
			if !slices.Contains(seen, l) {
				seen = append(seen, l)
			}
		}
		sort.Strings(seen)
		return append(p.transitions(), seen...)
	})
}

// dialGreeted connects through addr and reads the MySQL greeting.
func dialGreeted(t *testing.T, addr string) net.Conn {
	c := dial(t, addr)
	b := make([]byte, 5)
	if _, err := io.ReadFull(c, b); err != nil || b[4] != 10 {
		t.Fatalf("greeting through %s: %v %x", addr, err, b)
	}
	// Drain the rest of the greeting.
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	io.Copy(io.Discard, c)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// expectCut checks that the proxy closes c.
func expectCut(t *testing.T, what string, c net.Conn) {
	t.Helper()
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Errorf("%s: read data, want the connection closed", what)
	}
}
