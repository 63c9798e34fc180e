package proxy

import (
	"sync"
	"time"
)

// sessionRate is a frontend's "rate-limit sessions": HAProxy's frequency
// counter over a sliding second. The estimate of the sessions of the last
// second is the count of the current one-second period plus the previous
// period's count weighted by the share of the previous period still
// inside the last second. A session is accepted while the estimate is
// below the limit, so a quiet frontend takes a burst of up to the limit
// at once, then about limit per second. The accept loops of the
// frontend's binds share it; mu serialises them (one short critical
// section per accepted connection, nothing allocated).
type sessionRate struct {
	limit int64

	mu         sync.Mutex
	start      time.Duration // when the current period began (since rateEpoch)
	curr, prev int64         // sessions in the current and previous periods
}

// ratePeriod is the frequency counter's period.
const ratePeriod = time.Second

// rateEpoch is the origin of the monotonic times the counters use.
var rateEpoch = time.Now()

// newSessionRate returns the limiter for perSecond sessions, or nil for
// no limit.
func newSessionRate(perSecond int) *sessionRate {
	if perSecond <= 0 {
		return nil
	}
	return &sessionRate{limit: int64(perSecond)}
}

// take reserves a session at now (since rateEpoch) and returns 0, or
// returns how long to wait before asking again.
func (r *sessionRate) take(now time.Duration) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if el := now - r.start; el >= ratePeriod {
		if el >= 2*ratePeriod {
			r.prev = 0
		} else {
			r.prev = r.curr
		}
		r.curr = 0
		r.start = now - el%ratePeriod
	}
	el := now - r.start
	left := ratePeriod - el // of the previous period, still in the last second
	if r.curr+r.prev*int64(left)/int64(ratePeriod) < r.limit {
		r.curr++
		return 0
	}
	if r.curr >= r.limit || r.prev == 0 {
		return left // the next period
	}
	// The estimate drops below the limit once the previous period's
	// share is below limit-curr.
	wait := left - time.Duration((r.limit-r.curr)*int64(ratePeriod)/r.prev)
	return max(wait, time.Millisecond)
}

// wait blocks until the limiter accepts a session, reusing *t (created
// on first use) to sleep. It returns false when stop closes first.
func (r *sessionRate) wait(stop <-chan struct{}, t **time.Timer) bool {
	for {
		d := r.take(time.Since(rateEpoch))
		if d == 0 {
			return true
		}
		if *t == nil {
			*t = time.NewTimer(d)
		} else {
			(*t).Reset(d)
		}
		select {
		case <-(*t).C:
		case <-stop:
			return false
		}
	}
}
