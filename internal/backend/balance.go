package backend

import (
	"math/rand/v2"

	"baton/internal/config"
)

type pickResult int

const (
	picked   pickResult = iota // a slot was taken on the returned server
	pickFull                   // candidates exist but all are at maxconn
	pickNone                   // no usable server
)

// pick chooses a server for key, avoiding ex while another usable server
// of the same tier exists, and takes a slot on it. It never blocks and
// does not allocate.
func (b *Backend) pick(key *Key, ex *Server) (*Server, pickResult) {
	m := b.mem.Load()
	if s, res, ok := m.pickActive(key, ex); ok {
		return s, res
	}
	if m.backupTier != nil {
		if s, res, ok := m.backupTier.pickActive(key, ex); ok {
			return s, res
		}
		return nil, pickNone
	}
	return m.pickBackup(ex)
}

// pickActive balances over the tier's active servers; ok is false when
// none is usable.
func (m *members) pickActive(key *Key, ex *Server) (_ *Server, _ pickResult, ok bool) {
	n, exUsable := 0, false
	for _, s := range m.active {
		if s.Usable() {
			n++
			if s == ex {
				exUsable = true
			}
		}
	}
	if n == 0 {
		return nil, pickNone, false
	}
	skip := ex
	if exUsable && n == 1 {
		skip = nil // the excluded server is the only one: retry it
	}
	s, res := m.pickIn(key, skip)
	return s, res, true
}

func (m *members) pickIn(key *Key, skip *Server) (*Server, pickResult) {
	if h, ok := m.b.keyHash(key); ok {
		return m.pickByHash(h, skip)
	}
	switch m.b.Balance {
	case config.StaticRR:
		if len(m.srSeq) > 0 {
			return m.pickStaticRR(skip)
		}
		// No server had a weight at start (weights were raised at run
		// time): fall back to the dynamic round robin.
	case config.LeastConn:
		return m.pickLeastConn(skip)
	case config.First:
		return m.pickFirst(skip)
	case config.Random:
		return m.pickRandom(skip)
	}
	return m.pickRoundRobin(skip)
}

// pickBackup uses the first usable backup server (HAProxy without
// "option allbackups": with it, backupTier balances over them all), or
// the next one when the first is excluded.
func (m *members) pickBackup(ex *Server) (*Server, pickResult) {
	var chosen *Server
	for _, s := range m.backup {
		if s.Usable() {
			if s != ex {
				chosen = s
				break
			}
			chosen = s // ex, kept only if no other backup is usable
		}
	}
	if chosen == nil {
		return nil, pickNone
	}
	if chosen.tryTake() {
		return chosen, picked
	}
	return nil, pickFull
}

// attempts bounds how often a pick retries after losing a slot to a
// concurrent Acquire between choosing a server and taking its slot.
func (m *members) attempts() int { return len(m.active) + 1 }

// pickRoundRobin is smooth weighted round robin (as in nginx): every pick
// adds each candidate's weight to its current value, takes the largest,
// and subtracts the total from it. It spreads a server's turns evenly and
// follows weight changes at once. Servers at maxconn sit the round out.
func (m *members) pickRoundRobin(skip *Server) (*Server, pickResult) {
	m.b.rrMu.Lock()
	defer m.b.rrMu.Unlock()
	for range m.attempts() {
		var best *Server
		total, eligible := 0, false
		for _, s := range m.active {
			if s == skip || !s.Usable() {
				continue
			}
			eligible = true
			if !s.hasRoom() {
				continue
			}
			w := s.lbWeight()
			s.rrCur += w
			total += w
			if best == nil || s.rrCur > best.rrCur {
				best = s
			}
		}
		if best == nil {
			if eligible {
				return nil, pickFull
			}
			return nil, pickNone
		}
		best.rrCur -= total
		if best.tryTake() {
			return best, picked
		}
	}
	return nil, pickFull
}

// staticSchedule interleaves servers by their configured weights with the
// smooth weighted round-robin order: weights 1,2,3 give c b a c b c.
func staticSchedule(servers []*Server) []*Server {
	total := 0
	for _, s := range servers {
		total += s.Weight()
	}
	seq := make([]*Server, 0, total)
	cur := make([]int, len(servers))
	for range total {
		best := -1
		for i, s := range servers {
			cur[i] += s.Weight()
			if w := s.Weight(); w > 0 && (best < 0 || cur[i] > cur[best]) {
				best = i
			}
		}
		cur[best] -= total
		seq = append(seq, servers[best])
	}
	return seq
}

// pickStaticRR walks the fixed schedule with one atomic counter: no lock.
// An unusable or full server's turn goes to the next server in the
// schedule.
func (m *members) pickStaticRR(skip *Server) (*Server, pickResult) {
	n := uint64(len(m.srSeq))
	return takeFirst(m.srSeq, int((m.b.rot.Add(1)-1)%n), skip)
}

// takeFirst walks servers as a ring from start and takes the first usable
// one other than skip with a free slot.
func takeFirst(servers []*Server, start int, skip *Server) (*Server, pickResult) {
	n := len(servers)
	eligible := false
	for k := range n {
		s := servers[(start+k)%n]
		if s == skip || !s.Usable() {
			continue
		}
		eligible = true
		if s.tryTake() {
			return s, picked
		}
	}
	if eligible {
		return nil, pickFull
	}
	return nil, pickNone
}

// pickLeastConn takes the server with the fewest connections relative to
// its weight, comparing (conns+1)/weight as HAProxy does, so an idle
// heavier server wins over an idle lighter one. Ties go to the first
// server from a rotating start, which round-robins among equals.
func (m *members) pickLeastConn(skip *Server) (*Server, pickResult) {
	n := uint64(len(m.active))
	for range m.attempts() {
		start := m.b.rot.Add(1) % n
		var best *Server
		var bc, bw int
		eligible := false
		for k := range n {
			s := m.active[(start+k)%n]
			if s == skip || !s.Usable() {
				continue
			}
			eligible = true
			if !s.hasRoom() {
				continue
			}
			c, w := s.Conns(), s.lbWeight()
			if best == nil || (c+1)*bw < (bc+1)*w {
				best, bc, bw = s, c, w
			}
		}
		if best == nil {
			if eligible {
				return nil, pickFull
			}
			return nil, pickNone
		}
		if best.tryTake() {
			return best, picked
		}
	}
	return nil, pickFull
}

// pickFirst takes the first server in declaration order with a free slot.
func (m *members) pickFirst(skip *Server) (*Server, pickResult) {
	return takeFirst(m.active, 0, skip)
}

// pickHash maps h onto the usable servers, each owning a share of the
// hash space proportional to its weight, so a key keeps its server while
// the set of usable servers and their weights stay the same. When that
// server is at maxconn the next one with a free slot takes the request
// (affinity gives way under saturation rather than queueing per server).
func (m *members) pickHash(h uint64, skip *Server) (*Server, pickResult) {
	total := 0
	for _, s := range m.active {
		if s != skip && s.Usable() {
			total += s.lbWeight()
		}
	}
	if total == 0 {
		return nil, pickNone
	}
	r := int(h % uint64(total))
	n := len(m.active)
	target := -1
	for i, s := range m.active {
		if s == skip || !s.Usable() {
			continue
		}
		r -= s.lbWeight()
		if r < 0 {
			target = i
			break
		}
	}
	if target < 0 {
		// Weights changed between the two passes; any usable one will do.
		target = 0
	}
	for k := range n {
		s := m.active[(target+k)%n]
		if s == skip || !s.Usable() {
			continue
		}
		if s.tryTake() {
			return s, picked
		}
	}
	return nil, pickFull
}

// pickRandom draws servers at random in proportion to their weights
// (two by default: power of two choices, HAProxy's "random(2)") and
// takes the least loaded relative to weight. Equal loads keep the first
// draw, so at rest the spread is plain weighted random.
func (m *members) pickRandom(skip *Server) (*Server, pickResult) {
	for range m.attempts() {
		total, eligible := 0, false
		for _, s := range m.active {
			if s == skip || !s.Usable() {
				continue
			}
			eligible = true
			if s.hasRoom() {
				total += s.lbWeight()
			}
		}
		if total == 0 {
			if eligible {
				return nil, pickFull
			}
			return nil, pickNone
		}
		// Draw random(N)'s servers (two by default), each in proportion
		// to its effective weight, and keep the least loaded relative to
		// weight; on equal loads the earlier draw stays.
		draws := m.b.Opts.Draws
		if draws <= 0 {
			draws = 2
		}
		var s1 *Server
		for range draws {
			r := rand.IntN(total)
			var d *Server
			for _, s := range m.active {
				if s == skip || !s.Usable() || !s.hasRoom() {
					continue
				}
				if r -= s.lbWeight(); r < 0 {
					d = s
					break
				}
			}
			if d != nil && (s1 == nil || d.Conns()*s1.lbWeight() < s1.Conns()*d.lbWeight()) {
				s1 = d
			}
		}
		if s1 != nil && s1.tryTake() {
			return s1, picked
		}
	}
	return nil, pickFull
}
