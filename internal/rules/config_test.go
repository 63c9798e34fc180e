package rules

import (
	"testing"

	"baton/internal/config"
)

// TestFromParsedConfig checks the contract with the config parser: what
// it produces from HAProxy syntax compiles and behaves as HAProxy would.
// (The parser currently rejects %[...] in values, so expressions are
// tested on constructed rules in rules_test.go.)
func TestFromParsedConfig(t *testing.T) {
	src := `
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:8080
    acl is_api hdr(host) -i api.example.com
    acl is_api path_beg /api/
    acl office src 10.0.0.0/8 2001:db8::/32
    acl admin path_beg /admin
    http-request deny if admin !office
    http-request redirect scheme https code 301 if { path_beg /secure }
    http-request set-header X-Via baton
    use_backend api if is_api
    use_backend static if { path_end -i .css .js }
    default_backend web

backend api
    server a 127.0.0.1:9001
backend static
    server s 127.0.0.1:9002
backend web
    server w 127.0.0.1:9003
`
	cfg, err := config.Parse("t.cfg", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	fe := cfg.Frontends()[0]
	s, err := Compile(fe)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	routes := []struct {
		target, host, src, want string
	}{
		{"/", "API.example.com", "1.1.1.1", "api"},
		{"/api/x", "www", "1.1.1.1", "api"},
		{"/x/Y.CSS", "www", "1.1.1.1", "static"},
		{"/x", "www", "1.1.1.1", "web"},
	}
	for _, r := range routes {
		if got := s.Backend(in(req("GET", r.target, "Host", r.host), r.src)); got != r.want {
			t.Errorf("Backend(%s %s) = %q, want %q", r.host, r.target, got, r.want)
		}
	}
	var v Verdict
	s.Request(in(req("GET", "/admin", "Host", "h"), "192.0.2.1"), &v)
	if !v.Respond || v.Status != 403 {
		t.Errorf("admin from outside: %+v", v)
	}
	v = v.Reset()
	s.Request(in(req("GET", "/admin", "Host", "h"), "2001:db8::1"), &v)
	if v.Respond {
		t.Errorf("admin from office: %+v", v)
	}
	v = v.Reset()
	s.Request(in(req("GET", "/secure/a?b", "Host", "h"), "10.1.1.1"), &v)
	if !v.Respond || v.Status != 301 || string(v.Location) != "https://h/secure/a?b" {
		t.Errorf("redirect: %+v location %q", v, v.Location)
	}
	r := req("GET", "/p", "Host", "h")
	v = v.Reset()
	s.Request(in(r, "10.1.1.1"), &v)
	if got := headerDump(r.Headers); got != "Host: h\nX-Via: baton\n" {
		t.Errorf("headers after rules: %q", got)
	}
}
