package ops_test

import (
	"strings"
	"testing"

	"baton/test/harness"
)

// TestDescriptionsOnStatsPage: the global description under
// "stats show-desc" and a proxy's description beside its name, on the
// page of Baton and of HAProxy 2.6 from the same configuration.
func TestDescriptionsOnStatsPage(t *testing.T) {
	cfg := `global
    stats socket ${SOCK} level admin
    description Edge node 7
    tune.bufsize 16384
` + httpDefaults + `
listen st
    bind ${ST}
    stats enable
    stats uri /
    stats show-desc
    description The stats listener

backend app
    description Application servers
    server s1 ${S1}
`
	ps := startPair(t, cfg, map[string]string{"S1": origin(t, "s1")}, "ST")
	for _, p := range ps {
		r := harness.RoundTrip(t, p.addrs["ST"], harness.Request("GET", "/", "Connection: close")+"\r\n")
		body := string(r.Body)
		if r.Status != 200 {
			t.Fatalf("%s: status %d", p.name, r.Status)
		}
		for _, want := range []string{
			": Edge node 7</h2>",
			`<th class="desc" width="90%">Application servers</th>`,
			`<th class="desc" width="90%">The stats listener</th>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: page lacks %q", p.name, want)
			}
		}
	}
}
