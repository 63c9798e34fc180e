package ops_test

import (
	"strings"
	"testing"

	"baton/test/harness"
)

// TestPreferLastServer: with "option prefer-last-server", a keep-alive
// client whose server connection stays its own (http-reuse never) keeps
// going to that server; without it, round robin moves every request on.
// HAProxy 2.6 behaves the same on the same file.
func TestPreferLastServer(t *testing.T) {
	cfg := `global
    stats socket ${SOCK} level admin
` + httpDefaults + `
listen prefer
    bind ${PREFER}
    option prefer-last-server
    http-reuse never
    balance roundrobin
    server a ${A}
    server b ${B}
    server c ${C}

listen plain
    bind ${PLAIN}
    http-reuse never
    balance roundrobin
    server a ${A}
    server b ${B}
    server c ${C}
`
	shared := map[string]string{"A": origin(t, "a"), "B": origin(t, "b"), "C": origin(t, "c")}
	ps := startPair(t, cfg, shared, "PREFER", "PLAIN")
	for _, p := range ps {
		seen := func(fe string) string {
			c := harness.Dial(t, p.addrs[fe])
			defer c.Close()
			var got []string
			for range 4 {
				c.Send(harness.Request("GET", "/", "Host: x") + "\r\n")
				got = append(got, c.Read("GET").Get("X-Backend"))
			}
			return strings.Join(got, ",")
		}
		if got := seen("PREFER"); got != "a,a,a,a" {
			t.Errorf("%s: prefer-last-server sent a keep-alive client's requests to %s, want a,a,a,a", p.name, got)
		}
		if got := seen("PLAIN"); got != "a,b,c,a" {
			t.Errorf("%s: without prefer-last-server: %s, want a,b,c,a", p.name, got)
		}
	}
}
