package e2e_test

import (
	"bufio"
	"net"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestRateLimitSessions: with "rate-limit sessions 10", 30 clients
// connecting at once are all served, but no more than 20 in the first
// half second after the first answer, and the last one not before a
// second has passed (the others wait in the accept queue). Without the
// limit all are served within milliseconds. The bounds leave room for
// the sliding second (a burst at the end of one period and a share of
// the next can come close together) and for HAProxy's threads, which
// each check the rate before counting what they accept (HAProxy served
// 9 to 17 in the first 500ms here, Baton 9 to 11). Load only delays
// answers, which keeps both bounds true.
func TestRateLimitSessions(t *testing.T) {
	run(t, []scenario{{
		name: "rate-limit-sessions",
		cfg: base + `
frontend fe
    bind ${FE}
    rate-limit sessions 10
    http-request return status 200
`,
		check: func(e *env) {
			const clients = 30
			var mu sync.Mutex
			var done []time.Time
			var wg sync.WaitGroup
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.DialTimeout("tcp", e.fe(), 5*time.Second)
					if err != nil {
						e.t.Error(err)
						return
					}
					defer c.Close()
					c.SetDeadline(time.Now().Add(20 * time.Second))
					if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
						e.t.Error(err)
						return
					}
					resp, err := http.ReadResponse(bufio.NewReader(c), nil)
					if err != nil || resp.StatusCode != 200 {
						e.t.Errorf("response %v, %v", resp, err)
						return
					}
					mu.Lock()
					done = append(done, time.Now())
					mu.Unlock()
				}()
			}
			wg.Wait()
			if len(done) != clients {
				return
			}
			sort.Slice(done, func(i, j int) bool { return done[i].Before(done[j]) })
			t0 := done[0]
			early := 0
			for _, d := range done {
				if d.Sub(t0) < 500*time.Millisecond {
					early++
				}
			}
			e.t.Logf("%d served in the first 500ms, the last after %v", early, done[clients-1].Sub(t0))
			if early > 20 {
				e.t.Errorf("%d sessions served in the first 500ms at 10 per second", early)
			}
			if last := done[clients-1].Sub(t0); last < time.Second {
				e.t.Errorf("all %d sessions served within %v at 10 per second", clients, last)
			}
		},
	}})
}
