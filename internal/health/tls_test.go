package health

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"baton/internal/backend"
	"baton/internal/config"
)

// Checks with TLS (check-ssl): a handshake alone ("Layer6"), or an
// httpchk over TLS; a server that does not speak TLS goes down.
func TestTLSChecks(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	plain := newCheckServer(t)
	tc := &tls.Config{InsecureSkipVerify: true}
	cases := []struct {
		name   string
		addr   string
		chk    *config.HTTPCheck
		up     bool
		reason string
	}{
		{"handshake", strings.TrimPrefix(srv.URL, "https://"), nil, true, "Layer6 check passed"},
		{"httpchk over tls", strings.TrimPrefix(srv.URL, "https://"), &config.HTTPCheck{Method: "GET", URI: "/healthz"}, true, "Layer7 check passed, code: 200"},
		{"plain server", strings.TrimPrefix(plain.URL, "http://"), nil, false, "Layer6"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := proxyFor(c.addr, c.chk, 1, 1)
			b := backend.New(p)
			if !c.up {
				b.Servers[0].SetHealthy(true)
			} else {
				b.Servers[0].SetHealthy(false)
			}
			ch := make(chan change, 16)
			k := New(p, b, Options{
				OnChange: func(s *backend.Server, up bool, r Result) { ch <- change{up: up, reason: r.Reason()} },
				TLS:      func(*backend.Server) *tls.Config { return tc },
			})
			k.Start(context.Background())
			t.Cleanup(k.Stop)
			got := next(t, ch)
			if got.up != c.up || !strings.Contains(got.reason, c.reason) {
				t.Errorf("up=%v %q, want up=%v %q", got.up, got.reason, c.up, c.reason)
			}
		})
	}
}
