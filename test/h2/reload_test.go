package h2_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/test/harness"
)

// TestReloadStreamsInFlight: HTTP/2 clients keep many streams in flight
// (slow responses, several per connection, over TLS and in clear text)
// while Baton reloads, flipping the backend each time. No stream fails;
// the old generation's connections are drained by GOAWAY, so the clients
// reconnect (to the new generation), and a new connection after each
// reload is answered by the new configuration.
func TestReloadStreamsInFlight(t *testing.T) {
	e := newEnv(t, "a", "b")
	bt := e.start(t, "baton", e.config("a"))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var requests, failures, dials, tlsDials, resumed atomic.Int64
	var failMu sync.Mutex
	var failMsgs []string
	for i := 0; i < 4; i++ {
		useTLS := i%2 == 0
		d := &dials
		if useTLS {
			d = &tlsDials
		}
		c := e.clientResumed(t, useTLS, d, &resumed)
		for j := 0; j < 5; j++ { // five streams at a time on the connection
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					_, err := get(c, useTLS, "/slow?ms=30")
					requests.Add(1)
					if err != nil {
						failures.Add(1)
						failMu.Lock()
						failMsgs = append(failMsgs, err.Error())
						failMu.Unlock()
					}
				}
			}()
		}
	}
	harness.Eventually(t, 10*time.Second, "traffic", func() bool { return requests.Load() > 50 })
	labels := []string{"b", "a", "b"}
	for _, label := range labels {
		before := dials.Load() + tlsDials.Load()
		bt.WriteConfig(e.config(label))
		if out, code := bt.Reload(); code != 0 {
			t.Fatalf("reload: %d %s", code, out)
		}
		// A new connection is answered by the new configuration at once.
		for _, useTLS := range []bool{true, false} {
			if got, err := get(e.client(t, useTLS, nil), useTLS, "/"); err != nil || got != label {
				t.Errorf("after the reload to %s: a new connection got %q (%v)", label, got, err)
			}
		}
		// The old generation's connections were told to go away: the
		// clients open new ones.
		harness.Eventually(t, 15*time.Second, "clients reconnecting", func() bool { return dials.Load()+tlsDials.Load() >= before+4 })
		n := requests.Load()
		harness.Eventually(t, 10*time.Second, "traffic after the reload", func() bool { return requests.Load() > n+50 })
	}
	close(stop)
	wg.Wait()
	if f := failures.Load(); f != 0 {
		t.Errorf("%d of %d requests failed: %v", f, requests.Load(), first(failMsgs, 5))
	}
	t.Logf("%d requests, %d clear and %d TLS connections (%d resumed), %d reloads", requests.Load(), dials.Load(), tlsDials.Load(), resumed.Load(), len(labels))
	// Every TLS reconnection after a GOAWAY resumed its session in the
	// new generation (the master's ticket keys): only the two clients'
	// first connections were full handshakes.
	if r, n := resumed.Load(), tlsDials.Load(); r != n-2 {
		t.Errorf("%d of %d TLS connections resumed, want all but the first 2", r, n)
	}
	// Every old generation has finished draining (its streams done).
	harness.Eventually(t, 30*time.Second, "old generations to exit", func() bool {
		return !strings.Contains(bt.CLI("show proc"), "draining")
	})
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
