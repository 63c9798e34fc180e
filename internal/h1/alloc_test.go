package h1

import (
	"testing"
)

// browserRequest is a typical browser request: about 500 bytes, 10 fields.
var browserRequest = []byte("GET /static/app/main.3f9a1c.js?v=20240611 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0\r\n" +
	"Accept: */*\r\n" +
	"Accept-Language: en-GB,en;q=0.7,fr;q=0.3\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Referer: https://www.example.com/products/shoes?colour=blue\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: session=8d3b2f1e6a7c4b5d9e0f1a2b3c4d5e6f; theme=dark; consent=yes\r\n" +
	"Sec-Fetch-Dest: script\r\n" +
	"Sec-Fetch-Mode: no-cors\r\n" +
	"\r\n")

var smallResponse = []byte("HTTP/1.1 200 OK\r\n" +
	"Date: Tue, 11 Jun 2024 10:00:00 GMT\r\n" +
	"Content-Type: application/json\r\n" +
	"Content-Length: 27\r\n" +
	"Cache-Control: no-store\r\n" +
	"\r\n")

var badRequest = []byte("GET /#x HTTP/1.1\r\n\r\n")

var chunkedBody = []byte("400\r\n" + string(make([]byte, 1024)) + "\r\n" +
	"1a;ext=val\r\nabcdefghijklmnopqrstuvwxyz\r\n" +
	"0\r\nX-Checksum: abc\r\n\r\n")

func TestAllocs(t *testing.T) {
	var r Request
	r.Headers = make([]Header, 0, 32)
	var resp Response
	resp.Headers = make([]Header, 0, 32)
	var s ChunkedScanner
	dst := make([]byte, 0, 4096)
	if err := ParseRequest(browserRequest, &r, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		f    func()
	}{
		{"ParseRequest", func() {
			if ParseRequest(browserRequest, &r, nil) != nil {
				panic("parse")
			}
		}},
		{"ParseResponse", func() {
			if ParseResponse(smallResponse, &resp, false, nil) != nil {
				panic("parse")
			}
		}},
		{"ChunkedScanner.Scan", func() {
			s.Reset()
			if _, done, err := s.Scan(chunkedBody); !done || err != nil {
				panic("scan")
			}
		}},
		{"Header", func() {
			if _, ok := r.Header("sec-fetch-mode"); !ok {
				panic("header")
			}
		}},
		{"Path", func() { _ = r.Path() }},
		{"StripHopByHop", func() {
			_ = ParseRequest(browserRequest, &r, nil)
			r.Headers = StripHopByHop(r.Headers)
		}},
		{"SetHeader/DelHeader", func() {
			r.SetHeader("X-Forwarded-For", r.Host)
			r.DelHeader("X-Forwarded-For")
		}},
		{"AppendRequestHead", func() { dst = AppendRequestHead(dst[:0], &r) }},
		{"AppendResponseHead", func() { dst = AppendResponseHead(dst[:0], &resp) }},
		{"AppendStatusResponse", func() { dst = AppendStatusResponse(dst[:0], 503, true) }},
		{"ParseRequest error", func() { _ = ParseRequest(badRequest, &r, nil) }},
		{"ParseRequest incomplete", func() { _ = ParseRequest(browserRequest[:100], &r, nil) }},
		{"ParseResponse error", func() { _ = ParseResponse(badRequest, &resp, false, nil) }},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, c.f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", c.name, n)
		}
	}
}

func BenchmarkParseRequest(b *testing.B) {
	var r Request
	b.ReportAllocs()
	b.SetBytes(int64(len(browserRequest)))
	for b.Loop() {
		if err := ParseRequest(browserRequest, &r, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseResponse(b *testing.B) {
	var r Response
	b.ReportAllocs()
	b.SetBytes(int64(len(smallResponse)))
	for b.Loop() {
		if err := ParseResponse(smallResponse, &r, false, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChunkedScan(b *testing.B) {
	var s ChunkedScanner
	b.ReportAllocs()
	b.SetBytes(int64(len(chunkedBody)))
	for b.Loop() {
		s.Reset()
		if _, done, err := s.Scan(chunkedBody); !done || err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendRequestHead(b *testing.B) {
	var r Request
	if err := ParseRequest(browserRequest, &r, nil); err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(browserRequest)))
	for b.Loop() {
		dst = AppendRequestHead(dst[:0], &r)
	}
}
