package compress

import (
	"testing"

	"baton/internal/h1"
)

// TestAllowed: which responses are compressed (checked against HAProxy
// 2.6.12 where it was doubtful: "text/" matches "TEXT/html; charset=...",
// "No-Transform" blocks, Content-Range on a 200 does not, an empty body is
// left alone, a 1-byte one compressed).
func TestAllowed(t *testing.T) {
	resp := func(status int, body h1.BodyKind, cl int64, kv ...string) *h1.Response {
		return &h1.Response{Minor: 1, Status: status, Body: body, ContentLength: cl, Headers: hdrs(kv...)}
	}
	text := []string{"text/", "application/javascript"}
	tests := []struct {
		name     string
		types    []string
		reqMinor int
		head     bool
		r        *h1.Response
		want     bool
	}{
		{"plain 200", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain"), true},
		{"chunked", text, 1, false, resp(200, h1.BodyChunked, 0, "Content-Type", "text/plain"), true},
		{"201", text, 1, false, resp(201, h1.BodyLength, 1, "Content-Type", "text/plain"), true},
		{"203", text, 1, false, resp(203, h1.BodyLength, 1, "Content-Type", "text/plain"), true},
		{"204", text, 1, false, resp(204, h1.BodyNone, 0, "Content-Type", "text/plain"), false},
		{"206 partial", text, 1, false, resp(206, h1.BodyLength, 100, "Content-Type", "text/plain", "Content-Range", "bytes 0-99/200"), false},
		{"200 with Content-Range", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain", "Content-Range", "bytes 0-99/200"), true},
		{"404", text, 1, false, resp(404, h1.BodyLength, 100, "Content-Type", "text/plain"), false},
		{"HTTP/1.0 request", text, 0, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain"), false},
		{"HTTP/1.0 response", text, 1, false, &h1.Response{Minor: 0, Status: 200, Body: h1.BodyLength, ContentLength: 9, Headers: hdrs("Content-Type", "text/plain")}, false},
		{"HEAD", text, 1, true, resp(200, h1.BodyNone, 0, "Content-Type", "text/plain"), false},
		{"empty body", text, 1, false, resp(200, h1.BodyLength, 0, "Content-Type", "text/plain"), false},
		{"until close", text, 1, false, resp(200, h1.BodyUntilClose, 0, "Content-Type", "text/plain"), false},
		{"already encoded", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain", "Content-Encoding", "br"), false},
		{"encoded identity", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain", "content-encoding", "identity"), false},
		{"no-transform", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain", "Cache-Control", "public, No-Transform"), false},
		{"no-transform second field", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain", "Cache-Control", "public", "Cache-Control", "no-transform"), false},
		{"xno-transform", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain", "Cache-Control", "xno-transform"), true},
		{"strong etag", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain", "ETag", `"abc"`), true},
		{"weak etag", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain", "ETag", `W/"abc"`), true},
		{"invalid etag", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain", "ETag", `abc`), false},
		{"two etags", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text/plain", "ETag", `"a"`, "ETag", `"b"`), false},
		{"type prefix case aside", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "TEXT/html; charset=utf-8"), true},
		{"type not listed", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "application/json"), false},
		{"type is a prefix only", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "text"), false},
		{"first content-type counts", text, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "image/png", "Content-Type", "text/plain"), false},
		{"no type with types", text, 1, false, resp(200, h1.BodyLength, 100), false},
		{"no type without types", nil, 1, false, resp(200, h1.BodyLength, 100), true},
		{"any type without types", nil, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "image/png"), true},
		{"multipart never", nil, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "MULTIPART/mixed"), false},
		{"multipart even listed", []string{"multipart/"}, 1, false, resp(200, h1.BodyLength, 100, "Content-Type", "multipart/mixed"), false},
	}
	for _, tt := range tests {
		if got := Allowed(tt.types, tt.reqMinor, tt.head, tt.r); got != tt.want {
			t.Errorf("%s: Allowed = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEditHead(t *testing.T) {
	tests := []struct {
		algo       Algo
		in         []string
		want       []string
		wantWeakET string
	}{
		{Gzip, []string{"Content-Type", "text/plain", "Content-Length", "12", "ETag", `"x"`, "Vary", "Cookie"},
			[]string{"Content-Type", "text/plain", "ETag", `W/"x"`, "Vary", "Cookie", "Vary", "Accept-Encoding", "Content-Encoding", "gzip"}, `W/"x"`},
		{RawDeflate, []string{"ETag", `W/"y"`},
			[]string{"ETag", `W/"y"`, "Vary", "Accept-Encoding", "Content-Encoding", "deflate"}, ""},
		{Deflate, nil, []string{"Vary", "Accept-Encoding", "Content-Encoding", "deflate"}, ""},
		{Identity, []string{"content-length", "5", "etag", `"z"`}, []string{"etag", `W/"z"`, "Vary", "Accept-Encoding"}, `W/"z"`},
	}
	for _, tt := range tests {
		r := &h1.Response{Headers: hdrs(tt.in...)}
		weak := EditHead(r, tt.algo, nil)
		var got []string
		for _, h := range r.Headers {
			got = append(got, string(h.Name), string(h.Value))
		}
		if len(got) != len(tt.want) {
			t.Errorf("%v %q: got %q, want %q", tt.algo, tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%v %q: got %q, want %q", tt.algo, tt.in, got, tt.want)
				break
			}
		}
		if string(weak) != tt.wantWeakET {
			t.Errorf("%v: weak etag buffer %q", tt.algo, weak)
		}
	}
}
