package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/config"
)

func TestRoundRobinAndKeepAliveReuse(t *testing.T) {
	a := newLabelled(t, "a", nil)
	b := newLabelled(t, "b", nil)
	p := listenProxy("web", a.addr(), b.addr())
	h := start(t, cfgOf(p))
	c := h.dial()
	seen := map[string]int{}
	for i := 0; i < 10; i++ {
		resp, body := c.get("/x")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		seen[strings.TrimSpace(body)]++
		if resp.Close {
			t.Fatalf("response %d closes the client connection", i)
		}
	}
	if seen["backend a"] != 5 || seen["backend b"] != 5 {
		t.Fatalf("roundrobin spread %v, want 5/5", seen)
	}
	if n := a.conns.Load() + b.conns.Load(); n != 2 {
		t.Fatalf("server connections = %d, want 2 (pooled and reused)", n)
	}
	if h.e.Conns() != 1 {
		t.Fatalf("Conns = %d, want 1", h.e.Conns())
	}
}

func TestRoutingByACL(t *testing.T) {
	api := newLabelled(t, "api", nil)
	web := newLabelled(t, "web", nil)
	h := start(t, parseConfig(t, `
frontend fe
    bind 127.0.0.1:1
    option forwardfor
    acl is_api path_beg /api
    use_backend api if is_api
    default_backend web
backend api
    server s1 ${API}
backend web
    server s1 ${WEB}
`, map[string]string{"API": api.addr(), "WEB": web.addr()}))
	c := h.dial()
	if _, body := c.get("/api/v1"); body != "backend api\n" {
		t.Fatalf("/api/v1 went to %q", body)
	}
	if _, body := c.get("/other"); body != "backend web\n" {
		t.Fatalf("/other went to %q", body)
	}
	if got := web.header("X-Forwarded-For"); got != "127.0.0.1" {
		t.Fatalf("X-Forwarded-For = %q", got)
	}
}

func TestHeaderRulesAndAnswers(t *testing.T) {
	s := newLabelled(t, "s", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "secret")
		io.WriteString(w, "ok")
	})
	h := start(t, parseConfig(t, `
listen web
    bind 127.0.0.1:1
    server s1 ${S}
    acl deny path_beg /admin
    acl ret path_beg /health
    acl redir path_beg /old
    http-request set-header X-Set yes
    http-request del-header X-Drop
    http-request deny if deny
    http-request return status 200 content-type text/plain string alive if ret
    http-request redirect location /new code 301 if redir
    http-response del-header Server
`, map[string]string{"S": s.addr()}))
	c := h.dial()
	c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Drop: 1\r\n\r\n")
	resp, body := c.read("GET")
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	if s.header("X-Set") != "yes" || s.header("X-Drop") != "" {
		t.Fatalf("server saw X-Set=%q X-Drop=%q", s.header("X-Set"), s.header("X-Drop"))
	}
	if resp.Header.Get("Server") != "" {
		t.Fatalf("http-response del-header left Server=%q", resp.Header.Get("Server"))
	}
	resp, body = c.get("/health")
	if resp.StatusCode != 200 || body != "alive" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("return: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	resp, _ = c.get("/old")
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "/new" {
		t.Fatalf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = c.get("/admin")
	if resp.StatusCode != 403 {
		t.Fatalf("deny: %d", resp.StatusCode)
	}
	if n := s.reqs.Load(); n != 1 {
		t.Fatalf("server got %d requests, want 1", n)
	}
}

func TestPipelining(t *testing.T) {
	s := newLabelled(t, "s", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path)
	})
	h := start(t, cfgOf(listenProxy("web", s.addr())))
	c := h.dial()
	c.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
	for i := 1; i <= 3; i++ {
		_, body := c.read("GET")
		if body != "/"+strconv.Itoa(i) {
			t.Fatalf("response %d body %q", i, body)
		}
	}
}

func TestChunkedBothWays(t *testing.T) {
	s := newLabelled(t, "s", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b) // no Content-Length from a flushed write: chunked
		w.(http.Flusher).Flush()
		w.Write([]byte("-end"))
	})
	h := start(t, cfgOf(listenProxy("web", s.addr())))
	c := h.dial()
	for i := 0; i < 2; i++ {
		c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
		c.send("6\r\n world\r\n0\r\n\r\n")
		resp, body := c.read("POST")
		if body != "hello world-end" {
			t.Fatalf("body %q", body)
		}
		if len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
			t.Fatalf("response not chunked: %v", resp.TransferEncoding)
		}
	}
}

func TestContentLengthBodyStreamed(t *testing.T) {
	s := newLabelled(t, "s", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, strconv.Itoa(len(b)))
	})
	h := start(t, cfgOf(listenProxy("web", s.addr())))
	c := h.dial()
	body := strings.Repeat("x", 100000)
	c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + body)
	if _, got := c.read("POST"); got != "100000" {
		t.Fatalf("server read %s bytes", got)
	}
	_, got := c.get("/again")
	if got != "0" {
		t.Fatalf("next request: %q", got)
	}
}

func TestExpectContinue(t *testing.T) {
	s := newLabelled(t, "s", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body) // net/http sends 100 Continue on first read
		w.Write(b)
	})
	h := start(t, cfgOf(listenProxy("web", s.addr())))
	c := h.dial()
	c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	line, err := c.br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("interim line %q, %v", line, err)
	}
	if rest, _ := c.br.ReadString('\n'); rest != "\r\n" {
		t.Fatalf("100 response has extra %q", rest)
	}
	c.send("ping")
	resp, body := c.read("POST")
	if resp.StatusCode != 200 || body != "ping" {
		t.Fatalf("final %d %q", resp.StatusCode, body)
	}
}

func TestUpgradeTunnel(t *testing.T) {
	addr, _ := scripted(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		head, err := readHead(br)
		if err != nil || !strings.Contains(strings.ToLower(head), "upgrade: websocket") {
			return
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		io.Copy(c, br) // echo
	})
	h := start(t, cfgOf(listenProxy("web", addr)))
	c := h.dial()
	c.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	c.send("hello tunnel")
	buf := make([]byte, len("hello tunnel"))
	if _, err := io.ReadFull(c.br, buf); err != nil || string(buf) != "hello tunnel" {
		t.Fatalf("echo %q %v", buf, err)
	}
	c.c.(*net.TCPConn).CloseWrite()
	c.expectClosed()
}

func TestNoServer503(t *testing.T) {
	p := listenProxy("web")
	p.Servers = nil
	fe := &config.Proxy{Name: "fe", Kind: config.KindFrontend, Mode: config.ModeHTTP,
		Binds: []config.Bind{{Addr: ":80"}}, Timeouts: defaultTimeouts(), DefaultBackend: "empty"}
	h := start(t, cfgOf(fe, backendProxy("empty")))
	c := h.dial()
	if resp, _ := c.get("/"); resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
}

func TestInvalidResponse502(t *testing.T) {
	addr, _ := scripted(t, func(c net.Conn) {
		readHead(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 abc nonsense\r\n\r\n")
	})
	h := start(t, cfgOf(listenProxy("web", addr)))
	if resp, _ := h.dial().get("/"); resp.StatusCode != 502 {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
}

func TestServerTimeout504(t *testing.T) {
	release := make(chan struct{})
	addr, _ := scripted(t, func(c net.Conn) {
		readHead(bufio.NewReader(c))
		<-release
	})
	defer close(release)
	p := listenProxy("web", addr)
	p.Timeouts.Server = to(150 * time.Millisecond)
	p.HTTPLog, p.LogGlobal = true, true
	h := start(t, cfgOf(p))
	resp, _ := h.dial().get("/")
	if resp.StatusCode != 504 {
		t.Fatalf("status %d, want 504", resp.StatusCode)
	}
	waitFor(t, "log line", func() bool { return strings.Contains(h.log.String(), "sH--") })
}

func TestRetryRedispatchOnRefused(t *testing.T) {
	good := newLabelled(t, "good", nil)
	p := listenProxy("web", refusedAddr(t), good.addr())
	p.Redispatch = true
	p.Retries = 1
	h := start(t, cfgOf(p))
	c := h.dial()
	for i := 0; i < 4; i++ {
		resp, body := c.get("/")
		if resp.StatusCode != 200 || body != "backend good\n" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
}

func TestRefusedWithoutRedispatch503(t *testing.T) {
	p := listenProxy("web", refusedAddr(t))
	p.Retries = 2
	h := start(t, cfgOf(p))
	if resp, _ := h.dial().get("/"); resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
}

func TestPostNotRetriedAfterReachingServer(t *testing.T) {
	addr, n := scripted(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		readHead(br)
		// Read the body, then die without answering.
		buf := make([]byte, 4)
		io.ReadFull(br, buf)
	})
	p := listenProxy("web", addr)
	p.Redispatch = true
	h := start(t, cfgOf(p))
	c := h.dial()
	c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd")
	resp, _ := c.read("POST")
	if resp.StatusCode != 502 {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	if got := n.Load(); got != 1 {
		t.Fatalf("server saw %d connections, want 1 (no retry)", got)
	}
}

func TestStalePooledConnectionRetried(t *testing.T) {
	// The server answers one request per connection without saying
	// "Connection: close", then closes: the pooled connection is stale.
	addr, n := scripted(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := readHead(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	h := start(t, cfgOf(listenProxy("web", addr)))
	c := h.dial()
	for i := 0; i < 3; i++ {
		if resp, body := c.get("/"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		// Let the server's close reach the pooled connection.
		want := int64(i + 1)
		waitFor(t, "server conn", func() bool { return n.Load() >= want })
	}
}

func TestServerDiesMidBody(t *testing.T) {
	addr, _ := scripted(t, func(c net.Conn) {
		readHead(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
	})
	h := start(t, cfgOf(listenProxy("web", addr)))
	c := h.dial()
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("body read completed (%q): truncation not visible", b)
	}
	if string(b) != "partial" {
		t.Fatalf("got %q", b)
	}
}

func TestHTTPRequestTimeout408(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.Timeouts.HTTPRequest = to(100 * time.Millisecond)
	h := start(t, cfgOf(p))
	c := h.dial()
	c.send("GET / HTTP/1.1\r\nHost: x\r\n") // never finished
	resp, _ := c.read("GET")
	if resp.StatusCode != 408 {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	c.expectClosed()
}

func TestKeepAliveTimeoutClosesSilently(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.Timeouts.HTTPKeepAlive = to(100 * time.Millisecond)
	h := start(t, cfgOf(p))
	c := h.dial()
	c.get("/")
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := c.br.ReadByte(); err != io.EOF {
		t.Fatalf("after keep-alive timeout: %q %v, want EOF", b, err)
	}
}

func TestSoftStop(t *testing.T) {
	release := make(chan struct{})
	slow := newLabelled(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		io.WriteString(w, "done")
	})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // runs before the server's Close
	h := start(t, cfgOf(listenProxy("web", slow.addr())))
	idle := h.dial()
	idle.get("/") // now idle
	busy := h.dial()
	busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, "slow request at server", func() bool { return slow.reqs.Load() == 2 })
	silent := h.dial() // connected, never sends a byte
	waitFor(t, "three connections", func() bool { return h.e.Conns() == 3 })

	h.e.StopAccepting()
	h.e.SoftStop(50 * time.Millisecond)
	idle.expectClosed()
	// A connection never answered is not idle: its first request is
	// served, with Connection: close.
	if resp, body := silent.get("/"); body != "done" || !resp.Close {
		t.Fatalf("fresh connection after soft stop: %q close=%v, want done with Connection: close", body, resp.Close)
	}
	silent.expectClosed()
	select {
	case <-h.e.Done():
		t.Fatal("Done before the in-flight request finished")
	default:
	}
	unblock()
	resp, body := busy.read("GET")
	if body != "done" || !resp.Close {
		t.Fatalf("in-flight response %q close=%v, want done with Connection: close", body, resp.Close)
	}
	busy.expectClosed()
	select {
	case <-h.e.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the last connection")
	}
}

func TestMaxConnQueuesInKernel(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.MaxConn = 1
	h := start(t, cfgOf(p))
	first := h.dial()
	first.get("/")
	second := h.dial() // connects (kernel backlog) but is not accepted
	second.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	second.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := second.br.Peek(1); err == nil {
		t.Fatal("second client served while the first holds the only slot")
	}
	second.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	first.c.Close()
	resp, body := second.read("GET")
	if resp.StatusCode != 200 || body != "backend s\n" {
		t.Fatalf("second client: %d %q", resp.StatusCode, body)
	}
}

func TestParsedConfig(t *testing.T) {
	api := newLabelled(t, "api", nil)
	web := newLabelled(t, "web", nil)
	src := `
global
    maxconn 100

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    option forwardfor

frontend www
    bind 127.0.0.1:8080
    acl is_api path_beg /api
    http-request set-header X-Proxy baton
    use_backend api if is_api
    default_backend web

backend api
    server a1 ` + api.addr() + `

backend web
    server w1 ` + web.addr() + `
`
	cfg, err := config.Parse("test.cfg", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	h := start(t, cfg)
	c := h.dial()
	if _, body := c.get("/api/x"); body != "backend api\n" {
		t.Fatalf("/api/x -> %q", body)
	}
	if _, body := c.get("/"); body != "backend web\n" {
		t.Fatalf("/ -> %q", body)
	}
	if web.header("X-Proxy") != "baton" || web.header("X-Forwarded-For") != "127.0.0.1" {
		t.Fatalf("headers at server: X-Proxy=%q XFF=%q", web.header("X-Proxy"), web.header("X-Forwarded-For"))
	}
}

func TestClientAbortCancelsServerRequest(t *testing.T) {
	serverSawClose := make(chan struct{})
	addr, _ := scripted(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		readHead(br)
		// Never answer; report when the proxy gives up on us.
		if _, err := br.ReadByte(); err != nil {
			close(serverSawClose)
		}
	})
	h := start(t, cfgOf(listenProxy("web", addr)))
	c := h.dial()
	c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	c.c.Close()
	select {
	case <-serverSawClose:
	case <-time.After(5 * time.Second):
		t.Fatal("server connection not closed after the client left")
	}
}

func TestHTTP10KeepAlive(t *testing.T) {
	s := newLabelled(t, "s", nil)
	h := start(t, cfgOf(listenProxy("web", s.addr())))
	c := h.dial()
	for i := 0; i < 2; i++ {
		c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		resp, body := c.read("GET")
		if body != "backend s\n" || resp.Close {
			t.Fatalf("HTTP/1.0 keep-alive request %d: %q close=%v", i, body, resp.Close)
		}
	}
	c.send("GET / HTTP/1.0\r\n\r\n")
	if resp, _ := c.read("GET"); !resp.Close {
		t.Fatal("HTTP/1.0 request without keep-alive not closed")
	}
	c.expectClosed()
}

func TestHTTPServerCloseMode(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.KeepAlive = config.ServerClose
	h := start(t, cfgOf(p))
	c := h.dial()
	for i := 0; i < 3; i++ {
		if resp, _ := c.get("/"); resp.Close {
			t.Fatal("http-server-close closed the client side")
		}
	}
	if n := s.conns.Load(); n != 3 {
		t.Fatalf("server connections = %d, want 3 (one per request)", n)
	}
}

func TestHTTPCloseMode(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.KeepAlive = config.Close
	h := start(t, cfgOf(p))
	c := h.dial()
	if resp, _ := c.get("/"); !resp.Close {
		t.Fatal("httpclose response lacks Connection: close")
	}
	c.expectClosed()
}

func TestBadRequest400(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.HTTPLog, p.LogGlobal = true, true
	h := start(t, cfgOf(p))
	c := h.dial()
	c.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")
	if resp, _ := c.read("GET"); resp.StatusCode != 400 {
		t.Fatalf("status %d, want 400", resp.StatusCode)
	}
	c.expectClosed()
	waitFor(t, "log line", func() bool { return strings.Contains(h.log.String(), " 400 ") })
}

func TestHTTPLogLine(t *testing.T) {
	s := newLabelled(t, "s", nil)
	p := listenProxy("web", s.addr())
	p.HTTPLog, p.LogGlobal = true, true
	h := start(t, cfgOf(p))
	c := h.dial()
	c.get("/logged?q=1")
	waitFor(t, "log line", func() bool { return strings.Contains(h.log.String(), "/logged") })
	line := h.log.String()
	for _, want := range []string{"127.0.0.1:", " web web/s1 ", " 200 ", " ---- ", `"GET /logged?q=1 HTTP/1.1"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
}

func TestGlobalMaxConn(t *testing.T) {
	s := newLabelled(t, "s", nil)
	cfg := cfgOf(listenProxy("web", s.addr()))
	cfg.Global.MaxConn = 1
	h := start(t, cfg)
	first := h.dial()
	first.get("/")
	second := h.dial()
	second.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	second.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := second.br.Peek(1); err == nil {
		t.Fatal("second client served beyond global maxconn")
	}
	second.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	first.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	first.read("GET")
	if resp, _ := second.read("GET"); resp.StatusCode != 200 {
		t.Fatalf("second client: %d", resp.StatusCode)
	}
}

func TestDeniedUploadGetsAnswer(t *testing.T) {
	// A body the proxy never reads must not turn the close after the 403
	// into a reset that destroys the answer before the client reads it:
	// the client here sends its whole body first, then reads.
	s := newLabelled(t, "s", nil)
	h := start(t, parseConfig(t, "listen web\n bind 127.0.0.1:1\n server s1 ${S}\n http-request deny\n", map[string]string{"S": s.addr()}))
	for i := 0; i < 3; i++ {
		c := h.dial()
		const size = 512 << 10
		// Head and the first part of the body together: the proxy
		// closes with body bytes still unread in its socket.
		c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n" + strings.Repeat("x", 64<<10))
		if _, err := c.c.Write(make([]byte, size-64<<10)); err != nil {
			t.Fatalf("sending the body: %v", err)
		}
		resp, _ := c.read("POST")
		if resp.StatusCode != 403 || !resp.Close {
			t.Fatalf("status %d close=%v, want 403 with close", resp.StatusCode, resp.Close)
		}
		c.c.Close()
	}
}

func TestTunnelSurvivesSoftStop(t *testing.T) {
	addr, _ := scripted(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := readHead(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		io.Copy(c, br)
	})
	h := start(t, cfgOf(listenProxy("web", addr)))
	c := h.dial()
	c.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	if resp, err := http.ReadResponse(c.br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v", err)
	}
	h.e.SoftStop(10 * time.Millisecond)
	c.send("still here")
	buf := make([]byte, len("still here"))
	if _, err := io.ReadFull(c.br, buf); err != nil {
		t.Fatalf("tunnel cut by soft stop: %v", err)
	}
	select {
	case <-h.e.Done():
		t.Fatal("Done while a tunnel is open")
	default:
	}
	c.c.Close()
	select {
	case <-h.e.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the tunnel ended")
	}
}

func TestPipelinedAfterStreamedChunkedBody(t *testing.T) {
	s := newLabelled(t, "s", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.URL.Path+":"+strconv.Itoa(len(b)))
	})
	p := listenProxy("web", s.addr())
	p.HTTPLog, p.LogGlobal = true, true
	h := start(t, cfgOf(p))
	defer func() { t.Log(h.log.String()) }()
	c := h.dial()
	big := strings.Repeat("y", 40000) // larger than the buffer: the body is streamed
	c.send("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	c.send(strconv.FormatInt(int64(len(big)), 16) + "\r\n" + big + "\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, body := c.read("POST"); body != "/a:40000" {
		t.Fatalf("first: %q", body)
	}
	if _, body := c.read("GET"); body != "/b:0" {
		t.Fatalf("pipelined after the body: %q", body)
	}
}

// A server's slot is free before its client sees the response, so the
// client's next request already counts it as free: with leastconn and one
// server held busy, every later request goes to the other server. (The
// slot used to be released after the last write to the client, and a
// quick next request saw both servers busy and tied.)
func TestServerSlotFreeBeforeClientSeesResponse(t *testing.T) {
	release := make(chan struct{})
	hold := func(label string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hold" {
				<-release
			}
			w.Header().Set("X-Backend", label)
			io.WriteString(w, "backend "+label+"\n")
		}
	}
	a := newLabelled(t, "a", hold("a"))
	b := newLabelled(t, "b", hold("b"))
	t.Cleanup(func() { close(release) }) // before the servers' Close waits for it
	p := listenProxy("web", a.addr(), b.addr())
	p.Balance = config.LeastConn
	h := start(t, cfgOf(p))

	held := h.dial()
	held.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, "the held request reaching a server", func() bool { return a.reqs.Load()+b.reqs.Load() == 1 })
	busy, idle := "backend a", "backend b"
	if b.reqs.Load() == 1 {
		busy, idle = idle, busy
	}
	for i := range 50 {
		c := h.dial()
		_, body := c.get("/probe")
		if got := strings.TrimSpace(body); got != idle {
			t.Fatalf("probe %d answered by %q while %q is busy, want %q", i, got, busy, idle)
		}
		c.c.Close()
	}
}

// A request that cannot be retried (a POST) is not sent on a pooled
// connection the server already closed: the pool probes it first, and
// the request goes out on a new connection.
func TestPostAvoidsStalePooledConnection(t *testing.T) {
	var closed atomic.Int64
	addr, _ := scripted(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := readHead(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		c.Close() // on loopback the FIN is queued on the peer when Close returns
		closed.Add(1)
	})
	h := start(t, cfgOf(listenProxy("web", addr)))
	c := h.dial()
	if resp, body := c.get("/"); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("GET: %d %q", resp.StatusCode, body)
	}
	waitFor(t, "server closing the pooled connection", func() bool { return closed.Load() >= 1 })
	c.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	if resp, body := c.read("POST"); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("POST: %d %q, want it sent on a new connection", resp.StatusCode, body)
	}
}

// A server that sends bytes after a complete response (here, a body
// after its answer to HEAD) leaves its connection unusable: the next
// request, even a retryable GET, must not read those bytes as its
// response. The pool's liveness probe finds them and drops the
// connection.
func TestPooledConnectionWithTrailingBytesNotReused(t *testing.T) {
	// The junk is sent once the HEAD answer reached the client, so it
	// arrives while the connection sits in the pool (on loopback it is
	// queued at the proxy's socket when Write returns).
	junkNow, junkSent := make(chan struct{}), make(chan struct{})
	addr, _ := scripted(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			head, err := readHead(br)
			if err != nil {
				return
			}
			if strings.HasPrefix(head, "HEAD ") {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
				<-junkNow
				io.WriteString(c, "junk!") // not part of any response
				close(junkSent)
				continue
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	h := start(t, cfgOf(listenProxy("web", addr)))
	c := h.dial()
	c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := c.read("HEAD"); resp.StatusCode != 200 {
		t.Fatalf("HEAD: %d", resp.StatusCode)
	}
	close(junkNow)
	<-junkSent
	for i := range 3 {
		if resp, body := c.get("/"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("GET %d after the junk: %d %q", i, resp.StatusCode, body)
		}
	}
}
