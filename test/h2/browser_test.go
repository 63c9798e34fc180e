package h2_test

import (
	"strings"
	"testing"

	"baton/test/harness"
)

// TestChromium: headless Chromium loads a page over TLS and a fetch from
// it; both go over HTTP/2 (nextHopProtocol "h2"), under Baton and
// HAProxy alike.
func TestChromium(t *testing.T) {
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			e := newEnv(t, "a")
			e.start(t, proxy, e.config("a"))
			br := harness.StartChromium(t)
			// The test's own CA is not in Chromium's store.
			br.Call("Security.setIgnoreCertificateErrors", map[string]any{"ignore": true}, nil)
			br.Navigate("https://localhost:" + port(e.tlsAddr) + "/page")
			var nav string
			br.Eval(`performance.getEntriesByType("navigation")[0].nextHopProtocol`, &nav)
			var body string
			br.Eval(`fetch("/x").then(r => r.text())`, &body)
			var res string // every resource fetched from the page (the fetch, a favicon)
			br.Eval(`[...new Set(performance.getEntriesByType("resource").map(r => r.nextHopProtocol))].join(",")`, &res)
			if nav != "h2" || res != "h2" || !strings.Contains(body, "backend a") {
				t.Errorf("navigation over %q, fetch over %q answered %q", nav, res, body)
			}
		})
	}
}
