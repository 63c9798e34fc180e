package proxy

import (
	"testing"
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
