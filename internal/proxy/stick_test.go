package proxy

import (
	"testing"

	"baton/internal/backend"
)

// TestKeepAliveTrackAllocs is TestKeepAliveRequestAllocs through the
// rate-limit pattern (track-sc0 src, a counter incremented, the rate
// read by a deny rule): a tracked keep-alive request allocates nothing.
func TestKeepAliveTrackAllocs(t *testing.T) {
	cfg := parseConfig(t, `frontend fe
 bind 127.0.0.1:1
 stick-table type ip size 1k expire 30s store http_req_rate(10s),http_req_cnt,gpc0,conn_cur,bytes_out_cnt
 http-request track-sc0 src
 http-request sc-inc-gpc0(0)
 http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100000000 }
 default_backend web
backend web
 server w ${S}
`, map[string]string{"S": rawBackend(t)})
	keepAliveAllocs(t, cfg.Frontends()[0], Options{Log: &syncBuffer{}}, cfg)
}

// TestStickServerID: a stick table stores a server's id, which is its
// server line's "id" when given (the others are numbered from 1 around
// the given ones, as in HAProxy), so entries name the same server when
// the servers are reordered.
func TestStickServerID(t *testing.T) {
	cfg := parseConfig(t, `backend b
 server s1 127.0.0.1:1 id 7
 server s2 127.0.0.1:2
 server s3 127.0.0.1:3 id 1
`, nil)
	var b *backend.Backend
	for _, p := range cfg.Proxies {
		if p.Name == "b" {
			b = backend.New(p)
		}
	}
	want := map[string]int64{"s1": 7, "s2": 2, "s3": 1}
	for _, s := range b.Servers {
		if got := serverID(s); got != want[s.Name] {
			t.Errorf("serverID(%s) = %d, want %d", s.Name, got, want[s.Name])
		}
		if got := serverByID(b, want[s.Name]); got != s {
			t.Errorf("serverByID(%d) = %v, want %s", want[s.Name], got, s.Name)
		}
	}
	if got := serverByID(b, 3); got != nil {
		t.Errorf("serverByID(3) = %s, want none", got.Name)
	}
}
