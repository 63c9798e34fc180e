package rules

import (
	"strings"
	"testing"

	"baton/internal/config"
	"baton/internal/h1"
)

// hotProxy is a realistic frontend: host and path routing, an admin deny
// by source, header rules with expressions.
func hotProxy() *config.Proxy {
	p := &config.Proxy{Name: "fe", DefaultBackend: "web", ACLs: []config.ACL{
		{Name: "is_api", Fetch: "hdr", FetchArg: "host", IgnoreCase: true, Values: []string{"api.example.com"}, Pos: pos},
		{Name: "is_api", Fetch: "path_beg", Values: []string{"/api/"}, Pos: pos},
		{Name: "static", Fetch: "path_end", IgnoreCase: true, Values: []string{".css", ".js", ".png"}, Pos: pos},
		{Name: "ids", Fetch: "path_reg", Values: []string{`^/u/[0-9]+$`}, Pos: pos},
		{Name: "admin", Fetch: "path_beg", Values: []string{"/admin"}, Pos: pos},
		{Name: "office", Fetch: "src", Values: []string{"10.0.0.0/8", "2001:db8::/32"}, Pos: pos},
		{Name: "ua", Fetch: "hdr_sub", FetchArg: "user-agent", IgnoreCase: true, Values: []string{"bot"}, Pos: pos},
	}}
	t := func(neg bool, n string) config.Term { return config.Term{Name: n, Negate: neg} }
	cond := func(or ...[]config.Term) *config.Condition { return &config.Condition{Or: or, Pos: pos} }
	p.UseBackends = []config.UseBackend{
		{Backend: "static", Cond: cond([]config.Term{t(false, "static")}), Pos: pos},
		{Backend: "users", Cond: cond([]config.Term{t(false, "ids")}), Pos: pos},
		{Backend: "api", Cond: cond([]config.Term{t(false, "is_api"), t(true, "ua")}), Pos: pos},
	}
	p.RequestRules = []config.HTTPRule{
		{Action: "deny", Cond: cond([]config.Term{t(false, "admin"), t(true, "office")}), Pos: pos},
		{Action: "set-header", Name: "X-Real-IP", Value: "%[src]", Pos: pos},
		{Action: "add-header", Name: "X-Route", Value: "%[method] %[path] via %[req.hdr(host)]", Pos: pos},
		{Action: "set-header", Name: "X-Static", Value: "1", Pos: pos},
		{Action: "del-header", Name: "X-Debug", Pos: pos},
	}
	p.ResponseRules = []config.HTTPRule{
		{Action: "set-header", Name: "X-Path", Value: "%[path]", Pos: pos},
		{Action: "del-header", Name: "Server", Pos: pos},
	}
	return p
}

// reqFixture resets r to a fixed request reusing its Headers array, as
// the proxy's per-connection parse does.
type reqFixture struct {
	base []h1.Header
	r    h1.Request
}

func newFixture(target string) *reqFixture {
	f := &reqFixture{base: []h1.Header{
		{Name: []byte("Host"), Value: []byte("api.example.com")},
		{Name: []byte("User-Agent"), Value: []byte("Mozilla/5.0 (X11; Linux x86_64), like Gecko")},
		{Name: []byte("Accept"), Value: []byte("*/*")},
		{Name: []byte("X-Debug"), Value: []byte("1")},
	}}
	f.r = h1.Request{Method: []byte("GET"), Target: []byte(target), Minor: 1, Headers: make([]h1.Header, 0, 16)}
	f.reset()
	return f
}

func (f *reqFixture) reset() {
	f.r.Headers = append(f.r.Headers[:0], f.base...)
	f.r.Host = f.base[0].Value
}

func TestBackendNoAlloc(t *testing.T) {
	s, err := Compile(hotProxy())
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/x.PNG", "/u/123", "/api/v1/items?x=1", "/other"} {
		f := newFixture(target)
		x := in(&f.r, "2001:db8::7")
		got := ""
		if n := testing.AllocsPerRun(200, func() { got = s.Backend(x) }); n != 0 {
			t.Errorf("Backend(%s) allocates %v times per run", target, n)
		}
		if got == "" {
			t.Errorf("Backend(%s) empty", target)
		}
	}
}

func TestRequestNoAlloc(t *testing.T) {
	s, err := Compile(hotProxy())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture("/api/v1/items?x=1")
	x := in(&f.r, "10.1.2.3")
	var v Verdict
	run := func() {
		f.reset()
		v = v.Reset()
		s.Request(x, &v)
	}
	run() // warm up: grows the scratch buffer and the Headers array
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Errorf("Request allocates %v times per run", n)
	}
	want := "Host: api.example.com\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64), like Gecko\nAccept: */*\nX-Real-IP: 10.1.2.3\nX-Route: GET /api/v1/items via api.example.com\nX-Static: 1\n"
	if got := headerDump(f.r.Headers); got != want || v.Respond {
		t.Errorf("after Request: respond=%v headers\n%s\nwant\n%s", v.Respond, got, want)
	}

	// A redirect reuses the Verdict's Location buffer.
	rs, err := Compile(&config.Proxy{RequestRules: []config.HTTPRule{{Action: "redirect", RedirectKind: "scheme", RedirectTo: "https", Pos: pos}}})
	if err != nil {
		t.Fatal(err)
	}
	redirect := func() {
		v = v.Reset()
		rs.Request(x, &v)
	}
	redirect()
	if n := testing.AllocsPerRun(200, redirect); n != 0 {
		t.Errorf("Request with redirect allocates %v times per run", n)
	}
	if string(v.Location) != "https://api.example.com/api/v1/items?x=1" {
		t.Errorf("Location = %q", v.Location)
	}

	// Deny from outside the office network.
	f2 := newFixture("/admin/x")
	x2 := in(&f2.r, "192.0.2.1")
	deny := func() { f2.reset(); v = v.Reset(); s.Request(x2, &v) }
	if n := testing.AllocsPerRun(200, deny); n != 0 {
		t.Errorf("Request with deny allocates %v times per run", n)
	}
	if !v.Respond || v.Status != 403 || !v.Close {
		t.Errorf("deny verdict = %+v", v)
	}
}

func TestResponseNoAlloc(t *testing.T) {
	s, err := Compile(hotProxy())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture("/p?q")
	x := in(&f.r, "10.1.2.3")
	resp := &h1.Response{Status: 200, Headers: make([]h1.Header, 0, 8)}
	server := h1.Header{Name: []byte("Server"), Value: []byte("s")}
	run := func() {
		resp.Headers = append(resp.Headers[:0], server)
		s.Response(x, resp)
	}
	run()
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Errorf("Response allocates %v times per run", n)
	}
	if got := headerDump(resp.Headers); got != "X-Path: /p\n" {
		t.Errorf("response headers %q", got)
	}
}

func BenchmarkBackend(b *testing.B) {
	s, err := Compile(hotProxy())
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture("/api/v1/items?x=1")
	x := in(&f.r, "10.1.2.3")
	b.ReportAllocs()
	for b.Loop() {
		if s.Backend(x) != "api" {
			b.Fatal("wrong backend")
		}
	}
}

func BenchmarkRequest(b *testing.B) {
	s, err := Compile(hotProxy())
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture("/api/v1/items?x=1")
	x := in(&f.r, "10.1.2.3")
	var v Verdict
	b.ReportAllocs()
	for b.Loop() {
		f.reset()
		v = v.Reset()
		s.Request(x, &v)
	}
}

func BenchmarkPathReg(b *testing.B) {
	s, err := Compile(hotProxy())
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture("/u/12345")
	x := in(&f.r, "10.1.2.3")
	b.ReportAllocs()
	for b.Loop() {
		if s.Backend(x) != "users" {
			b.Fatal("wrong backend")
		}
	}
}

func FuzzCompileFormat(f *testing.F) {
	for _, s := range []string{"", "plain", "%[src]", "a %[req.hdr(host)] b", "100%%", "%", "%[", "%[src", "%ci", "%{+Q}r", "%[hdr(a,1)]", "%[path]%[method]%[url]"} {
		f.Add(s)
	}
	x := in(req("GET", "/p?q", "Host", "h"), "10.0.0.1")
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := compileFormat(s)
		if err != nil {
			return
		}
		out := string(fm.appendTo(nil, x))
		// A format without '%' is its own output.
		if !strings.Contains(s, "%") && out != s {
			t.Fatalf("literal %q evaluated to %q", s, out)
		}
		if fm.isLit && string(fm.literal) != out {
			t.Fatalf("literal fast path %q != %q", fm.literal, out)
		}
	})
}

func FuzzParsePrefix(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "10.0.0.0/8", "10.0.0.0/255.0.0.0", "::1", "2001:db8::/32", "::ffff:10.0.0.0/104", "1.2.3.4/33", "x", "/", "1.2.3.4/255.0.255.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePrefix(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p != p.Masked() {
			t.Fatalf("parsePrefix(%q) = %v: not a valid masked prefix", s, p)
		}
		if p.Addr().Is4In6() {
			t.Fatalf("parsePrefix(%q) = %v: IPv4-mapped prefixes never match unmapped clients", s, p)
		}
	})
}
