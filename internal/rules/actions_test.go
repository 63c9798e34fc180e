package rules

import (
	"strings"
	"testing"

	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/h1"
)

func parseResp(t testing.TB, raw string) *h1.Response {
	t.Helper()
	var r h1.Response
	if err := h1.ParseResponse([]byte(raw), &r, false, &h1.Limits{}); err != nil {
		t.Fatalf("parse response: %v", err)
	}
	return &r
}

// TestRequestActions runs each http-request action on a request and
// checks the request line, the headers and the verdict.
func TestRequestActions(t *testing.T) {
	tests := []struct {
		rules  string
		req    string
		hdrs   []string
		target string // expected target ("" = unchanged)
		method string
		have   []string // "Name: value" fields after the rules, in order ("" = unchanged)
		kind   Kind
		status int
		loc    string
		body   string
	}{
		{rules: "http-request set-header X-A new", req: "GET /", hdrs: []string{"X-A: old", "X-A: older"}, have: []string{"X-A: new", "Host: test.local"}},
		{rules: "http-request set-header X-A %[req.hdr(x-a)]-2", req: "GET /", hdrs: []string{"X-A: 1"}, have: []string{"X-A: 1-2", "Host: test.local"}},
		{rules: "http-request add-header X-B %[src]:%cp", req: "GET /", have: []string{"Host: test.local", "X-B: 192.0.2.1:40000"}},
		{rules: "http-request set-header X-A %[str(a%0d%0aX-B:%201),url_dec]", req: "GET /", have: []string{"Host: test.local", "X-A: a%0D%0AX-B: 1"}},
		{rules: "http-request set-var-fmt(txn.v) %[str(a%0d%0a),url_dec]\nhttp-request set-header X-Len %[var(txn.v),length]", req: "GET /", have: []string{"Host: test.local", "X-Len: 3"}},
		{rules: "http-request del-header X-A", req: "GET /", hdrs: []string{"X-A: 1", "X-B: 2"}, have: []string{"X-B: 2", "Host: test.local"}},
		{rules: "http-request del-header X- -m beg", req: "GET /", hdrs: []string{"X-A: 1", "Y-B: 2"}, have: []string{"Y-B: 2", "Host: test.local"}},
		{rules: "http-request del-header -b -m end", req: "GET /", hdrs: []string{"X-A: 1", "Y-B: 2"}, have: []string{"X-A: 1", "Host: test.local"}},
		{rules: "http-request del-header ^x- -m reg", req: "GET /", hdrs: []string{"x-a: 1", "Y-B: 2"}, have: []string{"Y-B: 2", "Host: test.local"}},
		{rules: "http-request replace-header Cookie foo=([^;]*);(.*) foo=\\1;ip=%[src];\\2", req: "GET /", hdrs: []string{"Cookie: foo=bar; a=b"},
			have: []string{"Cookie: foo=bar;ip=192.0.2.1; a=b", "Host: test.local"}},
		{rules: "http-request replace-header User-Agent curl foo", req: "GET /", hdrs: []string{"User-Agent: curl/7.47.0"}, have: []string{"User-Agent: foo", "Host: test.local"}},
		{rules: "http-request replace-value X-Forwarded-For ^192\\.168\\.(.*)$ 172.16.\\1", req: "GET /", hdrs: []string{"X-Forwarded-For: 192.168.10.1, 192.168.13.24, 10.0.0.37"},
			have: []string{"X-Forwarded-For: 172.16.10.1,172.16.13.24, 10.0.0.37", "Host: test.local"}},
		{rules: "http-request set-path /p%[path]", req: "GET /a/b?q=1", target: "/p/a/b?q=1"},
		{rules: "http-request set-path /x", req: "GET http://test.local/a?q", target: "http://test.local/x?q"},
		{rules: "http-request set-pathq /x", req: "GET /a?q=1", target: "/x"},
		{rules: "http-request set-query %[query,regsub(%3D,=,g)]", req: "GET /a?b%3Dc", target: "/a?b=c"},
		{rules: "http-request set-query x=1", req: "GET /a", target: "/a?x=1"},
		{rules: "http-request set-query %[str()]", req: "GET /a?b", target: "/a?"},
		{rules: "http-request set-uri %[pathq]", req: "GET http://test.local/a?b", target: "/a?b"},
		{rules: "http-request set-method POST", req: "GET /", method: "POST"},
		{rules: "http-request replace-path (.*) /foo\\1", req: "GET /bar?q=1", target: "/foo/bar?q=1"},
		{rules: "http-request replace-path /foo/(.*) /\\1", req: "GET /foo/bar?q=1", target: "/bar?q=1"},
		{rules: "http-request replace-pathq ([^?]*)(\\?(.*))? \\1/foo\\2", req: "GET /bar?q=1", target: "/bar/foo?q=1"},
		{rules: "http-request replace-uri ^http://(.*) https://\\1", req: "GET http://test.local/x", target: "https://test.local/x"},
		{rules: "http-request deny", req: "GET /", kind: Respond, status: 403},
		{rules: "http-request deny deny_status 429", req: "GET /", kind: Respond, status: 429},
		{rules: "http-request deny status 451 content-type text/plain string gone hdr X-Why %[path]", req: "GET /p", kind: Respond, status: 451, body: "gone"},
		{rules: "http-request return status 201 content-type text/plain lf-string \"hello %[src]\"", req: "GET /", kind: Respond, status: 201, body: "hello 192.0.2.1"},
		{rules: "http-request return", req: "GET /", kind: Respond, status: 200},
		{rules: "http-request tarpit", req: "GET /", kind: Respond, status: 500},
		{rules: "http-request auth realm Foo", req: "GET /", kind: Respond, status: 401},
		{rules: "http-request reject", req: "GET /", kind: Reject},
		{rules: "http-request silent-drop", req: "GET /", kind: SilentDrop},
		{rules: "http-request redirect code 301 location /new", req: "GET /old", kind: Respond, status: 301, loc: "/new"},
		{rules: "http-request redirect prefix http://other.example", req: "GET /m/a?b=1", kind: Respond, status: 302, loc: "http://other.example/m/a?b=1"},
		{rules: "http-request redirect prefix / drop-query append-slash code 301", req: "GET /c/x?q=1", kind: Respond, status: 301, loc: "/c/x/"},
		{rules: "http-request redirect scheme https drop-query", req: "GET /d/y?z", hdrs: []string{"Host: h:81"}, kind: Respond, status: 302, loc: "https://h:81/d/y"},
		{rules: "http-request redirect location %[hdr(x-to)] ignore-empty\n http-request deny", req: "GET /", kind: Respond, status: 403},
		{rules: "http-request redirect location %[hdr(x-to)] ignore-empty", req: "GET /", hdrs: []string{"X-To: /t"}, kind: Respond, status: 302, loc: "/t"},
		{rules: "http-request allow\n http-request deny", req: "GET /", kind: Continue},
		{rules: "http-request deny if { path /no }\n http-request set-header X-Ok 1", req: "GET /yes", have: []string{"Host: test.local", "X-Ok: 1"}},
		{rules: "http-request set-var(txn.p) path\n http-request set-header X-P %[var(txn.p)]", req: "GET /vp", have: []string{"Host: test.local", "X-P: /vp"}},
		{rules: "http-request set-var-fmt(txn.p) %[method]-%[path]\n http-request set-header X-P %[var(txn.p)]", req: "GET /vp", have: []string{"Host: test.local", "X-P: GET-/vp"}},
		{rules: "http-request set-var(txn.p) path\n http-request unset-var(txn.p)\n http-request set-header X-P %[var(txn.p,none)]", req: "GET /vp", have: []string{"Host: test.local", "X-P: none"}},
		{rules: "http-request set-var(txn.n,ifnotexists) int(1)\n http-request set-var(txn.n,ifnotexists) int(2)\n http-request set-header X-N %[var(txn.n)]", req: "GET /", have: []string{"Host: test.local", "X-N: 1"}},
		{rules: "http-request set-src hdr(x-real-ip)\n http-request set-header X-S %[src]", req: "GET /", hdrs: []string{"X-Real-IP: 10.9.8.7"}, have: []string{"X-Real-IP: 10.9.8.7", "Host: test.local", "X-S: 10.9.8.7"}},
		{rules: "http-request set-dst-port int(8080)\n http-request set-header X-D %[dst]:%[dst_port]", req: "GET /", have: []string{"Host: test.local", "X-D: 127.0.0.1:8080"}},
	}
	for _, tt := range tests {
		s, cfg := frontend(t, " "+tt.rules+"\n default_backend hit")
		r := parseReq(t, tt.req, tt.hdrs...)
		before := headerDump(r.Headers)
		target, method := string(r.Target), string(r.Method)
		in := newInput(cfg, s, r, "192.0.2.1")
		var v Verdict
		s.Request(in, &v)
		what := strings.ReplaceAll(tt.rules, "\n", ";")
		if tt.target != "" {
			target = tt.target
		}
		if tt.method != "" {
			method = tt.method
		}
		if string(r.Target) != target || string(r.Method) != method {
			t.Errorf("%s on %s: %s %s, want %s %s", what, tt.req, r.Method, r.Target, method, target)
		}
		want := before
		if tt.have != nil {
			want = strings.Join(tt.have, "\n") + "\n"
		}
		if got := headerDump(r.Headers); got != want {
			t.Errorf("%s on %s: headers\n%s\nwant\n%s", what, tt.req, got, want)
		}
		if v.Kind != tt.kind || v.Status != tt.status {
			t.Errorf("%s on %s: verdict %v %d, want %v %d", what, tt.req, v.Kind, v.Status, tt.kind, tt.status)
		}
		if tt.loc != "" {
			var loc string
			for _, h := range v.Headers {
				if string(h.Name) == "Location" {
					loc = string(h.Value)
				}
			}
			if loc != tt.loc {
				t.Errorf("%s on %s: Location %q, want %q", what, tt.req, loc, tt.loc)
			}
		}
		if string(v.Body) != tt.body {
			t.Errorf("%s on %s: body %q, want %q", what, tt.req, v.Body, tt.body)
		}
	}
}

// TestReplies checks the details of the answers: close, tarpit,
// error pages, headers, set-cookie and cache-control.
func TestReplies(t *testing.T) {
	s, cfg := frontend(t, ` http-request deny status 403 content-type text/plain string nope hdr X-A a if { path /g }
 http-request redirect prefix /p set-cookie SEEN=1 if { path /a }
 http-request redirect location /l clear-cookie USER= if { path /b }
 http-request auth if { path /e }
 http-request tarpit deny_status 503 if { path /t }
 default_backend hit`)
	get := func(p string) Verdict {
		var v Verdict
		s.Request(newInput(cfg, s, parseReq(t, "GET "+p), "1.1.1.1"), &v)
		return v
	}
	dump := func(v Verdict) string { return headerDump(v.Headers) }
	if v := get("/g"); !v.Denied || v.Close || v.Errorfile || string(v.ContentType) != "text/plain" || dump(v) != "X-A: a\n" {
		t.Errorf("deny with payload: %+v %q", v, dump(v))
	}
	if v := get("/a"); v.Close || dump(v) != "Location: /p/a\nCache-Control: no-cache\nSet-Cookie: SEEN=1; path=/;\n" {
		t.Errorf("redirect set-cookie: %q", dump(v))
	}
	if v := get("/b"); dump(v) != "Location: /l\nCache-Control: no-cache\nSet-Cookie: USER=; path=/; Max-Age=0;\n" {
		t.Errorf("redirect clear-cookie: %q", dump(v))
	}
	if v := get("/e"); v.Status != 401 || !v.Errorfile || dump(v) != "WWW-Authenticate: Basic realm=\"default\"\n" {
		t.Errorf("auth: %+v %q", v, dump(v))
	}
	if v := get("/t"); !v.Tarpit || !v.Denied || v.Close || v.Status != 503 || !v.Errorfile {
		t.Errorf("tarpit: %+v", v)
	}
}

// TestResponseActions covers http-response and http-after-response.
func TestResponseActions(t *testing.T) {
	s, cfg := frontend(t, ` http-response set-header X-Path %[capture.req.uri] if { status 200 }
 http-response add-header X-Status %[status]
 http-response del-header Server
 http-response replace-value X-L ^a$ b
 http-response set-status 299 reason Custom if { res.hdr(x-s) -m found }
 http-response deny if { res.hdr(x-bad) -m found }
 http-response set-var(txn.ct) res.hdr(content-type)
 http-after-response set-header X-CT %[var(txn.ct)]
 http-after-response set-status 203
 default_backend hit`)
	in := newInput(cfg, s, parseReq(t, "GET /p?q"), "1.1.1.1")
	resp := parseResp(t, "HTTP/1.1 200 OK\r\nServer: s\r\nX-L: a, c\r\nContent-Type: text/x\r\nContent-Length: 0\r\n\r\n")
	var v Verdict
	s.Response(in, resp, &v)
	if v.Kind != Continue {
		t.Errorf("verdict %+v", v)
	}
	want := "X-L: b, c\nContent-Type: text/x\nContent-Length: 0\nX-Path: /p?q\nX-Status: 200\n"
	if got := headerDump(resp.Headers); got != want {
		t.Errorf("after http-response:\n%s\nwant\n%s", got, want)
	}
	s.AfterResponse(in, resp)
	if resp.Status != 203 || !strings.HasSuffix(headerDump(resp.Headers), "X-CT: text/x\n") {
		t.Errorf("after http-after-response: %d\n%s", resp.Status, headerDump(resp.Headers))
	}

	in = newInput(cfg, s, parseReq(t, "GET /"), "1.1.1.1")
	resp = parseResp(t, "HTTP/1.1 200 OK\r\nX-S: 1\r\nContent-Length: 0\r\n\r\n")
	v = Verdict{}
	s.Response(in, resp, &v)
	if resp.Status != 299 || string(resp.Reason) != "Custom" {
		t.Errorf("set-status: %d %q", resp.Status, resp.Reason)
	}
	resp = parseResp(t, "HTTP/1.1 200 OK\r\nX-Bad: 1\r\nContent-Length: 0\r\n\r\n")
	v = Verdict{}
	s.Response(in, resp, &v)
	if v.Kind != Respond || v.Status != 502 {
		t.Errorf("http-response deny: %+v", v)
	}
}

// TestNormalizeURI covers every normalize-uri normalizer.
func TestNormalizeURI(t *testing.T) {
	for _, tc := range []struct{ norm, target, want string }{
		{"path-merge-slashes", "//a///b/?x//y", "/a/b/?x//y"},
		{"path-strip-dot", "/a/./b/.?./c", "/a/b/?./c"},
		{"path-strip-dotdot", "/a/b/../c/..", "/a/"},
		{"path-strip-dotdot", "/../a", "/../a"},
		{"path-strip-dotdot full", "/../a", "/a"},
		{"percent-to-uppercase", "/a%2fb?c=%3d%zz", "/a%2Fb?c=%3D%zz"},
		{"percent-decode-unreserved", "/%41%2F%7e?q=%61", "/A%2F~?q=a"},
		{"query-sort-by-name", "/p?b=2&a=1&b=1", "/p?a=1&b=2&b=1"},
		{"fragment-strip", "/p?q#frag", "/p?q"},
		{"fragment-encode", "/p#f?q#g", "/p%23f?q%23g"},
	} {
		s, cfg := compileProxy(t, "global\n expose-experimental-directives\nfrontend fe\n bind 127.0.0.1:1\n http-request normalize-uri "+tc.norm+"\n", "fe")
		r := parseReq(t, "GET /")
		r.Target = []byte(tc.target) // the parser refuses a '#'
		in := newInput(cfg, s, r, "1.1.1.1")
		var v Verdict
		s.Request(in, &v)
		if string(r.Target) != tc.want || v.Kind != Continue {
			t.Errorf("%s %s: %s (kind %v), want %s", tc.norm, tc.target, r.Target, v.Kind, tc.want)
		}
	}
	// strict refuses what it cannot normalize: 400.
	s, cfg := compileProxy(t, "global\n expose-experimental-directives\nfrontend fe\n bind 127.0.0.1:1\n http-request normalize-uri percent-to-uppercase strict\n", "fe")
	in := newInput(cfg, s, parseReq(t, "GET /a%zz"), "1.1.1.1")
	var v Verdict
	s.Request(in, &v)
	if v.Kind != Respond || v.Status != 400 {
		t.Errorf("strict on /a%%zz: kind %v status %d, want a 400", v.Kind, v.Status)
	}
}

// TestEarlyHintGroups: consecutive early-hint rules make one 103; a rule
// with a condition starts another, as in HAProxy.
func TestEarlyHintGroups(t *testing.T) {
	s, cfg := frontend(t, ` http-request early-hint Link </a.css>
 http-request early-hint Link </b.js>
 http-request early-hint Link </c.js> if TRUE
 http-request set-header X-Mid 1
 http-request early-hint Link </d.js>`)
	in := newInput(cfg, s, parseReq(t, "GET /"), "1.1.1.1")
	var v Verdict
	s.Request(in, &v)
	var got []string
	for _, h := range in.Effects.EarlyHints {
		got = append(got, string(h.Value))
	}
	if want := "</a.css> </b.js>  </c.js>  </d.js> "; strings.Join(got, " ") != want {
		t.Errorf("early hints %q, want groups %q", strings.Join(got, " "), want)
	}
}

// TestUseBackendDynamic covers use_backend %[...] with the default
// backend when the name is empty.
func TestUseBackendDynamic(t *testing.T) {
	mp := writeFile(t, "be.map", "api.example.com api\n")
	s, cfg := frontend(t, " use_backend %[req.hdr(host),lower,map_dom("+mp+")] if { hdr(host) -m found }\n default_backend web")
	for host, want := range map[string]string{"API.example.com": "api", "other.example": "web"} {
		in := newInput(cfg, s, parseReq(t, "GET /", "Host: "+host), "1.1.1.1")
		name, dyn := s.Backend(in)
		if dyn != nil {
			name = string(dyn)
		}
		if name != want {
			t.Errorf("host %s: backend %q, want %q", host, name, want)
		}
	}
}

// TestUseServer covers use-server with force-persist.
func TestUseServer(t *testing.T) {
	s, cfg := compileProxy(t, `backend b
 server a 127.0.0.1:1
 server z 127.0.0.1:2
 use-server z if { path /z }
 use-server a if TRUE
 force-persist if { hdr(x-force) -m found }
`, "b")
	pick := func(p string, hdrs ...string) (names []string, forced bool) {
		in := newInput(cfg, s, parseReq(t, "GET "+p, hdrs...), "1.1.1.1")
		s.UseServer(in, func(name []byte, force bool) bool {
			names = append(names, string(name))
			forced = force
			return false // as if every server were down
		})
		return names, forced
	}
	if names, forced := pick("/z"); strings.Join(names, ",") != "z,a" || forced {
		t.Errorf("use-server walk %v forced %v", names, forced)
	}
	if names, forced := pick("/x", "X-Force: 1"); strings.Join(names, ",") != "a" || !forced {
		t.Errorf("use-server with force-persist %v forced %v", names, forced)
	}
}

// TestCapturesAndUniqueID covers capture request/response header,
// declare capture, http-request capture and unique-id-format.
func TestCapturesAndUniqueID(t *testing.T) {
	s, cfg := frontend(t, ` capture request header Host len 5
 declare capture request len 8
 http-request capture req.hdr(x-a) id 1
 http-request capture path len 3
 capture response header X-R len 10
 unique-id-format %{+X}o%[src]-%ci
 unique-id-header X-Id
 http-request set-header X-U %[unique-id]
 default_backend hit`)
	r := parseReq(t, "GET /path", "Host: example.com", "X-A: 0123456789")
	in := newInput(cfg, s, r, "10.0.0.1")
	in.UniqueIDFormat = s.UniqueIDFormat
	s.CaptureRequest(in)
	var v Verdict
	s.Request(in, &v)
	s.CaptureResponse(in, parseResp(t, "HTTP/1.1 200 OK\r\nX-R: resp\r\nContent-Length: 0\r\n\r\n"))
	var hr, hs []byte
	hr = appendCaps(hr, in.Captures.Req)
	hs = appendCaps(hs, in.Captures.Res)
	if string(hr) != "{examp|01234567|/pa}" || string(hs) != "{resp}" {
		t.Errorf("captures %s %s", hr, hs)
	}
	if u, _ := r.Header("x-u"); string(u) != "10.0.0.1-0A000001" {
		t.Errorf("unique id %q", u)
	}
	if s.UniqueIDHeader != "X-Id" {
		t.Errorf("unique-id-header %q", s.UniqueIDHeader)
	}
}

func appendCaps(dst []byte, caps []expr.Capture) []byte {
	dst = append(dst, '{')
	for i, c := range caps {
		if i > 0 {
			dst = append(dst, '|')
		}
		dst = append(dst, c.Value...)
	}
	return append(dst, '}')
}

// TestTCPRules covers connection, session, content (with waiting) and
// response rules.
func TestTCPRules(t *testing.T) {
	s, cfg := compileProxy(t, `listen l
 mode tcp
 bind 127.0.0.1:1
 server s 127.0.0.1:2
 tcp-request connection reject if { src 10.0.0.0/8 }
 tcp-request connection set-var(sess.c) str(conn)
 tcp-request session accept if { var(sess.c) -m str conn }
 tcp-request inspect-delay 2s
 tcp-request content set-var(sess.first) req.payload(0,3)
 tcp-request content reject if { req.payload(0,4) -m str QUIT }
 tcp-request content accept if { req.payload(0,3) -m bin 535348 }
 tcp-request content accept if { req.len gt 10 }
 tcp-request content reject
 tcp-response content close if { res.payload(0,3) -m str BYE }
`, "l")
	conn := func(src string) (*Input, Kind) {
		in := newInput(cfg, s, nil, src)
		in.Req = nil
		return in, s.Connection(in)
	}
	if _, k := conn("10.1.1.1"); k != Reject {
		t.Errorf("connection from 10/8: %v", k)
	}
	in, k := conn("192.0.2.1")
	if k != Continue || s.Session(in) != Accept {
		t.Errorf("connection %v, session not accepted", k)
	}
	steps := []struct {
		payload string
		final   bool
		want    Kind
	}{
		{"", false, Wait},
		{"SS", false, Wait},
		{"SSH-2.0", false, Accept},
	}
	for _, st := range steps {
		in.Payload, in.PayloadFinal = []byte(st.payload), st.final
		if got := s.Content(in, st.final); got != st.want {
			t.Errorf("content %q final %v: %v, want %v", st.payload, st.final, got, st.want)
		}
	}
	in2, _ := conn("192.0.2.2")
	in2.Payload = []byte("QUI")
	if got := s.Content(in2, false); got != Wait {
		t.Errorf("QUI: %v", got)
	}
	in2.Payload = []byte("QUIT")
	if got := s.Content(in2, false); got != Reject {
		t.Errorf("QUIT: %v", got)
	}
	in3, _ := conn("192.0.2.3")
	in3.Payload = []byte("hello")
	if got := s.Content(in3, true); got != Reject {
		t.Errorf("short payload at the end of the delay: %v", got)
	}
	var first expr.Sample
	ref, err := cfg.Expr.Vars.Declare("sess.first")
	if err != nil {
		t.Fatal(err)
	}
	in3.GetVar(ref, &first)
	if string(first.Bytes) != "hel" {
		t.Errorf("set-var before the deciding rule ran once with %q", first.Bytes)
	}
	in.ResPayload = []byte("BYE")
	if got := s.ResponseContent(in, false); got != CloseAfter {
		t.Errorf("tcp-response close: %v", got)
	}
}

// A frontend's content rules, then its backend's, on one input: each set
// starts at its own first rule (the frontend's accept leaves the resume
// position past its rules, which must not skip the backend's).
func TestContentRulesOfTwoSets(t *testing.T) {
	src := "defaults\n mode tcp\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n" +
		"frontend fe\n bind 127.0.0.1:1\n tcp-request content set-var(txn.a) int(1)\n tcp-request content accept\n default_backend be\n" +
		"backend be\n tcp-request content reject\n server s 127.0.0.1:2\n"
	cfg, err := config.Parse("t.cfg", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fe, err := Compile(cfg.Frontends()[0])
	if err != nil {
		t.Fatal(err)
	}
	be, err := Compile(cfg.Backend("be"))
	if err != nil {
		t.Fatal(err)
	}
	in := newInput(cfg, fe, nil, "192.0.2.1")
	in.Payload = []byte("x")
	if k := fe.Content(in, true); k != Accept {
		t.Fatalf("frontend: %v", k)
	}
	if k := be.Content(in, true); k != Reject {
		t.Errorf("backend: %v, want its reject", k)
	}
}
