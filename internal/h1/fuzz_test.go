package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strings"
	"testing"
)

// requestSeeds are good and bad requests, shared by the fuzz target and
// the differential test.
var requestSeeds = []string{
	string(browserRequest),
	req("GET / HTTP/1.1", "Host: a"),
	req("GET / HTTP/1.0"),
	req("POST /p?q=1 HTTP/1.1", "Host: a", "Content-Length: 5") + "hello",
	req("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked") + "1\r\nx\r\n0\r\n\r\n",
	req("POST / HTTP/1.1", "Host: a", "Content-Length: 3", "Transfer-Encoding: chunked"),
	req("GET http://a:8080/x HTTP/1.1", "Host: a:8080"),
	req("CONNECT a:443 HTTP/1.1", "Host: a:443"),
	req("OPTIONS * HTTP/1.1", "Host: a"),
	req("GET / HTTP/1.1", "Host: a", "Connection: close, X-A", "X-A: 1", "Expect: 100-continue"),
	req("GET / HTTP/1.1", "Host: a", "Connection: upgrade", "Upgrade: websocket"),
	req("GET / HTTP/1.1", "Host: a", "X:  a b\t", "X: second", "Empty:"),
	req("GET / HTTP/1.1", "Host: a", "Content-Length: 1", "Content-Length: 1"),
	req("GET / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip, chunked"),
	req("GET / HTTP/1.1", "Host: a", "X: a", " folded"),
	req("GET /#frag HTTP/1.1", "Host: a"),
	req("GET * HTTP/1.1", "Host: a"),
	req("GET http://b/ HTTP/1.1", "Host: a"),
	req("GET / HTTP/1.1", "Host: a,b"),
	req("GET / HTTP/2.0", "Host: a"),
	"GET / HTTP/1.1\nHost: a\n\n",
	"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n",
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, buf []byte) {
		var r Request
		err := ParseRequest(buf, &r, nil)
		if err != nil {
			if _, ok := err.(*Error); !ok && err != ErrIncomplete {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if r.HeadLen <= 0 || r.HeadLen > len(buf) {
			t.Fatalf("HeadLen %d of %d", r.HeadLen, len(buf))
		}
		// The head alone parses the same way.
		var again Request
		if err := ParseRequest(buf[:r.HeadLen], &again, nil); err != nil || again.HeadLen != r.HeadLen {
			t.Fatalf("head alone: %v %d", err, again.HeadLen)
		}
		// Re-serialised, it parses to the same message.
		out := AppendRequestHead(nil, &r)
		var back Request
		if err := ParseRequest(out, &back, nil); err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if !sameRequest(&r, &back) {
			t.Fatalf("round trip differs:\n%q\n%q", buf[:r.HeadLen], out)
		}
		diffNetHTTP(t, buf[:r.HeadLen], &r)
	})
}

func sameRequest(a, b *Request) bool {
	if !bytes.Equal(a.Method, b.Method) || !bytes.Equal(a.Target, b.Target) || a.Minor != b.Minor ||
		len(a.Headers) != len(b.Headers) || a.Body != b.Body || a.ContentLength != b.ContentLength ||
		!bytes.Equal(a.Host, b.Host) || a.Close != b.Close && !a.HadCLAndTE || a.Upgrade != b.Upgrade ||
		a.Expect100 != b.Expect100 {
		return false
	}
	for i := range a.Headers {
		if !bytes.Equal(a.Headers[i].Name, b.Headers[i].Name) || !bytes.Equal(a.Headers[i].Value, b.Headers[i].Value) {
			return false
		}
	}
	return true
}

// diffNetHTTP checks that when net/http also accepts head, both parsers
// agree on method, target, header values and framing.
//
// h1 is deliberately stricter than net/http (so these never reach the
// comparison): '#', 8-bit bytes or "*" with methods other than OPTIONS
// in the target; a Host with ',' or '@'; an absolute-form target whose
// authority differs from Host (net/http routes on the target); obs-fold
// (net/http unfolds); bare LF line ends (net/http accepts them); repeated
// identical Content-Length values; a missing Host in HTTP/1.1
// (http.ReadRequest leaves that check to the server); Transfer-Encoding
// lists; 1xx-style leniencies such as trailing whitespace in the request
// line are rejected by both.
//
// Where both accept, the one deliberate difference is CL+TE: both frame
// as chunked and drop Content-Length, but h1 also sets Close (RFC 9112
// section 6.1), which net/http does not.
func diffNetHTTP(t *testing.T, head []byte, r *Request) {
	t.Helper()
	hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if err != nil {
		return
	}
	if hr.Method != string(r.Method) || hr.RequestURI != string(r.Target) || hr.ProtoMinor != r.Minor {
		t.Fatalf("request line: net/http %q %q 1.%d, h1 %q %q 1.%d", hr.Method, hr.RequestURI, hr.ProtoMinor, r.Method, r.Target, r.Minor)
	}
	ours := map[string][]string{}
	for _, h := range r.Headers {
		k := textproto.CanonicalMIMEHeaderKey(string(h.Name))
		ours[k] = append(ours[k], string(h.Value))
	}
	for k, vs := range ours {
		if k == "Host" || k == "Transfer-Encoding" {
			continue
		}
		theirs := hr.Header[k]
		if len(theirs) != len(vs) {
			t.Fatalf("header %s: net/http %q, h1 %q", k, theirs, vs)
		}
		for i := range vs {
			if theirs[i] != vs[i] {
				t.Fatalf("header %s: net/http %q, h1 %q", k, theirs, vs)
			}
		}
	}
	if !strings.EqualFold(hr.Host, string(r.Host)) {
		t.Fatalf("Host: net/http %q, h1 %q", hr.Host, r.Host)
	}
	switch r.Body {
	case BodyChunked:
		if len(hr.TransferEncoding) != 1 || hr.TransferEncoding[0] != "chunked" {
			t.Fatalf("framing: h1 chunked, net/http %v", hr.TransferEncoding)
		}
	case BodyLength:
		if hr.ContentLength != r.ContentLength {
			t.Fatalf("length: net/http %d, h1 %d", hr.ContentLength, r.ContentLength)
		}
	case BodyNone:
		if hr.ContentLength > 0 || len(hr.TransferEncoding) > 0 {
			t.Fatalf("framing: h1 none, net/http %d %v", hr.ContentLength, hr.TransferEncoding)
		}
	}
	if !r.HadCLAndTE && hr.Close != r.Close {
		t.Fatalf("Close: net/http %v, h1 %v", hr.Close, r.Close)
	}
}

func TestDifferentialNetHTTP(t *testing.T) {
	both := 0
	for _, s := range requestSeeds {
		var r Request
		if ParseRequest([]byte(s), &r, nil) != nil {
			continue
		}
		if _, err := http.ReadRequest(bufio.NewReader(bytes.NewReader([]byte(s[:r.HeadLen])))); err == nil {
			both++
		}
		diffNetHTTP(t, []byte(s[:r.HeadLen]), &r)
	}
	if both < 8 {
		t.Fatalf("only %d inputs accepted by both parsers; the comparison is not exercised", both)
	}
}

func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{
		string(smallResponse),
		req("HTTP/1.1 200 OK", "Transfer-Encoding: chunked"),
		req("HTTP/1.0 200 OK"),
		req("HTTP/1.1 204 No Content"),
		req("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade"),
		req("HTTP/1.1 200", "Content-Length: 0"),
		req("HTTP/1.1 200 OK", "Content-Length: 1", "Transfer-Encoding: chunked"),
		"HTTP/1.1 200 OK\nX: y\n\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, buf []byte, head bool) {
		var r Response
		err := ParseResponse(buf, &r, head, nil)
		if err != nil {
			if e, ok := err.(*Error); ok {
				if e.Status != 502 {
					t.Fatalf("response error with status %d", e.Status)
				}
			} else if err != ErrIncomplete {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if r.HeadLen <= 0 || r.HeadLen > len(buf) {
			t.Fatalf("HeadLen %d of %d", r.HeadLen, len(buf))
		}
		out := AppendResponseHead(nil, &r)
		var back Response
		if err := ParseResponse(out, &back, head, nil); err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if back.Status != r.Status || !bytes.Equal(back.Reason, r.Reason) || back.Body != r.Body ||
			back.ContentLength != r.ContentLength || back.Close != r.Close || len(back.Headers) != len(r.Headers) {
			t.Fatalf("round trip differs: %q vs %q", buf[:r.HeadLen], out)
		}
		if _, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(buf[:r.HeadLen])), nil); err == nil && !head {
			// Both accept: status codes agree.
			hr, _ := http.ReadResponse(bufio.NewReader(bytes.NewReader(buf[:r.HeadLen])), nil)
			if hr.StatusCode != r.Status {
				t.Fatalf("status: net/http %d, h1 %d", hr.StatusCode, r.Status)
			}
		}
	})
}

func FuzzChunked(f *testing.F) {
	for _, s := range []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"5;a=b;c=\"d\"\r\nhello\r\n0\r\nX: y\r\n\r\nNEXT",
		"1\nx\r\n0\r\n\r\n",
		"0x1\r\nx\r\n0\r\n\r\n",
		"ffffffffffffffffff\r\n",
		"0\r\nX: a\r\n b\r\n\r\n",
	} {
		f.Add([]byte(s), uint16(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, split uint16) {
		whole := scanWhole(in)
		if whole.n < 0 || whole.n > len(in) {
			t.Fatalf("n %d of %d", whole.n, len(in))
		}
		if b := scanBytes(in); b != whole {
			t.Fatalf("byte by byte %+v, whole %+v", b, whole)
		}
		k := int(split) % (len(in) + 1)
		if s := scanSplit(in, k); s != whole {
			t.Fatalf("split at %d: %+v, whole %+v", k, s, whole)
		}
		if !whole.done && !whole.err && whole.n != len(in) {
			t.Fatalf("incomplete but consumed %d of %d", whole.n, len(in))
		}
		if whole.done {
			// net/http's decoder accepts every body h1 accepts (its
			// chunk-line limit aside, which h1 sizes differently).
			_, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(in[:whole.n])))
			if err != nil && !strings.Contains(err.Error(), "too long") {
				t.Fatalf("h1 accepted %q, net/http: %v", in[:whole.n], err)
			}
		}
	})
}
