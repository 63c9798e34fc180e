package master

import "time"

// Backoff spaces out restarts of a crashing worker: Min, then doubling up
// to Max. A worker that ran at least Max before crashing starts the
// sequence again from Min.
type Backoff struct {
	// Min is the first delay; 0 means 100ms.
	Min time.Duration
	// Max caps the delay; 0 means 10s.
	Max  time.Duration
	next time.Duration
}

// Next returns the delay before the next restart of a worker that ran for
// ran before it crashed.
func (b *Backoff) Next(ran time.Duration) time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = 100 * time.Millisecond
	}
	if hi <= 0 {
		hi = 10 * time.Second
	}
	if hi < lo {
		hi = lo
	}
	if b.next == 0 || ran >= hi {
		b.next = lo
	}
	d := b.next
	b.next = min(b.next*2, hi)
	return d
}
