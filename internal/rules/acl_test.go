package rules

import (
	"fmt"
	"strings"
	"testing"
)

// TestMatchMethods covers every match method and flag through ACL lines
// as an operator writes them, each with and without negation.
func TestMatchMethods(t *testing.T) {
	lst := writeFile(t, "hosts.lst", "# comment\nexample.com\n  www.example.org\n")
	mp := writeFile(t, "hosts.map", "api.example.com api\nwww.example.com web\n")
	tests := []struct {
		acl  string
		req  string
		hdrs []string
		src  string
		want bool
	}{
		// str (exact), the default for strings
		{acl: "path /a", req: "GET /a?x=1", want: true},
		{acl: "path /a", req: "GET /ab", want: false},
		{acl: "path /A", req: "GET /a", want: false},
		{acl: "path -i /A", req: "GET /a", want: true},
		{acl: "path -m str /a", req: "GET /a", want: true},
		// beg, end, sub, dir, dom, reg, len
		{acl: "path_beg /api/ /v2/", req: "GET /v2/x", want: true},
		{acl: "path_beg /api/", req: "GET /ap", want: false},
		{acl: "path_beg -i /API", req: "GET /Api/x", want: true},
		{acl: "path_end .jpg .png", req: "GET /i/x.png?v=2", want: true},
		{acl: "path_end .jpg", req: "GET /i/x.JPG", want: false},
		{acl: "path_sub adm", req: "GET /x/admin/y", want: true},
		{acl: "path_dir images/png", req: "GET /images/png/logo.png", want: true},
		{acl: "path_dir png", req: "GET /images/pngs/x", want: false},
		{acl: "hdr_dom(host) example", req: "GET /", hdrs: []string{"Host: www.example.com:80"}, want: true},
		{acl: "hdr_dom(host) exam", req: "GET /", hdrs: []string{"Host: www.example.com"}, want: false},
		{acl: "path_reg ^/u/[0-9]+$", req: "GET /u/42", want: true},
		{acl: "path_reg ^/u/[0-9]+$", req: "GET /u/4a", want: false},
		{acl: "path_reg -i ^/U/", req: "GET /u/1", want: true},
		{acl: "path_len 3", req: "GET /ab", want: true},
		{acl: "path_len gt 5", req: "GET /ab", want: false},
		{acl: "path -m len 2:4", req: "GET /abc", want: true},
		{acl: "path -m beg /a", req: "GET /abc", want: true},
		{acl: "path -m sub bc", req: "GET /abc", want: true},
		{acl: "path -m end bc", req: "GET /abc", want: true},
		{acl: "path -m reg ^/a.c$", req: "GET /abc", want: true},
		{acl: "path -m dir abc", req: "GET /x/abc/y", want: true},
		{acl: "path -m dom abc", req: "GET /x.abc.y", want: true},
		// found
		{acl: "req.hdr(x-a) -m found", req: "GET /", hdrs: []string{"X-A:"}, want: true},
		{acl: "req.hdr(x-a) -m found", req: "GET /", want: false},
		{acl: "req.cook(sid) -m found", req: "GET /", hdrs: []string{"Cookie: a=1; sid=2"}, want: true},
		// bool and int
		{acl: "always_true", req: "GET /", want: true},
		{acl: "always_false", req: "GET /", want: false},
		{acl: "req.hdr_cnt(x-a) -m bool", req: "GET /", hdrs: []string{"X-A: 1"}, want: true},
		{acl: "req.hdr_cnt(x-a) -m bool", req: "GET /", want: false},
		{acl: "req.hdr_cnt(x-a) eq 2", req: "GET /", hdrs: []string{"X-A: 1, 2"}, want: true},
		{acl: "req.hdr_cnt(x-a) 2:3", req: "GET /", hdrs: []string{"X-A: 1", "X-A: 2"}, want: true},
		{acl: "req.hdr_cnt(x-a) lt 1", req: "GET /", want: true},
		{acl: "req.hdr_cnt(x-a) ge 3", req: "GET /", hdrs: []string{"X-A: 1", "X-A: 2"}, want: false},
		{acl: "req.hdr_val(x-n) gt 10", req: "GET /", hdrs: []string{"X-N: 11"}, want: true},
		{acl: "req.hdr_val(x-n) -m int 5", req: "GET /", hdrs: []string{"X-N: 5"}, want: true},
		{acl: "always_true -m int 1", req: "GET /", want: true},
		// ip
		{acl: "src 10.1.2.3", req: "GET /", src: "10.1.2.3", want: true},
		{acl: "src 10.0.0.0/8 192.168.0.0/16", req: "GET /", src: "10.1.2.3", want: true},
		{acl: "src 10.1.0.0/255.255.0.0", req: "GET /", src: "10.1.2.3", want: true},
		{acl: "src 10.2.0.0/16", req: "GET /", src: "10.1.2.3", want: false},
		{acl: "src 10.0.0.0/8", req: "GET /", src: "::ffff:10.9.9.9", want: true},
		{acl: "src 2001:db8::/32", req: "GET /", src: "2001:db8:1::5", want: true},
		{acl: "src 0.0.0.0/0", req: "GET /", src: "::1", want: true}, // ::1 is ::0.0.0.1, IPv4-compatible
		{acl: "src 0.0.0.0/0", req: "GET /", src: "2001:db8::1", want: false},
		{acl: "src,ipmask(24) 10.1.2.0", req: "GET /", src: "10.1.2.200", want: true},
		{acl: "req.hdr_ip(x-forwarded-for) 192.168.0.0/16", req: "GET /", hdrs: []string{"X-Forwarded-For: 10.0.0.1, 192.168.1.2"}, want: true},
		{acl: "hdr(x-ip) -m ip 10.0.0.0/8", req: "GET /", hdrs: []string{"X-IP: 10.3.3.3"}, want: true},
		{acl: "hdr(x-ip) -m ip 10.0.0.0/8", req: "GET /", hdrs: []string{"X-IP: not an ip"}, want: false},
		// bin
		{acl: "path -m bin 2F61", req: "GET /a", want: true},
		{acl: "path,hex 2F61", req: "GET /a", want: true},
		// headers: every occurrence and comma-separated element
		{acl: "hdr(x-a) two", req: "GET /", hdrs: []string{"X-A: one", "X-A: two"}, want: true},
		{acl: "hdr(x-a) two", req: "GET /", hdrs: []string{"X-A: one,  two ,three"}, want: true},
		{acl: `hdr(x-a) "one, two"`, req: "GET /", hdrs: []string{"X-A: one, two"}, want: false},
		{acl: `req.fhdr(x-a) -m str "one, two"`, req: "GET /", hdrs: []string{"X-A: one, two"}, want: true},
		{acl: "hdr(x-a,2) two", req: "GET /", hdrs: []string{"X-A: one, two"}, want: true},
		{acl: "hdr(x-a,1) two", req: "GET /", hdrs: []string{"X-A: one, two"}, want: false},
		{acl: "hdr(HOST) example.com", req: "GET /", hdrs: []string{"hOsT: example.com"}, want: true},
		{acl: "hdr_beg(host) -i API.", req: "GET /", hdrs: []string{"Host: api.example.com"}, want: true},
		{acl: "hdr_end(host) .example.com", req: "GET /", hdrs: []string{"Host: a.example.com"}, want: true},
		{acl: "hdr_sub(user-agent) curl", req: "GET /", hdrs: []string{"User-Agent: x curl/8"}, want: true},
		{acl: "hdr_reg(x-id) ^[a-f0-9]{4}$", req: "GET /", hdrs: []string{"X-Id: beef"}, want: true},
		{acl: "hdr_len(x-id) 4", req: "GET /", hdrs: []string{"X-Id: beef"}, want: true},
		{acl: "hdr_cnt(x-id) 2", req: "GET /", hdrs: []string{"X-Id: a,b"}, want: true},
		// method, url, base, cookies, params
		{acl: "method POST GET", req: "GET /", want: true},
		{acl: "method get", req: "GET /", want: false},
		{acl: "url_beg /a?", req: "GET /a?b", want: true},
		{acl: "url_sub b=1", req: "GET /a?b=1", want: true},
		{acl: "base example.com/a", req: "GET /a?q", hdrs: []string{"Host: example.com"}, want: true},
		{acl: "base_beg example.com/", req: "GET /a", hdrs: []string{"Host: example.com"}, want: true},
		{acl: "cook(sid) abc", req: "GET /", hdrs: []string{"Cookie: sid=xyz", "Cookie: sid=abc"}, want: true},
		{acl: "urlp(q) 2", req: "GET /a?q=1&q=2", want: true},
		{acl: "req.ver 1.1", req: "GET /", want: true},
		// converters before matching; the keyword's method is then dropped
		{acl: "hdr(host),lower,host_only -m end example.com", req: "GET /", hdrs: []string{"Host: WWW.Example.COM:8080"}, want: true},
		{acl: "path,map_beg(" + mp + ") -m found", req: "GET /", want: false},
		{acl: "hdr(host),map(" + mp + ") -m str api", req: "GET /", hdrs: []string{"Host: api.example.com"}, want: true},
		// -f, -M, -i ordering
		{acl: "hdr(host) -f " + lst, req: "GET /", hdrs: []string{"Host: www.example.org"}, want: true},
		{acl: "hdr(host) -f " + lst, req: "GET /", hdrs: []string{"Host: EXAMPLE.com"}, want: false},
		{acl: "hdr(host) -i -f " + lst, req: "GET /", hdrs: []string{"Host: EXAMPLE.com"}, want: true},
		{acl: "hdr(host) -f " + lst + " -i other", req: "GET /", hdrs: []string{"Host: EXAMPLE.com"}, want: false},
		{acl: "hdr(host) -f " + lst + " -i other", req: "GET /", hdrs: []string{"Host: OTHER"}, want: true},
		{acl: "hdr(host) -M -f " + mp, req: "GET /", hdrs: []string{"Host: www.example.com"}, want: true},
		{acl: "hdr(host) -M -f " + mp, req: "GET /", hdrs: []string{"Host: web"}, want: false},
		{acl: "hdr(x-a) -- -i", req: "GET /", hdrs: []string{"X-A: -i"}, want: true},
		// predefined
		{acl: "path_beg -u 7 /x", req: "GET /x", want: true},
	}
	for i, tt := range tests {
		for _, neg := range []bool{false, true} {
			bang := ""
			if neg {
				bang = "!"
			}
			s, cfg := frontend(t, fmt.Sprintf(" acl a%d %s\n use_backend hit if %sa%d\n default_backend miss", i, tt.acl, bang, i))
			src := tt.src
			if src == "" {
				src = "192.0.2.1"
			}
			in := newInput(cfg, s, parseReq(t, tt.req, tt.hdrs...), src)
			name, _ := s.Backend(in)
			if got := name == "hit"; got != (tt.want != neg) {
				t.Errorf("acl %s%s on %s %v from %s: %v, want %v", bang, tt.acl, tt.req, tt.hdrs, src, got, tt.want != neg)
			}
		}
	}
}

// TestConditions covers and, or, !, unless, anonymous ACLs, several
// lines under one name and predefined ACLs.
func TestConditions(t *testing.T) {
	acls := " acl api path_beg /api\n acl api path_end .json\n acl local src 127.0.0.0/8\n acl get method GET\n"
	tests := []struct {
		cond string
		req  string
		src  string
		want bool
	}{
		{"if api", "GET /x.json", "1.1.1.1", true},
		{"if api local", "GET /api/x", "1.1.1.1", false},
		{"if api local || get", "GET /x", "1.1.1.1", true},
		{"if api local or get", "POST /x", "1.1.1.1", false},
		{"if !api get", "GET /x", "1.1.1.1", true},
		{"if ! api", "GET /api", "1.1.1.1", false},
		{"unless api", "GET /api", "1.1.1.1", false},
		{"unless api || local", "GET /x", "127.0.0.1", false},
		{"if { path_beg /api } !local", "GET /api", "1.1.1.1", true},
		{"if !{ path_beg /api }", "GET /api", "1.1.1.1", false},
		{"if METH_GET", "HEAD /", "1.1.1.1", true},
		{"if METH_POST", "GET /", "1.1.1.1", false},
		{"if LOCALHOST", "GET /", "127.0.0.1", true},
		{"if LOCALHOST", "GET /", "::1", true},
		{"if TRUE", "GET /", "1.1.1.1", true},
		{"if FALSE || TRUE", "GET /", "1.1.1.1", true},
		{"if HTTP HTTP_1.1 !HTTP_1.0", "GET /", "1.1.1.1", true},
		{"if HTTP_URL_SLASH !HTTP_URL_ABS", "GET /", "1.1.1.1", true},
		{"if HTTP_URL_ABS", "GET http://test.local/b", "1.1.1.1", true},
		{"if HTTP_CONTENT", "GET /", "1.1.1.1", false},
	}
	for _, tt := range tests {
		s, cfg := frontend(t, acls+" use_backend hit "+tt.cond+"\n default_backend miss")
		in := newInput(cfg, s, parseReq(t, tt.req), tt.src)
		name, _ := s.Backend(in)
		if got := name == "hit"; got != tt.want {
			t.Errorf("%q on %s from %s: %v, want %v", tt.cond, tt.req, tt.src, got, tt.want)
		}
	}
}

// TestIncompatibleACL: an ACL reading the request never matches in a
// response rule, and HAProxy's warning is given.
func TestIncompatibleACL(t *testing.T) {
	s, cfg := frontend(t, " acl p path_beg /x\n http-response set-header X-Yes 1 if p\n http-response set-header X-Not 1 if !p\n default_backend hit")
	if len(cfg.Warnings) == 0 || !strings.Contains(cfg.Warnings[0], "acl 'p' will never match because it only involves keywords that are incompatible with 'frontend http-response header rule'") {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	in := newInput(cfg, s, parseReq(t, "GET /x"), "1.1.1.1")
	resp := parseResp(t, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	var v Verdict
	s.Response(in, resp, &v)
	if got := headerDump(resp.Headers); got != "Content-Length: 0\nX-Not: 1\n" {
		t.Errorf("response headers:\n%s", got)
	}
}
