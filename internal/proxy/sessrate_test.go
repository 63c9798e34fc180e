package proxy

import (
	"testing"
	"time"
)

// TestSessionRate drives the sliding-second counter with made-up times:
// a burst of the limit at once, then about limit per second, and the
// waits it asks for.
func TestSessionRate(t *testing.T) {
	r := newSessionRate(10)
	ms := time.Millisecond
	for i := range 10 {
		if d := r.take(5 * ms); d != 0 {
			t.Fatalf("burst session %d waits %v", i+1, d)
		}
	}
	if d := r.take(5 * ms); d != 995*ms {
		t.Errorf("the 11th waits %v, want the rest of the period (995ms)", d)
	}
	// Next period: prev=10 weighs floor(10*(1-el)): at the boundary the
	// estimate is still 10; a millisecond later one session passes, the
	// next when a tenth of the period has gone.
	if d := r.take(1000 * ms); d != ms {
		t.Errorf("at the period boundary: waits %v, want 1ms", d)
	}
	if d := r.take(1001 * ms); d != 0 {
		t.Errorf("first session of the next period waits %v", d)
	}
	if d := r.take(1001 * ms); d != 99*ms {
		t.Errorf("second session of the next period waits %v, want 99ms", d)
	}
	if d := r.take(1101 * ms); d != 0 {
		t.Errorf("a tenth of a second later: waits %v", d)
	}
	// Over a simulated 10 s of clients always waiting, about 10/s pass.
	r = newSessionRate(10)
	n, now := 0, time.Duration(0)
	for now < 10*time.Second {
		d := r.take(now)
		if d == 0 {
			n++
			continue
		}
		now += d
	}
	if n < 100 || n > 111 {
		t.Errorf("%d sessions in 10 s at 10/s", n)
	}
	if newSessionRate(0) != nil {
		t.Error("rate-limit sessions 0 is no limit")
	}
}

func TestSessionRateAllocs(t *testing.T) {
	r := newSessionRate(1 << 30)
	stop := make(chan struct{})
	var tm *time.Timer
	if n := testing.AllocsPerRun(1000, func() { r.wait(stop, &tm) }); n != 0 {
		t.Errorf("taking a session allocates %.1f times", n)
	}
}
