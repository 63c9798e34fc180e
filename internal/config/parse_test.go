package config

import (
	"baton/internal/pattern"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"baton/internal/sockaddr"
	"baton/internal/syslog"
)

func init() {
	// Tests and fuzzing never touch DNS.
	lookupHost = func(h string) ([]string, error) {
		switch h {
		case "localhost":
			return []string{"::1", "127.0.0.1"}, nil
		case "app.internal":
			return []string{"10.0.0.7"}, nil
		}
		return nil, fmt.Errorf("no such host")
	}
	sockaddr.LookupHost = lookupHost
}

// base is a valid prologue; tests append sections to it. It has 6 lines.
const base = `defaults
  mode http
  timeout connect 1s
  timeout client 2s
  timeout server 3s
backend be
`

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse("t.cfg", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return c
}

func TestParseGlobal(t *testing.T) {
	c := mustParse(t, `global
  maxconn 500
  hard-stop-after 1m
  log stdout format raw local0
  log stderr local1 info notice
  stats socket /run/baton.sock mode 660 level operator expose-fd listeners
  stats timeout 30s
  nbthread 2
  pidfile /run/baton.pid
  daemon
`)
	g := c.Global
	if g.MaxConn != 500 || g.HardStopAfter != time.Minute || g.StatsTimeout != 30*time.Second || g.NbThread != 2 || g.PidFile != "/run/baton.pid" || !g.Daemon {
		t.Errorf("global = %+v", g)
	}
	if len(g.Logs) != 2 || g.Logs[0].Addr.String() != "stdout" || g.Logs[0].Format != syslog.Raw || g.Logs[0].Facility.String() != "local0" ||
		g.Logs[0].Pos != (Pos{"t.cfg", 4}) || g.Logs[1].Index != 1 || g.Logs[1].MaxLevel != syslog.Info || g.Logs[1].MinLevel != syslog.Notice {
		t.Errorf("logs = %+v", g.Logs)
	}
	s := g.StatsSockets
	if len(s) != 1 || s[0].Path != "/run/baton.sock" || s[0].Mode != 0o660 || s[0].Level != "operator" || !s[0].ExposeListeners {
		t.Errorf("stats sockets = %+v", s)
	}
	if len(c.Warnings) != 1 || !strings.HasPrefix(c.Warnings[0], "t.cfg:10: daemon:") {
		t.Errorf("warnings = %q", c.Warnings)
	}
}

func TestParseProxy(t *testing.T) {
	c := mustParse(t, base+`  balance leastconn
  retries 5
  option httpchk GET /health
  option redispatch
  server a 127.0.0.1:81 weight 0 maxconn 10 backup disabled check inter 500ms rise 4 fall 5
  server b localhost:82
  server c app.internal:83
  server d [::1]:84
backend tcpbe
  mode tcp
  server t 127.0.0.1:90
frontend fe
  bind *:80
  bind :81
  bind 127.0.0.1:82
  bind [::]:83
  bind [::1]:84
  maxconn 100
  option forwardfor
  option httpclose
  log global
  acl api path_beg /api
  acl api path_end .json
  acl host hdr(host) -i example.com
  acl img path_reg -i \.(png|jpg)$
  acl lan src 10.0.0.0/8 192.168.1.1
  acl get method GET HEAD
  http-request deny deny_status 429 if !lan api || { hdr_beg(user-agent) bot }
  http-request return status 204 content-type text/plain string ok if get
  http-request set-header X-A "a b"
  http-request add-header X-P 100%%
  http-request del-header X-B unless host
  http-request redirect scheme https code 301 if { hdr_end(host) .example }
  http-response set-header X-C c
  use_backend be if api host
  default_backend be
`)
	be := c.Backend("be")
	if be.Balance != LeastConn || be.Retries != 5 || !be.Redispatch || be.HTTPChk == nil || be.HTTPChk.Method != "GET" || be.HTTPChk.URI != "/health" {
		t.Errorf("backend = %+v", be)
	}
	want := []Server{
		{Name: "a", Addr: "127.0.0.1:81", Port: 81, Weight: 0, MaxConn: 10, Backup: true, Disabled: true, Check: true, Inter: 500 * time.Millisecond, Rise: 4, Fall: 5, Pos: Pos{"t.cfg", 11}, ServerTraffic: ServerTraffic{ID: 1}},
		{Name: "b", Addr: "127.0.0.1:82", Host: "localhost", Port: 82, Weight: 1, Inter: 2 * time.Second, Rise: 2, Fall: 3, Pos: Pos{"t.cfg", 12}, ServerTraffic: ServerTraffic{ID: 2}},
		{Name: "c", Addr: "10.0.0.7:83", Host: "app.internal", Port: 83, Weight: 1, Inter: 2 * time.Second, Rise: 2, Fall: 3, Pos: Pos{"t.cfg", 13}, ServerTraffic: ServerTraffic{ID: 3}},
		{Name: "d", Addr: "[::1]:84", Port: 84, Weight: 1, Inter: 2 * time.Second, Rise: 2, Fall: 3, Pos: Pos{"t.cfg", 14}, ServerTraffic: ServerTraffic{ID: 4}},
	}
	for i, s := range be.Servers {
		if !reflect.DeepEqual(*s, want[i]) {
			t.Errorf("server %d = %+v, want %+v", i, *s, want[i])
		}
	}
	fe := c.Frontends()[0]
	var binds []string
	for _, b := range fe.Binds {
		binds = append(binds, b.Addr)
	}
	if got := strings.Join(binds, " "); got != ":80 :81 127.0.0.1:82 [::]:83 [::1]:84" {
		t.Errorf("binds = %s", got)
	}
	if fe.MaxConn != 100 || !fe.ForwardFor || fe.KeepAlive != Close || fe.KeepAliveFrom != "t.cfg:26" || !fe.LogGlobal {
		t.Errorf("frontend = %+v", fe)
	}
	if fe.Retries != 3 || fe.Balance != RoundRobin {
		t.Errorf("frontend zero-value defaults: retries %d balance %v", fe.Retries, fe.Balance)
	}
	if len(fe.ACLs) != 6 || fe.ACLs[2].Fetch != "hdr(host)" || fe.ACLs[2].Method != pattern.Str || !fe.ACLs[2].IgnoreCase {
		t.Errorf("acls = %+v", fe.ACLs)
	}
	r := fe.RequestRules
	if len(r) != 6 {
		t.Fatalf("request rules = %+v", r)
	}
	deny := r[0]
	if deny.Action != "deny" || deny.Reply.Status != 429 || len(deny.Cond.Or) != 2 || len(deny.Cond.Or[0]) != 2 ||
		!deny.Cond.Or[0][0].Negate || deny.Cond.Or[0][0].Name != "lan" || len(deny.Cond.Or[0][1].ACLs) != 2 ||
		deny.Cond.Or[1][0].Name != "" || deny.Cond.Or[1][0].ACLs[0].Fetch != "hdr_beg(user-agent)" {
		t.Errorf("deny = %+v", deny)
	}
	if r[1].Reply.Status != 204 || r[1].Reply.ContentType != "text/plain" || string(r[1].Reply.Body) != "ok" || r[2].Value.Text != "a b" || r[3].Value.Text != "100%%" ||
		r[4].Action != "del-header" || !r[4].Cond.Unless || r[5].Redirect.Kind != "scheme" || r[5].Redirect.Target.Text != "https" || r[5].Redirect.Code != 301 {
		t.Errorf("rules = %+v", r)
	}
	if len(fe.ResponseRules) != 1 || fe.ResponseRules[0].Name != "X-C" {
		t.Errorf("response rules = %+v", fe.ResponseRules)
	}
	if len(fe.UseBackends) != 1 || fe.UseBackends[0].Backend != "be" || len(fe.UseBackends[0].Cond.Or[0]) != 2 || fe.DefaultBackend != "be" {
		t.Errorf("use_backend = %+v", fe.UseBackends)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %q", c.Warnings)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // each: an error's exact "t.cfg:N: " prefix followed by key words
	}{
		{"typo", base + "  timout server 1s\n", []string{`t.cfg:7: unknown keyword "timout"`, `did you mean "timeout"`}},
		{"option typo", base + "  option redispach\n", []string{`t.cfg:7: unknown option "redispach"`, `did you mean "option redispatch"`}},
		{"unsupported", base + "  dispatch 127.0.0.1:80\n", []string{`t.cfg:7: "dispatch" is a HAProxy keyword that Baton does not support`}},
		{"unsupported option", base + "  option spop-check\n", []string{`t.cfg:7: "option spop-check" is a HAProxy keyword that Baton does not support`}},
		{"unsupported action", base + "  http-request set-priority-class int(1)\n", []string{`t.cfg:7: "http-request set-priority-class" is a HAProxy keyword that Baton does not support`}},
		{"unknown cache", base + "  http-request cache-use c\n", []string{`t.cfg:7: unable to find cache 'c'`}},
		{"unknown action", base + "  http-request set-hedaer X y\n", []string{`t.cfg:7: unknown http-request "set-hedaer"`, `did you mean "http-request set-header"`}},
		{"unsupported section", "mailers m\n  mailer a 1.1.1.1:25\n", []string{`t.cfg:1: "mailers" is a HAProxy section that Baton does not support`}},
		{"remote peers", "peers p\n  peer a 1.1.1.1:1024\n  peer b 1.1.1.2:1024\n", []string{`t.cfg:1: peers "p": replicating stick tables to remote peers (b) is not supported yet`}},
		{"peers table", base + "  http-request track-sc0 src table p/t2\npeers p\n  peer a 127.0.0.1:1024\n  table t type ip size 10\n",
			[]string{`t.cfg:7: stick-table: unable to find table 'p/t2'`}},
		{"peers unknown", base + "  stick-table type ip size 1 peers nope\n", []string{`t.cfg:7: stick-table: unable to find peers section 'nope'`}},
		{"outside section", "maxconn 10\n", []string{`t.cfg:1: "maxconn" is outside of any section`}},
		{"bind in backend", base + "  bind :80\n", []string{`t.cfg:7: "bind" is not allowed in a backend section; it is allowed in frontend, listen`}},
		{"server in frontend", "frontend f\n  bind :80\n  server s 127.0.0.1:80\n", []string{`t.cfg:3: "server" is not allowed in a frontend section; it is allowed in listen, backend`}},
		{"acl in defaults", "defaults\n  acl a path /\n", []string{`t.cfg:2: "acl" is not allowed in a defaults section`}},
		{"use_backend in defaults", "defaults\n  use_backend x\n", []string{`t.cfg:2: "use_backend" is not allowed in a defaults section`}},
		{"timeout client in backend", base + "  timeout client 1s\n", []string{`t.cfg:7: "timeout client" is not allowed in a backend section`}},
		{"global kw in proxy", base + "  nbthread 2\n", []string{`t.cfg:7: "nbthread" is only allowed in the global section`}},
		{"proxy kw in global", "global\n  bind :80\n", []string{`t.cfg:2: "bind" is not allowed in the global section`}},
		{"bad weight", base + "  server s1 127.0.0.1:80 weight x\n", []string{`t.cfg:7: server "s1": invalid weight "x"`}},
		{"weight range", base + "  server s1 127.0.0.1:80 weight 257\n", []string{`t.cfg:7: server "s1": invalid weight "257" (0..256)`}},
		{"server option", base + "  server s1 127.0.0.1:80 chek\n", []string{`t.cfg:7: server "s1": option "chek" is not supported`, `did you mean "check"`}},
		{"socks4 port", base + "  server s1 127.0.0.1:80 socks4 127.0.0.1\n", []string{`t.cfg:7: server "s1": socks4: missing port number: "127.0.0.1"`}},
		{"server port", base + "  server s1 127.0.0.1 check\n", []string{`t.cfg:7: server "s1": has neither service port nor check port`}},
		{"server resolve", base + "  server s1 nowhere.invalid:80\n", []string{`t.cfg:7: server "s1": cannot resolve "nowhere.invalid"`}},
		{"dup server", base + "  server s1 127.0.0.1:80\n  server s1 127.0.0.1:81\n", []string{`t.cfg:8: server "s1": duplicate server name, first declared at t.cfg:7`}},
		{"bad time", base + "  timeout server 5x\n", []string{`t.cfg:7: timeout server: invalid time "5x"`}},
		{"bad mode", base + "  mode udp\n", []string{`t.cfg:7: mode: invalid mode "udp"`}},
		{"bad balance", base + "  balance roundrobbin\n", []string{`t.cfg:7: balance: unknown algorithm "roundrobbin"`}},
		{"bind option", "frontend f\n  bind :80 accept-netscaler-cip 1234\n  default_backend be\n", []string{`t.cfg:2: bind :80: option "accept-netscaler-cip" is not supported`}},
		{"bind host", "frontend f\n  bind example.com:80\n", []string{`t.cfg:2: bind: address "example.com:80": cannot resolve "example.com"`}},
		{"default_backend nowhere", base + "frontend f\n  bind :80\n  default_backend nowhere\n", []string{`t.cfg:9: default_backend nowhere: no backend named "nowhere"`}},
		{"use_backend unknown", base + "frontend f\n  bind :80\n  use_backend nope if { path / }\n  default_backend be\n", []string{`t.cfg:9: use_backend nope: no backend named "nope"`}},
		{"use_backend to frontend", base + "frontend f\n  bind :80\n  default_backend f\n", []string{`t.cfg:9: default_backend f: no backend named "f" ("f" is a frontend)`}},
		{"acl undeclared", base + "frontend f\n  bind :80\n  use_backend be if is_api\n  acl is_api path_beg /api\n", []string{`t.cfg:9: use_backend be: ACL "is_api" is not declared`}},
		{"unknown acl", base + "frontend f\n  bind :80\n  use_backend be if METH_GOT\n", []string{`t.cfg:9: use_backend be: ACL "METH_GOT" is not declared`}},
		{"bad regex", base + "  acl r path_reg ([a-z\n", []string{`t.cfg:7: acl "r": invalid regular expression "([a-z"`}},
		{"re2 backref", base + "  acl r path_reg (a)\\1\n", []string{`t.cfg:7: acl "r": regular expression "(a)\\1" uses a backreference, which Go's RE2 engine does not support`}},
		{"re2 lookahead", base + "  acl r path_reg a(?=b)\n", []string{`t.cfg:7: acl "r": regular expression "a(?=b)" uses lookaround`}},
		{"bad src", base + "  acl r src 10.0.0.300\n", []string{`t.cfg:7: acl "r": '10.0.0.300' is not a valid IPv4 or IPv6 address`}},
		{"bad fetch", base + "  acl r path_begin /x\n", []string{`t.cfg:7: acl "r": unknown fetch method "path_begin"`, `did you mean "path_beg"`}},
		{"binary needs -m", base + "  acl r req.body foo\n", []string{`t.cfg:7: acl "r": matching method must be specified first (using '-m') when using a sample fetch of this type ('req.body')`}},
		{"acl file", base + "  acl r path -f /nonexistent/file.lst\n", []string{`t.cfg:7: acl "r": failed to open pattern file </nonexistent/file.lst>`}},
		{"map file", base + "  http-request set-header X %[path,map(/nonexistent/m.map)]\n", []string{`t.cfg:7: http-request set-header: failed to parse sample expression <path,map(/nonexistent/m.map)>`, "failed to load map file"}},
		{"anon unclosed", base + "  http-request deny if { path /x\n", []string{`t.cfg:7: http-request deny: anonymous ACL: missing '}'`}},
		{"dangling or", base + "  acl a path /\n  http-request deny if a ||\n", []string{`t.cfg:8: http-request deny: condition ends without a term`}},
		{"deny status", base + "  http-request deny deny_status 99\n", []string{`t.cfg:7: http-request deny: invalid status "99"`}},
		{"return string", base + "  http-request return string hi\n", []string{`t.cfg:7: http-request return: string needs a content-type`}},
		{"log-format", base + "  http-request set-header X-Src %[nosuch]\n", []string{`t.cfg:7: http-request set-header: failed to parse sample expression <nosuch>: unknown fetch method "nosuch"`}},
		{"log-format item", base + "  http-request set-header X-Src %Tq\n", []string{`t.cfg:7: http-request set-header: log-format variable %Tq is not available`}},
		{"response fetch in request", base + "  http-request set-header X %[status]\n", []string{`t.cfg:7: http-request set-header: sample fetch <status> may not be reliably used here because it needs 'HTTP response'`}},
		{"request fetch in response", base + "  http-response set-header X %[path]\n", []string{`t.cfg:7: http-response set-header: sample fetch <path> may not be reliably used here because it needs 'HTTP request headers'`}},
		{"normalize-uri", base + "  http-request normalize-uri path-merge-slashes\n", []string{`t.cfg:7: http-request normalize-uri: 'normalize-uri' action is experimental`}},
		{"set-timeout frontend", "frontend f\n  bind :80\n  http-request set-timeout server 5s\n", []string{`t.cfg:3: http-request set-timeout: proxy 'f' has no backend capability`}},
		{"capture id", "frontend f\n  mode http\n  bind :80\n  http-request capture path id 2\n", []string{`t.cfg:4: http-request capture: no request capture slot 2`}},
		{"set-var name", base + "  http-request set-var(foo) str(x)\n", []string{`t.cfg:7: http-request set-var: variable "foo": the name must start with a scope`}},
		{"dynamic backend", base + "frontend f\n  bind :80\n  use_backend %[nosuch]\n", []string{`t.cfg:9: use_backend %[nosuch]: failed to parse sample expression <nosuch>`}},
		{"nbsrv backend", base + "frontend f\n  bind :80\n  use_backend be if { nbsrv(nope) gt 0 }\n", []string{`t.cfg:9: no backend named "nope"`}},
		{"use-server", base + "  use-server nope if TRUE\n", []string{`t.cfg:7: use-server nope: no server named "nope"`}},
		{"redirect code", base + "  http-request redirect location /x code 404\n", []string{`t.cfg:7: http-request redirect: invalid code "404"`}},
		{"mode mismatch", base + "backend t\n  mode tcp\n  server s 127.0.0.1:1\nfrontend f\n  bind :80\n  default_backend t\n", []string{`t.cfg:12: default_backend t: frontend "f" is in mode http but backend "t" is in mode tcp`}},
		{"http rule in tcp", "listen l\n  mode tcp\n  bind :80\n  http-request deny\n  timeout client 1s\n", []string{`t.cfg:4: http-request deny: needs mode http`}},
		{"switch-mode in backend", "backend b\n  tcp-request content switch-mode http\n", []string{`t.cfg:2: tcp-request content switch-mode: not allowed because backend "b" has no frontend capability`}},
		{"switch-mode tcp", "frontend f\n  bind :80\n  tcp-request content switch-mode tcp\n", []string{`t.cfg:3: tcp-request content switch-mode: expects 'http'`}},
		{"switch-mode proto", "frontend f\n  bind :80\n  tcp-request content switch-mode http proto h3\n", []string{`t.cfg:3: tcp-request content switch-mode: unknown proto "h3": h1 or h2`}},
		{"switch-mode junk", "frontend f\n  bind :80\n  tcp-request content switch-mode http fast\n", []string{`t.cfg:3: tcp-request content switch-mode: unexpected argument "fast"`}},
		{"dup backend", base + "backend be\n", []string{`t.cfg:7: backend "be": name already used by backend "be" at t.cfg:6`}},
		{"listen vs frontend", "frontend x\n  bind :1\n  default_backend x\nlisten x\n  bind :2\n", []string{`t.cfg:4: listen "x": name already used by frontend "x" at t.cfg:1`}},
		{"dup bind", base + "frontend a\n  bind :80\n  default_backend be\nfrontend b\n  bind *:80\n  default_backend be\n", []string{`t.cfg:11: bind :80: address already bound by frontend "a" at t.cfg:8`}},
		{"from unknown", "frontend f from nope\n  bind :80\n", []string{`t.cfg:1: frontend "f": no defaults section named "nope" declared before`}},
		{"no option forwardfor", base + "  no option forwardfor\n", []string{`t.cfg:7: "option forwardfor" cannot be negated`}},
		{"log in proxy", base + "  log stdout local9\n", []string{`t.cfg:7: log: unknown log facility "local9"`}},
		{"global log target", "global\n  log tcp@127.0.0.1:514 local0\n", []string{`t.cfg:2: log: "tcp@127.0.0.1:514": tcp@ is a HAProxy log transport that Baton does not support`}},
		{"global log facility", "global\n  log stdout format raw\n", []string{`t.cfg:2: log: missing facility`}},
		{"stats socket opt", "global\n  stats socket /x.sock accept-proxy\n", []string{`t.cfg:2: stats socket: option "accept-proxy" is not supported`}},
		{"stats socket opt2", "global\n  stats socket /x.sock process 1\n", []string{`t.cfg:2: stats socket: option "process" is not supported`}},
		{"stats socket udp", "global\n  stats socket udp@:9\n", []string{`t.cfg:2: stats socket: address "udp@:9" is a UDP address`}},
		{"global unsupported", "global\n  nbproc 2\n", []string{`t.cfg:2: "nbproc" is a HAProxy keyword that Baton does not support`}},
		{"load state", "backend b\n  load-server-state-from-file all\n", []string{`t.cfg:2: load-server-state-from-file: expects global, local or none, got "all"`}},
		{"stats admin in defaults", "defaults\n  stats admin if TRUE\n", []string{`t.cfg:2: "stats admin" is not allowed in a defaults section`}},
		{"stats auth form", "backend b\n  stats auth admin\n", []string{`t.cfg:2: stats auth: expects user:password, got "admin"`}},
		{"stats http-request action", "backend b\n  stats http-request tarpit\n", []string{`t.cfg:2: stats http-request: unknown action "tarpit"`}},
		{"use-service name", "frontend f\n  http-request use-service cache-x\n", []string{`t.cfg:2: http-request use-service: service "cache-x" is not supported`}},
		{"monitor fail cond", "frontend f\n  monitor fail when x\n", []string{`t.cfg:2: monitor fail: unexpected "when"`}},
		{"maxconn range", "global\n  maxconn 0\n", []string{`t.cfg:2: maxconn: 0 is out of range`}},
		{"lexer error", "global\n  pidfile \"/x\n", []string{`t.cfg:2: unmatched quote`}},
		{"bufsize other than Baton's", "global\n  tune.bufsize 32768\n", []string{`t.cfg:2: tune.bufsize: Baton's buffers are 16384 bytes (HAProxy's default); 32768 is not supported`}},
		{"description without text", "backend b\n  description\n", []string{`t.cfg:2: description: expects a text`}},
		{"description in defaults", "defaults\n  description d\n", []string{`t.cfg:2: "description" is not allowed in a defaults section`}},
		{"proxy id taken", base + "  id 4\nbackend b2\n  id 4\n", []string{`t.cfg:9: proxy "b2": id 4 already used by proxy "be"`}},
		{"proxy id zero", base + "  id 0\n", []string{`t.cfg:7: id: 0 is out of range`}},
		{"maxhdr range", "global\n  tune.http.maxhdr 40000\n", []string{`t.cfg:2: tune.http.maxhdr: 40000 is out of range`}},
		{"node without name", "global\n  node\n", []string{`t.cfg:2: node: expects a name`}},
		{"redirect without kind", base + "  redirect code 301\n", []string{`t.cfg:7: redirect: expects location, prefix or scheme and a value`}},
		{"redirect bad code", base + "  redirect scheme https code 304\n", []string{`t.cfg:7: redirect: invalid code "304"`}},
		{"redirect in defaults", "defaults\n  redirect scheme https\n", []string{`t.cfg:2: "redirect" is not allowed in a defaults section`}},
		{"several errors in order", "global\n  bogus\nbackend b\n  server s 127.0.0.1:x\n  weight 3\n", []string{
			`t.cfg:2: unknown keyword "bogus"`, `t.cfg:4: server "s": address "127.0.0.1:x": invalid port`, `t.cfg:5: unknown keyword "weight"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.cfg", []byte(tt.src))
			var el ErrorList
			if !errors.As(err, &el) {
				t.Fatalf("want ErrorList, got %v", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(el) {
				t.Errorf("Error() has %d lines for %d errors", len(lines), len(el))
			}
			// Each wanted fragment is found in order; the first fragment
			// of each error is a prefix of that error's line.
			i := 0
			for _, w := range tt.want {
				if strings.HasPrefix(w, "t.cfg:") {
					for i < len(lines) && !strings.HasPrefix(lines[i], w) {
						i++
					}
					if i == len(lines) {
						t.Fatalf("no error starting %q in:\n%s", w, err)
					}
				} else if !strings.Contains(lines[i], w) {
					t.Errorf("error %q lacks %q", lines[i], w)
				}
			}
		})
	}
}

func TestErrorsFromAllFilesInFileOrder(t *testing.T) {
	_, err := ParseSources([]Source{
		{Name: "b.cfg", Data: []byte("backend x\n  bogus\n")},
		{Name: "a.cfg", Data: []byte("frontend f\n  bind :1\n  default_backend nowhere\n  bad\n")},
	})
	var el ErrorList
	if !errors.As(err, &el) || len(el) != 3 {
		t.Fatalf("got %v", err)
	}
	got := []string{el[0].Pos.String(), el[1].Pos.String(), el[2].Pos.String()}
	if strings.Join(got, " ") != "b.cfg:2 a.cfg:3 a.cfg:4" {
		t.Errorf("order = %v", got)
	}
}

func TestBalanceForms(t *testing.T) {
	for _, tt := range []struct {
		line string
		bal  Balance
		opts BalanceOpts
		err  string
	}{
		{line: "balance uri whole depth 3 len 10", bal: URI, opts: BalanceOpts{URIWhole: true, URIDepth: 3, URILen: 10, Draws: 2}},
		{line: "balance url_param user", bal: URLParam, opts: BalanceOpts{Param: "user", Draws: 2}},
		{line: "balance hdr(Host) use_domain_only", bal: Hdr, opts: BalanceOpts{Header: "Host", UseDomainOnly: true, Draws: 2}},
		{line: "balance rdp-cookie", bal: RDPCookie, opts: BalanceOpts{RDPCookie: "mstshash", Draws: 2}},
		{line: "balance rdp-cookie(user)", bal: RDPCookie, opts: BalanceOpts{RDPCookie: "user", Draws: 2}},
		{line: "balance random(5)", bal: Random, opts: BalanceOpts{Draws: 5}},
		{line: "balance source", bal: SourceHash, opts: BalanceOpts{Draws: 2}},
		{line: "balance url_param user check_post", bal: URLParam, opts: BalanceOpts{Param: "user", CheckPost: true, Draws: 2}},
		{line: "balance url_param user check_nothing", err: "check_nothing"},
		{line: "balance hdr", err: "hdr requires"},
		{line: "balance random(0)", err: "positive integer"},
		{line: "balance uri depth x", err: "expects a positive number"},
		{line: "hash-type consistent wt6 avalanche"},
		{line: "hash-type ring", err: "unknown method"},
	} {
		cfg, err := Parse("t.cfg", []byte("defaults\n mode http\nbackend be\n "+tt.line+"\n server s 127.0.0.1:1\n"))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		p := cfg.Proxies[0]
		if strings.HasPrefix(tt.line, "hash-type") {
			if p.HashType != (HashType{Consistent: true, Func: "wt6", Avalanche: true}) {
				t.Errorf("%q: %+v", tt.line, p.HashType)
			}
			continue
		}
		if p.Balance != tt.bal || p.BalanceOpts != tt.opts {
			t.Errorf("%q: %v %+v, want %v %+v", tt.line, p.Balance, p.BalanceOpts, tt.bal, tt.opts)
		}
	}
}

// A mode tcp frontend that switches its connections to HTTP may have
// HTTP rules and options of its own, as in HAProxy; httplog still falls
// back to tcplog there.
func TestSwitchModeFrontend(t *testing.T) {
	src := "frontend f\n  bind :80\n  mode tcp\n  option httplog\n  option forwardfor\n" +
		"  tcp-request inspect-delay 1s\n  tcp-request content switch-mode http proto h1 if HTTP\n" +
		"  http-request set-header X-Fe 1\n  http-response set-header X-Fe 1\n  default_backend b\n" +
		"backend b\n  mode http\n  server s 127.0.0.1:1\n"
	c, err := Parse("t.cfg", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Frontends()[0]
	if !f.SwitchesToHTTP() || f.TCPContentRules[0].Name != "h1" || !f.ForwardFor || len(f.RequestRules) != 1 || len(f.ResponseRules) != 1 {
		t.Errorf("frontend %+v", f)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w, "forwardfor") || strings.Contains(w, "http-re") {
			t.Errorf("warning %q", w)
		}
	}
	if !strings.Contains(c.Warnings[0], "option httplog needs mode http; using option tcplog") {
		t.Errorf("warnings %q", c.Warnings)
	}
}
