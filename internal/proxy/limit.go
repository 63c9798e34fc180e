package proxy

import (
	"sync"
	"sync/atomic"
)

// limiter is a maxconn: at most max holders (0: no limit), changeable at
// run time ("set maxconn frontend|global"). Taking and giving back a slot
// is one compare-and-swap and one add; a waiter parks on a channel that
// the next release or limit change closes.
type limiter struct {
	// max and cur are atomic: the accept loops take slots, every closing
	// connection gives one back, the runtime API changes max.
	max, cur atomic.Int64
	// waiting counts acquire calls parked on wake, so that a release
	// only takes mu when someone waits.
	waiting atomic.Int64
	mu      sync.Mutex
	wake    chan struct{} // guarded by mu; nil when nobody parked
}

func newLimiter(n int) *limiter {
	l := &limiter{}
	l.max.Store(int64(n))
	return l
}

// tryAcquire takes a slot if one is free.
func (l *limiter) tryAcquire() bool {
	for {
		c, m := l.cur.Load(), l.max.Load()
		if m > 0 && c >= m {
			return false
		}
		if l.cur.CompareAndSwap(c, c+1) {
			return true
		}
	}
}

// acquire takes a slot, waiting for one until stop is closed (false).
func (l *limiter) acquire(stop <-chan struct{}) bool {
	for {
		if l.tryAcquire() {
			return true
		}
		l.mu.Lock()
		if l.wake == nil {
			l.wake = make(chan struct{})
		}
		w := l.wake
		l.mu.Unlock()
		l.waiting.Add(1)
		// A slot freed before waiting was raised was not signalled.
		if l.tryAcquire() {
			l.waiting.Add(-1)
			return true
		}
		select {
		case <-w:
			l.waiting.Add(-1)
		case <-stop:
			l.waiting.Add(-1)
			return false
		}
	}
}

// release gives a slot back.
func (l *limiter) release() {
	l.cur.Add(-1)
	if l.waiting.Load() > 0 {
		l.notify()
	}
}

// setMax changes the limit (0: none); waiters see a raised one at once.
func (l *limiter) setMax(n int) {
	l.max.Store(int64(n))
	l.notify()
}

func (l *limiter) notify() {
	l.mu.Lock()
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
	l.mu.Unlock()
}
