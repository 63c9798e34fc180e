package h1

import (
	"errors"
	"strings"
	"testing"
)

// req builds a request from lines joined with CRLF plus the final CRLF.
func req(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n\r\n" }

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	if err == nil {
		return 0
	}
	return -1 // ErrIncomplete or other
}

func TestParseRequestBad(t *testing.T) {
	long := strings.Repeat("a", 20000)
	many := make([]string, 0, 110)
	many = append(many, "GET / HTTP/1.1", "Host: a")
	for i := 0; i < 101; i++ {
		many = append(many, "X-N: v")
	}
	big := []string{"GET / HTTP/1.1", "Host: a"}
	for i := 0; i < 40; i++ {
		big = append(big, "X-Big: "+strings.Repeat("b", 500))
	}
	tests := []struct {
		name, in string
		status   int
	}{
		// 1: CL + TE is accepted (see TestCLAndTE); in HTTP/1.0 TE is 400.
		// 2: several Content-Length values.
		{"2 two CL", req("POST / HTTP/1.1", "Host: a", "Content-Length: 1", "Content-Length: 2"), 400},
		{"2 CL list", req("POST / HTTP/1.1", "Host: a", "Content-Length: 1, 2"), 400},
		{"2 CL same twice", req("POST / HTTP/1.1", "Host: a", "Content-Length: 1", "Content-Length: 1"), 400},
		{"2 CL same list", req("POST / HTTP/1.1", "Host: a", "Content-Length: 1,1"), 400},
		// 3: bad Content-Length syntax.
		{"3 CL empty", req("POST / HTTP/1.1", "Host: a", "Content-Length:"), 400},
		{"3 CL plus", req("POST / HTTP/1.1", "Host: a", "Content-Length: +2"), 400},
		{"3 CL hex", req("POST / HTTP/1.1", "Host: a", "Content-Length: 0x2"), 400},
		{"3 CL neg", req("POST / HTTP/1.1", "Host: a", "Content-Length: -1"), 400},
		{"3 CL 20 digits", req("POST / HTTP/1.1", "Host: a", "Content-Length: 12345678901234567890"), 400},
		{"3 CL inner space", req("POST / HTTP/1.1", "Host: a", "Content-Length: 1 2"), 400},
		// 4: transfer codings.
		{"4 TE gzip", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip"), 501},
		{"4 TE chunked,gzip", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked, gzip"), 501},
		{"4 TE gzip,chunked", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip, chunked"), 501},
		{"4 TE chunked twice", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked, chunked"), 400},
		{"4 TE two lines", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"), 400},
		{"4 TE xchunked", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: xchunked"), 501},
		{"4 TE ,chunked", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: ,chunked"), 400},
		{"4 TE chunked,", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked,"), 400},
		{"4 TE empty", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding:"), 400},
		{"4 TE quoted", req("POST / HTTP/1.1", "Host: a", `Transfer-Encoding: "chunked"`), 400},
		// 5: whitespace tricks around TE.
		{"5 TE space colon", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding : chunked"), 400},
		{"5 TE VT", req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding:\x0bchunked"), 400},
		// 6: TE in HTTP/1.0.
		{"6 TE in 1.0", req("POST / HTTP/1.0", "Transfer-Encoding: chunked"), 400},
		{"6 CL+TE in 1.0", req("POST / HTTP/1.0", "Content-Length: 3", "Transfer-Encoding: chunked"), 400},
		// 8: obs-fold.
		{"8 obs-fold", req("GET / HTTP/1.1", "Host: a", "X: a", " b"), 400},
		{"8 obs-fold tab", req("GET / HTTP/1.1", "Host: a", "X: a", "\tb"), 400},
		// 9: header names.
		{"9 name space", req("GET / HTTP/1.1", "Host: a", "X Y: a"), 400},
		{"9 name NUL", req("GET / HTTP/1.1", "Host: a", "X\x00: a"), 400},
		{"9 name FF", req("GET / HTTP/1.1", "Host: a", "X\xff: a"), 400},
		{"9 name paren", req("GET / HTTP/1.1", "Host: a", "X(: a"), 400},
		{"9 empty name", req("GET / HTTP/1.1", "Host: a", ": a"), 400},
		{"9 no colon", req("GET / HTTP/1.1", "Host: a", "Xa"), 400},
		{"9 first line indented", req("GET / HTTP/1.1", " Host: a"), 400},
		// 10: values.
		{"10 NUL in value", req("GET / HTTP/1.1", "Host: a", "X: a\x00b"), 400},
		{"10 bare CR in value", req("GET / HTTP/1.1", "Host: a", "X: a\rb"), 400},
		{"10 CTL in value", req("GET / HTTP/1.1", "Host: a", "X: a\x01b"), 400},
		{"10 DEL in value", req("GET / HTTP/1.1", "Host: a", "X: a\x7fb"), 400},
		// 11: bare LF.
		{"11 bare LF request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
		{"11 bare LF header", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400},
		{"11 bare LF end", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400},
		{"11 all bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400},
		{"11 bare CR end", "GET / HTTP/1.1\r\nHost: a\r\n\rX", 400},
		// 12: Host.
		{"12 no Host", req("GET / HTTP/1.1"), 400},
		{"12 two Hosts", req("GET / HTTP/1.1", "Host: a", "Host: b"), 400},
		{"12 two Hosts same", req("GET / HTTP/1.1", "Host: a", "Host: a"), 400},
		{"12 Host space", req("GET / HTTP/1.1", "Host: a b"), 400},
		{"12 Host at", req("GET / HTTP/1.1", "Host: u@a"), 400},
		{"12 Host comma", req("GET / HTTP/1.1", "Host: a,b"), 400},
		{"12 Host empty", req("GET / HTTP/1.1", "Host:"), 400},
		{"12 Host slash", req("GET / HTTP/1.1", "Host: a/b"), 400},
		// 13: absolute-form target versus Host.
		{"13 Host mismatch", req("GET http://b/ HTTP/1.1", "Host: a"), 400},
		{"13 Host mismatch port", req("GET http://b:81/ HTTP/1.1", "Host: b"), 400},
		{"13 absolute no Host", req("GET http://b/ HTTP/1.1"), 400},
		{"13 userinfo", req("GET http://u@b/ HTTP/1.1", "Host: u@b"), 400},
		{"13 empty authority", req("GET http:/// HTTP/1.1", "Host: b"), 400},
		// 14: targets.
		{"14 fragment", req("GET /a#b HTTP/1.1", "Host: a"), 400},
		{"14 CTL", req("GET /a\x01b HTTP/1.1", "Host: a"), 400},
		{"14 DEL", req("GET /a\x7fb HTTP/1.1", "Host: a"), 400},
		{"14 8-bit", req("GET /a\xc3\xa9 HTTP/1.1", "Host: a"), 400},
		{"14 tab", req("GET /a\tb HTTP/1.1", "Host: a"), 400},
		{"14 no slash", req("GET admin HTTP/1.1", "Host: a"), 400},
		{"14 GET star", req("GET * HTTP/1.1", "Host: a"), 400},
		{"14 CONNECT origin", req("CONNECT / HTTP/1.1", "Host: a"), 400},
		{"14 CONNECT no port", req("CONNECT a HTTP/1.1", "Host: a"), 400},
		{"14 CONNECT bad port", req("CONNECT a:b HTTP/1.1", "Host: a"), 400},
		{"13 CONNECT Host mismatch", req("CONNECT a:443 HTTP/1.1", "Host: a"), 400},
		{"14 CONNECT percent-encoded host", req("CONNECT %80a:443 HTTP/1.0"), 400},
		{"14 absolute-form percent-encoded host", req("GET http://%61b/ HTTP/1.1", "Host: %61b"), 400},
		{"14 authority form GET", req("GET a:80 HTTP/1.1", "Host: a"), 400},
		{"14 ftp scheme", req("GET ftp://a/ HTTP/1.1", "Host: a"), 400},
		// 16: a body on an HTTP/1.0 GET, HEAD or DELETE.
		{"16 GET 1.0 with body", req("GET / HTTP/1.0", "Content-Length: 3") + "abc", 413},
		{"16 HEAD 1.0 with body", req("HEAD / HTTP/1.0", "Content-Length: 1") + "a", 413},
		{"16 DELETE 1.0 with body", req("DELETE / HTTP/1.0", "Content-Length: 2") + "ab", 413},
		// 15: request line shape and versions.
		{"15 double SP", req("GET  / HTTP/1.1", "Host: a"), 400},
		{"15 double SP 2", req("GET /  HTTP/1.1", "Host: a"), 400},
		{"15 trailing SP", req("GET / HTTP/1.1 ", "Host: a"), 400},
		{"15 leading SP", req(" GET / HTTP/1.1", "Host: a"), 400},
		{"15 HTTP/1.32", req("GET / HTTP/1.32", "Host: a"), 400},
		{"15 lower http", req("GET / http/1.1", "Host: a"), 400},
		{"15 HTTP/0.9 no version", "GET /\r\n\r\n", 400},
		{"15 HTTP/0.9 explicit", req("GET / HTTP/0.9", "Host: a"), 400},
		{"15 HTTP/2.0", req("GET / HTTP/2.0", "Host: a"), 505},
		{"15 HTTP/1.2", req("GET / HTTP/1.2", "Host: a"), 505},
		{"15 HTTP/3.0", req("GET / HTTP/3.0", "Host: a"), 505},
		{"15 HTTP 1.1", req("GET / HTTP 1.1", "Host: a"), 400},
		{"15 tab separator", req("GET\t/ HTTP/1.1", "Host: a"), 400},
		{"15 empty method", req(" / HTTP/1.1", "Host: a"), 400},
		{"15 method paren", req("GE(T / HTTP/1.1", "Host: a"), 400},
		{"15 TLS hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400},
		// 17: limits.
		{"17 too many headers", req(many...), 431},
		{"17 head too large", req(big...), 431},
		{"17 long URI complete", req("GET /"+long+" HTTP/1.1", "Host: a"), 414},
		{"17 long URI partial", "GET /" + long, 414},
		{"17 long header partial", "GET / HTTP/1.1\r\nHost: a\r\nX: " + long, 431},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			err := ParseRequest([]byte(tc.in), &r, nil)
			if got := statusOf(err); got != tc.status {
				t.Fatalf("ParseRequest(%q) = %v (status %d), want status %d", trunc(tc.in), err, got, tc.status)
			}
			// Every prefix must give either ErrIncomplete or the same error
			// class (never success, never a different accepted parse).
			for i := 0; i < len(tc.in) && i < 300; i++ {
				err := ParseRequest([]byte(tc.in[:i]), &r, nil)
				if err == nil {
					t.Fatalf("prefix %d accepted", i)
				}
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func TestParseRequestGood(t *testing.T) {
	tests := []struct {
		name, in       string
		method, target string
		minor          int
		body           BodyKind
		cl             int64
		host           string
		close, upgrade bool
		expect100      bool
		path           string
	}{
		{name: "simple", in: req("GET /a?b=c HTTP/1.1", "Host: example.com"), method: "GET", target: "/a?b=c", minor: 1, host: "example.com", path: "/a"},
		{name: "1.0 no host", in: req("GET / HTTP/1.0"), method: "GET", target: "/", close: true, path: "/"},
		{name: "1.0 keep-alive", in: req("GET / HTTP/1.0", "Connection: Keep-Alive"), method: "GET", target: "/", path: "/"},
		// Item 16 refuses a body only where HTTP/1.0 servers may ignore it.
		{name: "1.0 GET CL zero", in: req("GET / HTTP/1.0", "Content-Length: 0"), method: "GET", target: "/", close: true, body: BodyLength, path: "/"},
		{name: "1.0 POST with body", in: req("POST / HTTP/1.0", "Content-Length: 3"), method: "POST", target: "/", close: true, body: BodyLength, cl: 3, path: "/"},
		{name: "1.1 GET with body", in: req("GET / HTTP/1.1", "Host: a", "Content-Length: 3"), method: "GET", target: "/", minor: 1, host: "a", body: BodyLength, cl: 3, path: "/"},
		{name: "close", in: req("GET / HTTP/1.1", "Host: a", "Connection: foo, CLOSE"), method: "GET", target: "/", minor: 1, host: "a", close: true, path: "/"},
		{name: "CL", in: req("POST /p HTTP/1.1", "Host: a", "Content-Length: 42"), method: "POST", target: "/p", minor: 1, host: "a", body: BodyLength, cl: 42, path: "/p"},
		{name: "CL zero", in: req("POST /p HTTP/1.1", "Host: a", "Content-Length: 0"), method: "POST", target: "/p", minor: 1, host: "a", body: BodyLength, path: "/p"},
		{name: "CL 15 digits", in: req("POST /p HTTP/1.1", "Host: a", "Content-Length: 999999999999999"), method: "POST", target: "/p", minor: 1, host: "a", body: BodyLength, cl: 999999999999999, path: "/p"},
		{name: "chunked", in: req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: Chunked"), method: "POST", target: "/", minor: 1, host: "a", body: BodyChunked, path: "/"},
		{name: "upgrade", in: req("GET /ws HTTP/1.1", "Host: a", "Connection: Upgrade", "Upgrade: websocket"), method: "GET", target: "/ws", minor: 1, host: "a", upgrade: true, path: "/ws"},
		{name: "upgrade token without header", in: req("GET /ws HTTP/1.1", "Host: a", "Connection: Upgrade"), method: "GET", target: "/ws", minor: 1, host: "a", path: "/ws"},
		{name: "expect", in: req("PUT / HTTP/1.1", "Host: a", "Expect: 100-Continue", "Content-Length: 5"), method: "PUT", target: "/", minor: 1, host: "a", expect100: true, body: BodyLength, cl: 5, path: "/"},
		{name: "absolute", in: req("GET HTTP://Example.com:8080 HTTP/1.1", "Host: example.COM:8080"), method: "GET", target: "HTTP://Example.com:8080", minor: 1, host: "example.COM:8080", path: "/"},
		{name: "absolute path", in: req("GET https://a/x/y?q HTTP/1.1", "Host: a"), method: "GET", target: "https://a/x/y?q", minor: 1, host: "a", path: "/x/y"},
		{name: "absolute query only", in: req("GET http://a?q HTTP/1.1", "Host: a"), method: "GET", target: "http://a?q", minor: 1, host: "a", path: "/"},
		{name: "connect", in: req("CONNECT a.example:443 HTTP/1.1", "Host: a.example:443"), method: "CONNECT", target: "a.example:443", minor: 1, host: "a.example:443"},
		{name: "options star", in: req("OPTIONS * HTTP/1.1", "Host: a"), method: "OPTIONS", target: "*", minor: 1, host: "a", path: "*"},
		{name: "leading CRLF", in: "\r\n\r\n" + req("GET / HTTP/1.1", "Host: a"), method: "GET", target: "/", minor: 1, host: "a", path: "/"},
		{name: "ows and obs-text", in: req("GET / HTTP/1.1", "Host:a", "X-A: \t v\xe9 w \t"), method: "GET", target: "/", minor: 1, host: "a", path: "/"},
		{name: "ipv6 host", in: req("GET / HTTP/1.1", "Host: [::1]:80"), method: "GET", target: "/", minor: 1, host: "[::1]:80", path: "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			in := []byte(tc.in + "NEXT")
			if err := ParseRequest(in, &r, nil); err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			if r.HeadLen != len(tc.in) {
				t.Errorf("HeadLen = %d, want %d", r.HeadLen, len(tc.in))
			}
			if string(r.Method) != tc.method || string(r.Target) != tc.target || r.Minor != tc.minor {
				t.Errorf("got %q %q 1.%d", r.Method, r.Target, r.Minor)
			}
			if r.Body != tc.body || r.ContentLength != tc.cl {
				t.Errorf("body %v %d, want %v %d", r.Body, r.ContentLength, tc.body, tc.cl)
			}
			if string(r.Host) != tc.host {
				t.Errorf("Host %q, want %q", r.Host, tc.host)
			}
			if r.Close != tc.close || r.Upgrade != tc.upgrade || r.Expect100 != tc.expect100 {
				t.Errorf("close/upgrade/expect = %v %v %v", r.Close, r.Upgrade, r.Expect100)
			}
			if string(r.Path()) != tc.path {
				t.Errorf("Path %q, want %q", r.Path(), tc.path)
			}
			// Every strict prefix of the head is incomplete.
			for i := 0; i < len(tc.in); i++ {
				if err := ParseRequest(in[:i], &r, nil); err != ErrIncomplete {
					t.Fatalf("prefix %d: %v, want ErrIncomplete", i, err)
				}
			}
		})
	}
}

func TestHeaderValuesTrimmed(t *testing.T) {
	var r Request
	in := req("GET / HTTP/1.1", "Host: a", "X-A: \t v\xe9 w \t", "X-Empty:", "x-a: second")
	if err := ParseRequest([]byte(in), &r, nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Header("x-a"); string(v) != "v\xe9 w" {
		t.Errorf("X-A = %q", v)
	}
	if v, ok := r.Header("X-EMPTY"); !ok || len(v) != 0 {
		t.Errorf("X-Empty = %q %v", v, ok)
	}
	if _, ok := r.Header("X-Missing"); ok {
		t.Error("missing header found")
	}
}

func TestCLAndTE(t *testing.T) {
	var r Request
	in := req("POST / HTTP/1.1", "Host: a", "Content-Length: 5", "Transfer-Encoding: chunked", "X: y")
	if err := ParseRequest([]byte(in), &r, nil); err != nil {
		t.Fatal(err)
	}
	if r.Body != BodyChunked || !r.HadCLAndTE || !r.Close {
		t.Fatalf("Body %v HadCLAndTE %v Close %v", r.Body, r.HadCLAndTE, r.Close)
	}
	if _, ok := r.Header("Content-Length"); ok {
		t.Fatal("Content-Length kept")
	}
	if len(r.Headers) != 3 {
		t.Fatalf("headers %d, want 3", len(r.Headers))
	}
}

func TestPipelining(t *testing.T) {
	first := req("POST /one HTTP/1.1", "Host: a", "Content-Length: 5") + "hello"
	second := req("POST /two HTTP/1.1", "Host: a", "Transfer-Encoding: chunked") + "3\r\nabc\r\n0\r\n\r\n"
	third := req("GET /three HTTP/1.1", "Host: a")
	buf := []byte(first + second + third)
	var r Request
	var targets []string
	for pos := 0; pos < len(buf); {
		if err := ParseRequest(buf[pos:], &r, nil); err != nil {
			t.Fatalf("at %d: %v", pos, err)
		}
		targets = append(targets, string(r.Target))
		pos += r.HeadLen
		switch r.Body {
		case BodyLength:
			pos += int(r.ContentLength)
		case BodyChunked:
			var s ChunkedScanner
			n, done, err := s.Scan(buf[pos:])
			if err != nil || !done {
				t.Fatalf("chunked: %d %v %v", n, done, err)
			}
			pos += n
		}
	}
	if strings.Join(targets, ",") != "/one,/two,/three" {
		t.Fatalf("targets %v", targets)
	}
}

func TestLimits(t *testing.T) {
	lim := &Limits{MaxHeaders: 3, MaxHeadBytes: 64} // the start line and 2 fields
	var r Request
	ok := req("GET / HTTP/1.1", "Host: a", "X: b")
	if err := ParseRequest([]byte(ok), &r, lim); err != nil {
		t.Fatal(err)
	}
	if err := ParseRequest([]byte(req("GET / HTTP/1.1", "Host: a", "X: b", "Y: c")), &r, lim); statusOf(err) != 431 {
		t.Fatalf("3 headers: %v", err)
	}
	// A head of exactly MaxHeadBytes is accepted; one more byte is not.
	exact := req("GET / HTTP/1.1", "Host: a", "X: "+strings.Repeat("b", 64-len(ok)+1))
	if len(exact) != 64 {
		t.Fatalf("test bug: len %d", len(exact))
	}
	if err := ParseRequest([]byte(exact), &r, lim); err != nil {
		t.Fatalf("exact: %v", err)
	}
	over := req("GET / HTTP/1.1", "Host: a", "X: "+strings.Repeat("b", 64-len(ok)+2))
	if err := ParseRequest([]byte(over), &r, lim); statusOf(err) != 431 {
		t.Fatalf("over: %v", err)
	}
	// A full buffer without a whole head never reports ErrIncomplete.
	if err := ParseRequest([]byte(over[:64]), &r, lim); statusOf(err) != 431 {
		t.Fatalf("full buffer: %v", err)
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		head    bool
		status  int
		reason  string
		body    BodyKind
		cl      int64
		close   bool
		upgrade bool
		errStat int
	}{
		{name: "ok CL", in: req("HTTP/1.1 200 OK", "Content-Length: 12"), status: 200, reason: "OK", body: BodyLength, cl: 12},
		{name: "chunked", in: req("HTTP/1.1 200 OK", "Transfer-Encoding: chunked"), status: 200, reason: "OK", body: BodyChunked},
		{name: "until close", in: req("HTTP/1.1 200 OK"), status: 200, reason: "OK", body: BodyUntilClose, close: true},
		{name: "HEAD", in: req("HTTP/1.1 200 OK", "Content-Length: 12"), head: true, status: 200, reason: "OK"},
		{name: "204", in: req("HTTP/1.1 204 No Content"), status: 204, reason: "No Content"},
		{name: "304", in: req("HTTP/1.1 304 Not Modified", "Content-Length: 5"), status: 304, reason: "Not Modified"},
		{name: "100", in: req("HTTP/1.1 100 Continue"), status: 100, reason: "Continue"},
		{name: "101", in: req("HTTP/1.1 101 Switching Protocols", "Connection: upgrade", "Upgrade: websocket"), status: 101, reason: "Switching Protocols", upgrade: true},
		{name: "empty reason", in: req("HTTP/1.1 200 ", "Content-Length: 0"), status: 200, body: BodyLength},
		{name: "no reason no SP", in: req("HTTP/1.1 200", "Content-Length: 0"), status: 200, body: BodyLength},
		{name: "close", in: req("HTTP/1.1 200 OK", "Content-Length: 0", "Connection: close"), status: 200, reason: "OK", body: BodyLength, close: true},
		{name: "1.0", in: req("HTTP/1.0 200 OK", "Content-Length: 0"), status: 200, reason: "OK", body: BodyLength, close: true},
		{name: "1.0 keep-alive", in: req("HTTP/1.0 200 OK", "Content-Length: 0", "Connection: keep-alive"), status: 200, reason: "OK", body: BodyLength},
		{name: "CL+TE", in: req("HTTP/1.1 200 OK", "Content-Length: 3", "Transfer-Encoding: chunked"), errStat: 502},
		{name: "bad TE", in: req("HTTP/1.1 200 OK", "Transfer-Encoding: gzip"), errStat: 502},
		{name: "two CL", in: req("HTTP/1.1 200 OK", "Content-Length: 3", "Content-Length: 3"), errStat: 502},
		{name: "bad CL", in: req("HTTP/1.1 200 OK", "Content-Length: -3"), errStat: 502},
		{name: "TE in 1.0", in: req("HTTP/1.0 200 OK", "Transfer-Encoding: chunked"), errStat: 502},
		{name: "version", in: req("HTTP/2.0 200 OK"), errStat: 502},
		{name: "status 2 digits", in: req("HTTP/1.1 20 OK"), errStat: 502},
		{name: "status 4 digits", in: req("HTTP/1.1 2000 OK"), errStat: 502},
		{name: "status 099", in: req("HTTP/1.1 099 OK"), errStat: 502},
		{name: "status 600", in: req("HTTP/1.1 600 OK"), errStat: 502},
		{name: "reason CTL", in: req("HTTP/1.1 200 O\x01K"), errStat: 502},
		{name: "bare LF", in: "HTTP/1.1 200 OK\nContent-Length: 0\n\n", errStat: 502},
		{name: "obs-fold", in: req("HTTP/1.1 200 OK", "X: a", " b"), errStat: 502},
		{name: "bad name", in: req("HTTP/1.1 200 OK", "X Y: a"), errStat: 502},
		{name: "not HTTP", in: "SSH-2.0-OpenSSH\r\n", errStat: 502},
		{name: "not HTTP partial", in: "SSH-2.0", errStat: 502},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Response
			err := ParseResponse([]byte(tc.in+"BODY"), &r, tc.head, nil)
			if tc.errStat != 0 {
				if statusOf(err) != tc.errStat {
					t.Fatalf("err %v, want status %d", err, tc.errStat)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.HeadLen != len(tc.in) || r.Status != tc.status || string(r.Reason) != tc.reason {
				t.Errorf("HeadLen %d status %d reason %q", r.HeadLen, r.Status, r.Reason)
			}
			if r.Body != tc.body || r.ContentLength != tc.cl || r.Close != tc.close || r.Upgrade != tc.upgrade {
				t.Errorf("body %v cl %d close %v upgrade %v", r.Body, r.ContentLength, r.Close, r.Upgrade)
			}
			for i := 0; i < len(tc.in); i++ {
				if err := ParseResponse([]byte(tc.in[:i]), &r, tc.head, nil); err != ErrIncomplete {
					t.Fatalf("prefix %d: %v", i, err)
				}
			}
		})
	}
}
