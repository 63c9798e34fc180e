package e2e_test

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// More of the rules language under Baton and HAProxy 2.6: the actions on
// the connection (destination, source, timeouts, silent-drop), early
// hints, URI normalization, log levels, response rewrites, variables
// across the tcp-request and http-request stages, and converters.

// TestDestinationRules is the forward-proxy shape (HAProxy's
// examples/option-http_proxy.cfg): the server at 0.0.0.0 goes where
// set-dst and set-dst-port say; a server without an address's port takes
// the one set-dst-port sets.
func TestDestinationRules(t *testing.T) {
	run(t, []scenario{{
		name: "set-dst-forward-proxy",
		cfg: base + `
frontend fe
    bind ${FE}
    acl forbidden_dst url_ip 10.0.0.0/8
    http-request deny if forbidden_dst
    default_backend fwd
backend fwd
    http-request deny if !METH_GET
    http-request set-dst url_ip
    http-request set-dst-port url_port
    http-request set-uri %[pathq]
    server next-hop 0.0.0.0
    http-response deny if { res.hdr(content-type) audio/mp3 }
# the server the requests name: ${S1}
`,
		check: func(e *env) {
			s1 := e.addrs["S1"]
			r := harness.RoundTrip(e.t, e.fe(), "GET http://"+s1+"/headers?x=1 HTTP/1.1\r\nHost: "+s1+"\r\n\r\n")
			if r.Status != 200 || r.Get("X-Backend") != "s1" || !strings.HasPrefix(string(r.Body), "GET /headers?x=1 HTTP/1.1\r\n") {
				e.t.Errorf("forward proxy: %s", r)
			}
			r = harness.RoundTrip(e.t, e.fe(), "GET http://10.1.2.3/ HTTP/1.1\r\nHost: 10.1.2.3\r\n\r\n")
			if r.Status != 403 {
				e.t.Errorf("forbidden destination: status %d, want 403", r.Status)
			}
			r = harness.RoundTrip(e.t, e.fe(), "POST http://"+s1+"/ HTTP/1.1\r\nHost: "+s1+"\r\nContent-Length: 0\r\n\r\n")
			if r.Status != 403 {
				e.t.Errorf("POST: status %d, want 403", r.Status)
			}
		},
	}, {
		name: "set-dst-port-from-header",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request set-dst-port req.hdr(x-port)
    default_backend app
backend app
    server s 127.0.0.1:0
# ${S1} ${S2}
`,
		check: func(e *env) {
			for _, s := range []string{"S1", "S2"} {
				_, port, _ := net.SplitHostPort(e.addrs[s])
				e.do(req{path: "/", headers: []string{"X-Port: " + port}, status: 200, backend: strings.ToLower(s)})
			}
		},
	}})
}

// TestConnectionActions covers set-src, set-timeout and silent-drop.
func TestConnectionActions(t *testing.T) {
	run(t, []scenario{{
		name: "set-src-forwardfor",
		cfg: base + `
frontend fe
    bind ${FE}
    option forwardfor
    http-request set-src req.hdr(x-real-ip) if { req.hdr(x-real-ip) -m found }
    http-request set-header X-Src %[src]
    default_backend app
` + threeBackends,
		requests: []req{
			{path: "/headers", headers: []string{"X-Real-IP: 192.0.2.7"}, status: 200, seen: []string{"X-Forwarded-For: 192.0.2.7", "X-Src: 192.0.2.7"}},
			{path: "/headers", status: 200, seen: []string{"X-Forwarded-For: 127.0.0.1", "X-Src: 127.0.0.1"}},
		},
	}, {
		name: "set-timeout-server",
		cfg: base + `
frontend fe
    bind ${FE}
    default_backend app
backend app
    http-request set-timeout server 300ms if { req.hdr(x-short) -m found }
    server s ${S1}
`,
		check: func(e *env) {
			start := time.Now()
			e.do(req{path: "/slow?ms=5000", headers: []string{"X-Short: 1"}, status: 504})
			if d := time.Since(start); d > 4*time.Second {
				e.t.Errorf("the 504 came after %v, want about 300ms (set-timeout), well before timeout server 10s", d)
			}
			e.do(req{path: "/slow?ms=500", status: 200})
		},
	}, {
		name: "silent-drop",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request silent-drop if { path /drop }
    default_backend app
` + threeBackends,
		requests: []req{{path: "/", status: 200, backend: "s1"}},
		check: func(e *env) {
			// The client learns nothing: with the privilege to, both
			// proxies drop the socket without a reset (TCP_REPAIR); the
			// client sees no answer, only silence or, without it, a reset.
			c := harness.Dial(e.t, e.fe())
			defer c.Close()
			c.Send(harness.Request("GET", "/drop") + "\r\n")
			if _, got := c.Closed(time.Second); got != "" {
				e.t.Errorf("silent-drop: got %q, want no answer", got)
			}
			e.do(req{path: "/", status: 200, backend: "s1"})
		},
	}})
}

// TestEarlyHintsAndNormalize covers early-hint (a 103 before the answer)
// and normalize-uri.
func TestEarlyHintsAndNormalize(t *testing.T) {
	run(t, []scenario{{
		name: "early-hint",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request early-hint Link "</style.css>; rel=preload; as=style" if { path /page }
    http-request early-hint Link "</%[req.hdr(x-script)]>; rel=preload; as=script" if { path /page }
    default_backend app
` + threeBackends,
		check: func(e *env) {
			c := harness.Dial(e.t, e.fe())
			defer c.Close()
			c.Send(harness.Request("GET", "/page", "X-Script: app.js") + "\r\n")
			// A rule with a condition starts a new 103, as in HAProxy.
			for _, want := range []string{"</style.css>; rel=preload; as=style", "</app.js>; rel=preload; as=script"} {
				hint := c.Read("GET")
				if links := hint.Values("Link"); hint.Status != 103 || len(links) != 1 || links[0] != want {
					e.t.Fatalf("want a 103 with Link %q, got:\n%s", want, hint)
				}
			}
			if r := c.Read("GET"); r.Status != 200 || r.Get("X-Backend") != "s1" {
				e.t.Errorf("final response:\n%s", r)
			}
		},
	}, {
		name: "normalize-uri",
		cfg: `global
    expose-experimental-directives
` + strings.TrimPrefix(base, "global\n") + `
frontend fe
    bind ${FE}
    http-request normalize-uri path-merge-slashes
    http-request normalize-uri path-strip-dot
    http-request normalize-uri path-strip-dotdot
    http-request normalize-uri percent-to-uppercase
    http-request normalize-uri query-sort-by-name
    default_backend app
` + threeBackends,
		requests: []req{
			{path: "//x/./y/../../headers?b=%2f&a=1", status: 200, bodyHas: "GET /headers?a=1&b=%2F HTTP/1.1\r\n"},
		},
	}})
}

// TestLogLevelAndResponseRewrites covers set-log-level silent and the
// http-response header rewrites, variables and captures.
func TestLogLevelAndResponseRewrites(t *testing.T) {
	run(t, []scenario{{
		name: "set-log-level-silent",
		cfg: logBase + `
frontend fe
    bind ${FE}
    option httplog
    http-request set-log-level silent if { path /quiet }
    default_backend app
backend app
    server s ${S1}
`,
		check: func(e *env) {
			e.do(req{path: "/quiet", status: 200})
			e.do(req{path: "/loud", status: 200})
			e.logLines(regexp.MustCompile(`"GET /loud HTTP/1\.1"`), 1)
			if e.stdout.Contains("/quiet") {
				e.t.Errorf("set-log-level silent: the request was logged:\n%s", e.stdout)
			}
		},
	}, {
		name: "response-rewrites",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request set-var(txn.path) path
    http-response set-var(res.len) res.hdr(content-length)
    http-response set-header X-Path %[var(txn.path)]
    http-response add-header X-Len %[var(res.len),add(1000)]
    http-response replace-header X-Backend s(.*) server-\1
    http-response del-header Content-Type
    http-response set-status 203 if { res.hdr(x-backend) -m end 1 }
    http-after-response unset-var(txn.path)
    http-after-response set-header X-After %[var(txn.path)]
    default_backend app
` + threeBackends,
		requests: []req{
			{path: "/p", status: 203, hdrs: []string{"X-Path: /p", "X-Len: 1011", "X-Backend: server-1", "!Content-Type", "X-After: "}},
		},
	}})
}

// TestVariablesAcrossStages sets variables in tcp-request connection,
// session and content rules and reads them in http-request rules.
func TestVariablesAcrossStages(t *testing.T) {
	run(t, []scenario{{
		name: "tcp-then-http",
		cfg: base + `
frontend fe
    bind ${FE}
    tcp-request connection set-var(sess.port) dst_port
    tcp-request session set-var(sess.src) src
    tcp-request content set-var(sess.stage) str(content)
    tcp-request content accept
    http-request set-var(proc.hits) var(proc.hits),add(1) if { var(proc.hits) -m found }
    http-request set-var(proc.hits) int(1) unless { var(proc.hits) -m found }
    http-request set-header X-Stages %[var(sess.src)]/%[var(sess.port)]/%[var(sess.stage)]
    http-request set-header X-Hits %[var(proc.hits)]
    default_backend app
` + threeBackends,
		check: func(e *env) {
			_, port, _ := net.SplitHostPort(e.fe())
			e.do(req{path: "/headers", status: 200, seen: []string{"X-Stages: 127.0.0.1/" + port + "/content", "X-Hits: 1"}})
			e.do(req{path: "/headers", status: 200, seen: []string{"X-Hits: 2"}})
		},
	}})
}

// TestConverters runs a chain of converters through a return body: the
// table tests compare each converter with HAProxy's output; this checks
// that chains reach the wire alike.
func TestConverters(t *testing.T) {
	want := "abc/ABC/3/YWJj/00000000352441c2/a9993e364706816aba3e25717850c26c9cd0d89d/b/16/-4/1/" +
		"a%2Fb/a/b/abc-abc-/3"
	run(t, []scenario{{
		name: "converter-chain",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request set-var(txn.s) str(abc)
    http-request set-var(txn.n) int(5)
    http-request return status 200 content-type text/plain lf-string "%[var(txn.s),lower]/%[var(txn.s),upper]/%[var(txn.s),length]/%[var(txn.s),base64]/%[var(txn.s),crc32,hex,lower]/%[var(txn.s),sha1,hex,lower]/%[str(a.b.c),field(2,.)]/%[var(txn.n),add(3),mul(2)]/%[var(txn.n),neg,add(1)]/%[var(txn.n),odd]/%[req.hdr(x-u),url_dec]/%[str(a/b/c),word(1,/)]/%[str(a/b/c),word(-2,/)]/%[var(txn.s),concat(-,txn.s,-)]/%[str(a:b:c),field(3,:),bytes(0),length,add(2)]"
    default_backend app
` + threeBackends,
		requests: []req{
			{path: "/", headers: []string{"X-U: a%252Fb"}, status: 200, bodyIs: &want},
		},
	}})
}

// TestTCPResponseContent covers tcp-response content on the server's
// first bytes.
func TestTCPResponseContent(t *testing.T) {
	run(t, []scenario{{
		name: "tcp-response-content",
		cfg: `defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind ${FE}
    default_backend good

frontend fe2
    bind ${FE2}
    default_backend evil

backend good
    tcp-response inspect-delay 2s
    tcp-response content reject if { res.payload(0,4) -m str EVIL }
    server s ${O1}

backend evil
    tcp-response inspect-delay 2s
    tcp-response content reject if { res.payload(0,4) -m str EVIL }
    server s ${O2}
`,
		origins: map[string]func(c net.Conn){"O1": harness.Answer("GOOD answer\n"), "O2": harness.Answer("EVIL answer\n")},
		check: func(e *env) {
			c := harness.Dial(e.t, e.fe())
			c.Send("PING and more\n")
			if got := c.ReadN(len("GOOD answer\n")); got != "GOOD answer\n" {
				e.t.Errorf("good server: got %q", got)
			}
			c.Close()

			c = harness.Dial(e.t, e.addrs["FE2"])
			defer c.Close()
			c.Send("PING\n")
			if closed, got := c.Closed(5 * time.Second); !closed || got != "" {
				e.t.Errorf("tcp-response content reject: closed=%v got %q, want the connection closed without the server's bytes", closed, got)
			}
		},
	}})
}

// TestMoreActions covers the remaining http-request and http-response
// actions: allow, set-pathq, replace-pathq, replace-uri, set-src-port,
// the socket options (accepted and applied where the process may), the
// redirect options and the response-side answers.
func TestMoreActions(t *testing.T) {
	run(t, []scenario{{
		name: "request-line-and-socket",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request allow if { path /allowed }
    http-request set-pathq /headers?pq=1 if { path /pq }
    http-request replace-pathq ^/rq/([^?]*)\?(.*)$ /headers?\2&was=\1
    http-request replace-uri ^/ru/(.*) /head\1
    http-request set-src-port int(4242) if { url_param(port) -m found }
    http-request set-header X-Src-Port %[src_port] if { url_param(port) -m found }
    http-request set-mark 1
    http-request set-tos 0
    http-request set-nice 10
    http-request strict-mode on
    http-request deny if { path /allowed }
    default_backend app
` + threeBackends,
		requests: []req{
			{path: "/allowed", status: 200, backend: "s1"},
			{path: "/pq", status: 200, bodyHas: "GET /headers?pq=1 HTTP/1.1\r\n"},
			{path: "/rq/abc?x=1", status: 200, bodyHas: "GET /headers?x=1&was=abc HTTP/1.1\r\n"},
			{path: "/ru/ers?x", status: 200, bodyHas: "GET /headers?x HTTP/1.1\r\n"},
			{path: "/headers?port=1", status: 200, seen: []string{"X-Src-Port: 4242"}},
		},
	}, {
		name: "redirect-options",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request redirect scheme https code 301 drop-query if { path /s }
    http-request redirect prefix /new append-slash code 308 set-cookie SEEN=1 if { path_beg /dir }
    http-request redirect location /gone clear-cookie OLD= if { path /c }
    http-response redirect code 303 location /other drop-query if { status 404 }
    default_backend app
` + threeBackends,
		requests: []req{
			{path: "/s?q=1", headers: []string{"Host: h.example"}, status: 301, hdrs: []string{"Location: https://h.example/s"}},
			{path: "/dir", status: 308, hdrs: []string{"Location: /new/dir/", "Set-Cookie: SEEN=1; path=/;"}},
			{path: "/c", status: 302, hdrs: []string{"Location: /gone", "Set-Cookie: OLD=; path=/; Max-Age=0;"}},
			{path: "/status?code=404", status: 303, hdrs: []string{"Location: /other"}},
		},
	}, {
		name: "response-answers",
		cfg: base + `
frontend fe
    bind ${FE}
    http-response allow if { status 201 }
    http-response return status 200 content-type text/plain string replaced if { status 500 }
    http-response silent-drop if { status 502 }
    http-response set-header X-Not-Allowed 1
    default_backend app
` + threeBackends,
		requests: []req{
			{path: "/status?code=201", status: 201, hdrs: []string{"!X-Not-Allowed"}},
			{path: "/status?code=500", status: 200, bodyIs: ptr("replaced"), hdrs: []string{"!X-Not-Allowed"}},
			{path: "/", status: 200, hdrs: []string{"X-Not-Allowed: 1"}},
		},
		check: func(e *env) {
			c := harness.Dial(e.t, e.fe())
			defer c.Close()
			c.Send(harness.Request("GET", "/status?code=502") + "\r\n")
			if _, got := c.Closed(time.Second); got != "" {
				e.t.Errorf("http-response silent-drop: got %q, want no answer", got)
			}
		},
	}, {
		name: "tcp-session-and-close",
		cfg: `defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind ${FE}
    tcp-request connection accept if { src 127.0.0.1 }
    tcp-request session set-var(sess.seen) int(1)
    tcp-request session reject if !{ var(sess.seen) -m found }
    default_backend b
backend b
    tcp-response inspect-delay 2s
    tcp-response content close if { res.payload(0,3) -m str BYE }
    server s ${O1}
`,
		origins: map[string]func(c net.Conn){"O1": harness.Answer("BYE now\n")},
		check: func(e *env) {
			// close: the server's first bytes are forwarded, then both
			// sides are closed.
			c := harness.Dial(e.t, e.fe())
			defer c.Close()
			c.Send("hello\n")
			if closed, got := c.Closed(5 * time.Second); !closed || got != "BYE now\n" {
				e.t.Errorf("tcp-response content close: closed=%v got %q", closed, got)
			}
		},
	}})
}

// TestCapturesInLogFormat checks the capture slots in custom log formats
// (%hr, %hrl, quoted, %hs) and set-log-level's level, as HAProxy writes
// them.
func TestCapturesInLogFormat(t *testing.T) {
	want := regexp.MustCompile(`^hr=\{a#7Cb\|\|x#22y\} hrl=a#7Cb - x#22y qhrl="a#7Cb" "" "x#22y" hs=\{s1\}$`)
	run(t, []scenario{{
		name: "capture-variables",
		cfg: logBase + `
frontend fe
    bind ${FE}
    log-format "hr=%hr hrl=%hrl qhrl=%{+Q}hrl hs=%hs"
    capture request header X-A len 10
    capture request header X-B len 10
    capture request header X-C len 10
    capture response header X-Backend len 5
    default_backend app
backend app
    server s ${S1}
`,
		check: func(e *env) {
			e.do(req{path: "/", headers: []string{"X-A: a|b", `X-C: x"y`}, status: 200})
			e.logLines(want, 1)
		},
	}})
}

// TestSetLogLevel: set-log-level raises a request's line above a
// target's level filter.
func TestSetLogLevel(t *testing.T) {
	run(t, []scenario{{
		name: "level-filter",
		cfg: `global
    log stdout format raw local0 notice

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind ${FE}
    log-format "%HU"
    http-request set-log-level notice if { path /important }
    default_backend app
backend app
    server s ${S1}
`,
		check: func(e *env) {
			e.do(req{path: "/ordinary", status: 200})
			e.do(req{path: "/important", status: 200})
			e.logLines(regexp.MustCompile(`^/important$`), 1)
			if e.stdout.Contains("/ordinary") {
				e.t.Errorf("an info line passed a notice filter:\n%s", e.stdout)
			}
		},
	}})
}

// TestRuleErrorPages: deny and return answer with the configured error
// pages: the proxy's page for the status, a section's (errorfiles), or
// a file of their own (errorfile).
func TestRuleErrorPages(t *testing.T) {
	page := func(status, body string) string {
		return fmt.Sprintf("HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", status, len(body), body)
	}
	run(t, []scenario{{
		name: "deny-return-pages",
		files: map[string]string{
			"403.http": page("403 Forbidden", "proxy page\n"),
			"429.http": page("429 Too Many Requests", "section page\n"),
			"503.http": page("503 Service Unavailable", "own page\n"),
		},
		cfg: base + `
http-errors errs
    errorfile 429 ${FILES}/429.http

frontend fe
    bind ${FE}
    errorfile 403 ${FILES}/403.http
    http-request deny if { path /deny }
    http-request deny deny_status 429 errorfiles errs if { path /limited }
    http-request return status 503 errorfile ${FILES}/503.http if { path /maint }
    http-request deny deny_status 404 if { path /plain }
    default_backend app
` + threeBackends,
		requests: []req{
			{path: "/deny", status: 403, bodyIs: ptr("proxy page\n")},
			{path: "/limited", status: 429, bodyIs: ptr("section page\n")},
			{path: "/maint", status: 503, bodyIs: ptr("own page\n")},
			{path: "/plain", status: 404},
			{path: "/", status: 200, backend: "s1"},
		},
	}})
}

// TestSamplesInLogFormat: "%[EXPR]" in log-format, with flags,
// variables set by the rules (the file 33 shape: %[var(txn.x)] fields),
// a converter chain, an absent sample, the request line that remains at
// log time (header values do not: HAProxy refuses them), and %ID.
func TestSamplesInLogFormat(t *testing.T) {
	want := regexp.MustCompile(`^POST /p\?a=1 id=abc-123 host=example\.com q="1" none=- qnone="" esc="a\\"b" n=8 m=POST u=/p\?a=1 uid=uid-example\.com:80$`)
	run(t, []scenario{{
		name: "log-format-samples",
		cfg: logBase + `
frontend fe
    bind ${FE}
    log-format "%HM %HU id=%[var(txn.id)] host=%[var(txn.host)] q=%{+Q}[var(txn.a)] none=%[var(txn.nope)] qnone=%{+Q}[var(txn.nope)] esc=%{+Q,+E}[var(txn.q)] n=%[str(abcdefgh),length] m=%[method] u=%[capture.req.uri] uid=%ID"
    unique-id-format uid-%[req.hdr(host),lower]
    http-request set-var(txn.id) str(abc-123)
    http-request set-var(txn.host) req.hdr(host),lower,field(1,:)
    http-request set-var(txn.a) urlp(a)
    http-request set-var(txn.q) req.hdr(x-q)
    default_backend app
backend app
    server s ${S1}
`,
		check: func(e *env) {
			e.do(req{method: "POST", path: "/p?a=1", body: strings.Repeat("b", 20000), headers: []string{"Host: EXAMPLE.com:80", `X-Q: a"b`}, status: 200})
			e.logLines(want, 1)
		},
	}})
}

// TestLogFormatSampleRefused: a request header value in log-format is an
// error under both (it is gone when the line is written).
func TestLogFormatSampleRefused(t *testing.T) {
	cfg := logBase + `
frontend fe
    bind 127.0.0.1:1
    log-format "%[req.hdr(host)]"
    default_backend app
backend app
    server s 127.0.0.1:2
`
	out, code := harness.Check(t, cfg)
	if code == 0 || !strings.Contains(out, "needs 'HTTP request headers' which is not available here") {
		t.Errorf("baton -c: exit %d\n%s", code, out)
	}
	if harness.HAProxyPath() != "" {
		out, code := harness.CheckHAProxy(t, cfg)
		if code == 0 || !strings.Contains(out, "needs 'HTTP request headers' which is not available here") {
			t.Errorf("haproxy -c: exit %d\n%s", code, out)
		}
	}
}

// TestAnsweredRequestBody: a rule's answer to a request with a body
// keeps the connection when the whole body came with the head (it is
// dropped with it: the next request follows), and closes it when the
// body is still on its way, as HAProxy 2.6 does.
func TestAnsweredRequestBody(t *testing.T) {
	run(t, []scenario{{
		name: "deny-return-body",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request deny if { path /deny }
    http-request return status 200 content-type text/plain string ok if { path /ret }
    default_backend app
` + threeBackends,
		check: func(e *env) {
			post := func(path string, head string, body string) string {
				return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + head + "\r\n" + body
			}
			for _, tc := range []struct {
				name, req string
				status    int
				keep      bool
			}{
				{"length-whole", post("/deny", "Content-Length: 5\r\n", "hello"), 403, true},
				{"chunked-whole", post("/deny", "Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), 403, true},
				{"return-whole", post("/ret", "Content-Length: 5\r\n", "hello"), 200, true},
				{"length-partial", post("/deny", "Content-Length: 10\r\n", "hello"), 403, false},
				{"chunked-partial", post("/deny", "Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n"), 403, false},
			} {
				c := harness.Dial(e.t, e.fe())
				// The next request rides in the same write: it must be
				// read as a request, not as the rest of the body.
				next := harness.Request("GET", "/") + "\r\n"
				if !tc.keep {
					next = ""
				}
				c.Send(tc.req + next)
				r := c.Read("POST")
				if r.Status != tc.status {
					e.t.Errorf("%s: status %d, want %d", tc.name, r.Status, tc.status)
				}
				if !tc.keep {
					if closed, got := c.Closed(harness.IOTimeout); !closed {
						e.t.Errorf("%s: connection still open after the answer (got %q)", tc.name, got)
					}
					c.Close()
					continue
				}
				if r2, err := c.TryRead("GET"); err != nil || r2.Status != 200 {
					e.t.Errorf("%s: the request after the answered one: %v, %v", tc.name, r2, err)
				}
				c.Close()
			}
		},
	}})
}

// TestRedirectKeyword: the proxy-level "redirect" rules run after every
// http-request rule, whatever their order in the file, and after the
// statistics page's URI; their value is a plain string (a '%' is a '%');
// a backend's run once it is chosen.
func TestRedirectKeyword(t *testing.T) {
	run(t, []scenario{{
		name: "redirect-keyword",
		cfg: base + `
frontend fe
    bind ${FE}
    stats enable
    stats uri /admin/stats
    redirect scheme https code 301 if { path_beg /secure }
    redirect location /new%20page code 302 set-cookie SEEN=1 if { path /old }
    redirect prefix http://other.example drop-query if { path_beg /moved }
    redirect location /caught if { path_beg /admin }
    http-request deny deny_status 429 if { path /secure/limited }
    use_backend api if { path_beg /api }
    default_backend app
backend api
    redirect location /api/v2 code 308 if { path /api/v1 }
    server s ${S2}
` + `
backend app
    server s ${S1}
`,
		requests: []req{
			{path: "/secure/page?x=1", headers: []string{"Host: www.example.com"}, status: 301, hdrs: []string{"Location: https://www.example.com/secure/page?x=1"}},
			{path: "/secure/limited", status: 429},
			{path: "/old", status: 302, hdrs: []string{"Location: /new%20page", "Set-Cookie: SEEN=1; path=/;"}},
			{path: "/moved/here?q=2", status: 302, hdrs: []string{"Location: http://other.example/moved/here"}},
			{path: "/admin/stats", status: 200},
			{path: "/admin/other", status: 302, hdrs: []string{"Location: /caught"}},
			{path: "/api/v1", status: 308, hdrs: []string{"Location: /api/v2"}},
			{path: "/api/v2", status: 200, backend: "s2"},
			{path: "/", status: 200, backend: "s1"},
		},
	}})
}

// TestSendNameHeader: http-send-name-header names the server the
// request goes to, replaces the client's header of that name, and names
// the new server after a redispatch.
func TestSendNameHeader(t *testing.T) {
	run(t, []scenario{{
		name: "send-name-header",
		cfg: base + `
frontend fe
    bind ${FE}
    default_backend app
backend app
    http-send-name-header X-Target-Server
    retries 1
    option redispatch 1
    server dead ${DEAD}
    server alive ${S1}
`,
		requests: []req{
			{path: "/headers", headers: []string{"X-Target-Server: forged"}, status: 200, backend: "s1", seen: []string{"X-Target-Server: alive"}},
			{path: "/headers", status: 200, backend: "s1", seen: []string{"X-Target-Server: alive"}},
		},
	}})
}
