package checks_test

import (
	"bufio"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/test/harness"
)

// httpFake answers each request with a response that the test switches,
// and keeps the last request it read.
type httpFake struct {
	*harness.Origin
	resp atomic.Value // string
	mu   sync.Mutex
	last string
}

func newHTTPFake(t *testing.T, resp string) *httpFake {
	f := &httpFake{}
	f.resp.Store(resp)
	f.Origin = harness.StartOrigin(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		var req strings.Builder
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			req.WriteString(l)
			if l == "\r\n" {
				break
			}
		}
		if n := contentLength(req.String()); n > 0 {
			body := make([]byte, n)
			io.ReadFull(br, body)
			req.Write(body)
		}
		f.mu.Lock()
		f.last = req.String()
		f.mu.Unlock()
		io.WriteString(c, f.resp.Load().(string))
	})
	return f
}

func contentLength(head string) int {
	for _, l := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "content-length") {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

func (f *httpFake) request() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func response(status, body string, headers ...string) string {
	h := ""
	for _, x := range headers {
		h += x + "\r\n"
	}
	return "HTTP/1.1 " + status + "\r\n" + h + "Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n" + body
}

// TestHTTPChecks: option httpchk in its forms (the header trick of the
// old single-line form, http-check send with headers and a body), http-
// check expect on status, headers and body, and disable-on-404: the
// requests the servers get and the state changes, as under HAProxy.
func TestHTTPChecks(t *testing.T) {
	ok := response("200 OK", "all fine", "X-Role: primary")
	both(t, func(t *testing.T, start starter) []string {
		legacy, send, expect, nolb := newHTTPFake(t, ok), newHTTPFake(t, ok), newHTTPFake(t, ok), newHTTPFake(t, ok)
		fe := harness.FreeAddr(t)
		p := start(logged+`
frontend fe
  mode http
  bind `+fe+`
  default_backend legacy
backend legacy
  mode http
  option httpchk GET /health HTTP/1.1\r\nHost:\ www.example.com
  server s `+legacy.Addr+` check inter 100ms rise 1 fall 1
backend send
  mode http
  option httpchk
  http-check send meth POST uri /check ver HTTP/1.1 hdr Host check.example hdr X-Probe 1 body "ping"
  http-check expect status 200-299
  server s `+send.Addr+` check inter 100ms rise 1 fall 1
backend expect
  mode http
  option httpchk GET /role
  http-check expect hdr name x-role value primary
  http-check expect string fine
  server s `+expect.Addr+` check inter 100ms rise 1 fall 1
backend nolb
  mode http
  option httpchk HEAD /
  http-check disable-on-404
  server s `+nolb.Addr+` check inter 100ms rise 1 fall 1
`, fe)
		harness.Eventually(t, 5*time.Second, "every server checked", func() bool {
			return legacy.request() != "" && send.request() != "" && expect.request() != "" && nolb.request() != ""
		})
		var got []string
		for name, f := range map[string]*httpFake{"legacy": legacy, "send": send, "expect": expect, "nolb": nolb} {
			got = append(got, name+" request: "+f.request())
		}
		steps := []struct {
			f    *httpFake
			resp string
			wait string
		}{
			{legacy, response("500 Internal Server Error", ""), "Server legacy/s is DOWN"},
			{legacy, ok, "Server legacy/s is UP"},
			{send, response("302 Found", "", "Location: /"), "Server send/s is DOWN"},
			{send, response("204 No Content", ""), "Server send/s is UP"},
			{expect, response("200 OK", "all fine", "X-Role: replica"), "Server expect/s is DOWN"},
			{expect, ok, "Server expect/s is UP"},
			{expect, response("200 OK", "not so good", "X-Role: primary"), "Server expect/s is DOWN"},
			{expect, ok, "Server expect/s is UP"},
			{nolb, response("404 Not Found", ""), "Server nolb/s is stopping"},
			{nolb, ok, "Server nolb/s is UP"},
			{nolb, response("503 Service Unavailable", ""), "Server nolb/s is DOWN"},
		}
		for _, s := range steps {
			n := len(p.transitions())
			s.f.resp.Store(s.resp)
			p.waitFrom(n, 10*time.Second, s.wait)
		}
		return append(sortedCopy(got), p.transitions()...)
	})
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
