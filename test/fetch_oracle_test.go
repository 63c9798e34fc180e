package e2e_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"baton/internal/sample"
	"baton/test/harness"
)

// The fetches and the ACL forms, compared with HAProxy 2.6 on the same
// requests: each proxy answers with one line that lists every sample,
// and the lines must be equal item by item. HAProxy is the oracle here,
// so no expected value is written down by hand.

// oracleFetches are request-side samples that do not depend on the
// listening port or on timing.
var oracleFetches = []string{
	"method", "path", "pathq", "query", "url", "base", "base32", "baseq",
	"url_param(a)", "urlp(b)", "urlp(c)", "urlp", "urlp_val(n)", "urlp(JSESSIONID,;)", "url_port", "url_ip",
	"req.ver", "req.hdr(x-list)", "req.hdr(x-list,1)", "req.hdr(x-list,-1)", "req.fhdr(x-list)", "req.fhdr(x-list,1)",
	"req.hdr_cnt(x-list)", "req.fhdr_cnt(x-list)", "hdr_cnt", "req.hdr_ip(x-forwarded-for)", "req.hdr_ip(x-forwarded-for,1)",
	"req.hdr_val(x-num)", "hdr(host)", "req.hdr(host),lower,host_only", "req.fhdr(user-agent)", "req.hdr(user-agent)",
	"req.cook(sid)", "req.cook(lang)", "req.cook", "req.cook_cnt(sid)", "cook_cnt", "cook(lang)", "req.cook_val(n)",
	"req.body", "req.body_param(b)", "req.body_param", "req.body_len", "req.body_size",
	"capture.req.method", "capture.req.uri", "capture.req.ver", "capture.req.hdr(0)",
	"src", "fe_name", "nbsrv(app)", "http_first_req", "unique-id",
	"req.hdr_names", "req.hdr_names(:)", "req.hdrs", "req.body,hex", "path,url_dec", "base,sdbm(1)", "url,word(2,/)",
	"req.hdr(host),field(1,:)", "req.fhdr(cookie),length", "req.cook(sid),upper", "req.hdr(x-enc),url_dec",
}

// oracleACLs are ACL forms, each printed as 1 when it matches.
var oracleACLs = []string{
	"hdr_beg(host) -i example", "hdr_end(host) :8080", "hdr_sub(user-agent) -i linux", "hdr_dom(host) -i example.com",
	"hdr_reg(host) ^[A-Z]", "hdr_len(x-num) 2", "hdr_cnt(x-list) ge 2", "hdr_val(x-num) gt 40", "hdr(x-list) -m found",
	"path_beg /a/", "path_end .php", "path_sub b.p", "path_dom a", "path_dir b.php", "path_reg ^/[a-z]/", "path_len 8",
	"url_beg /a", "url_end 42", "url_sub ?a=", "url_dom example", "url_dir x", "url_reg \\.php", "url_len gt 10",
	"urlp_beg(b) tw", "urlp_end(b) wo", "urlp_sub(b) w", "urlp_len(b) 3", "urlp_reg(b) ^t", "urlp_dom(b) two", "urlp_dir(b) two",
	"urlp_val(n) 42", "url_ip 127.0.0.1", "url_port 81",
	"req.cook(sid) -m beg ab", "cook_sub(sid) e", "cook_cnt(sid) 2", "cook(lang) -m found",
	"method GET HEAD", "method -i Foo", // (HAProxy never matches "method -i get": a lower-case name is an unknown method) "req.ver 1.0", "req.body_param(a) -m str 1", "req.body -m sub x%20",
	"src 127.0.0.0/8", "src 10.0.0.0/8", "src_port gt 0", "dst_port gt 0",
	"HTTP", "HTTP_1.0", "HTTP_1.1", "HTTP_CONTENT", "HTTP_URL_ABS", "HTTP_URL_SLASH", "HTTP_URL_STAR", "LOCALHOST",
	"METH_CONNECT", "METH_DELETE", "METH_GET", "METH_HEAD", "METH_OPTIONS", "METH_POST", "METH_PUT", "METH_TRACE",
	"REQ_CONTENT", "TRUE", "FALSE", "WAIT_END",
	"base -m beg example.com", "base32 gt 0", "query -m found", "pathq -m end =42",
	"req.hdr(x-list) -m str -i B", "req.hdr(x-list) -m bin 64", "req.hdr(x-num) -m int 42", "req.hdr(x-list) -m len 1",
	"req.hdr(x-forwarded-for) -m ip 192.168.1.0/24", "req.hdr(x-list) -m reg -i ^[A-C]$", "req.hdr(x-nope) -m found",
	"req.hdr(x-list) -m sub -- -", "req.fhdr(x-list) -m beg a,",
}

// oracleResponse are response-side samples, in a header of the answer.
var oracleResponse = []string{
	"status", "res.hdr(x-backend)", "res.hdr_cnt(x-backend)", "res.fhdr(content-length)", "res.ver",
	"capture.res.hdr(0)", "res.cook(c)", "res.hdr_names", "capture.res.ver", "be_name", "srv_name", "nbsrv(app)",
}

// oracleRequests are sent to both proxies, each on its own connection.
var oracleRequests = []string{
	"GET /a/b.php?a=1&b=two;c=3&n=42 HTTP/1.1\r\nHost: Example.com:8080\r\nX-List: a, b ,c\r\nX-List: d\r\n" +
		"User-Agent: Mozilla/5.0 (X11, Linux)\r\nCookie: sid=abc; lang=fr\r\nCookie: sid=def; n=7\r\n" +
		"X-Forwarded-For: 10.0.0.1, 192.168.1.2\r\nX-Num: 42\r\nX-Enc: a%0d%0ab%09c%7f%25\r\n\r\n",
	"GET http://www.example.org:81/x/y/?q HTTP/1.1\r\nHost: www.example.org:81\r\n\r\n",
	"POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\na=1&b=x%20y",
	"GET /p;JSESSIONID=abc?x=1 HTTP/1.0\r\nHost: h\r\nCookie: a=1;b=2; c = 3 ;d\r\n\r\n",
	"HEAD /dir/sub/file.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-List:\r\nX-Num: x42\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
	"DELETE /a//b/../c?n=-3&n=4 HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: ::1, 2001:db8::1\r\nCookie: lang=en\r\n\r\n",
}

func oracleConfig() string {
	var b strings.Builder
	b.WriteString(base + `
frontend fe
    bind ${FE}
    capture request header Host len 30
    unique-id-format %[req.hdr(host),lower]-%[path]
    http-request wait-for-body time 2s
`)
	for i, a := range oracleACLs {
		cond := "{ " + a + " }"
		if a == strings.ToUpper(a) { // a predefined ACL, used by name
			cond = a
		}
		fmt.Fprintf(&b, "    http-request set-var(txn.a%d) int(1) if %s\n", i, cond)
	}
	var items []string
	for _, f := range oracleFetches {
		items = append(items, "%["+f+"]")
	}
	for i := range oracleACLs {
		items = append(items, fmt.Sprintf("%%[var(txn.a%d)]", i))
	}
	fmt.Fprintf(&b, "    http-request return status 200 content-type text/plain lf-string \"%s\\n\" unless { path_beg /headers }\n", strings.Join(items, "|"))
	var res []string
	for _, f := range oracleResponse {
		res = append(res, "%["+f+"]")
	}
	fmt.Fprintf(&b, `    capture response header X-Backend len 10
    http-response set-header X-Out "%s"
    default_backend app
backend app
    server s1 ${S1}
`, strings.Join(res, "|"))
	return b.String()
}

// TestFetchesAgainstHAProxy sends the same requests through Baton and
// HAProxy with the same configuration and compares every sample.
func TestFetchesAgainstHAProxy(t *testing.T) {
	if harness.HAProxyPath() == "" {
		t.Skip("haproxy not on PATH: no oracle")
	}
	s, err := sample.Start("127.0.0.1:0", "s1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	answers := map[string][]string{}
	for _, proxy := range proxies {
		fe := harness.FreeAddr(t)
		cfg := os.Expand(oracleConfig(), func(k string) string {
			return map[string]string{"FE": fe, "S1": s.Addr}[k]
		})
		if proxy == "baton" {
			harness.Start(t, cfg, []string{fe})
		} else {
			harness.StartHAProxy(t, cfg, []string{fe})
		}
		for _, raw := range append(oracleRequests, "GET /headers?n=1 HTTP/1.1\r\nHost: h\r\n\r\n") {
			r := harness.RoundTrip(t, fe, raw)
			body := strings.TrimSuffix(string(r.Body), "\n")
			if strings.HasPrefix(raw, "GET /headers") {
				body = "" // the server's echo: HAProxy sends header names in lower case
			}
			answers[proxy] = append(answers[proxy], body+"#"+r.Get("X-Out"))
		}
	}
	names := append(append(append([]string{}, oracleFetches...), oracleACLs...), "#")
	for i, want := range answers["haproxy"] {
		got := answers["baton"][i]
		if got == want {
			continue
		}
		req := strings.SplitN(append(oracleRequests, "GET /headers")[i], "\r\n", 2)[0]
		g, w := strings.Split(got, "|"), strings.Split(want, "|")
		if len(g) != len(w) {
			t.Errorf("%s: %d items, HAProxy %d:\n baton   %q\n haproxy %q", req, len(g), len(w), got, want)
			continue
		}
		for j := range w {
			if g[j] != w[j] {
				name := "response"
				if j < len(names) {
					name = names[j]
				}
				t.Errorf("%s: %s = %q, HAProxy %q", req, name, g[j], w[j])
			}
		}
	}
}
