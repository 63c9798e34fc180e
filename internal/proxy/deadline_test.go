package proxy

import (
	"testing"
	"time"
)

func TestGridUp(t *testing.T) {
	now := time.Unix(1_700_000_000, 123_456_789)
	for _, d := range []time.Duration{
		-time.Second, 0, 50 * time.Microsecond, 99 * time.Microsecond,
		100 * time.Microsecond, 3 * time.Millisecond, 100 * time.Millisecond,
		time.Second, 30 * time.Second, 24 * time.Hour,
	} {
		want := now.Add(d)
		got := gridUp(want, now)
		if got.Before(want) {
			t.Errorf("%v: %v is before the deadline asked for", d, got.Sub(want))
		}
		if late := got.Sub(want); d > 0 && late*100 > d {
			t.Errorf("%v: %v late, more than 1%%", d, late)
		}
		if d < 100*time.Microsecond && !got.Equal(want) {
			t.Errorf("%v: moved by %v; a deadline so near stays exact", d, got.Sub(want))
		}
	}
}

// TestCoarseDeadlineSkips: deadlines a little apart share a grid point,
// and only the first reaches the socket; forget makes the next one go.
func TestCoarseDeadlineSkips(t *testing.T) {
	var d coarseDeadline
	base := time.Now().Add(30 * time.Second)
	first, ok := d.next(base)
	if !ok {
		t.Fatal("the first deadline did not reach the socket")
	}
	sets := 0
	for i := range 100 {
		at, ok := d.next(base.Add(time.Duration(i) * time.Millisecond))
		if at.Before(base.Add(time.Duration(i) * time.Millisecond)) {
			t.Fatalf("deadline %d rounded down", i)
		}
		if ok {
			sets++
			first = at
		}
	}
	// 30 s / 100 rounds down to a 2^28 ns (268 ms) grid: 100 ms of
	// deadlines cross at most one grid line.
	if sets > 1 {
		t.Errorf("%d of 100 deadlines 1 ms apart reached the socket, want at most 1", sets)
	}
	if _, ok := d.next(first); ok {
		t.Error("the deadline the socket holds was set again")
	}
	d.forget()
	if _, ok := d.next(first); !ok {
		t.Error("after forget, the deadline did not reach the socket")
	}
	if _, ok := d.next(time.Time{}); !ok {
		t.Error("clearing the deadline did not reach the socket")
	}
	if _, ok := d.next(time.Time{}); ok {
		t.Error("clearing a cleared deadline reached the socket")
	}
}
