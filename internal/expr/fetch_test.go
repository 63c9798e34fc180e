package expr

import (
	"net/netip"
	"strings"
	"testing"

	"baton/internal/h1"
)

// testStats answers the proxy fetches.
type testStats struct{}

func (testStats) Backend(name string) (BackendStats, bool) {
	if name != "app" {
		return BackendStats{}, false
	}
	return BackendStats{Usable: 3, Conns: 7, Queue: 5, Slots: 12}, true
}

func (testStats) FrontendConns(name string) (int64, bool) { return 4, name == "fe" }

func (testStats) ServerState(be, srv string) (bool, int64, bool) { return srv == "s1", 2, be == "app" }

const testRequest = "POST http://Example.com:8080/p/a.php?x=1&y=two&x=3 HTTP/1.1\r\n" +
	"Host: Example.com:8080\r\n" +
	"X-List: a, b ,c\r\n" +
	"X-List: d\r\n" +
	"User-Agent: Mozilla/5.0 (X11, Linux)\r\n" +
	"Cookie: sid=abc; lang=fr\r\n" +
	"Cookie: sid=def\r\n" +
	"X-Forwarded-For: 10.0.0.1, 192.168.1.2:8080\r\n" +
	"X-Num: 42\r\n" +
	"Content-Length: 11\r\n" +
	"\r\n" +
	"a=1&b=x%20y"

func testCtx(t *testing.T) *Ctx {
	t.Helper()
	var req h1.Request
	buf := []byte(testRequest)
	if err := h1.ParseRequest(buf, &req, &h1.Limits{}); err != nil {
		t.Fatal(err)
	}
	var resp h1.Response
	rbuf := []byte("HTTP/1.1 201 Created\r\nSet-Cookie: srv=s1; Path=/\r\nX-R: 1, 2\r\nContent-Length: 0\r\n\r\n")
	if err := h1.ParseResponse(rbuf, &resp, false, &h1.Limits{}); err != nil {
		t.Fatal(err)
	}
	return &Ctx{
		Src:      netip.MustParseAddrPort("192.0.2.7:51000"),
		Dst:      netip.MustParseAddrPort("127.0.0.1:8080"),
		Frontend: "fe", Backend: "app", Server: "s1",
		Proxies:      testStats{},
		Req:          &req,
		ReqBody:      buf[req.HeadLen:],
		ReqBodyFinal: true,
		Resp:         &resp,
		FirstRequest: true,
	}
}

// mqttConnect is an MQTT 3.1.1 CONNECT: client id "client-1", keepalive
// 60.
const mqttConnect = "\x10\x14\x00\x04MQTT\x04\x02\x00\x3c\x00\x08client-1"

// TestFetches checks each fetch's sample value.
func TestFetches(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"src", "192.0.2.7"},
		{"src_port", "51000"},
		{"dst", "127.0.0.1"},
		{"dst_port", "8080"},
		{"fe_name", "fe"},
		{"be_name", "app"},
		{"srv_name", "s1"},
		{"nbsrv", "3"},
		{"nbsrv(app)", "3"},
		{"nbsrv(other)", ""},
		{"srv_is_up(s1)", "1"},
		{"srv_is_up(app/s2)", "0"},
		{"srv_conn(app/s1)", "2"},
		{"srv_is_up(other/s1)", ""},
		{"connslots", "12"},
		{"be_conn", "7"},
		{"fe_conn", "4"},
		{"queue", "5"},
		{"avg_queue", "2"},
		{"always_true", "1"},
		{"always_false", "0"},
		{"int(-3)", "-3"},
		{"str(x y)", "x y"},
		{"ipv4(10.0.0.1)", "10.0.0.1"},
		{"ipv6(::1)", "::1"},
		{"method", "POST"},
		{"path", "/p/a.php"},
		{"pathq", "/p/a.php?x=1&y=two&x=3"},
		{"query", "x=1&y=two&x=3"},
		{"url", "http://Example.com:8080/p/a.php?x=1&y=two&x=3"},
		{"base", "Example.com:8080/p/a.php"},
		{"baseq", "Example.com:8080/p/a.php?x=1&y=two&x=3"},
		{"url_param(y)", "two"},
		{"urlp(x)", "1"},
		{"urlp", "1"},
		{"urlp(nope)", ""},
		{"url_port", ""}, // a host name: HAProxy resolves none
		{"req.ver", "1.1"},
		{"capture.req.method", "POST"},
		{"capture.req.uri", "/p/a.php?x=1&y=two&x=3"},
		{"capture.req.ver", "HTTP/1.1"},
		{"http_first_req", "1"},
		{"req.hdr(x-list)", "d"},
		{"req.hdr(x-list,1)", "a"},
		{"req.hdr(x-list,2)", "b"},
		{"req.hdr(x-list,-2)", "c"},
		{"req.hdr(x-list,9)", ""},
		{"hdr(host)", "Example.com:8080"},
		{"req.fhdr(x-list)", "d"},
		{"req.fhdr(x-list,1)", "a, b ,c"},
		{"req.fhdr(user-agent)", "Mozilla/5.0 (X11, Linux)"},
		{"req.hdr(user-agent)", "Linux)"},
		{"req.hdr_cnt(x-list)", "4"},
		{"hdr_cnt(x-list)", "4"},
		{"req.fhdr_cnt(x-list)", "2"},
		{"req.hdr_ip(x-forwarded-for)", "192.168.1.2"},
		{"req.hdr_ip(x-forwarded-for,1)", "10.0.0.1"},
		{"req.hdr_val(x-num)", "42"},
		{"req.cook(sid)", "def"},
		{"req.cook(lang)", "fr"},
		{"req.cook", "abc"},
		{"req.cook_cnt(sid)", "2"},
		{"req.cook_cnt", "3"},
		{"cook(lang)", "fr"},
		{"req.body", "a=1&b=x%20y"},
		{"req.body_len", "11"},
		{"req.body_size", "11"},
		{"req.body_param(b)", "x%20y"},
		{"req.body_param(b),url_dec", "x y"},
		{"req.body_param", "1"},
		{"status", "201"},
		{"res.hdr(x-r)", "2"},
		{"res.fhdr(x-r)", "1, 2"},
		{"res.hdr_cnt(x-r)", "2"},
		{"res.cook(srv)", "s1"},
		{"res.ver", "1.1"},
		{"capture.res.ver", "HTTP/1.1"},
		{"req.hdr_names", "host,x-list,x-list,user-agent,cookie,cookie,x-forwarded-for,x-num,content-length"},
		{"req.hdr_names(:)", "host:x-list:x-list:user-agent:cookie:cookie:x-forwarded-for:x-num:content-length"},
		{"res.hdr_names", "set-cookie,x-r,content-length"},
		{"env(BATON_EXPR_TEST)", "set"},
		{"env(BATON_EXPR_UNSET)", ""},
		{"var(txn.nope,dflt)", "dflt"},
		{"req.len", "283"},
	}
	t.Setenv("BATON_EXPR_TEST", "set")
	env := testEnv()
	c := testCtx(t)
	for _, tt := range tests {
		e, err := Compile(tt.expr, env)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		if got := string(e.AppendString(nil, c)); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
		}
	}
	if got := len(testRequest); got != 283 {
		t.Errorf("test request is %d bytes; update req.len", got)
	}
}

// TestHdrDirection: hdr reads the response while response rules run.
func TestHdrDirection(t *testing.T) {
	c := testCtx(t)
	e, err := Compile("hdr(content-length)", testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(e.AppendString(nil, c)); got != "11" {
		t.Errorf("request side: %q", got)
	}
	c.Response = true
	if got := string(e.AppendString(nil, c)); got != "0" {
		t.Errorf("response side: %q", got)
	}
}

// TestIterate checks that an ACL sees every value of multi-valued
// fetches, in order.
func TestIterate(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"req.hdr(x-list)", "a|b|c|d"},
		{"req.fhdr(x-list)", "a, b ,c|d"},
		{"req.cook(sid)", "abc|def"},
		{"urlp(x)", "1|3"},
		{"req.hdr(x-list,2)", "b"},
		{"req.hdr_ip(x-forwarded-for)", "10.0.0.1|192.168.1.2"},
		{"path", "/p/a.php"},
		{"req.hdr(x-list),upper", "A|B|C|D"},
	}
	env := testEnv()
	c := testCtx(t)
	for _, tt := range tests {
		e, err := Compile(tt.expr, env)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		it := Iter{Iterate: true}
		for {
			var s Sample
			if !e.Next(c, &it, &s) {
				break
			}
			c.Cast(&s, Str)
			got = append(got, string(s.Bytes))
			if !it.More {
				break
			}
		}
		if strings.Join(got, "|") != tt.want {
			t.Errorf("%s iterates %q, want %q", tt.expr, got, tt.want)
		}
	}
}

// TestPayloadFetches covers the TCP content fetches and their "may
// change" state while data is still expected.
func TestPayloadFetches(t *testing.T) {
	env := testEnv()
	tests := []struct {
		expr    string
		payload string
		final   bool
		want    string
		mayChg  bool
	}{
		{"req.len", "", false, "0", true},
		{"req.len", "abc", true, "3", false},
		{"req.payload(0,3),hex", "SSH-2.0", false, "535348", false},
		{"req.payload(4,10)", "SSH-2.0", false, "", true},
		{"req.payload(4,10)", "SSH-2.0", true, "", false},
		{"req.payload(4,0)", "SSH-2.0", true, "2.0", false},
		{"req.payload_lv(0,1),hex", "\x03abcdef", false, "616263", false},
		{"req.payload_lv(0,2,+1),hex", "\x00\x02zxy", false, "7879", false},
		{"req.payload_lv(0,1,4)", "\x02abcdef", false, "de", false},
		{"req.payload_lv(0,1)", "\x09ab", false, "", true},
		{"req.rdp_cookie(mstshash)", "\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00Cookie: mstshash=alice\r\n", false, "alice", false},
		{"req.rdp_cookie", "\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00Cookie: mstshash=alice\r\n", false, "alice", false},
		{"req.rdp_cookie_cnt", "\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00Cookie: mstshash=alice\r\n", false, "1", false},
		{"req.rdp_cookie", "\x03\x00\x00", false, "", true},
		{"req.proto_http", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", false, "1", false},
		{"req.proto_http", "GET / HTTP/1.1\r\n", false, "", true},
		{"req.proto_http", "\x16\x03\x01", true, "0", false},
		{"hdr(host)", "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n", false, "a.example", false},
		{"path", "GET /x?y HTTP/1.1\r\nHost: a\r\n\r\n", false, "/x", false},
		// The MQTT converters decide whether more bytes could change
		// their answer: a whole packet is final though the payload may
		// still grow, a packet cut short is not.
		{"req.payload(0,0),mqtt_is_valid", mqttConnect, false, "1", false},
		{"req.payload(0,0),mqtt_is_valid", mqttConnect[:9], false, "", true},
		{"req.payload(0,0),mqtt_is_valid", "GET / HTTP/1.0\r\n", false, "0", false},
		{"req.payload(0,0),mqtt_field_value(connect,client_identifier)", mqttConnect, false, "client-1", false},
		{"req.payload(0,0),mqtt_field_value(1,keepalive)", mqttConnect, false, "60", false},
		{"req.payload(0,0),mqtt_field_value(connect,username)", mqttConnect, false, "", false},
		{"req.payload(0,0),mqtt_field_value(connect,client_identifier)", mqttConnect[:9], false, "", true},
		{"req.payload(0,0),mqtt_field_value(connect,client_identifier)", "\x30\x00", false, "", false},
	}
	for _, tt := range tests {
		e, err := Compile(tt.expr, env)
		if err != nil {
			t.Fatal(err)
		}
		c := &Ctx{}
		c.BeginConnection()
		c.Payload, c.PayloadFinal = []byte(tt.payload), tt.final
		var s Sample
		ok := e.Eval(c, &s)
		got := ""
		if ok && c.Cast(&s, Str) {
			got = string(s.Bytes)
		}
		if got != tt.want || s.MayChange != tt.mayChg {
			t.Errorf("%s on %q (final %v) = %q may-change %v, want %q %v", tt.expr, tt.payload, tt.final, got, s.MayChange, tt.want, tt.mayChg)
		}
	}
}

// TestVariables covers var(), set-var with conditions and the scopes.
func TestVariables(t *testing.T) {
	env := testEnv()
	vt := env.Vars
	sessV, _ := vt.Declare("sess.s")
	txnV, _ := vt.Declare("txn.t")
	reqV, _ := vt.Declare("req.r")
	procV, _ := vt.Declare("proc.p")
	c := &Ctx{Vars: vt.NewVars()}
	set := func(r VarRef, v string) {
		b := []byte(v)
		c.SetVar(r, &Sample{Type: Str, Bytes: b})
		b[0] = 'X' // the variable must own a copy
	}
	set(sessV, "s1")
	set(txnV, "t1")
	set(reqV, "r1")
	set(procV, "p1")
	get := func(r VarRef) string {
		var s Sample
		if !c.GetVar(r, &s) {
			return "<unset>"
		}
		return string(s.Bytes)
	}
	if get(sessV) != "s1" || get(txnV) != "t1" || get(reqV) != "r1" || get(procV) != "p1" {
		t.Fatalf("values %s %s %s %s", get(sessV), get(txnV), get(reqV), get(procV))
	}
	c.BeginRequest()
	if get(sessV) != "s1" || get(txnV) != "<unset>" || get(reqV) != "<unset>" || get(procV) != "p1" {
		t.Errorf("after a request: %s %s %s %s", get(sessV), get(txnV), get(reqV), get(procV))
	}
	other := &Ctx{Vars: vt.NewVars()}
	var s Sample
	if !other.GetVar(procV, &s) || string(s.Bytes) != "p1" {
		t.Error("proc variables are shared by every connection")
	}
	c.BeginConnection()
	if get(sessV) != "<unset>" {
		t.Error("session variables end with the connection")
	}
	conds, err := ParseSetVarConds([]string{"ifnotexists"})
	if err != nil {
		t.Fatal(err)
	}
	c.SetVarIf(txnV, &Sample{Type: Str, Bytes: []byte("first")}, conds)
	c.SetVarIf(txnV, &Sample{Type: Str, Bytes: []byte("second")}, conds)
	if get(txnV) != "first" {
		t.Errorf("ifnotexists: %s", get(txnV))
	}
	gt, _ := ParseSetVarConds([]string{"ifgt"})
	n, _ := vt.Declare("txn.n")
	c.SetVar(n, &Sample{Type: Int, Int: 5})
	c.SetVarIf(n, &Sample{Type: Int, Int: 9}, gt)
	c.GetVar(n, &s)
	if s.Int != 5 {
		t.Errorf("ifgt set %d although 5 is not greater than 9", s.Int)
	}
	c.SetVarIf(n, &Sample{Type: Int, Int: 2}, gt)
	c.GetVar(n, &s)
	if s.Int != 2 {
		t.Errorf("ifgt: %d, want 2", s.Int)
	}
	if _, err := ParseSetVarConds([]string{"ifbogus"}); err == nil {
		t.Error("unknown condition accepted")
	}
	for _, bad := range []string{"foo", "txn.", "xyz.a", "txn.a-b"} {
		if _, err := vt.Declare(bad); err == nil {
			t.Errorf("Declare(%q) accepted", bad)
		}
	}
}

// TestCompileErrors checks that mistakes are refused with useful words.
func TestCompileErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"nosuch", `unknown fetch method "nosuch"`},
		{"req.ssl_ver", "is not supported by Baton"},
		{"path,nosuch", "unknown converter 'nosuch'"},
		{"str(a),len", "unknown converter 'len'"},
		{"int(x)", "failed to parse 'x' as type 'integer'"},
		{"int", "missing arguments"},
		{"path(1)", "takes no arguments"},
		{"path,lower(1)", "takes no arguments"},
		{"str(a),field(0,.)", "index 0"},
		{"str(a),regsub('(a)\\1',b)", "backreference"},
		{"str(a),map(nofile)", "failed to load map file"},
		{"str(a),add(foo)", "neither an integer nor a variable"},
		{"str(a),json(utf16)", "unknown input code"},
		{"str(a),sha2(100)", "want 224"},
		{"str(a),digest(whirl)", "unknown digest"},
		{"bool(maybe)", "not a boolean"},
		{"ipv4(::1)", "not an IPv4"},
		{"var(foo)", "must start with a scope"},
		{"always_true,ipmask(24)", "converter 'ipmask' cannot be applied"},
		{`str(a\,b)`, "expected ')'"},
		{"str(a", "expected ')'"},
		{"req.payload(0)", "missing arguments"},
		{"date(0,h)", "unit"},
		{"str(a) x", "unexpected"},
		{"req.payload(0,0),mqtt_field_value(nosuch,flags)", "Unknown MQTT type 'nosuch'"},
		{"req.payload(0,0),mqtt_field_value(connect,reason_code)", "Unknown MQTT field name 'reason_code' for packet type 'connect'"},
		{"req.payload(0,0),mqtt_field_value(connect)", "missing arguments"},
	}
	env := testEnv()
	for _, tt := range tests {
		_, err := Compile(tt.expr, env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Compile(%q) error %v, want %q", tt.expr, err, tt.want)
		}
	}
}

// TestArgumentQuoting follows HAProxy's argument rules: quotes group,
// backslashes escape outside single quotes, empty arguments exist.
func TestArgumentQuoting(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`str('a,b)')`, "a,b)"},
		{`str("a,b")`, "a,b"},
		{`str(a\ b)`, "a b"},
		{`str(x:8080),regsub(:\d+$,,)`, "x"},
		{`str(ab),concat(,,z)`, "abz"},
		{`str(),length`, "0"},
		{`str(a),,upper`, "A"},
	}
	env := testEnv()
	c := &Ctx{}
	for _, tt := range tests {
		e, err := Compile(tt.expr, env)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		if got := string(e.AppendString(nil, c)); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

// TestCheckWhere refuses fetches where their data never exists.
func TestCheckWhere(t *testing.T) {
	env := testEnv()
	tests := []struct {
		expr  string
		where Where
		ok    bool
	}{
		{"path", HTTPRequest, true},
		{"path", HTTPResponse, false},
		{"method", HTTPResponse, true},
		{"hdr(host)", HTTPResponse, true},
		{"hdr(host)", TCPConnection, false},
		{"status", HTTPRequest, false},
		{"req.payload(0,1)", TCPContent, true},
		{"req.payload(0,1)", TCPConnection, false},
		{"src,ipmask(24)", TCPConnection, true},
	}
	for _, tt := range tests {
		e, err := Compile(tt.expr, env)
		if err != nil {
			t.Fatal(err)
		}
		err = e.CheckWhere(tt.where)
		if (err == nil) != tt.ok {
			t.Errorf("%s in %s: %v", tt.expr, tt.where.Name, err)
		}
	}
}

// TestURLParams checks url_param against HAProxy's parameter rules: the
// list starts after the first '?' (or the given delimiter), parameters
// end at '&', ';' or the delimiter, a name needs its '=', and without a
// name the first value after an '=' is taken. The expected values are
// HAProxy 2.6's.
func TestURLParams(t *testing.T) {
	tests := []struct{ target, expr, want string }{
		{"/p?port", "urlp(port)", ""},
		{"/p?port=", "urlp(port)", ""},
		{"/p?port=&a=1", "urlp(port)", ""},
		{"/p?a=1;b=2", "urlp(b)", "2"},
		{"/p?xb=1&b=2", "urlp(b)", "2"},
		{"/p?b=1=2&c", "urlp(b)", "1=2"},
		{"/p?a&b=1", "urlp", "1"},
		{"/p?a", "urlp", ""},
		{"/foo;JSESSIONID=abc?x=1", "urlp(JSESSIONID,;)", "abc?x=1"}, // '?' ends nothing then
		{"/foo;JSESSIONID=abc?x=1", "urlp", "1"},
		{"/p?port=", "urlp(port),length", "0"},
		{"/p?port", "urlp(port),length", ""},
		{"/foo;JSESSIONID=abc?x=1", "urlp(JSESSIONID)", ""},
		{"/p?a=1?b=2", "urlp(b)", "2"},
		{"/p?A=1", "urlp(a)", ""},
		{"/p?x=1&x=2", "urlp_val(x),add(10)", "11"},
		{"http://10.1.2.3:81/p", "url_ip", "10.1.2.3"},
		{"http://10.1.2.3:81/p", "url_port", "81"},
		{"HTTP://10.1.2.3/p", "url_port", "80"},
		{"https://10.1.2.3/p", "url_port", ""},
		{"http://example.com:81/p", "url_port", ""},
	}
	env := testEnv()
	for _, tt := range tests {
		var req h1.Request
		host := "h"
		if i := strings.Index(tt.target, "://"); i >= 0 {
			host, _, _ = strings.Cut(tt.target[i+3:], "/")
		}
		if err := h1.ParseRequest([]byte("GET "+tt.target+" HTTP/1.1\r\nHost: "+host+"\r\n\r\n"), &req, &h1.Limits{}); err != nil {
			t.Fatal(err)
		}
		c := &Ctx{Req: &req}
		e, err := Compile(tt.expr, env)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		if got := string(e.AppendString(nil, c)); got != tt.want {
			t.Errorf("%s on %s: %q, want %q", tt.expr, tt.target, got, tt.want)
		}
	}
}
