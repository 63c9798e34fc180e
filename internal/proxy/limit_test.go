package proxy

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(1)
	stop := make(chan struct{})
	if !l.acquire(stop) || l.tryAcquire() {
		t.Fatal("a limit of 1 admits one holder")
	}
	got := make(chan bool, 1)
	go func() { got <- l.acquire(stop) }()
	select {
	case <-got:
		t.Fatal("a second holder got in at the limit")
	case <-time.After(20 * time.Millisecond):
	}
	l.setMax(2) // raising the limit lets the waiter in
	select {
	case ok := <-got:
		if !ok {
			t.Fatal("acquire failed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("raising the limit did not wake the waiter")
	}
	go func() { got <- l.acquire(stop) }()
	l.release() // a release wakes the next waiter
	if !<-got {
		t.Fatal("acquire after a release failed")
	}
	go func() { got <- l.acquire(stop) }()
	close(stop)
	if <-got {
		t.Fatal("acquire returned a slot after stop")
	}
	u := newLimiter(0)
	for range 1000 {
		if !u.tryAcquire() {
			t.Fatal("no limit refused")
		}
	}
	if u.cur.Load() != 1000 {
		t.Fatalf("count %d", u.cur.Load())
	}
}
