package checks_test

import (
	"testing"
	"time"

	"baton/test/harness"
)

// TestObserveLayer7: "observe layer7 error-limit 2 on-error mark-down"
// takes a server answering 503 to traffic down after two such responses
// in a row (its health check still passes and brings it back, at
// downinter), with HAProxy's messages.
func TestObserveLayer7(t *testing.T) {
	origin := newHTTPFake(t, response("503 Service Unavailable", "busy"))
	both(t, func(t *testing.T, start starter) []string {
		health := newHTTPFake(t, response("200 OK", "ok"))
		fe := harness.FreeAddr(t)
		p := start(logged+`
frontend fe
  mode http
  bind `+fe+`
  default_backend be
backend be
  mode http
  option httpchk GET /health
  server s `+origin.Addr+` check port `+port(health.Addr)+` inter 3s downinter 300ms rise 1 fall 1 observe layer7 error-limit 2 on-error mark-down
`, fe)
		// A passing check clears the count of errors (in both): send the
		// requests just after the first check, the next being 3s away.
		harness.Eventually(t, 10*time.Second, "first check", func() bool { return health.request() != "" })
		for i := 0; i < 2; i++ {
			if r := harness.Get(t, fe, "/"); r.Status != 503 {
				t.Fatalf("request %d: %d, want the server's 503", i, r.Status)
			}
		}
		p.wait(10*time.Second, "Server be/s is DOWN", "Health analyze")
		p.wait(10*time.Second, "Server be/s is UP")
		return p.transitions()
	})
}
