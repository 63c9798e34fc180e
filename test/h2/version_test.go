package h2_test

import (
	"io"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRequestVersion: a request on an HTTP/2 stream is version 2.0 for
// the rules (req.ver, the HTTP_2.0 ACL) and for the log format's request
// line (%HV, %r, whose target is in absolute form, scheme and authority
// first), under Baton and HAProxy alike, though Baton parses and forwards
// it as HTTP/1.1.
func TestRequestVersion(t *testing.T) {
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			e := newEnv(t, "a")
			cfg := strings.Replace(e.config("a"), "frontend clear\n", `frontend clear
    http-request return status 200 content-type text/plain lf-string "%[req.ver] %HV h2=%[bool(1)] %r" if HTTP_2.0
    http-request return status 500 content-type text/plain lf-string "%[req.ver]"
`, 1)
			e.start(t, proxy, cfg)
			var dials atomic.Int64
			c := e.client(t, false, &dials)
			resp, err := c.Get("http://localhost/v?q=1")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := "2.0 HTTP/2.0 h2=1 GET http://localhost/v?q=1 HTTP/2.0"
			if resp.StatusCode != 200 || string(body) != want {
				t.Errorf("%s %d %q, want 200 %q", resp.Proto, resp.StatusCode, body, want)
			}
		})
	}
}
