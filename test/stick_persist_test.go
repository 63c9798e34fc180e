package e2e_test

import (
	"fmt"
	"testing"

	"baton/test/harness"
)

// TestStickPersistence: stick on src keeps each client on one server
// under round robin; stick store-response records the server under a
// key the response carries and stick match sends requests naming that
// key to it.
// roundRobinApp is the head of the persistence scenarios: a frontend
// whose backend app balances round robin (the scenario adds its lines
// and servers).
const roundRobinApp = base + `
frontend fe
    bind ${FE}
    default_backend app
backend app
    balance roundrobin`

func TestStickPersistence(t *testing.T) {
	run(t, []scenario{{
		name: "stick-on-src",
		cfg: roundRobinApp + `
    stick-table type ip size 1k expire 30m
    stick on src
    server s1 ${S1}
    server s2 ${S2}
`,
		check: func(e *env) {
			for _, src := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
				first := getFrom(e.t, src, e.fe(), "/").Get("X-Backend")
				for i := 0; i < 4; i++ {
					if got := getFrom(e.t, src, e.fe(), "/").Get("X-Backend"); got != first || got == "" {
						e.t.Errorf("client %s: request %d went to %q, its first to %q", src, i+2, got, first)
					}
				}
			}
		},
	}, {
		name: "store-response-match",
		cfg: roundRobinApp + `
    stick-table type string len 16 size 1k expire 30m
    stick match req.hdr(x-want)
    stick store-response res.hdr(x-backend)
    server s1 ${S1}
    server s2 ${S2}
`,
		check: func(e *env) {
			seen := map[string]bool{}
			for i := 0; i < 2; i++ { // round robin: one request each
				seen[harness.Get(e.t, e.fe(), "/").Get("X-Backend")] = true
			}
			if !seen["s1"] || !seen["s2"] {
				e.t.Fatalf("round robin reached %v", seen)
			}
			for i := 0; i < 6; i++ {
				want := []string{"s1", "s2"}[i%3/2]
				e.do(req{path: "/", headers: []string{"X-Want: " + want}, status: 200, backend: want,
					describe: fmt.Sprintf("request %d naming %s", i, want)})
			}
		},
	}})
}
