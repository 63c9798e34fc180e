package e2e_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// app is a frontend and backend around one relayed sample server, with
// opts added to the defaults section.
func app(opts string) string {
	return base + opts + `
frontend fe
    bind ${FE}
    default_backend app

backend app
    server r1 ${R1}
`
}

// keepsAlive asserts r does not announce a close.
func keepsAlive(t *testing.T, what string, r *harness.Response) {
	t.Helper()
	if r.Status != 200 {
		t.Errorf("%s: status %d\n%s", what, r.Status, r)
	}
	if r.HasToken("Connection", "close") {
		t.Errorf("%s: response has Connection: close, want the connection kept alive\n%s", what, r.Head)
	}
}

func TestConnections(t *testing.T) {
	run(t, []scenario{
		{
			name: "hop-by-hop-headers-removed",
			cfg:  app(""),
			requests: []req{
				{
					path: "/headers",
					headers: []string{
						"Connection: Foo, keep-alive",
						"Foo: bar",
						"Keep-Alive: timeout=5",
						"Proxy-Connection: keep-alive",
						"TE: trailers",
						"X-End-To-End: kept",
					},
					status: 200, backend: "r1",
					seen: []string{"!Foo", "!Keep-Alive", "!Proxy-Connection", "!TE", "X-End-To-End: kept"},
				},
			},
			haproxyDiffers: "HAProxy 2.6 forwards Keep-Alive, Proxy-Connection, TE and the fields named in Connection " +
				"(it only drops the keep-alive/close tokens); Baton removes hop-by-hop fields as RFC 9110 7.6.1 requires",
		},
		{
			name: "hop-by-hop-response-headers-removed",
			cfg: base + `
frontend fe
    bind ${FE}
    default_backend app

backend app
    server o ${O1}
`,
			origins: map[string]func(net.Conn){"O1": harness.Answer("HTTP/1.1 200 OK\r\n" +
				"Content-Length: 2\r\nConnection: X-Foo\r\nX-Foo: bar\r\nKeep-Alive: timeout=5\r\nX-Kept: yes\r\n\r\nok")},
			requests: []req{
				{status: 200, hdrs: []string{"!X-Foo", "!Keep-Alive", "X-Kept: yes"}, bodyIs: ptr("ok")},
			},
			haproxyDiffers: "HAProxy 2.6 forwards response fields named in Connection and Keep-Alive",
		},
		{
			name: "option-http-keep-alive",
			cfg:  app("    option http-keep-alive\n"),
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				c.Send(harness.Request("GET", "/a") + "\r\n")
				keepsAlive(e.t, "first request", c.Read("GET"))
				c.Send(harness.Request("GET", "/b") + "\r\n")
				r := c.Read("GET")
				keepsAlive(e.t, "second request", r)
				if r.Get("X-Request-Path") != "/b" {
					e.t.Errorf("second response is for %q, want /b", r.Get("X-Request-Path"))
				}
				if n := e.origins["R1"].Accepted(); n != 1 {
					e.t.Errorf("proxy opened %d server connections for 2 requests of one client, want 1 (reused)", n)
				}
			},
		},
		{
			name: "keep-alive-is-the-default",
			cfg:  app(""),
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				for i := range 3 {
					c.Send(harness.Request("GET", "/") + "\r\n")
					keepsAlive(e.t, "request "+string(rune('1'+i)), c.Read("GET"))
				}
			},
		},
		{
			name: "option-httpclose",
			cfg:  app("    option httpclose\n"),
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				c.Send(harness.Request("GET", "/") + "\r\n")
				r := c.Read("GET")
				if r.Status != 200 || !r.HasToken("Connection", "close") {
					e.t.Errorf("response lacks Connection: close\n%s", r.Head)
				}
				if closed, extra := c.Closed(5 * time.Second); !closed {
					e.t.Errorf("proxy kept the client connection open after httpclose (read %q)", extra)
				}
			},
		},
		{
			name: "option-http-server-close",
			cfg:  app("    option http-server-close\n"),
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				for _, p := range []string{"/a", "/b", "/c"} {
					c.Send(harness.Request("GET", p) + "\r\n")
					keepsAlive(e.t, "GET "+p, c.Read("GET"))
				}
				if n := e.origins["R1"].Accepted(); n != 3 {
					e.t.Errorf("proxy opened %d server connections for 3 requests, want 3 (one per request)", n)
				}
			},
		},
		{
			name: "http10-client-closed",
			cfg:  app(""),
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				c.Send("GET / HTTP/1.0\r\nHost: test.local\r\n\r\n")
				r := c.Read("GET")
				if r.Status != 200 || r.HasToken("Connection", "keep-alive") {
					e.t.Errorf("HTTP/1.0 without keep-alive:\n%s", r.Head)
				}
				if closed, _ := c.Closed(5 * time.Second); !closed {
					e.t.Errorf("proxy kept an HTTP/1.0 connection open")
				}
			},
		},
		{
			name: "pipelining",
			cfg:  app(""),
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				c.Send(harness.Request("GET", "/slow?ms=200") + "\r\n" +
					harness.Request("GET", "/p2") + "\r\n" +
					harness.Request("HEAD", "/p3") + "\r\n")
				for _, want := range []string{"/slow", "/p2", "/p3"} {
					method := "GET"
					if want == "/p3" {
						method = "HEAD"
					}
					r := c.Read(method)
					if r.Status != 200 || r.Get("X-Request-Path") != want {
						e.t.Errorf("pipelined response for %q (status %d), want %q in order", r.Get("X-Request-Path"), r.Status, want)
					}
				}
			},
		},
		{
			name: "chunked-request-body",
			cfg:  app(""),
			requests: []req{
				{
					raw:    harness.Request("POST", "/echo", "Transfer-Encoding: chunked") + "\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
					status: 200, backend: "r1", bodyIs: ptr("hello world"),
				},
			},
		},
		{
			name: "large-bodies-both-ways",
			cfg:  app(""),
			check: func(e *env) {
				body := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
				c := harness.Dial(e.t, e.fe())
				go func() {
					c.Write([]byte(harness.Request("POST", "/echo", "Content-Length: 1048576") + "\r\n" + body))
				}()
				r := c.Read("POST")
				if r.Status != 200 || string(r.Body) != body {
					e.t.Errorf("1 MiB echo: status %d, %d bytes back, equal %v", r.Status, len(r.Body), string(r.Body) == body)
				}
				c.Send(harness.Request("GET", "/size?bytes=3000000") + "\r\n")
				if r := c.Read("GET"); r.Status != 200 || len(r.Body) != 3000000 {
					e.t.Errorf("3 MB download: status %d, %d bytes", r.Status, len(r.Body))
				}
			},
		},
		{
			name: "expect-100-continue",
			cfg:  app(""),
			check: func(e *env) {
				c := harness.Dial(e.t, e.fe())
				// "/" reads the body before answering; /echo answers at
				// once, which HAProxy 2.6 does not always forward.
				c.Send(harness.Request("POST", "/", "Content-Length: 5", "Expect: 100-continue") + "\r\n")
				r := c.Read("POST")
				if r.Status != 100 {
					e.t.Fatalf("got %d before sending the body, want 100 Continue\n%s", r.Status, r)
				}
				c.Send("hello")
				r = c.Read("POST")
				if r.Status != 200 || r.Get("X-Backend") != "r1" {
					e.t.Errorf("upload after 100: status %d\n%s", r.Status, r)
				}
			},
		},
		{
			name: "upgrade-websocket-tunnel",
			cfg: base + `
frontend fe
    bind ${FE}
    default_backend ws

backend ws
    server w ${O1}
`,
			origins: map[string]func(net.Conn){"O1": harness.WebSocketEcho},
			check: func(e *env) {
				upgradeEcho(e, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13")
			},
		},
		{
			name: "upgrade-without-websocket-key",
			cfg:  app(""),
			check: func(e *env) {
				upgradeEcho(e)
			},
			haproxyDiffers: "HAProxy 2.6 validates WebSocket handshakes: 400 without Sec-WebSocket-Key, " +
				"502 when the 101 lacks Sec-WebSocket-Accept (the sample server sends none); Baton tunnels any 101",
		},
	})
}

// upgradeEcho asks for a WebSocket upgrade with extra header lines, expects
// 101, then checks that bytes go through the tunnel both ways.
func upgradeEcho(e *env, extra ...string) {
	e.t.Helper()
	c := harness.Dial(e.t, e.fe())
	h := append([]string{"Connection: Upgrade", "Upgrade: websocket"}, extra...)
	c.Send(harness.Request("GET", "/upgrade", h...) + "\r\n")
	r := c.Read("GET")
	if r.Status != 101 || !strings.EqualFold(r.Get("Upgrade"), "websocket") {
		e.t.Fatalf("upgrade: want 101 with Upgrade: websocket\n%s", r.Head)
	}
	for _, msg := range []string{"ping", strings.Repeat("x", 100000)} {
		c.Send(msg)
		if got := c.ReadN(len(msg)); got != msg {
			e.t.Errorf("tunnel echoed %d bytes that differ from what was sent", len(got))
		}
	}
}
