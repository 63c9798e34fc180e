package proxy

import (
	"io"
	"net/http"
	"testing"

	"baton/internal/config"
)

// The backend's http-request rules run after the frontend's, once the
// backend is chosen; its http-response rules run before the frontend's.
// Values both build from samples survive (each side has its own scratch).
func TestBackendRules(t *testing.T) {
	s := newLabelled(t, "s", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Internal", "1")
		io.WriteString(w, "ok")
	})
	fe := &config.Proxy{Name: "fe", Kind: config.KindFrontend, Mode: config.ModeHTTP,
		Binds: []config.Bind{{Addr: "test:fe"}}, Timeouts: defaultTimeouts(), DefaultBackend: "app"}
	fe.RequestRules = []config.HTTPRule{{Action: "set-header", Name: "X-Fe", Value: "fe-%[path]"}}
	fe.ResponseRules = []config.HTTPRule{{Action: "set-header", Name: "X-Order", Value: "fe"}}
	admin := &config.ACL{Name: "admin", Fetch: "path_beg", Values: []string{"/admin"}}
	be := backendProxy("app", s.addr())
	be.ACLs = []config.ACL{*admin}
	be.RequestRules = []config.HTTPRule{
		{Action: "deny", Status: 403, Cond: aclCond(admin)},
		{Action: "set-header", Name: "X-Be", Value: "be-%[method]"},
	}
	be.ResponseRules = []config.HTTPRule{
		{Action: "set-header", Name: "X-Order", Value: "be"},
		{Action: "set-header", Name: "X-Be-Resp", Value: "%[path]"},
		{Action: "del-header", Name: "X-Internal"},
	}
	h := start(t, cfgOf(fe, be))
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
