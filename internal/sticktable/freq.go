package sticktable

// A rate is three words: the events of the current period, those of
// the previous one, and the start of the current period (unix ms; 0
// before the first event). Its value at now is the events of the last
// period, counting the previous period's in proportion to the part of
// it the sliding window still covers, as HAProxy's frequency counters
// do. The caller holds the entry's lock.

func freqAdd(w []uint64, period, now int64, inc uint64) {
	freqRotate(w, period, now)
	w[0] += inc
}

func freqRotate(w []uint64, period, now int64) {
	tick := int64(w[2])
	if tick == 0 {
		w[0], w[1], w[2] = 0, 0, uint64(now)
		return
	}
	el := now - tick
	if el < period {
		return
	}
	if el < 2*period {
		w[1] = w[0]
	} else {
		w[1] = 0
	}
	w[0] = 0
	w[2] = uint64(tick + el/period*period)
}

func freqRead(w []uint64, period, now int64) uint64 {
	curr, prev, tick := w[0], w[1], int64(w[2])
	if tick == 0 {
		return 0
	}
	el := now - tick
	if el < 0 {
		el = 0
	}
	if el >= period {
		if el >= 2*period {
			return 0
		}
		prev, curr = curr, 0
		el -= period
	}
	return (prev*uint64(period-el) + curr*uint64(period)) / uint64(period)
}
