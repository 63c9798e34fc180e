package cache

import (
	"strings"
	"testing"
	"time"

	"baton/internal/h1"
)

func request(t *testing.T, raw string) *h1.Request {
	t.Helper()
	var r h1.Request
	if err := h1.ParseRequest([]byte(raw+"\r\n"), &r, &h1.Limits{}); err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	return &r
}

func response(t *testing.T, raw string) *h1.Response {
	t.Helper()
	var r h1.Response
	if err := h1.ParseResponse([]byte(raw+"\r\n"), &r, true, &h1.Limits{}); err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	return &r
}

func TestParseDirectives(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Directives
	}{
		{"max-age=60", Directives{MaxAge: 60, SMaxAge: -1, MinFresh: -1}},
		{`public, s-maxage="30", max-age=5`, Directives{Public: true, MaxAge: 5, SMaxAge: 30, MinFresh: -1}},
		{"No-Store, PRIVATE", Directives{NoStore: true, Private: true, MaxAge: -1, SMaxAge: -1, MinFresh: -1}},
		{`no-cache="set-cookie, x", must-revalidate`, Directives{NoCacheFields: true, MustRevalidate: true, MaxAge: -1, SMaxAge: -1, MinFresh: -1}},
		{"no-cache", Directives{NoCache: true, MaxAge: -1, SMaxAge: -1, MinFresh: -1}},
		{"max-age=3600.5", Directives{MaxAge: 3600, SMaxAge: -1, MinFresh: -1}},
		{"max-age=abc", Directives{Bad: true, MaxAge: -1, SMaxAge: -1, MinFresh: -1}},
		{"max-age", Directives{Bad: true, MaxAge: -1, SMaxAge: -1, MinFresh: -1}},
		{"max-age=99999999999999999999", Directives{MaxAge: 1 << 31, SMaxAge: -1, MinFresh: -1}},
		{"min-fresh=20, unknown=\"a,b\"", Directives{MaxAge: -1, SMaxAge: -1, MinFresh: 20}},
		{`private="x", max-age=1`, Directives{MaxAge: 1, SMaxAge: -1, MinFresh: -1}},
	} {
		var d Directives
		d.Reset()
		d.Parse([]byte(tt.in))
		if d != tt.want {
			t.Errorf("%q: %+v, want %+v", tt.in, d, tt.want)
		}
	}
}

func TestRequestPolicy(t *testing.T) {
	for _, tt := range []struct {
		req  string
		want Lookup
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\n", Lookup{Use: true, Store: true, MaxAge: -1, MinFresh: -1}},
		{"HEAD / HTTP/1.1\r\nHost: a\r\n", Lookup{Use: true, MaxAge: -1, MinFresh: -1}},
		{"GET / HTTP/1.0\r\nHost: a\r\n", Lookup{}},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n", Lookup{Invalidate: true}},
		{"DELETE / HTTP/1.1\r\nHost: a\r\n", Lookup{Invalidate: true}},
		{"OPTIONS / HTTP/1.1\r\nHost: a\r\n", Lookup{}},
		{"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: x\r\n", Lookup{Store: true, Authorized: true, MaxAge: -1, MinFresh: -1}},
		{"GET / HTTP/1.1\r\nHost: a\r\nCache-Control: no-cache\r\n", Lookup{Store: true, MaxAge: -1, MinFresh: -1}},
		{"GET / HTTP/1.1\r\nHost: a\r\nCache-Control: max-age=0\r\n", Lookup{Store: true, MaxAge: 0, MinFresh: -1}},
		{"GET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\n", Lookup{Store: true, MaxAge: -1, MinFresh: -1}},
		{"GET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\nCache-Control: max-age=5\r\n", Lookup{Use: true, Store: true, MaxAge: 5, MinFresh: -1}},
		{"GET / HTTP/1.1\r\nHost: a\r\nCache-Control: no-store, min-fresh=3\r\n", Lookup{Use: true, MaxAge: -1, MinFresh: 3}},
	} {
		if got := RequestPolicy(request(t, tt.req)); got != tt.want {
			t.Errorf("%q: %+v, want %+v", tt.req, got, tt.want)
		}
	}
	if k := AppendKey(nil, request(t, "GET /p?q=1 HTTP/1.1\r\nHost: ex.com\r\n")); string(k) != "https://ex.com/p?q=1" {
		t.Errorf("key %q", k)
	}
	if k := AppendKey(nil, request(t, "GET http://ex.com/p HTTP/1.1\r\nHost: ex.com\r\n")); string(k) != "http://ex.com/p" {
		t.Errorf("absolute key %q", k)
	}
}

func TestResponsePolicy(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	sec := &Section{MaxAge: 60 * time.Second, ProcessVary: true}
	noVary := &Section{MaxAge: 60 * time.Second}
	for _, tt := range []struct {
		resp string
		sec  *Section
		ttl  time.Duration // 0: not stored
		vary int
	}{
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\n", sec, 30 * time.Second, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=300\r\n", sec, 60 * time.Second, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=300, s-maxage=10\r\n", sec, 10 * time.Second, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nAge: 10\r\n", sec, 20 * time.Second, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=5\r\nAge: 10\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nAge: 1, 2\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nAge: 1\r\nAge: 1\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nExpires: Mon, 01 Jan 2024 00:00:20 GMT\r\n", sec, 20 * time.Second, 0},
		{"HTTP/1.1 200 OK\r\nExpires: Sun, 31 Dec 2023 00:00:00 GMT\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nExpires: garbage\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nETag: \"x\"\r\n", sec, 60 * time.Second, 0},
		{"HTTP/1.1 200 OK\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n", sec, 60 * time.Second, 0},
		{"HTTP/1.1 200 OK\r\n", sec, 0, 0},
		{"HTTP/1.1 404 Not Found\r\nCache-Control: max-age=30\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30, no-store\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: private, max-age=30\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: no-cache, max-age=30\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: s-maxage=0, max-age=30\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nPragma: no-cache\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nSet-Cookie: a=b\r\n", sec, 30 * time.Second, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nVary: Accept-Encoding\r\n", sec, 30 * time.Second, VaryAcceptEncoding},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nVary: accept-encoding,Referer\r\n", sec, 30 * time.Second, VaryAcceptEncoding | VaryReferer},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nVary: Accept-Encoding\r\n", noVary, 0, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nVary: User-Agent\r\n", sec, 0, 0},
		{"HTTP/1.1 200 OK\r\nCache-Control: max-age=30\r\nVary: *\r\n", sec, 0, 0},
	} {
		f, ok := ResponsePolicy(tt.sec, response(t, tt.resp), now)
		if ok != (tt.ttl > 0) || ok && (f.TTL != tt.ttl || f.Vary != tt.vary) {
			t.Errorf("%q: %+v %v, want ttl %v vary %d", tt.resp, f, ok, tt.ttl, tt.vary)
		}
	}
}

func TestVariantsAndConditionals(t *testing.T) {
	gz := ResponseVariant(Freshness{Vary: VaryAcceptEncoding}, request(t, "GET / HTTP/1.1\r\nHost: a\r\n"),
		response(t, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"))
	plain := Variant{Vary: VaryAcceptEncoding}
	for _, tt := range []struct {
		v    Variant
		ae   string // "" no field
		want bool
	}{
		{gz, "gzip", true}, {gz, "deflate, GZIP;q=0.5", true}, {gz, "br", false}, {gz, "gzip;q=0", false},
		{gz, "*", true}, {gz, "", true},
		{plain, "gzip", true}, {plain, "identity;q=0", false}, {plain, "*;q=0", false}, {plain, "*;q=0, identity", true},
	} {
		raw := "GET / HTTP/1.1\r\nHost: a\r\n"
		if tt.ae != "" {
			raw += "Accept-Encoding: " + tt.ae + "\r\n"
		}
		if got := Matches(tt.v, request(t, raw)); got != tt.want {
			t.Errorf("%+v with %q: %v", tt.v, tt.ae, got)
		}
	}
	ref := ResponseVariant(Freshness{Vary: VaryReferer}, request(t, "GET / HTTP/1.1\r\nHost: a\r\nReferer: x\r\n"), response(t, "HTTP/1.1 200 OK\r\n"))
	if !Matches(ref, request(t, "GET / HTTP/1.1\r\nHost: a\r\nReferer: x\r\n")) || Matches(ref, request(t, "GET / HTTP/1.1\r\nHost: a\r\nReferer: y\r\n")) {
		t.Error("Referer variants")
	}

	stored := response(t, "HTTP/1.1 200 OK\r\nETag: W/\"v1\"\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n")
	for _, tt := range []struct {
		cond string
		want bool
	}{
		{`If-None-Match: "v1"`, true}, {`If-None-Match: "a", W/"v1"`, true}, {`If-None-Match: *`, true},
		{`If-None-Match: "v2"`, false},
		{"If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT", true}, {"If-Modified-Since: Sun, 31 Dec 2023 00:00:00 GMT", false},
		{"If-Modified-Since: bad", false}, {"X: y", false},
	} {
		if got := NotModified(request(t, "GET / HTTP/1.1\r\nHost: a\r\n"+tt.cond+"\r\n"), stored); got != tt.want {
			t.Errorf("%q: %v", tt.cond, got)
		}
	}
	e := Entry{Stored: time.Now().Add(-3 * time.Second).UnixMilli(), Age: 10}
	if a := AgeOf(&e, time.Now()); a != 13 {
		t.Errorf("age %d, want 13", a)
	}
}

func TestOmitted(t *testing.T) {
	r := response(t, "HTTP/1.1 200 OK\r\nCache-Control: max-age=5, no-cache=\"A, b\"\r\nCache-Control: private=c\r\nA: 1\r\n")
	for name, want := range map[string]bool{"a": true, "B": true, "c": true, "d": false, "max-age": false} {
		if Omitted(r, []byte(name)) != want {
			t.Errorf("%s: %v", name, !want)
		}
	}
}

func TestDechunk(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"5\r\nhello\r\n0\r\n\r\n", "hello"},
		{"3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n", "abc0123456789"},
	} {
		got, ok := Dechunk([]byte(tt.in))
		if !ok || string(got) != tt.want {
			t.Errorf("%q: %q %v", tt.in, got, ok)
		}
	}
	for _, bad := range []string{"5\r\nhel", "x\r\n", "5\r\nhelloXX0\r\n\r\n", ""} {
		if _, ok := Dechunk([]byte(bad)); ok {
			t.Errorf("%q decoded", bad)
		}
	}
}

func FuzzCacheControl(f *testing.F) {
	for _, s := range []string{"max-age=60", `no-cache="set-cookie", s-maxage="10"`, "private,,public", `a="\"`, "min-fresh=1a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d Directives
		d.Reset()
		d.Parse([]byte(s))
		if d.MaxAge < -1 || d.SMaxAge < -1 || d.MinFresh < -1 || d.MaxAge > 1<<31 {
			t.Fatalf("%q: %+v", s, d)
		}
		if !strings.Contains(strings.ToLower(s), "no-store") && d.NoStore {
			t.Fatalf("%q: no-store from nowhere", s)
		}
		sig, _ := varySignature([]byte(s))
		if sig&^(VaryAcceptEncoding|VaryReferer) != 0 {
			t.Fatalf("%q: signature %d", s, sig)
		}
		Dechunk([]byte(s))
		accepts([]byte(s), Hash([]byte("gzip")))
	})
}

func TestAppendLocationKey(t *testing.T) {
	req := request(t, "POST /a/b?x=1 HTTP/1.1\r\nHost: ex.com\r\nContent-Length: 0\r\n")
	for _, tt := range []struct {
		loc, want string
		ok        bool
	}{
		{"/c", "https://ex.com/c", true},
		{"c?d=2", "https://ex.com/a/c?d=2", true},
		{"http://EX.com/e", "https://ex.com/e", true},
		{"https://other.com/e", "", false},
	} {
		k, ok := AppendLocationKey(nil, req, []byte(tt.loc))
		if ok != tt.ok || ok && string(k) != tt.want {
			t.Errorf("%q: %q %v, want %q %v", tt.loc, k, ok, tt.want, tt.ok)
		}
	}
}
