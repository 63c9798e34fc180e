package sample

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T, label string) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", label)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dial(t *testing.T, s *Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func readResp(t *testing.T, br *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp, string(body)
}

func TestPaths(t *testing.T) {
	s := start(t, "a")
	client := &http.Client{Timeout: 10 * time.Second}
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		wantStatus int
		wantBody   string
	}{
		{"default", "GET", "/", "", 200, "backend a\n"},
		{"any path", "GET", "/x/y?z=1", "", 200, "backend a\n"},
		{"slow", "GET", "/slow?ms=20", "", 200, "backend a\n"},
		{"size", "GET", "/size?bytes=30", "", 200, "abcdefghijklmnopqrstuvwxyzabcd"},
		{"size zero", "GET", "/size?bytes=0", "", 200, ""},
		{"echo", "POST", "/echo", "hello world", 200, "hello world"},
		{"echo empty", "POST", "/echo", "", 200, ""},
		{"status 503", "GET", "/status?code=503", "", 503, "backend a\n"},
		{"status 404", "GET", "/status?code=404", "", 404, "backend a\n"},
		{"status 204", "GET", "/status?code=204", "", 204, ""},
		{"status out of range", "GET", "/status?code=99", "", 400, "status code must be 200..599\n"},
		{"close", "GET", "/close", "", 200, "backend a\n"},
		{"upgrade without Upgrade", "GET", "/upgrade", "", 200, "backend a\n"},
		{"body discarded", "POST", "/", "ignored", 200, "backend a\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, "http://"+s.Addr+tc.target, body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus || string(got) != tc.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, got, tc.wantStatus, tc.wantBody)
			}
			if h := resp.Header.Get("X-Backend"); h != "a" {
				t.Errorf("X-Backend %q", h)
			}
			path, _, _ := strings.Cut(tc.target, "?")
			if h := resp.Header.Get("X-Request-Path"); h != path {
				t.Errorf("X-Request-Path %q, want %q", h, path)
			}
			if h := resp.Header.Get("X-Request-Target"); h != tc.target {
				t.Errorf("X-Request-Target %q, want %q", h, tc.target)
			}
		})
	}
}

func TestSlowDelays(t *testing.T) {
	s := start(t, "a")
	c, br := dial(t, s)
	begin := time.Now()
	io.WriteString(c, "GET /slow?ms=100 HTTP/1.1\r\nHost: x\r\n\r\n")
	readResp(t, br, "GET")
	if d := time.Since(begin); d < 100*time.Millisecond {
		t.Fatalf("answered after %v, want at least 100ms", d)
	}
}

func TestHeadersVerbatim(t *testing.T) {
	s := start(t, "b")
	c, br := dial(t, s)
	head := "GET /headers?q=1 HTTP/1.1\r\nHost: example\r\nx-MiXeD:  spaced value \r\nDup: 1\r\nDup: 2\r\n\r\n"
	io.WriteString(c, head)
	resp, body := readResp(t, br, "GET")
	if body != head {
		t.Fatalf("body %q, want %q", body, head)
	}
	if resp.Header.Get("X-Backend") != "b" {
		t.Fatalf("X-Backend %q", resp.Header.Get("X-Backend"))
	}
}

func TestKeepAlivePipelining(t *testing.T) {
	s := start(t, "a")
	c, br := dial(t, s)
	io.WriteString(c, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"+
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"+
		"GET /headers HTTP/1.1\r\nHost: x\r\n\r\n")
	wants := []string{"backend a\n", "abc", "GET /headers HTTP/1.1\r\nHost: x\r\n\r\n"}
	for i, want := range wants {
		_, body := readResp(t, br, "GET")
		if body != want {
			t.Fatalf("response %d: %q, want %q", i, body, want)
		}
	}
	if n := s.Requests(); n != 3 {
		t.Fatalf("Requests() = %d, want 3", n)
	}
}

func TestEchoChunkedStreams(t *testing.T) {
	s := start(t, "a")
	c, br := dial(t, s)
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
	resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	// The first chunk comes back before the request body has ended.
	buf := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("first chunk %q, %v", buf, err)
	}
	io.WriteString(c, "6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n")
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != " world" {
		t.Fatalf("rest %q, %v", rest, err)
	}
	// The connection is still usable.
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, body := readResp(t, br, "GET"); body != "backend a\n" {
		t.Fatalf("after echo: %q", body)
	}
}

func TestEchoContentLengthStreams(t *testing.T) {
	s := start(t, "a")
	c, br := dial(t, s)
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
	resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != 10 {
		t.Fatalf("Content-Length %d", resp.ContentLength)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "12345" {
		t.Fatalf("first half %q, %v", buf, err)
	}
	io.WriteString(c, "67890")
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "67890" {
		t.Fatalf("second half %q, %v", buf, err)
	}
}

func TestExpectContinue(t *testing.T) {
	s := start(t, "a")
	c, br := dial(t, s)
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("interim %q, %v", line, err)
	}
	br.ReadString('\n')
	io.WriteString(c, "ok")
	if _, body := readResp(t, br, "POST"); body != "ok" {
		t.Fatalf("body %q", body)
	}
}

func TestCloseClosesConnection(t *testing.T) {
	s := start(t, "a")
	c, br := dial(t, s)
	io.WriteString(c, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, _ := readResp(t, br, "GET")
	if !resp.Close {
		t.Fatal("response does not announce Connection: close")
	}
	if n, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after /close read %v, %v; want EOF", n, err)
	}
}

func TestHTTP10(t *testing.T) {
	s := start(t, "a")
	c, br := dial(t, s)
	io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
	readResp(t, br, "GET")
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("HTTP/1.0 without keep-alive: %v, want EOF", err)
	}
	c2, br2 := dial(t, s)
	io.WriteString(c2, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	resp, _ := readResp(t, br2, "GET")
	if resp.Close {
		t.Fatal("HTTP/1.0 keep-alive closed")
	}
	io.WriteString(c2, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	readResp(t, br2, "GET")
}

func TestHead(t *testing.T) {
	s := start(t, "a")
	c, br := dial(t, s)
	io.WriteString(c, "HEAD /size?bytes=100 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := readResp(t, br, "HEAD")
	if resp.ContentLength != 100 || body != "" {
		t.Fatalf("HEAD: length %d body %q", resp.ContentLength, body)
	}
	if _, body := readResp(t, br, "GET"); body != "backend a\n" {
		t.Fatalf("after HEAD: %q", body)
	}
}

func TestUpgradeEchoes(t *testing.T) {
	s := start(t, "u")
	c, br := dial(t, s)
	io.WriteString(c, "GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly")
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "websocket" || resp.Header.Get("X-Backend") != "u" {
		t.Fatalf("got %d Upgrade=%q X-Backend=%q", resp.StatusCode, resp.Header.Get("Upgrade"), resp.Header.Get("X-Backend"))
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "early" {
		t.Fatalf("early bytes %q, %v", buf, err)
	}
	io.WriteString(c, "GET / HTTP/1.1\r\n\r\n")
	buf = make([]byte, len("GET / HTTP/1.1\r\n\r\n"))
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "GET / HTTP/1.1\r\n\r\n" {
		t.Fatalf("tunnel bytes %q, %v", buf, err)
	}
	c.(*net.TCPConn).CloseWrite()
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after half-close: %q, %v", rest, err)
	}
}

func TestBadRequests(t *testing.T) {
	tests := []struct{ name, req string }{
		{"CL and TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{"bad version", "GET / HTTP/2.0\r\n\r\n"},
		{"bad request line", "GET /\r\n\r\n"},
		{"folding", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"},
		{"conflicting CL", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"},
		{"negative CL", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"},
		{"gzip TE", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"},
		{"space in name", "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"},
	}
	s := start(t, "a")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, br := dial(t, s)
			io.WriteString(c, tc.req)
			resp, _ := readResp(t, br, "GET")
			if resp.StatusCode != 400 || !resp.Close {
				t.Fatalf("got %d close=%v, want 400 and close", resp.StatusCode, resp.Close)
			}
		})
	}
}

func TestLargeSizeAndUpload(t *testing.T) {
	s := start(t, "a")
	const n = 3<<20 + 7
	resp, err := http.Get("http://" + s.Addr + "/size?bytes=" + strconv.Itoa(n))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || len(body) != n || body[n-1] != alphabet[(n-1)%26] {
		t.Fatalf("size: %d bytes, %v", len(body), err)
	}
	up := bytes.Repeat([]byte("0123456789"), 200_000)
	resp, err = http.Post("http://"+s.Addr+"/echo", "text/plain", bytes.NewReader(up))
	if err != nil {
		t.Fatal(err)
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(body, up) {
		t.Fatalf("echo: %d bytes, %v", len(body), err)
	}
}

func TestCloseEndsConnections(t *testing.T) {
	s, err := Start("127.0.0.1:0", "a")
	if err != nil {
		t.Fatal(err)
	}
	c, br := dial(t, s)
	io.WriteString(c, "GET / HTTP/1.1\r\n\r\n")
	readResp(t, br, "GET")
	slow, _ := dial(t, s)
	io.WriteString(slow, "GET /slow?ms=60000 HTTP/1.1\r\n\r\n")
	// Wait until the slow request is counted, so Close interrupts it.
	deadline := time.Now().Add(5 * time.Second)
	for s.Requests() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("slow request never arrived")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("connection still open after Close")
	}
	if _, err := net.Dial("tcp", s.Addr); err == nil {
		t.Fatal("still listening after Close")
	}
}
