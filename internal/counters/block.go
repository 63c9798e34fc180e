package counters

import (
	"sync/atomic"
	"unsafe"
)

// Block is one region's counter words of one slot: what a connection
// writes on the request path. The zero Block counts nothing (Valid is
// false and every method is a no-op), so code paths without a segment
// (unit tests, a worker started without one) need no checks.
type Block struct{ p unsafe.Pointer }

// Valid reports whether b counts anywhere.
func (b Block) Valid() bool { return b.p != nil }

func (b Block) w(f Field) *uint64 { return (*uint64)(unsafe.Add(b.p, int(f)*8)) }

// Add adds n to a cumulative field.
func (b Block) Add(f Field, n uint64) {
	if b.p != nil && n != 0 {
		atomic.AddUint64(b.w(f), n)
	}
}

// Inc adds one to a cumulative field.
func (b Block) Inc(f Field) {
	if b.p != nil {
		atomic.AddUint64(b.w(f), 1)
	}
}

// Load reads one word (tests, diagnostics).
func (b Block) Load(f Field) uint64 {
	if b.p == nil {
		return 0
	}
	return atomic.LoadUint64(b.w(f))
}

// Enter counts one more on a gauge and raises its maximum field if it
// passed it.
func (b Block) Enter(gauge, max Field) {
	if b.p == nil {
		return
	}
	v := atomic.AddUint64(b.w(gauge), 1)
	b.Max(max, v)
}

// Leave counts one less on a gauge.
func (b Block) Leave(gauge Field) {
	if b.p != nil {
		atomic.AddUint64(b.w(gauge), ^uint64(0))
	}
}

// Max raises field f to v if v is larger.
func (b Block) Max(f Field, v uint64) {
	if b.p == nil {
		return
	}
	w := b.w(f)
	for {
		old := atomic.LoadUint64(w)
		if v <= old || atomic.CompareAndSwapUint64(w, old, v) {
			return
		}
	}
}

// Tick counts one event of the rate starting at field rate, in the unix
// second now, and raises max to the count of the current second. A rate
// is three words: the second its current count belongs to, the count of
// that second, and the count of the second before (HAProxy's freq_ctr).
func (b Block) Tick(rate, max Field, now int64) {
	if b.p == nil {
		return
	}
	sec := b.w(rate)
	t := atomic.LoadUint64(sec)
	if t != uint64(now) && atomic.CompareAndSwapUint64(sec, t, uint64(now)) {
		c := atomic.SwapUint64(b.w(rate+1), 0)
		if uint64(now) == t+1 {
			atomic.StoreUint64(b.w(rate+2), c)
		} else {
			atomic.StoreUint64(b.w(rate+2), 0)
		}
	}
	v := atomic.AddUint64(b.w(rate+1), 1)
	b.Max(max, v)
}

// Sample adds a sample in milliseconds to the sliding average at field
// avg (HAProxy's swrate over AvgSamples) and raises max.
func (b Block) Sample(avg, max Field, ms uint64) {
	if b.p == nil {
		return
	}
	w := b.w(avg)
	for {
		old := atomic.LoadUint64(w)
		nv := old - (old+AvgSamples-1)/AvgSamples + ms
		if atomic.CompareAndSwapUint64(w, old, nv) {
			break
		}
	}
	b.Max(max, ms)
}

// rateAt reads a rate at field rate as events over the last second at
// nowNS (unix nanoseconds): the current second's count plus the part of
// the previous second's that the sliding second still covers.
func rateAt(words []uint64, rate Field, nowNS int64) uint64 {
	now := uint64(nowNS / 1e9)
	frac := uint64(nowNS % 1e9) // elapsed part of the current second, ns
	t, c, p := words[rate], words[rate+1], words[rate+2]
	switch t {
	case now:
		return c + p*(1e9-frac)/1e9
	case now - 1:
		return c * (1e9 - frac) / 1e9
	}
	return 0
}

// Clear resets slot's maxima in every region, and with all its
// cumulative counters too ("clear counters [all]"); gauges and rates
// stay. A write racing the clear may survive it.
func (s *Segment) Clear(slot int, all bool) {
	if slot < 0 || slot >= s.slots {
		return
	}
	for r := 0; r < s.shards*s.groups; r++ {
		b := s.Block(slot, r)
		for f := Field(0); f < BlockWords; f++ {
			switch fieldKinds[f] {
			case kindMax:
				if f != LastSession {
					atomic.StoreUint64(b.w(f), 0)
				}
			case kindCumulative, kindAvg:
				if all {
					atomic.StoreUint64(b.w(f), 0)
				}
			}
		}
	}
}
