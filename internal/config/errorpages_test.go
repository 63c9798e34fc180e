package config

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"baton/internal/h1"
)

func TestParseErrorPage(t *testing.T) {
	tests := []struct {
		in   string
		want string // "close|keep STATUS head..body" or "error: ..."
	}{
		{"", "silent"},
		{"HTTP/1.1 503 Down\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabc", "keep 503 HTTP/1.1 503 Down\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabc"},
		{"HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html>\n", "close 503 HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html>\n"},
		{"HTTP/1.1 503 X\nContent-Length: 3\n\nabc", "keep 503 HTTP/1.1 503 X\r\nContent-Length: 3\r\n\r\nabc"},
		{"HTTP/1.1 503 X\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc", "close 503 HTTP/1.1 503 X\r\nContent-Length: 3\r\n\r\nabc"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "keep 200 HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{"HTTP/1.1 503 X\r\nContent-Length: 3\r\n\r\nabcdef", "error: the payload is 6 bytes but Content-Length says 3"},
		{"HTTP/1.1 503 X\r\nContent-Length: 10\r\n\r\nabc", "error: the payload is 3 bytes but Content-Length says 10"},
		{"HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "error: chunked payloads are not supported"},
		{"not http\n", "error: no empty line ends the head"},
		{"not http\r\n\r\nbody", "error: not a valid HTTP response"},
		{"HTTP/1.1 5x3 X\r\n\r\n", "error: not a valid HTTP response"},
		{"HTTP/1.1 503 X\r\nBad Header\r\n\r\n", "error: not a valid HTTP response"},
	}
	for _, tt := range tests {
		e, err := parseErrorPage([]byte(tt.in))
		var got string
		switch {
		case err != nil:
			got = "error: " + err.Error()
		case e.Silent:
			got = "silent"
		default:
			mode := "keep"
			if e.MustClose() {
				mode = "close"
			}
			got = fmt.Sprintf("%s %d %s", mode, e.Status, e.Append(nil, false))
		}
		if strings.HasPrefix(tt.want, "error: ") {
			if !strings.Contains(got, tt.want[7:]) || !strings.HasPrefix(got, "error: ") {
				t.Errorf("parseErrorPage(%q) = %q, want %q", tt.in, got, tt.want)
			}
		} else if got != tt.want {
			t.Errorf("parseErrorPage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	e, _ := parseErrorPage([]byte("HTTP/1.1 503 X\r\nContent-Length: 1\r\n\r\nz"))
	if got := string(e.Append(nil, true)); got != "HTTP/1.1 503 X\r\nContent-Length: 1\r\nconnection: close\r\n\r\nz" {
		t.Errorf("Append(close) = %q", got)
	}
}

var pageFiles = map[string]string{
	"/e/503.http": "HTTP/1.1 503 Down\r\nContent-Length: 4\r\n\r\ndown",
	"/e/502.http": "HTTP/1.1 502 Bad\r\nContent-Length: 3\r\n\r\nbad",
	"/e/403.http": "HTTP/1.0 403 No\r\n\r\nno",
	"/e/bad.http": "garbage",
	"/e/body.txt": "sorry",
	"/e/lf.txt":   "load: %[src]",
	"/e/big.http": "HTTP/1.1 503 X\r\nContent-Length: 20000\r\n\r\n" + strings.Repeat("a", 20000),
}

func parsePages(t *testing.T, src string) (*Config, error) {
	t.Helper()
	return ParseSourcesWith([]Source{{Name: "t.cfg", Data: []byte(src)}}, Options{ReadFile: func(name string) ([]byte, error) {
		if d, ok := pageFiles[name]; ok {
			return []byte(d), nil
		}
		return nil, fmt.Errorf("open %s: no such file", name)
	}})
}

// pagesOf describes a proxy's pages: "CODE:STATUS:FROM-LINE" sorted.
func pagesOf(p *Proxy) string {
	var out []string
	for code, e := range p.ErrorPages {
		out = append(out, fmt.Sprintf("%d:%d:%s", code, e.Status, strings.TrimPrefix(e.From, "t.cfg:")))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestErrorPageLines(t *testing.T) {
	const head = "defaults\n  mode http\n  timeout client 1s\n  timeout connect 1s\n  timeout server 1s\n" // 5 lines
	tests := []struct {
		name, src string
		want      map[string]string // proxy name -> pages, or "error" -> substring
	}{
		{name: "defaults inherited, proxy overrides",
			src:  head + "  errorfile 503 /e/503.http\n  errorfile 502 /e/502.http\nbackend b\n  errorloc 503 /maint\nbackend c\n",
			want: map[string]string{"b": "502:502:7 503:302:9", "c": "502:502:7 503:503:6"}},
		{name: "errorloc303 and http-error",
			src:  head + "backend b\n  errorloc303 500 http://x/\n  http-error status 429 content-type text/plain string \"slow\" hdr X-A b\n  http-error status 504\n",
			want: map[string]string{"b": "429:429:8 500:303:7 504:504:9"}},
		{name: "http-errors section, imported whole and in part, after use",
			src:  head + "backend b\n  errorfiles site\nbackend c\n  errorfiles site 403\n  errorfile 503 /e/503.http\nhttp-errors site\n  errorfile 503 /e/503.http\n  errorfile 403 /e/403.http\n",
			want: map[string]string{"b": "403:403:13 503:503:12", "c": "403:403:13 503:503:10"}},
		{name: "later lines win; default-errorfiles forgets",
			src:  head + "  errorfile 503 /e/503.http\nbackend b\n  errorloc 502 /x\n  http-error status 503 default-errorfiles\n  errorfile 502 /e/502.http\n",
			want: map[string]string{"b": "502:502:10"}},
		{name: "http-error errorfiles falls back when the section lacks the code",
			src:  head + "http-errors s\n  errorfile 403 /e/403.http\nbackend b\n  errorfile 503 /e/503.http\n  http-error status 503 errorfiles s\n  http-error status 403 errorfiles s\n",
			want: map[string]string{"b": "403:403:7 503:503:9"}},
		{name: "http-error payloads",
			src:  head + "backend b\n  http-error status 503 content-type text/plain file /e/body.txt\n  http-error status 502 content-type text/plain lf-string \"plain text\"\n  http-error status 500 errorfile /e/503.http\n",
			want: map[string]string{"b": "500:503:9 502:502:8 503:503:7"}},
		{name: "unhandled code", src: head + "  errorfile 418 /e/503.http\n", want: map[string]string{"error": `t.cfg:6: errorfile: status code "418" not handled`}},
		{name: "missing file", src: head + "  errorfile 503 /e/none.http\n", want: map[string]string{"error": "t.cfg:6: errorfile: open /e/none.http: no such file"}},
		{name: "invalid file", src: head + "  errorfile 503 /e/bad.http\n", want: map[string]string{"error": "t.cfg:6: errorfile: /e/bad.http: not an HTTP response"}},
		{name: "file cut at the buffer size", src: head + "  errorfile 503 /e/big.http\n", want: map[string]string{"error": "t.cfg:6: errorfile: /e/big.http: the payload is 16343 bytes but Content-Length says 20000"}},
		{name: "errorfile arguments", src: head + "  errorfile 503\n", want: map[string]string{"error": "errorfile: expects a status code and a file"}},
		{name: "errorloc arguments", src: head + "  errorloc 503\n", want: map[string]string{"error": "errorloc: expects a status code and a URL"}},
		{name: "unknown section", src: head + "backend b\n  errorfiles nope\n", want: map[string]string{"error": `t.cfg:7: errorfiles nope: no http-errors section named "nope"`}},
		{name: "errorfiles code", src: head + "backend b\n  errorfiles s 418\n", want: map[string]string{"error": `errorfiles: status code "418"`}},
		{name: "http-error without content-type", src: head + "  http-error status 503 string down\n", want: map[string]string{"error": "a content-type is needed"}},
		{name: "http-error two payloads", src: head + "  http-error status 503 content-type a/b string x string y\n", want: map[string]string{"error": "only one of"}},
		{name: "http-error log-format", src: head + "  http-error status 503 content-type a/b lf-file /e/lf.txt\n", want: map[string]string{"error": "log-format expressions are not supported"}},
		{name: "http-error hdr log-format", src: head + "  http-error status 503 hdr X %[src]\n", want: map[string]string{"error": "log-format values are not supported"}},
		{name: "http-error status first", src: head + "  http-error content-type a/b\n", want: map[string]string{"error": "expects status CODE first"}},
		{name: "http-errors keyword", src: "http-errors s\n  errorloc 503 /x\n", want: map[string]string{"error": `t.cfg:2: unknown keyword "errorloc" in http-errors section`}},
		{name: "http-errors twice", src: "http-errors s\nhttp-errors s\n", want: map[string]string{"error": `t.cfg:2: http-errors "s": already declared at t.cfg:1`}},
		{name: "http-errors name", src: "http-errors\n  errorfile 503 /e/503.http\n", want: map[string]string{"error": "t.cfg:1: http-errors: expects one name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parsePages(t, tt.src)
			if want, ok := tt.want["error"]; ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range c.Proxies {
				if got := pagesOf(p); got != tt.want[p.Name] {
					t.Errorf("proxy %s pages %q, want %q", p.Name, got, tt.want[p.Name])
				}
			}
		})
	}
	c, err := parsePages(t, "frontend f\n  mode tcp\n  bind :1\n  timeout client 1s\n  errorfile 503 /e/503.http\n")
	if err != nil || !strings.Contains(strings.Join(c.Warnings, "\n"), "error pages need mode http") {
		t.Errorf("tcp frontend with an errorfile: %v %q", err, c.Warnings)
	}
	page := func(src string) string {
		c, err := parsePages(t, head+"backend b\n"+src)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, code := range []int{503, 502} {
			if e := c.Proxies[0].ErrorPages[code]; e != nil {
				out = append(out, string(e.Append(nil, false)))
			}
		}
		return strings.Join(out, "|")
	}
	if got := page("  errorloc 503 /maint\n"); got != "HTTP/1.1 302 Found\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: /maint\r\n\r\n" {
		t.Errorf("errorloc page %q", got)
	}
	if got := page("  http-error status 503 content-type text/plain string down hdr X-Err yes\n  http-error status 502\n"); got !=
		"HTTP/1.1 503 Service Unavailable\r\nX-Err: yes\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n\r\ndown|HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n" {
		t.Errorf("http-error pages %q", got)
	}
}

// FuzzErrorPage: a file is refused or becomes a page whose response reads
// back as a valid HTTP response with the page's status, and whose body
// is what the file held.
func FuzzErrorPage(f *testing.F) {
	for _, s := range pageFiles {
		f.Add([]byte(s))
	}
	f.Add([]byte("HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n<html>\n"))
	f.Add([]byte("HTTP/1.1 503 X\nContent-Length: 3\n\nabc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := parseErrorPage(data)
		if err != nil || e.Silent {
			return
		}
		for _, close := range []bool{false, true} {
			out := e.Append(nil, close)
			var r h1.Response
			if err := h1.ParseResponse(out, &r, false, nil); err != nil {
				t.Fatalf("%q: page %q does not parse: %v", data, out, err)
			}
			if r.Status != e.Status || string(out[r.HeadLen:]) != string(e.Body) {
				t.Fatalf("%q: page %q: status %d body %q", data, out, r.Status, out[r.HeadLen:])
			}
			if e.Framed && r.ContentLength != int64(len(e.Body)) {
				t.Fatalf("%q: framed page with Content-Length %d for %d bytes", data, r.ContentLength, len(e.Body))
			}
		}
	})
}
