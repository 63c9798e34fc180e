package h2up_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/tlsconf/tlstest"
	"baton/test/harness"

	"golang.org/x/net/http2"
)

// h1Exchange sends one raw HTTP/1.1 request on a new connection and
// parses the response (trailers included).
func h1Exchange(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(deadline())
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// TestH1ClientToH2Server: an HTTP/1.1 client's chunked request with a
// trailer reaches a "proto h2" server as HTTP/2 (te: trailers kept,
// the trailer as a trailing HEADERS), and the server's trailer comes
// back in the chunked response.
func TestH1ClientToH2Server(t *testing.T) {
	o := startOrigin(t, http.HandlerFunc(echo), nil)
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			fe := harness.FreeAddr(t)
			start(t, proxy, defaults+fmt.Sprintf(`frontend fe
    bind %s
    default_backend be
backend be
    server s1 %s proto h2
`, fe, o.addr), fe)
			resp, body := h1Exchange(t, fe, "POST /echo HTTP/1.1\r\nHost: a.test\r\nTE: trailers\r\nTrailer: X-In\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-In: yes\r\n\r\n")
			if resp.StatusCode != 200 || resp.Header.Get("X-Proto") != "HTTP/2.0" {
				t.Fatalf("status %d, the server saw %q", resp.StatusCode, resp.Header.Get("X-Proto"))
			}
			if body != "body=hello in=yes te=trailers" {
				t.Errorf("body %q", body)
			}
			if got := resp.Trailer.Get("X-Sum"); got != "42" {
				t.Errorf("trailer X-Sum %q (chunked %v)", got, resp.TransferEncoding)
			}
			// A request without a body and keep-alive: a second one on a
			// fresh connection works as well.
			resp, body = h1Exchange(t, fe, "GET /echo HTTP/1.1\r\nHost: a.test\r\n\r\n")
			if resp.StatusCode != 200 || body != "body= in= te=" {
				t.Errorf("GET: %d %q", resp.StatusCode, body)
			}
		})
	}
}

// h2Client is Go's HTTP/2 client with prior knowledge to addr.
func h2Client(t *testing.T, addr string) *http.Client {
	tr := &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, _, _ string, _ *tls.Config) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// postWithTrailer sends body with the request trailer X-In: yes.
func postWithTrailer(c *http.Client, url, body string) (*http.Response, string, error) {
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", url, pr)
	req.Trailer = http.Header{"X-In": nil}
	req.Header.Set("Te", "trailers")
	go func() {
		io.WriteString(pw, body)
		req.Trailer.Set("X-In", "yes")
		pw.Close()
	}()
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// TestH2ClientToH2Server: an HTTP/2 client (prior knowledge) through a
// "proto h2" server: body and trailers pass both ways.
func TestH2ClientToH2Server(t *testing.T) {
	o := startOrigin(t, http.HandlerFunc(echo), nil)
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			fe := harness.FreeAddr(t)
			start(t, proxy, defaults+fmt.Sprintf(`frontend fe
    bind %s proto h2
    default_backend be
backend be
    server s1 %s proto h2
`, fe, o.addr), fe)
			resp, body, err := postWithTrailer(h2Client(t, fe), "http://a.test/echo", "hello")
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || resp.Header.Get("X-Proto") != "HTTP/2.0" || body != "body=hello in=yes te=trailers" {
				t.Errorf("status %d proto %q body %q", resp.StatusCode, resp.Header.Get("X-Proto"), body)
			}
			if got := resp.Trailer.Get("X-Sum"); got != "42" {
				t.Errorf("trailer X-Sum %q", got)
			}
		})
	}
}

// TestServerALPN: "ssl alpn h2,http/1.1" speaks HTTP/2 to a server that
// picks h2 and HTTP/1.1 to one that offers only http/1.1.
func TestServerALPN(t *testing.T) {
	ca := tlstest.NewCA("h2up origin root")
	both := startOrigin(t, http.HandlerFunc(echo), ca, "h2", "http/1.1")
	h1only := startOrigin(t, http.HandlerFunc(echo), ca, "http/1.1")
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			fe1, fe2 := harness.FreeAddr(t), harness.FreeAddr(t)
			start(t, proxy, defaults+fmt.Sprintf(`frontend f1
    bind %s
    default_backend b1
frontend f2
    bind %s
    default_backend b2
backend b1
    server s1 %s ssl verify none alpn h2,http/1.1
backend b2
    default-server ssl verify none alpn h2,http/1.1
    server s1 %s
`, fe1, fe2, both.addr, h1only.addr), fe1, fe2)
			for _, c := range []struct{ fe, want string }{{fe1, "HTTP/2.0"}, {fe2, "HTTP/1.1"}} {
				for i := 0; i < 2; i++ {
					resp, body := h1Exchange(t, c.fe, "POST /echo HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n\r\nhi")
					if resp.StatusCode != 200 || resp.Header.Get("X-Proto") != c.want || !strings.HasPrefix(body, "body=hi ") {
						t.Errorf("%s: status %d proto %q (want %s) body %q", c.fe, resp.StatusCode, resp.Header.Get("X-Proto"), c.want, body)
					}
				}
			}
		})
	}
}

// getTogether sends n requests at once and counts the "200 ok" answers.
func getTogether(t *testing.T, c *http.Client, n int) int64 {
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get("http://a.test/x")
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == "ok" {
				ok.Add(1)
			} else {
				t.Errorf("answered %s %q", resp.Status, b)
			}
		}()
	}
	wg.Wait()
	return ok.Load()
}

// barrier answers once n requests are in progress together (or after
// a deadline, answering 504: the requests were not concurrent); /warm
// at once.
func barrier(n int) http.HandlerFunc {
	var mu sync.Mutex
	arrived := 0
	all := make(chan struct{})
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/warm" {
			return
		}
		mu.Lock()
		arrived++
		if arrived == n {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			io.WriteString(w, "ok")
		case <-time.After(15 * time.Second):
			w.WriteHeader(504)
		}
	}
}

// TestReuseShared: with http-reuse safe, the concurrent streams of one
// HTTP/2 client share one server connection (the session's: HAProxy
// 2.6 keeps an h2 server connection for the streams of its session).
func TestReuseShared(t *testing.T) {
	const n = 8
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			o := startOrigin(t, barrier(n), nil)
			fe := harness.FreeAddr(t)
			start(t, proxy, defaults+fmt.Sprintf(`frontend fe
    bind %s proto h2
    default_backend be
backend be
    http-reuse safe
    server s1 %s proto h2
`, fe, o.addr), fe)
			c := h2Client(t, fe)
			// The session's first request opens its server connection
			// (HAProxy opens several when the first streams race it).
			resp, err := c.Get("http://a.test/warm")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			ok := getTogether(t, c, n)
			if ok != n || o.accepted.Load() != 1 {
				t.Errorf("%d of %d answered together, over %d server connections (want 1)", ok, n, o.accepted.Load())
			}
		})
	}
}

// TestReuseNever: with http-reuse never, each client connection gets a
// server connection of its own, even one after the other.
func TestReuseNever(t *testing.T) {
	const n = 4
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			o := startOrigin(t, http.HandlerFunc(echo), nil)
			fe := harness.FreeAddr(t)
			start(t, proxy, defaults+fmt.Sprintf(`frontend fe
    bind %s
    default_backend be
backend be
    http-reuse never
    server s1 %s proto h2
`, fe, o.addr), fe)
			var conns []net.Conn
			for i := 0; i < n; i++ {
				c, err := net.Dial("tcp", fe)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(deadline())
				br := bufio.NewReader(c)
				for j := 0; j < 2; j++ {
					io.WriteString(c, "GET /echo HTTP/1.1\r\nHost: a.test\r\n\r\n")
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Fatal(err)
					}
					io.ReadAll(resp.Body)
					if resp.StatusCode != 200 {
						t.Fatalf("status %d", resp.StatusCode)
					}
				}
				conns = append(conns, c)
			}
			if got := o.accepted.Load(); got != n {
				t.Errorf("%d client connections (2 requests each) opened %d server connections, want %d", n, got, n)
			}
		})
	}
}
