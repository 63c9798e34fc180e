package rules

import (
	"os"
	"strings"
	"testing"

	"baton/internal/h1"
)

// benchRules compiles the rule set of bench/run.sh's "rules" case (20
// ACLs, a map lookup, 5 header rewrites) in frontend fe.
func benchRules(t testing.TB) (*Set, *Input) {
	t.Helper()
	tmpl, err := os.ReadFile("../../bench/rules/rules.cfg.in")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.NewReplacer("@MAP@", "../../bench/rules/tenants.map", "@API@", "api", "@STATIC@", "static").Replace(string(tmpl))
	s, cfg := frontend(t, body+" default_backend web")
	in := newInput(cfg, s, nil, "127.0.0.1")
	return s, in
}

// benchRequest is what wrk sends in the rules case, with a few headers.
const benchRequest = "GET /products/42?ref=home HTTP/1.1\r\n" +
	"Host: 127.0.0.1:19081\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\r\n" +
	"Accept: text/html,application/xhtml+xml\r\n" +
	"Cookie: theme=dark\r\n" +
	"X-Debug: 1\r\n" +
	"\r\n"

// TestRequestAllocs proves that a request meeting the realistic rule set
// (ACLs, use_backend, a map lookup through a variable, header rewrites)
// allocates nothing once the buffers have grown.
func TestRequestAllocs(t *testing.T) {
	s, in := benchRules(t)
	buf := []byte(benchRequest)
	var req h1.Request
	var lim h1.Limits
	var v Verdict
	backend := ""
	run := func() {
		if err := h1.ParseRequest(buf, &req, &lim); err != nil {
			t.Fatal(err)
		}
		in.BeginRequest()
		in.Req = &req
		v = v.Reset()
		s.Request(in, &v)
		backend, _ = s.Backend(in)
	}
	run()
	if n := testing.AllocsPerRun(300, run); n != 0 {
		t.Errorf("a request through the rule set allocates %.1f times", n)
	}
	want := "Host: 127.0.0.1:19081\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\nAccept: text/html,application/xhtml+xml\nCookie: theme=dark\n" +
		"X-Tenant: local\nX-Client-IP: 127.0.0.1\nX-Request-Path: /products/42\nX-Forwarded-Proto: http\n"
	if got := headerDump(req.Headers); got != want || v.Kind != Continue || backend != "web" {
		t.Errorf("verdict %v backend %q headers\n%s\nwant\n%s", v.Kind, backend, got, want)
	}
}

// TestResponseAllocs does the same for response rules.
func TestResponseAllocs(t *testing.T) {
	s, cfg := frontend(t, ` http-response set-header X-Path %[capture.req.uri]
 http-response del-header Server
 http-response set-header X-Cache %[res.hdr(x-cache),lower] if { res.hdr(x-cache) -m found }
 http-after-response add-header X-Served-By baton
 default_backend web`)
	in := newInput(cfg, s, nil, "10.1.2.3")
	rbuf := []byte("HTTP/1.1 200 OK\r\nServer: s\r\nX-Cache: HIT\r\nContent-Length: 0\r\n\r\n")
	qbuf := []byte("GET /p?q HTTP/1.1\r\nHost: h\r\n\r\n")
	var req h1.Request
	var resp h1.Response
	var lim h1.Limits
	var v Verdict
	run := func() {
		h1.ParseRequest(qbuf, &req, &lim)
		h1.ParseResponse(rbuf, &resp, false, &lim)
		in.BeginRequest()
		in.Req = &req
		v = v.Reset()
		s.Response(in, &resp, &v)
		s.AfterResponse(in, &resp)
	}
	run()
	if n := testing.AllocsPerRun(300, run); n != 0 {
		t.Errorf("response rules allocate %.1f times", n)
	}
	if got := headerDump(resp.Headers); got != "X-Cache: hit\nContent-Length: 0\nX-Path: /p?q\nX-Served-By: baton\n" {
		t.Errorf("response headers\n%s", got)
	}
}

func BenchmarkRuleSet(b *testing.B) {
	s, in := benchRules(b)
	buf := []byte(benchRequest)
	var req h1.Request
	var lim h1.Limits
	var v Verdict
	b.ReportAllocs()
	for b.Loop() {
		h1.ParseRequest(buf, &req, &lim)
		in.BeginRequest()
		in.Req = &req
		v = v.Reset()
		s.Request(in, &v)
		s.Backend(in)
	}
}
