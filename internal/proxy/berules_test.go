package proxy

import (
	"io"
	"net/http"
	"testing"
)

// The backend's http-request rules run after the frontend's, once the
// backend is chosen; its http-response rules run before the frontend's.
// Values both build from samples survive (each side has its own scratch).
func TestBackendRules(t *testing.T) {
	s := newLabelled(t, "s", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Internal", "1")
		io.WriteString(w, "ok")
	})
	cfg := parseConfig(t, `
frontend fe
    bind 127.0.0.1:1
    http-request set-header X-Fe fe-%[path]
    http-response set-header X-Order fe
    default_backend app
backend app
    server s1 ${S}
    acl admin path_beg /admin
    http-request deny if admin
    http-request set-header X-Be be-%[method]
    http-response set-header X-Order be
    http-response set-header X-Be-Resp %[capture.req.uri]
    http-response del-header X-Internal
`, map[string]string{"S": s.addr()})
	h := start(t, cfg)
	c := h.dial()
	for i := 0; i < 2; i++ { // the second request reuses both inputs' scratch
		resp, body := c.get("/p")
		if resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		if got, want := s.header("X-Fe")+" "+s.header("X-Be"), "fe-/p be-GET"; got != want {
			t.Fatalf("server saw %q, want %q", got, want)
		}
		if got := resp.Header.Get("X-Order"); got != "fe" {
			t.Errorf("X-Order %q: the frontend's response rules must run last", got)
		}
		if resp.Header.Get("X-Be-Resp") != "/p" || resp.Header.Get("X-Internal") != "" {
			t.Errorf("backend response rules not applied: %v", resp.Header)
		}
	}
	resp, _ := c.get("/admin")
	if resp.StatusCode != 403 {
		t.Fatalf("backend deny: %d", resp.StatusCode)
	}
	if n := s.reqs.Load(); n != 2 {
		t.Fatalf("server got %d requests, want 2", n)
	}
}
