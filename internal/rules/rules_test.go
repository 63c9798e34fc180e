package rules

import (
	"net/netip"
	"strings"
	"testing"

	"baton/internal/config"
	"baton/internal/h1"
)

var pos = config.Pos{File: "t.cfg", Line: 7}

// req builds a request; hdrs alternate name, value.
func req(method, target string, hdrs ...string) *h1.Request {
	r := &h1.Request{Method: []byte(method), Target: []byte(target), Minor: 1}
	for i := 0; i+1 < len(hdrs); i += 2 {
		r.Headers = append(r.Headers, h1.Header{Name: []byte(hdrs[i]), Value: []byte(hdrs[i+1])})
		if strings.EqualFold(hdrs[i], "host") {
			r.Host = []byte(hdrs[i+1])
		}
	}
	return r
}

func in(r *h1.Request, src string) *Input {
	x := &Input{Req: r}
	if src != "" {
		x.Src = netip.MustParseAddr(src)
	}
	return x
}

// aclProxy returns a proxy with one named ACL "a" and a use_backend "hit"
// on it (negated when neg).
func aclProxy(a config.ACL, neg bool) *config.Proxy {
	a.Name = "a"
	a.Pos = pos
	p := &config.Proxy{Name: "fe", DefaultBackend: "miss", ACLs: []config.ACL{a}}
	p.UseBackends = []config.UseBackend{{Backend: "hit", Pos: pos, Cond: &config.Condition{
		Or: [][]config.Term{{{Name: "a", Negate: neg, ACLs: []*config.ACL{&p.ACLs[0]}}}}, Pos: pos}}}
	return p
}

func TestFetches(t *testing.T) {
	type tc struct {
		name string
		acl  config.ACL
		in   *Input
		want bool
	}
	get := func(target string, hdrs ...string) *Input { return in(req("GET", target, hdrs...), "10.1.2.3") }
	cases := []tc{
		{"path exact", config.ACL{Fetch: "path", Values: []string{"/a"}}, get("/a?x=1"), true},
		{"path exact no prefix", config.ACL{Fetch: "path", Values: []string{"/a"}}, get("/ab"), false},
		{"path case", config.ACL{Fetch: "path", Values: []string{"/A"}}, get("/a"), false},
		{"path -i", config.ACL{Fetch: "path", IgnoreCase: true, Values: []string{"/A"}}, get("/a"), true},
		{"path absolute-form", config.ACL{Fetch: "path", Values: []string{"/x"}}, get("http://h/x?q"), true},
		{"path_beg", config.ACL{Fetch: "path_beg", Values: []string{"/zz", "/api/"}}, get("/api/v1"), true},
		{"path_beg miss", config.ACL{Fetch: "path_beg", Values: []string{"/api/"}}, get("/ap"), false},
		{"path_beg query not path", config.ACL{Fetch: "path_beg", Values: []string{"/a?"}}, get("/a?b"), false},
		{"path_beg -i", config.ACL{Fetch: "path_beg", IgnoreCase: true, Values: []string{"/API"}}, get("/Api/x"), true},
		{"path_end", config.ACL{Fetch: "path_end", Values: []string{".jpg", ".png"}}, get("/i/x.png?v=2"), true},
		{"path_end miss", config.ACL{Fetch: "path_end", Values: []string{".jpg"}}, get("/i/x.JPG"), false},
		{"path_end -i", config.ACL{Fetch: "path_end", IgnoreCase: true, Values: []string{".jpg"}}, get("/i/x.JPG"), true},
		{"path_sub", config.ACL{Fetch: "path_sub", Values: []string{"adm"}}, get("/x/admin/y"), true},
		{"path_reg", config.ACL{Fetch: "path_reg", Values: []string{`^/u/[0-9]+$`}}, get("/u/42"), true},
		{"path_reg miss", config.ACL{Fetch: "path_reg", Values: []string{`^/u/[0-9]+$`}}, get("/u/4a"), false},
		{"path_reg -i", config.ACL{Fetch: "path_reg", IgnoreCase: true, Values: []string{`^/U/`}}, get("/u/1"), true},
		{"path_reg case", config.ACL{Fetch: "path_reg", Values: []string{`^/U/`}}, get("/u/1"), false},
		{"hdr exact", config.ACL{Fetch: "hdr", FetchArg: "host", Values: []string{"example.com"}}, get("/", "Host", "example.com"), true},
		{"hdr name case-insensitive", config.ACL{Fetch: "hdr", FetchArg: "HOST", Values: []string{"example.com"}}, get("/", "hOsT", "example.com"), true},
		{"hdr value case", config.ACL{Fetch: "hdr", FetchArg: "host", Values: []string{"example.com"}}, get("/", "Host", "Example.COM"), false},
		{"hdr -i", config.ACL{Fetch: "hdr", FetchArg: "host", IgnoreCase: true, Values: []string{"EXAMPLE.com"}}, get("/", "Host", "Example.COM"), true},
		{"hdr port not stripped", config.ACL{Fetch: "hdr", FetchArg: "host", Values: []string{"example.com"}}, get("/", "Host", "example.com:80"), false},
		{"hdr absent", config.ACL{Fetch: "hdr", FetchArg: "x-a", Values: []string{""}}, get("/"), false},
		{"hdr second occurrence", config.ACL{Fetch: "hdr", FetchArg: "x-a", Values: []string{"two"}}, get("/", "X-A", "one", "X-A", "two"), true},
		{"hdr comma element", config.ACL{Fetch: "hdr", FetchArg: "x-a", Values: []string{"two"}}, get("/", "X-A", "one,  two ,three"), true},
		{"hdr whole value with comma", config.ACL{Fetch: "hdr", FetchArg: "x-a", Values: []string{"one, two"}}, get("/", "X-A", "one, two"), false},
		{"hdr_beg", config.ACL{Fetch: "hdr_beg", FetchArg: "host", Values: []string{"api."}}, get("/", "Host", "api.example.com"), true},
		{"hdr_beg -i", config.ACL{Fetch: "hdr_beg", FetchArg: "host", IgnoreCase: true, Values: []string{"API."}}, get("/", "Host", "api.example.com"), true},
		{"hdr_beg miss", config.ACL{Fetch: "hdr_beg", FetchArg: "host", Values: []string{"api."}}, get("/", "Host", "www.api.com"), false},
		{"hdr_end", config.ACL{Fetch: "hdr_end", FetchArg: "host", Values: []string{".example.com"}}, get("/", "Host", "a.example.com"), true},
		{"hdr_end -i", config.ACL{Fetch: "hdr_end", FetchArg: "host", IgnoreCase: true, Values: []string{".Example.com"}}, get("/", "Host", "a.EXAMPLE.com"), true},
		{"hdr_end miss", config.ACL{Fetch: "hdr_end", FetchArg: "host", Values: []string{".example.com"}}, get("/", "Host", "example.com"), false},
		{"hdr_sub", config.ACL{Fetch: "hdr_sub", FetchArg: "user-agent", Values: []string{"curl"}}, get("/", "User-Agent", "x curl/8"), true},
		{"hdr_reg", config.ACL{Fetch: "hdr_reg", FetchArg: "x-id", Values: []string{`^[a-f0-9]{4}$`}}, get("/", "X-Id", "beef"), true},
		{"method", config.ACL{Fetch: "method", Values: []string{"POST", "GET"}}, get("/"), true},
		{"method case", config.ACL{Fetch: "method", Values: []string{"get"}}, get("/"), false},
		{"method -i", config.ACL{Fetch: "method", IgnoreCase: true, Values: []string{"get"}}, get("/"), true},
		{"src ip", config.ACL{Fetch: "src", Values: []string{"10.1.2.3"}}, get("/"), true},
		{"src ip miss", config.ACL{Fetch: "src", Values: []string{"10.1.2.4"}}, get("/"), false},
		{"src cidr v4", config.ACL{Fetch: "src", Values: []string{"192.168.0.0/16", "10.0.0.0/8"}}, get("/"), true},
		{"src netmask v4", config.ACL{Fetch: "src", Values: []string{"10.1.0.0/255.255.0.0"}}, get("/"), true},
		{"src cidr v4 miss", config.ACL{Fetch: "src", Values: []string{"10.2.0.0/16"}}, get("/"), false},
		{"src v4-mapped client", config.ACL{Fetch: "src", Values: []string{"10.0.0.0/8"}}, in(req("GET", "/"), "::ffff:10.9.9.9"), true},
		{"src mapped prefix", config.ACL{Fetch: "src", Values: []string{"::ffff:10.0.0.0/104"}}, in(req("GET", "/"), "10.9.9.9"), true},
		{"src cidr v6", config.ACL{Fetch: "src", Values: []string{"2001:db8::/32"}}, in(req("GET", "/"), "2001:db8:1::5"), true},
		{"src cidr v6 miss", config.ACL{Fetch: "src", Values: []string{"2001:db8::/32"}}, in(req("GET", "/"), "2001:db9::5"), false},
		{"src v6 vs v4 prefix", config.ACL{Fetch: "src", Values: []string{"0.0.0.0/0"}}, in(req("GET", "/"), "::1"), false},
		{"src ip v6", config.ACL{Fetch: "src", Values: []string{"::1"}}, in(req("GET", "/"), "::1"), true},
		{"no request", config.ACL{Fetch: "path_beg", Values: []string{"/"}}, &Input{}, false},
	}
	for _, c := range cases {
		testACL(t, c.name, c.acl, c.in, c.want)
	}
}

// testACL checks that acl (and its negation) routes in as want says.
func testACL(t *testing.T, name string, acl config.ACL, in *Input, want bool) {
	t.Helper()
	for _, neg := range []bool{false, true} {
		s, err := Compile(aclProxy(acl, neg))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		be := "miss"
		if want != neg {
			be = "hit"
		}
		if got := s.Backend(in); got != be {
			t.Errorf("%s (negate=%v): Backend = %q, want %q", name, neg, got, be)
		}
	}
}

// named builds a proxy where ACLs are declared by name; cond is written as
// "a b|!c" (space = AND, | = OR, ! = negate).
func named(acls []config.ACL, unless bool, cond string) *config.Proxy {
	p := &config.Proxy{Name: "fe", DefaultBackend: "miss"}
	p.ACLs = acls
	c := &config.Condition{Unless: unless, Pos: pos}
	for _, alt := range strings.Split(cond, "|") {
		var and []config.Term
		for _, w := range strings.Fields(alt) {
			t := config.Term{Name: strings.TrimPrefix(w, "!"), Negate: strings.HasPrefix(w, "!")}
			for i := range p.ACLs {
				if p.ACLs[i].Name == t.Name {
					t.ACLs = append(t.ACLs, &p.ACLs[i])
				}
			}
			and = append(and, t)
		}
		c.Or = append(c.Or, and)
	}
	p.UseBackends = []config.UseBackend{{Backend: "hit", Cond: c, Pos: pos}}
	return p
}

func TestConditions(t *testing.T) {
	acls := []config.ACL{
		{Name: "api", Fetch: "path_beg", Values: []string{"/api"}, Pos: pos},
		{Name: "post", Fetch: "method", Values: []string{"POST"}, Pos: pos},
		{Name: "local", Fetch: "src", Values: []string{"127.0.0.0/8"}, Pos: pos},
		// multi-line ACL: the lines OR together.
		{Name: "static", Fetch: "path_end", Values: []string{".css"}, Pos: pos},
		{Name: "static", Fetch: "hdr_beg", FetchArg: "host", Values: []string{"static."}, Pos: pos},
	}
	cases := []struct {
		name   string
		cond   string
		unless bool
		method string
		target string
		host   string
		src    string
		want   bool
	}{
		{"and both", "api post", false, "POST", "/api/x", "a", "1.1.1.1", true},
		{"and one", "api post", false, "GET", "/api/x", "a", "1.1.1.1", false},
		{"or first", "api|local", false, "GET", "/api", "a", "1.1.1.1", true},
		{"or second", "api|local", false, "GET", "/", "a", "127.0.0.2", true},
		{"or none", "api|local", false, "GET", "/", "a", "1.1.1.1", false},
		{"and-or mix", "api post|local", false, "GET", "/api", "a", "127.0.0.1", true},
		{"negated term", "api !post", false, "GET", "/api", "a", "1.1.1.1", true},
		{"negated term miss", "api !post", false, "POST", "/api", "a", "1.1.1.1", false},
		{"unless", "api", true, "GET", "/api", "a", "1.1.1.1", false},
		{"unless miss", "api", true, "GET", "/", "a", "1.1.1.1", true},
		{"unless or", "api|local", true, "GET", "/", "a", "127.0.0.1", false},
		{"unless negated", "!local", true, "GET", "/", "a", "127.0.0.1", true},
		{"multi-line first line", "static", false, "GET", "/x.css", "www", "1.1.1.1", true},
		{"multi-line second line", "static", false, "GET", "/x.js", "static.example", "1.1.1.1", true},
		{"multi-line neither", "static", false, "GET", "/x.js", "www", "1.1.1.1", false},
		{"multi-line negated", "!static", false, "GET", "/x.js", "static.example", "1.1.1.1", false},
		{"predefined METH_GET", "METH_GET", false, "HEAD", "/", "a", "1.1.1.1", true},
		{"predefined TRUE", "TRUE", false, "POST", "/", "a", "1.1.1.1", true},
		{"predefined FALSE", "FALSE", false, "POST", "/", "a", "1.1.1.1", false},
	}
	for _, c := range cases {
		s, err := Compile(named(acls, c.unless, c.cond))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := map[bool]string{true: "hit", false: "miss"}[c.want]
		if got := s.Backend(in(req(c.method, c.target, "Host", c.host), c.src)); got != want {
			t.Errorf("%s: Backend = %q, want %q", c.name, got, want)
		}
	}
}

func TestBackendOrder(t *testing.T) {
	p := &config.Proxy{ACLs: []config.ACL{
		{Name: "a", Fetch: "path_beg", Values: []string{"/a"}, Pos: pos},
		{Name: "ab", Fetch: "path_beg", Values: []string{"/ab"}, Pos: pos},
	}}
	term := func(n string) *config.Condition {
		return &config.Condition{Or: [][]config.Term{{{Name: n}}}, Pos: pos}
	}
	p.UseBackends = []config.UseBackend{{Backend: "first", Cond: term("a")}, {Backend: "second", Cond: term("ab")}}
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Backend(in(req("GET", "/abc"), "")); got != "first" {
		t.Errorf("first matching use_backend: got %q", got)
	}
	if got := s.Backend(in(req("GET", "/x"), "")); got != "" {
		t.Errorf("no default_backend: got %q, want empty", got)
	}
	p.DefaultBackend = "dflt"
	s, _ = Compile(p)
	if got := s.Backend(in(req("GET", "/x"), "")); got != "dflt" {
		t.Errorf("default_backend: got %q", got)
	}
	// An unconditional use_backend (nil Cond) always matches.
	p.UseBackends = append([]config.UseBackend{{Backend: "always"}}, p.UseBackends...)
	s, _ = Compile(p)
	if got := s.Backend(in(req("GET", "/abc"), "")); got != "always" {
		t.Errorf("unconditional use_backend: got %q", got)
	}
}

func TestAnonymousACL(t *testing.T) {
	anon := &config.ACL{Fetch: "hdr", FetchArg: "host", IgnoreCase: true, Values: []string{"a.com"}, Pos: pos}
	p := &config.Proxy{UseBackends: []config.UseBackend{{Backend: "x", Cond: &config.Condition{
		Or: [][]config.Term{{{ACLs: []*config.ACL{anon}}}}, Pos: pos}}}}
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Backend(in(req("GET", "/", "Host", "A.com"), "")); got != "x" {
		t.Errorf("anonymous ACL: got %q", got)
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name string
		p    *config.Proxy
		want string
	}{
		{"unknown fetch", &config.Proxy{ACLs: []config.ACL{{Name: "a", Fetch: "url_dom", Values: []string{"x"}, Pos: pos}}}, `t.cfg:7: acl a url_dom: unsupported ACL fetch "url_dom"`},
		{"hdr without name", &config.Proxy{ACLs: []config.ACL{{Name: "a", Fetch: "hdr", Values: []string{"x"}, Pos: pos}}}, "t.cfg:7: acl a hdr: a header name is required"},
		{"no values", &config.Proxy{ACLs: []config.ACL{{Name: "a", Fetch: "path", Pos: pos}}}, "t.cfg:7: acl a path: no value to match"},
		{"bad regexp", &config.Proxy{ACLs: []config.ACL{{Name: "a", Fetch: "path_reg", Values: []string{"(x"}, Pos: pos}}}, "t.cfg:7: acl a path_reg: bad regular expression"},
		{"bad src", &config.Proxy{ACLs: []config.ACL{{Name: "a", Fetch: "src", Values: []string{"10.0.0.300"}, Pos: pos}}}, `t.cfg:7: acl a src: bad address "10.0.0.300"`},
		{"bad cidr", &config.Proxy{ACLs: []config.ACL{{Name: "a", Fetch: "src", Values: []string{"10.0.0.0/33"}, Pos: pos}}}, `t.cfg:7: acl a src: bad CIDR`},
		{"bad netmask", &config.Proxy{ACLs: []config.ACL{{Name: "a", Fetch: "src", Values: []string{"10.0.0.0/255.0.255.0"}, Pos: pos}}}, `not contiguous`},
		{"unknown acl", &config.Proxy{UseBackends: []config.UseBackend{{Backend: "b", Cond: &config.Condition{Or: [][]config.Term{{{Name: "nope"}}}, Pos: pos}}}}, `t.cfg:7: unknown ACL "nope"`},
		{"unsupported %-item", &config.Proxy{RequestRules: []config.HTTPRule{{Action: "set-header", Name: "X", Value: "a %ci b", Pos: pos}}}, `t.cfg:7: http-request set-header X: unsupported log-format item "%ci"`},
		{"unsupported sample", &config.Proxy{RequestRules: []config.HTTPRule{{Action: "add-header", Name: "X", Value: "%[req.hdr(a),lower]", Pos: pos}}}, `t.cfg:7: http-request add-header X: unsupported sample expression %[req.hdr(a),lower]`},
		{"unknown sample", &config.Proxy{RequestRules: []config.HTTPRule{{Action: "add-header", Name: "X", Value: "%[ssl_f_sha1]", Pos: pos}}}, `unsupported sample expression %[ssl_f_sha1]`},
		{"unterminated", &config.Proxy{RequestRules: []config.HTTPRule{{Action: "set-header", Name: "X", Value: "%[src", Pos: pos}}}, `unterminated %[`},
		{"trailing %", &config.Proxy{RequestRules: []config.HTTPRule{{Action: "set-header", Name: "X", Value: "50%", Pos: pos}}}, `unsupported log-format item "%"`},
		{"response format", &config.Proxy{ResponseRules: []config.HTTPRule{{Action: "set-header", Name: "X", Value: "%[res.hdr(a)]", Pos: pos}}}, `t.cfg:7: http-response set-header X: unsupported sample expression`},
		{"response deny", &config.Proxy{ResponseRules: []config.HTTPRule{{Action: "deny", Pos: pos}}}, "t.cfg:7: http-response deny is not supported"},
		{"request tarpit", &config.Proxy{RequestRules: []config.HTTPRule{{Action: "tarpit", Pos: pos}}}, "t.cfg:7: http-request tarpit is not supported"},
		{"redirect code", &config.Proxy{RequestRules: []config.HTTPRule{{Action: "redirect", RedirectKind: "location", RedirectTo: "/", Status: 200, Pos: pos}}}, "code 200"},
		{"redirect kind", &config.Proxy{RequestRules: []config.HTTPRule{{Action: "redirect", RedirectKind: "url", RedirectTo: "/", Pos: pos}}}, `want location, prefix or scheme, got "url"`},
		{"redirect bad format", &config.Proxy{RequestRules: []config.HTTPRule{{Action: "redirect", RedirectKind: "prefix", RedirectTo: "%[nope]", Pos: pos}}}, `t.cfg:7: http-request redirect prefix: unsupported sample expression %[nope]`},
	}
	for _, c := range cases {
		_, err := Compile(c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func headerDump(hs []h1.Header) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(string(h.Name) + ": " + string(h.Value) + "\n")
	}
	return b.String()
}

func onPath(p string) *config.Condition {
	return &config.Condition{Or: [][]config.Term{{{ACLs: []*config.ACL{{Fetch: "path_beg", Values: []string{p}, Pos: pos}}}}}, Pos: pos}
}

func TestRequestRules(t *testing.T) {
	cases := []struct {
		name    string
		rules   []config.HTTPRule
		req     *h1.Request
		src     string
		headers string // expected headers after the rules
		want    Verdict
	}{
		{
			name:    "set add del in order",
			rules:   []config.HTTPRule{{Action: "set-header", Name: "X-A", Value: "1"}, {Action: "add-header", Name: "X-B", Value: "2"}, {Action: "del-header", Name: "x-drop"}, {Action: "add-header", Name: "X-A", Value: "3"}},
			req:     req("GET", "/", "Host", "h", "X-Drop", "a", "x-a", "old", "X-DROP", "b"),
			headers: "Host: h\nx-a: 1\nX-B: 2\nX-A: 3\n",
		},
		{
			name:    "values with expressions",
			rules:   []config.HTTPRule{{Action: "set-header", Name: "X-Real-IP", Value: "%[src]"}, {Action: "add-header", Name: "X-Info", Value: "m=%[method] p=%[path] u=%[url] h=%[req.hdr(host)] xf=%[hdr(X-F)] none=%[req.hdr(none)] 100%%"}},
			req:     req("POST", "/p/q?z=1", "Host", "h.example", "X-F", "1.1.1.1, 2.2.2.2", "X-F", "3.3.3.3,  4.4.4.4 "),
			src:     "::ffff:192.0.2.7",
			headers: "Host: h.example\nX-F: 1.1.1.1, 2.2.2.2\nX-F: 3.3.3.3,  4.4.4.4 \nX-Real-IP: 192.0.2.7\nX-Info: m=POST p=/p/q u=/p/q?z=1 h=h.example xf=4.4.4.4 none= 100%\n",
		},
		{
			name:    "src v6",
			rules:   []config.HTTPRule{{Action: "set-header", Name: "X-Real-IP", Value: "[%[src]]"}},
			req:     req("GET", "/"),
			src:     "2001:db8::1",
			headers: "X-Real-IP: [2001:db8::1]\n",
		},
		{
			name:    "conditional rules",
			rules:   []config.HTTPRule{{Action: "set-header", Name: "X-Api", Value: "yes", Cond: onPath("/api")}, {Action: "set-header", Name: "X-Web", Value: "yes", Cond: onPath("/web")}},
			req:     req("GET", "/api/1"),
			headers: "X-Api: yes\n",
		},
		{
			name:    "disable-l7-retry continues",
			rules:   []config.HTTPRule{{Action: "disable-l7-retry", Cond: onPath("/pay")}, {Action: "set-header", Name: "X-After", Value: "1"}},
			req:     req("POST", "/pay"),
			headers: "X-After: 1\n",
			want:    Verdict{NoL7Retry: true},
		},
		{
			name:    "disable-l7-retry not matching",
			rules:   []config.HTTPRule{{Action: "disable-l7-retry", Cond: onPath("/pay")}},
			req:     req("POST", "/other"),
			headers: "",
		},
		{
			name:    "deny default",
			rules:   []config.HTTPRule{{Action: "set-header", Name: "X-Before", Value: "1"}, {Action: "deny", Cond: onPath("/admin")}, {Action: "set-header", Name: "X-After", Value: "1"}},
			req:     req("GET", "/admin"),
			headers: "X-Before: 1\n",
			want:    Verdict{Respond: true, Status: 403, Close: true},
		},
		{
			name:    "deny not matching continues",
			rules:   []config.HTTPRule{{Action: "deny", Cond: onPath("/admin")}, {Action: "set-header", Name: "X-After", Value: "1"}},
			req:     req("GET", "/"),
			headers: "X-After: 1\n",
		},
		{
			name:  "deny status and body",
			rules: []config.HTTPRule{{Action: "deny", Status: 429, ContentType: "text/plain", Body: "slow down"}},
			req:   req("GET", "/"),
			want:  Verdict{Respond: true, Status: 429, Close: true, ContentType: []byte("text/plain"), Body: []byte("slow down")},
		},
		{
			name:  "return default",
			rules: []config.HTTPRule{{Action: "return"}, {Action: "deny"}},
			req:   req("GET", "/"),
			want:  Verdict{Respond: true, Status: 200},
		},
		{
			name:  "return payload",
			rules: []config.HTTPRule{{Action: "return", Status: 503, ContentType: "application/json", Body: `{"ok":false}`}},
			req:   req("GET", "/"),
			want:  Verdict{Respond: true, Status: 503, ContentType: []byte("application/json"), Body: []byte(`{"ok":false}`)},
		},
		{
			name:  "redirect location",
			rules: []config.HTTPRule{{Action: "redirect", RedirectKind: "location", RedirectTo: "https://x.example/"}},
			req:   req("GET", "/a?b"),
			want:  Verdict{Respond: true, Status: 302, Location: []byte("https://x.example/")},
		},
		{
			name:  "redirect location with expression",
			rules: []config.HTTPRule{{Action: "redirect", RedirectKind: "location", RedirectTo: "https://%[req.hdr(host)]%[path]", Status: 301}},
			req:   req("GET", "/a?b", "Host", "h"),
			want:  Verdict{Respond: true, Status: 301, Location: []byte("https://h/a")},
		},
		{
			name:  "redirect prefix keeps path and query",
			rules: []config.HTTPRule{{Action: "redirect", RedirectKind: "prefix", RedirectTo: "https://new.example", Status: 308}},
			req:   req("GET", "/a/b?c=d", "Host", "h"),
			want:  Verdict{Respond: true, Status: 308, Location: []byte("https://new.example/a/b?c=d")},
		},
		{
			name:  "redirect prefix slash",
			rules: []config.HTTPRule{{Action: "redirect", RedirectKind: "prefix", RedirectTo: "/"}},
			req:   req("GET", "/a?c"),
			want:  Verdict{Respond: true, Status: 302, Location: []byte("/a?c")},
		},
		{
			name:  "redirect prefix absolute-form",
			rules: []config.HTTPRule{{Action: "redirect", RedirectKind: "prefix", RedirectTo: "/v2"}},
			req:   req("GET", "http://h.example?q=1", "Host", "h.example"),
			want:  Verdict{Respond: true, Status: 302, Location: []byte("/v2/?q=1")},
		},
		{
			name:  "redirect scheme",
			rules: []config.HTTPRule{{Action: "redirect", RedirectKind: "scheme", RedirectTo: "https", Cond: onPath("/")}},
			req:   req("GET", "/login?next=/", "Host", "www.example.com:8080"),
			want:  Verdict{Respond: true, Status: 302, Location: []byte("https://www.example.com:8080/login?next=/")},
		},
		{
			name:  "redirect scheme absolute-form",
			rules: []config.HTTPRule{{Action: "redirect", RedirectKind: "scheme", RedirectTo: "https"}},
			req:   req("GET", "http://h.example/x", "Host", "h.example"),
			want:  Verdict{Respond: true, Status: 302, Location: []byte("https://h.example/x")},
		},
		{
			name:    "set-header host keeps Request.Host in sync",
			rules:   []config.HTTPRule{{Action: "set-header", Name: "Host", Value: "backend.local"}, {Action: "redirect", RedirectKind: "scheme", RedirectTo: "https"}},
			req:     req("GET", "/", "host", "front"),
			headers: "host: backend.local\n",
			want:    Verdict{Respond: true, Status: 302, Location: []byte("https://backend.local/")},
		},
		{
			name:    "first final action wins",
			rules:   []config.HTTPRule{{Action: "redirect", RedirectKind: "location", RedirectTo: "/one"}, {Action: "deny"}},
			req:     req("GET", "/"),
			headers: "",
			want:    Verdict{Respond: true, Status: 302, Location: []byte("/one")},
		},
	}
	for _, c := range cases {
		for i := range c.rules {
			c.rules[i].Pos = pos
		}
		s, err := Compile(&config.Proxy{RequestRules: c.rules})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		x := in(c.req, c.src)
		var v Verdict
		v = v.Reset()
		s.Request(x, &v)
		if c.headers != "" || !c.want.Respond {
			if got := headerDump(c.req.Headers); c.headers != "" && got != c.headers {
				t.Errorf("%s: headers\n%s\nwant\n%s", c.name, got, c.headers)
			}
		}
		if v.Respond != c.want.Respond || v.Status != c.want.Status || v.Close != c.want.Close ||
			string(v.Location) != string(c.want.Location) || string(v.ContentType) != string(c.want.ContentType) ||
			string(v.Body) != string(c.want.Body) {
			t.Errorf("%s: verdict %+v (location %q), want %+v (location %q)", c.name, v, v.Location, c.want, c.want.Location)
		}
	}
}

// Values built into the scratch buffer must survive later rules growing it.
func TestScratchValuesStable(t *testing.T) {
	var rs []config.HTTPRule
	for i := 0; i < 20; i++ {
		rs = append(rs, config.HTTPRule{Action: "add-header", Name: "X-" + string(rune('a'+i)), Value: strings.Repeat("v", i*10) + "%[src]", Pos: pos})
	}
	s, err := Compile(&config.Proxy{RequestRules: rs})
	if err != nil {
		t.Fatal(err)
	}
	r := req("GET", "/")
	x := in(r, "10.0.0.1")
	var v Verdict
	s.Request(x, &v)
	for i, h := range r.Headers {
		if want := strings.Repeat("v", i*10) + "10.0.0.1"; string(h.Value) != want {
			t.Fatalf("header %d = %q, want %q", i, h.Value, want)
		}
	}
}

func TestResponseRules(t *testing.T) {
	p := &config.Proxy{ResponseRules: []config.HTTPRule{
		{Action: "set-header", Name: "X-Served-Path", Value: "%[path] from %[src]", Pos: pos},
		{Action: "del-header", Name: "Server", Pos: pos},
		{Action: "add-header", Name: "X-Api", Value: "1", Cond: onPath("/api"), Pos: pos},
		{Action: "add-header", Name: "Cache-Control", Value: "no-store", Cond: &config.Condition{Unless: true,
			Or: [][]config.Term{{{ACLs: []*config.ACL{{Fetch: "method", Values: []string{"GET"}, Pos: pos}}}}}, Pos: pos}, Pos: pos},
	}}
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	resp := &h1.Response{Status: 200, Headers: []h1.Header{{Name: []byte("Server"), Value: []byte("x")}, {Name: []byte("Content-Length"), Value: []byte("0")}}}
	s.Response(in(req("GET", "/api/x?y"), "10.0.0.1"), resp)
	want := "Content-Length: 0\nX-Served-Path: /api/x from 10.0.0.1\nX-Api: 1\n"
	if got := headerDump(resp.Headers); got != want {
		t.Errorf("response headers\n%s\nwant\n%s", got, want)
	}
	resp = &h1.Response{Status: 200}
	s.Response(in(req("POST", "/"), "10.0.0.1"), resp)
	want = "X-Served-Path: / from 10.0.0.1\nCache-Control: no-store\n"
	if got := headerDump(resp.Headers); got != want {
		t.Errorf("response headers\n%s\nwant\n%s", got, want)
	}
}
