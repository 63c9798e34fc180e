package counters

import (
	"runtime"
	"sync/atomic"
)

// Totals is one slot's counters summed over every region of the service:
// cumulative fields and gauges are sums, maxima are maxima, a rate's
// first word holds events over the last second, an average's word holds
// milliseconds.
type Totals [BlockWords]uint64

// Get returns field f.
func (t *Totals) Get(f Field) uint64 { return t[f] }

// childSum are the cumulative fields a backend sums from its servers and
// the process from its frontends, at read time: the request path writes
// each event once, on the server (or frontend) it happened on, and to the
// parent only when there is no child (a request no server answered).
var childSum = []Field{Requests, BytesIn, BytesOut, Sessions, LBTotal, Reuses, Connects,
	Resp1xx, Resp2xx, Resp3xx, Resp4xx, Resp5xx, RespOther, ErrConn, ErrResp, Retries,
	Redispatch, CliAborts, SrvAborts, DeniedResp, InternalErrors, FailedRewrites, Conns}

// childRate and childAvg are derived too, but not folded when a child's
// slot is freed (they describe the last second or the last requests).
var (
	childRate = []Field{SessRate}
	childMax  = []Field{LastSession, QTimeMax, CTimeMax, RTimeMax, TTimeMax}
	childAvg  = []Field{QTime, CTime, RTime, TTime}
)

// Snapshot is every slot's Totals at one instant.
type Snapshot struct {
	// Totals is indexed by slot; Used says which slots are allocated.
	Totals []Totals
	Used   []bool
	Kinds  []Kind
}

// Slot returns the totals of slot i, or nil when i is outside the
// snapshot or not allocated.
func (sn *Snapshot) Slot(i int) *Totals {
	if i < 0 || i >= len(sn.Totals) || !sn.Used[i] {
		return nil
	}
	return &sn.Totals[i]
}

// Snapshot reads every allocated slot this mapping covers, consistently
// with the master's folds (it retries while one runs), and adds each
// child's counters into its parent's (see childSum). nowNS (unix
// nanoseconds) is the instant rates are read at.
func (s *Segment) Snapshot(nowNS int64) *Snapshot {
	sn := &Snapshot{Totals: make([]Totals, s.slots), Used: make([]bool, s.slots), Kinds: make([]Kind, s.slots)}
	parents := make([]int, s.slots)
	var regions []int
	avgN := make([][BlockWords]uint8, s.slots)
	for attempt := 0; ; attempt++ {
		seq := atomic.LoadUint64(s.word(hFoldSeq))
		if seq&1 != 0 {
			runtime.Gosched()
			continue
		}
		regions = regions[:0]
		for g := 0; g < s.groups; g++ {
			if g == 0 || s.live(g) {
				for sh := 0; sh < s.shards; sh++ {
					regions = append(regions, g*s.shards+sh)
				}
			}
		}
		clear(sn.Totals)
		clear(avgN)
		for i := 0; i < s.slots; i++ {
			base := s.slotBase(i)
			sn.Used[i] = atomic.LoadUint64(s.word(base+shUsed)) == 1
			if !sn.Used[i] {
				continue
			}
			sn.Kinds[i] = Kind(atomic.LoadUint64(s.word(base + shKind)))
			parents[i] = int(atomic.LoadUint64(s.word(base + shParent)))
			t := &sn.Totals[i]
			for _, r := range regions {
				s.addRegion(t, &avgN[i], s.Block(i, r), nowNS)
			}
		}
		if atomic.LoadUint64(s.word(hFoldSeq)) == seq {
			break
		}
	}
	for i := range sn.Totals {
		t := &sn.Totals[i]
		for _, f := range childAvg {
			if n := uint64(avgN[i][f]); n > 0 {
				t[f] /= n
			}
		}
	}
	// Children into parents: servers into backends, frontends into the
	// process (no grandchildren, so one pass suffices).
	avgChildren := make([]uint64, s.slots)
	for i := range sn.Totals {
		p := parents[i] - 1
		if !sn.Used[i] || p < 0 || p >= len(sn.Totals) || !sn.Used[p] {
			continue
		}
		c, pt := &sn.Totals[i], &sn.Totals[p]
		for _, f := range childSum {
			pt[f] += c[f]
		}
		if sn.Kinds[p] != KindProcess { // the process counts its own rates
			for _, f := range childRate {
				pt[f] += c[f]
			}
		}
		for _, f := range childMax {
			pt[f] = max(pt[f], c[f])
		}
		if c[TTime] != 0 || c[RTime] != 0 || c[CTime] != 0 || c[QTime] != 0 {
			if avgChildren[p] == 0 {
				for _, f := range childAvg {
					pt[f] = 0
				}
			}
			avgChildren[p]++
			for _, f := range childAvg {
				pt[f] += c[f]
			}
		}
	}
	for p, n := range avgChildren {
		if n > 1 {
			for _, f := range childAvg {
				sn.Totals[p][f] /= n
			}
		}
	}
	return sn
}

// addRegion adds one region's block into t.
func (s *Segment) addRegion(t *Totals, avgN *[BlockWords]uint8, b Block, nowNS int64) {
	var words [BlockWords]uint64
	for f := 0; f < BlockWords; f++ {
		words[f] = atomic.LoadUint64(b.w(Field(f)))
	}
	for f := 0; f < BlockWords; f++ {
		switch fieldKinds[f] {
		case kindCumulative, kindGauge:
			t[f] += words[f]
		case kindMax:
			t[f] = max(t[f], words[f])
		case kindAvg:
			if words[f] != 0 {
				t[f] += (words[f] + AvgSamples - 1) / AvgSamples
				avgN[f]++
			}
		}
	}
	for _, r := range []Field{SessRate, ReqRate, ConnRate} {
		t[r] += rateAt(words[:], r, nowNS)
	}
}
