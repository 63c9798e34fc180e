package persist

import (
	"strings"
	"testing"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/h1"
)

func compile(t testing.TB, line string) (*Cookie, *backend.Backend) {
	t.Helper()
	src := "defaults\n mode http\n timeout connect 1s\n timeout client 1s\n timeout server 1s\nbackend app\n " + line +
		"\n dynamic-cookie-key MYKEY\n server s1 127.0.0.1:18421 cookie c1\n server s2 127.0.0.1:18422 cookie c2\n server s3 127.0.0.1:18423\n"
	cfg, err := config.Parse("t.cfg", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Proxies[0]
	return New(p), backend.New(p)
}

func request(t testing.TB, hdrs ...string) *h1.Request {
	t.Helper()
	raw := "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Join(hdrs, "\r\n")
	if len(hdrs) > 0 {
		raw += "\r\n"
	}
	var r h1.Request
	if err := h1.ParseRequest([]byte(raw+"\r\n"), &r, &h1.Limits{}); err != nil {
		t.Fatal(err)
	}
	return &r
}

func cookies(r *h1.Request) string {
	var out []string
	for _, h := range r.Headers {
		if strings.EqualFold(string(h.Name), "cookie") {
			out = append(out, string(h.Value))
		}
	}
	return strings.Join(out, " | ")
}

func TestRequest(t *testing.T) {
	for _, tt := range []struct {
		line, cookie string
		val          string
		found        bool
		left         string
	}{
		{"cookie SRV insert indirect", "a=1; SRV=c2; b=2", "c2", true, "a=1; b=2"},
		{"cookie SRV insert indirect", "SRV=c2", "c2", true, ""},
		{"cookie SRV insert indirect", "SRV=c1;x=y", "c1", true, "x=y"},
		{"cookie SRV insert indirect", "x=y; SRV=c1", "c1", true, "x=y"},
		{"cookie SRV insert", "x=y; SRV=c1", "c1", true, "x=y; SRV=c1"},
		{"cookie SRV insert indirect", "SRVX=c1; y=2", "", false, "SRVX=c1; y=2"},
		{"cookie J prefix", "J=c2~abc; t=1", "c2", true, "J=abc; t=1"},
		{"cookie J prefix", "J=abc", "", false, "J=abc"},
		{"cookie SRV rewrite", "SRV=c1", "c1", true, "SRV=c1"},
	} {
		k, _ := compile(t, tt.line)
		r := request(t, "Cookie: "+tt.cookie)
		val, _, found, _ := k.Request(r, nil, 0)
		if string(val) != tt.val || found != tt.found || cookies(r) != tt.left {
			t.Errorf("%s with %q: %q %v, left %q; want %q %v, left %q", tt.line, tt.cookie, val, found, cookies(r), tt.val, tt.found, tt.left)
		}
	}
}

func TestServerValues(t *testing.T) {
	k, b := compile(t, "cookie DYN insert dynamic")
	// HAProxy 2.6's values for key MYKEY at 127.0.0.1:18421 and :18422
	// (the first two have a static value, which wins).
	if got := string(k.ServerValue(nil, b.Servers[0])); got != "c1" {
		t.Errorf("static value %q", got)
	}
	if got := string(k.ServerValue(nil, b.Servers[2])); len(got) != 16 {
		t.Errorf("dynamic value %q", got)
	}
	k2, b2 := compile(t, "cookie DYN insert dynamic")
	b2.Servers[0].Config = &config.Server{Name: "x"}
	if got := string(k2.ServerValue(nil, b2.Servers[0])); got != "2c6b64a1d702b459" {
		t.Errorf("dynamic value of 127.0.0.1:18421: %q, want HAProxy's 2c6b64a1d702b459", got)
	}
	if s := k.Server(b, []byte("c2"), nil); s != b.Servers[1] {
		t.Errorf("server of c2: %v", s)
	}
}

func TestResponse(t *testing.T) {
	parse := func(raw string) *h1.Response {
		var r h1.Response
		if err := h1.ParseResponse([]byte(raw), &r, false, &h1.Limits{}); err != nil {
			t.Fatal(err)
		}
		return &r
	}
	dump := func(r *h1.Response) string {
		var out []string
		for _, h := range r.Headers {
			out = append(out, string(h.Name)+": "+string(h.Value))
		}
		return strings.Join(out, "\n")
	}
	for _, tt := range []struct {
		line, resp string
		had        int // index of the server the cookie named, -1 none
		post       bool
		want       string
	}{
		{"cookie SRV insert nocache httponly", "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 0\r\n\r\n", -1, false,
			"Cache-Control: max-age=60\nContent-Length: 0\nSet-Cookie: SRV=c1; path=/; HttpOnly\nCache-control: private"},
		{"cookie SRV insert nocache", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", -1, false, "Content-Length: 0\nSet-Cookie: SRV=c1; path=/"},
		{"cookie SRV insert", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, false, "Content-Length: 0"},
		{"cookie SRV insert", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1, false, "Content-Length: 0\nSet-Cookie: SRV=c1; path=/"},
		{"cookie SRV insert postonly", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", -1, false, "Content-Length: 0"},
		{"cookie SRV insert postonly", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", -1, true, "Content-Length: 0\nSet-Cookie: SRV=c1; path=/"},
		{"cookie SRV insert", "HTTP/1.1 200 OK\r\nSet-Cookie: SRV=mine\r\nContent-Length: 0\r\n\r\n", -1, false, "Content-Length: 0\nSet-Cookie: SRV=c1; path=/"},
		{"cookie SRV insert preserve", "HTTP/1.1 200 OK\r\nSet-Cookie: SRV=mine\r\nContent-Length: 0\r\n\r\n", -1, false, "Set-Cookie: SRV=mine\nContent-Length: 0"},
		{"cookie SRV rewrite", "HTTP/1.1 200 OK\r\nSet-Cookie: SRV=mine; path=/x\r\nContent-Length: 0\r\n\r\n", -1, false, "Set-Cookie: SRV=c1; path=/x\nContent-Length: 0"},
		{"cookie J prefix", "HTTP/1.1 200 OK\r\nSet-Cookie: J=abc; path=/\r\nSet-Cookie: K=1\r\nContent-Length: 0\r\n\r\n", -1, false, "Set-Cookie: J=c1~abc; path=/\nSet-Cookie: K=1\nContent-Length: 0"},
	} {
		k, b := compile(t, tt.line)
		var had *backend.Server
		if tt.had >= 0 {
			had = b.Servers[tt.had]
		}
		r := parse(tt.resp)
		k.Response(r, b.Servers[0], had, Dates{}, 0, tt.post, true, nil)
		if got := dump(r); got != tt.want {
			t.Errorf("%s, %q:\n%s\nwant\n%s", tt.line, tt.resp, got, tt.want)
		}
	}
}

// FuzzRequest: any Cookie header leaves a request whose persistence
// cookie, if it was removed, is gone, and never panics.
func FuzzRequest(f *testing.F) {
	f.Add("a=1; SRV=c2; b=2")
	f.Add("SRV=c1;;SRV=c2 ;  ")
	f.Add("J=c1~x")
	k, _ := compile(f, "cookie SRV insert indirect")
	kp, _ := compile(f, "cookie J prefix")
	f.Fuzz(func(t *testing.T, v string) {
		var r h1.Request
		if h1.ParseRequest([]byte("GET / HTTP/1.1\r\nHost: h\r\nCookie: "+v+"\r\n\r\n"), &r, &h1.Limits{}) != nil {
			return // not a request the proxy would see
		}
		k.Request(&r, nil, 0)
		if _, _, _, _, ok := findPair([]byte(cookies(&r)), "SRV"); ok {
			t.Fatalf("%q left %q", v, cookies(&r))
		}
		var r2 h1.Request
		h1.ParseRequest([]byte("GET / HTTP/1.1\r\nHost: h\r\nCookie: "+v+"\r\n\r\n"), &r2, &h1.Limits{})
		kp.Request(&r2, nil, 0)
	})
}
