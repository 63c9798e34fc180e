package h2_test

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
)

// TestConnectionTrackedStreams: the streams of an HTTP/2 connection count
// on the entry its tcp-request connection rule tracks (the rate-limit
// pattern), so a per-client request limit holds for HTTP/2 clients as
// for HTTP/1.1 ones, under Baton and HAProxy alike: on one connection,
// the fourth request and those after it are denied, and the entry counts
// the connection once, not once per stream.
func TestConnectionTrackedStreams(t *testing.T) {
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			e := newEnv(t, "a")
			cfg := strings.Replace(e.config("a"), "frontend clear\n", `frontend clear
    stick-table type ip size 100 expire 60s store http_req_cnt,conn_cnt
    tcp-request connection track-sc0 src
    http-request deny deny_status 429 if { sc0_http_req_cnt gt 3 }
    http-response set-header X-Conns %[sc0_conn_cnt]
`, 1)
			e.start(t, proxy, cfg)
			var dials atomic.Int64
			c := e.client(t, false, &dials)
			var got, conns []string
			for range 6 {
				resp, err := c.Get("http://localhost/x")
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				got = append(got, fmt.Sprintf("%s %d", resp.Proto, resp.StatusCode))
				if resp.StatusCode == 200 {
					conns = append(conns, resp.Header.Get("X-Conns"))
				}
			}
			want := "[HTTP/2.0 200 HTTP/2.0 200 HTTP/2.0 200 HTTP/2.0 429 HTTP/2.0 429 HTTP/2.0 429]"
			if fmt.Sprint(got) != want || dials.Load() != 1 {
				t.Errorf("answers %v on %d connections, want %s on 1", got, dials.Load(), want)
			}
			// The readiness probe's connection counted too: what matters is
			// that the streams add none.
			if len(conns) != 3 || conns[0] == "" || conns[1] != conns[0] || conns[2] != conns[0] {
				t.Errorf("sc0_conn_cnt on the streams: %q, want one value", conns)
			}
		})
	}
}
