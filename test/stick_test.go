package e2e_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// Stick tables under Baton and HAProxy 2.6: the rate-limit pattern, the
// counters an entry keeps at each tracking stage, and the general
// purpose counters and tags rules set. The same request sequence gives
// the same answers under both.

// TestStickRateLimit is the rate-limit pattern: a client is refused with
// 429 once it sent more than 10 requests within the 10 s period, on new
// connections and on one keep-alive connection alike, and another
// client's requests are its own.
func TestStickRateLimit(t *testing.T) {
	statuses := func(n int) []req {
		var out []req
		for i := 1; i <= n; i++ {
			st := 200
			if i > 10 {
				st = 429
			}
			out = append(out, req{path: fmt.Sprintf("/r%d", i), status: st, describe: fmt.Sprintf("request %d", i)})
		}
		return out
	}
	run(t, []scenario{{
		name: "new-connections",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request track-sc0 src table per_ip
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 10 }
    default_backend app
backend app
    server s1 ${S1}
backend per_ip
    stick-table type ip size 100k expire 30s store http_req_rate(10s)
`,
		requests: statuses(13),
	}, {
		name: "keep-alive",
		cfg: base + `
frontend fe
    bind ${FE}
    stick-table type ipv6 size 1k expire 30s store http_req_rate(10s),http_req_cnt
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 10 }
    http-request set-header X-Count %[sc0_http_req_cnt]
    default_backend app
backend app
    server s1 ${S1}
`,
		check: func(e *env) {
			c := harness.Dial(e.t, e.fe())
			var got []string
			for i := 1; i <= 12; i++ {
				c.Send(harness.Request("GET", "/headers") + "\r\n")
				r := c.Read("GET")
				got = append(got, fmt.Sprint(r.Status))
				if i <= 10 && !strings.Contains(string(r.Body), fmt.Sprintf("x-count: %d\r\n", i)) && !strings.Contains(string(r.Body), fmt.Sprintf("X-Count: %d\r\n", i)) {
					e.t.Errorf("request %d: the server saw no X-Count: %d\n%s", i, i, r.Body)
				}
			}
			// The connection stays open after a deny, in both proxies.
			if want := "200 200 200 200 200 200 200 200 200 200 429 429"; strings.Join(got, " ") != want {
				e.t.Errorf("statuses %s, want %s", strings.Join(got, " "), want)
			}
		},
	}})
}

// TestStickCounters reads back what an entry counts when tracked by an
// http-request rule, a tcp-request connection rule and a tcp-request
// content rule: connections, sessions, requests, errors (deny counts,
// an answer built by a rule does not), counters and tags. (conn_cur and
// sc_trackers are left out: a connection the client closed may still be
// counted, by either proxy, when the next one is served.)
func TestStickCounters(t *testing.T) {
	run(t, []scenario{{
		name: "http-request",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request track-sc1 src table st
    http-request sc-inc-gpc0(1) if { path /mark }
    http-request sc-set-gpt0(1) 7 if { path /tag }
    http-request return status 200 content-type text/plain lf-string "req=%[sc1_http_req_cnt] rate=%[sc_http_req_rate(1)] conn=%[sc1_conn_cnt] sess=%[sc1_sess_cnt] gpc0=%[sc1_get_gpc0] gpt0=%[sc1_get_gpt0] srcgpc=%[src_get_gpc0(st)] cnt=%[table_cnt(st)] avl=%[table_avl(st)] trk=%[sc1_tracked] trk0=%[sc0_tracked] in=%[src,in_table(st)] trate=%[src,table_http_req_rate(st)]"
backend st
    stick-table type ip size 100 expire 30s store http_req_cnt,http_req_rate(10s),conn_cnt,conn_cur,sess_cnt,gpc0,gpt0,http_err_cnt
`,
		requests: []req{
			{path: "/", bodyIs: ptr("req=1 rate=1 conn=1 sess=0 gpc0=0 gpt0=0 srcgpc=0 cnt=1 avl=99 trk=1 trk0=0 in=1 trate=1")},
			{path: "/mark", bodyIs: ptr("req=2 rate=2 conn=2 sess=0 gpc0=1 gpt0=0 srcgpc=1 cnt=1 avl=99 trk=1 trk0=0 in=1 trate=2")},
			{path: "/tag", bodyIs: ptr("req=3 rate=3 conn=3 sess=0 gpc0=1 gpt0=7 srcgpc=1 cnt=1 avl=99 trk=1 trk0=0 in=1 trate=3")},
		},
	}, {
		// The harness's readiness probes come from 127.0.0.1 (HAProxy
		// counts their empty connections as failed requests): the
		// requests here come from other loopback addresses.
		name: "tcp-request",
		cfg: base + `
frontend fe
    bind ${FE}
    tcp-request connection track-sc0 src
    tcp-request content track-sc2 src table st2
    http-request deny if { path /deny }
    http-request return status 404 if { path /nf }
    http-request return status 503 if { path /fail }
    http-request return status 200 content-type text/plain lf-string "req=%[sc0_http_req_cnt] conn=%[sc0_conn_cnt] sess=%[sc0_sess_cnt] srate=%[sc0_sess_rate] err=%[sc0_http_err_cnt] erate=%[sc0_http_err_rate] fail=%[sc0_http_fail_cnt] | c2=%[sc2_conn_cnt] r2=%[sc2_http_req_cnt] e2=%[sc2_http_err_cnt] s2=%[sc2_sess_cnt] gpc0=%[sc0_get_gpc0]"
    stick-table type ip size 100 expire 30s store http_req_cnt,conn_cnt,conn_cur,sess_cnt,sess_rate(10s),http_err_cnt,http_err_rate(10s),http_fail_cnt
backend st2
    stick-table type ip size 100 expire 30s store http_req_cnt,conn_cnt,conn_cur,sess_cnt,http_err_cnt
`,
		check: func(e *env) {
			for i, path := range []string{"/", "/deny", "/nf", "/fail"} {
				r := getFrom(e.t, "127.0.0.2", e.fe(), path)
				if want := []int{200, 403, 404, 503}[i]; r.Status != want {
					e.t.Errorf("%s: status %d, want %d", path, r.Status, want)
				}
			}
			if got, want := string(getFrom(e.t, "127.0.0.2", e.fe(), "/").Body), "req=5 conn=5 sess=5 srate=5 err=1 erate=1 fail=0 | c2=5 r2=5 e2=1 s2=0 gpc0="; got != want {
				e.t.Errorf("fifth request:\n got %s\nwant %s", got, want)
			}
			// Three requests on one connection: one connection and
			// session for sc0, a request each for both.
			c, br := dialFrom(e.t, "127.0.0.3", e.fe())
			for i := 1; i <= 3; i++ {
				c.Write([]byte(harness.Request("GET", "/") + "\r\n"))
				r, err := harness.ReadResponse(br, "GET")
				if err != nil {
					e.t.Fatal(err)
				}
				want := fmt.Sprintf("req=%d conn=1 sess=1 srate=1 err=0 erate=0 fail=0 | c2=%d r2=%d e2=0 s2=0 gpc0=", i, i, i)
				if string(r.Body) != want {
					e.t.Errorf("keep-alive request %d:\n got %s\nwant %s", i, r.Body, want)
				}
			}
		},
	}})
}

// dialFrom connects to addr from the loopback address src.
func dialFrom(t *testing.T, src, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: harness.IOTimeout}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, src, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(harness.IOTimeout))
	return c, bufio.NewReader(c)
}

// getFrom sends GET path on a new connection from src.
func getFrom(t *testing.T, src, addr, path string) *harness.Response {
	t.Helper()
	c, br := dialFrom(t, src, addr)
	if _, err := c.Write([]byte(harness.Request("GET", path) + "\r\n")); err != nil {
		t.Fatal(err)
	}
	r, err := harness.ReadResponse(br, "GET")
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	c.Close()
	return r
}

// TestStickTableCommands: show table, set table and clear table on the
// stats socket answer as HAProxy's do (entry addresses and expiry times
// aside).
func TestStickTableCommands(t *testing.T) {
	run(t, []scenario{{
		name: "show-set-clear",
		cfg: `global
    maxconn 100
    stats socket ${FILES}/admin.sock level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind ${FE}
    http-request track-sc1 src table st
    http-request sc-inc-gpc0(1) if { path /mark }
    http-request return status 200
backend st
    stick-table type ip size 100 expire 30s store http_req_cnt,http_req_rate(10s),gpc(2),gpc_rate(2,10s),gpt(2),conn_cur,server_id
`,
		files: map[string]string{},
		check: func(e *env) {
			getFrom(e.t, "127.0.0.2", e.fe(), "/mark")
			getFrom(e.t, "127.0.0.2", e.fe(), "/")
			sock := e.addrs["FILES"] + "/admin.sock"
			// The socket may come up after the listener, and the last
			// request's entry is released just after its answer.
			harness.Eventually(e.t, 10*time.Second, "the entry released on the stats socket", func() bool {
				c, err := net.Dial("unix", sock)
				if err != nil {
					return false
				}
				c.Close()
				return strings.Contains(socketCommand(e.t, sock, "show table st"), " use=0 ")
			})
			var got []string
			for _, c := range []string{
				"show table",
				"show table st",
				"set table st key 10.0.0.1 data.http_req_cnt 5 data.conn_cur 2 data.gpc1 3",
				"show table st data.http_req_cnt gt 3",
				"show table st key 10.0.0.9",
				"clear table st key 10.0.0.1",
				"show table st",
				"clear table st",
				"show table st",
				"show table nope",
			} {
				got = append(got, "> "+c+"\n"+normalizeTable(socketCommand(e.t, sock, c)))
			}
			want := `> show table
# table: st, type: ip, size:100, used:1

> show table st
# table: st, type: ip, size:100, used:1
ADDR: key=127.0.0.2 use=0 exp=EXP server_id=0 conn_cur=0 http_req_cnt=2 http_req_rate(10000)=2 gpt0=0 gpt1=0 gpc0=1 gpc1=0 gpc0_rate(10000)=1 gpc1_rate(10000)=0

> set table st key 10.0.0.1 data.http_req_cnt 5 data.conn_cur 2 data.gpc1 3
Data type not stored in this table

> show table st data.http_req_cnt gt 3
# table: st, type: ip, size:100, used:2
ADDR: key=10.0.0.1 use=0 exp=EXP server_id=0 conn_cur=2 http_req_cnt=5 http_req_rate(10000)=0 gpt0=0 gpt1=0 gpc0=0 gpc1=0 gpc0_rate(10000)=0 gpc1_rate(10000)=0

> show table st key 10.0.0.9

> clear table st key 10.0.0.1

> show table st
# table: st, type: ip, size:100, used:1
ADDR: key=127.0.0.2 use=0 exp=EXP server_id=0 conn_cur=0 http_req_cnt=2 http_req_rate(10000)=2 gpt0=0 gpt1=0 gpc0=1 gpc1=0 gpc0_rate(10000)=1 gpc1_rate(10000)=0

> clear table st

> show table st
# table: st, type: ip, size:100, used:0

> show table nope
No such table

`
			if g := strings.Join(got, ""); g != want {
				e.t.Errorf("table commands:\n%q\nwant\n%q", g, want)
			}
		},
	}})
}

var tableVolatile = regexp.MustCompile(`0x[0-9a-f]+:|exp=[0-9]+`)

// normalizeTable hides entry addresses and expiry times, and ends an
// answer with one empty line (an empty answer is that line alone).
func normalizeTable(s string) string {
	s = tableVolatile.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "0x") {
			return "ADDR:"
		}
		return "exp=EXP"
	})
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "\n"
	}
	return s + "\n\n"
}

// socketCommand sends one command to a stats socket and returns the
// answer.
func socketCommand(t *testing.T, path, cmd string) string {
	t.Helper()
	c, err := net.DialTimeout("unix", path, harness.IOTimeout)
	if err != nil {
		t.Fatalf("stats socket: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(harness.IOTimeout))
	if _, err := c.Write([]byte(cmd + "\n")); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return string(b)
}

// TestStickPeersLocal: a peers section naming the local node alone, a
// table declared in it (named SECTION/NAME) and a table replicated
// through it, as HAProxy users write them for reloads.
func TestStickPeersLocal(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	var reqs []req
	for i := 1; i <= 5; i++ {
		st := 200
		if i > 3 {
			st = 429
		}
		reqs = append(reqs, req{path: "/", status: st, describe: fmt.Sprintf("request %d", i)})
	}
	run(t, []scenario{{
		name: "local-peer",
		cfg: base + `
peers local
    peer ` + host + ` ${DEAD}
    table rl type ip size 1k expire 30s store http_req_rate(10s)
frontend fe
    bind ${FE}
    http-request track-sc0 src table local/rl
    http-request track-sc1 src table counts
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 3 }
    http-request return status 200 hdr X-Count %[sc1_http_req_cnt]
backend counts
    stick-table type ip size 1k expire 30s store http_req_cnt peers local
`,
		requests: reqs,
	}})
}
