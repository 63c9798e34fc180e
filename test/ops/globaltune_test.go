package ops_test

import (
	"fmt"
	"strings"
	"testing"

	"baton/test/harness"
)

// TestNodeAndMaxHeaders: "node" names the instance in show info, and
// "tune.http.maxhdr N" counts the request line, so N-1 fields pass and
// N are refused (HAProxy with 400, Baton with 431: see
// test/hardening), under both proxies.
func TestNodeAndMaxHeaders(t *testing.T) {
	cfg := `global
    stats socket ${SOCK} level admin
    node edge-7
    tune.http.maxhdr 5
` + httpDefaults + `
frontend fe
    bind ${FE}
    http-request return status 200 content-type text/plain string ok
`
	ps := startPair(t, cfg, nil, "FE")
	for _, p := range ps {
		if out := p.cmd(t, "show info"); !strings.Contains(out, "\nnode: edge-7\n") {
			t.Errorf("%s: show info has no node edge-7:\n%s", p.name, out)
		}
		for fields, ok := range map[int]bool{4: true, 5: false} {
			var extra []string
			for i := 1; i < fields; i++ { // Host is the first
				extra = append(extra, fmt.Sprintf("X-%d: v", i))
			}
			r := harness.RoundTrip(t, p.addrs["FE"], harness.Request("GET", "/", extra...)+"\r\n")
			if (r.Status == 200) != ok || r.Status == 0 {
				t.Errorf("%s: %d fields: status %d, want ok=%v", p.name, fields, r.Status, ok)
			}
		}
	}
}
