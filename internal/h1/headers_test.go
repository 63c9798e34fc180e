package h1

import (
	"strings"
	"testing"
)

func names(h []Header) string {
	var b strings.Builder
	for i, x := range h {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(x.Name)
		b.WriteByte('=')
		b.Write(x.Value)
	}
	return b.String()
}

func TestStripHopByHop(t *testing.T) {
	in := req("GET / HTTP/1.1", "Host: a", "Connection: keep-alive, X-Secret", "Keep-Alive: 5",
		"X-Secret: s", "Proxy-Connection: x", "TE: trailers", "Trailer: X", "Transfer-Encoding: chunked",
		"Upgrade: h2c", "X-Keep: k", "connection: , x-other ,", "X-Other: o", "Accept: */*")
	var r Request
	if err := ParseRequest([]byte(in), &r, nil); err != nil {
		t.Fatal(err)
	}
	got := StripHopByHop(r.Headers)
	if want := "Host=a,X-Keep=k,Accept=*/*"; names(got) != want {
		t.Fatalf("got %s, want %s", names(got), want)
	}
	if got := StripHopByHop(nil); len(got) != 0 {
		t.Fatal("nil")
	}
}

func TestHeaderEdits(t *testing.T) {
	var r Request
	if err := ParseRequest([]byte(req("GET /p HTTP/1.1", "Host: a", "X-A: 1", "Y: 2", "x-a: 3")), &r, nil); err != nil {
		t.Fatal(err)
	}
	r.SetHeader("X-a", []byte("new"))
	if want := "Host=a,X-A=new,Y=2"; names(r.Headers) != want {
		t.Fatalf("SetHeader existing: %s", names(r.Headers))
	}
	r.SetHeader("Z", []byte("z"))
	r.AddHeader("Z", []byte("z2"))
	if want := "Host=a,X-A=new,Y=2,Z=z,Z=z2"; names(r.Headers) != want {
		t.Fatalf("Set/Add new: %s", names(r.Headers))
	}
	r.DelHeader("z")
	r.DelHeader("nothing")
	if want := "Host=a,X-A=new,Y=2"; names(r.Headers) != want {
		t.Fatalf("Del: %s", names(r.Headers))
	}
	var resp Response
	if err := ParseResponse([]byte(req("HTTP/1.1 200 OK", "Content-Length: 0", "Server: s")), &resp, false, nil); err != nil {
		t.Fatal(err)
	}
	resp.SetHeader("server", []byte("baton"))
	resp.AddHeader("X", []byte("1"))
	resp.DelHeader("content-length")
	if v, ok := resp.Header("SERVER"); !ok || string(v) != "baton" {
		t.Fatalf("Server %q", v)
	}
	if want := "Server=baton,X=1"; names(resp.Headers) != want {
		t.Fatalf("response edits: %s", names(resp.Headers))
	}
}

func TestAppendHeads(t *testing.T) {
	in := req("POST /x?y HTTP/1.1", "Host: a", "content-LENGTH: 3")
	var r Request
	if err := ParseRequest([]byte(in), &r, nil); err != nil {
		t.Fatal(err)
	}
	if got := string(AppendRequestHead(nil, &r)); got != in {
		t.Fatalf("request head %q", got)
	}
	rin := req("HTTP/1.0 404 Not Found", "A: b")
	var resp Response
	if err := ParseResponse([]byte(rin), &resp, false, nil); err != nil {
		t.Fatal(err)
	}
	if got := string(AppendResponseHead(nil, &resp)); got != rin {
		t.Fatalf("response head %q", got)
	}
	resp = Response{Minor: 1, Status: 200}
	if got := string(AppendResponseHead(nil, &resp)); got != "HTTP/1.1 200 \r\n\r\n" {
		t.Fatalf("empty reason %q", got)
	}
}

func TestAppendStatusResponse(t *testing.T) {
	for _, code := range []int{400, 403, 404, 405, 408, 413, 414, 421, 431, 500, 501, 502, 503, 504, 505, 299} {
		for _, closing := range []bool{false, true} {
			out := AppendStatusResponse([]byte("prefix"), code, closing)
			if !strings.HasPrefix(string(out), "prefix") {
				t.Fatal("dst not kept")
			}
			var resp Response
			if err := ParseResponse(out[6:], &resp, false, nil); err != nil {
				t.Fatalf("%d: %v", code, err)
			}
			if resp.Status != code || resp.Close != closing || resp.Body != BodyLength {
				t.Fatalf("%d: status %d close %v body %v", code, resp.Status, resp.Close, resp.Body)
			}
			body := out[6+resp.HeadLen:]
			if int64(len(body)) != resp.ContentLength || !strings.Contains(string(body), StatusText(code)) {
				t.Fatalf("%d: body %q length %d", code, body, resp.ContentLength)
			}
		}
	}
	want := "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n" +
		"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"
	if got := string(AppendStatusResponse(nil, 503, true)); got != want {
		t.Fatalf("503:\n%q\nwant\n%q", got, want)
	}
}

func TestPathForms(t *testing.T) {
	for target, want := range map[string]string{
		"/":             "/",
		"/a/b?c=d?e":    "/a/b",
		"/?":            "/",
		"http://h":      "/",
		"http://h/x?y":  "/x",
		"https://h?y":   "/",
		"*":             "*",
		"h:443":         "",
		"HTTPS://h/A/B": "/A/B",
	} {
		r := Request{Target: []byte(target)}
		if got := string(r.Path()); got != want {
			t.Errorf("Path(%q) = %q, want %q", target, got, want)
		}
	}
}
