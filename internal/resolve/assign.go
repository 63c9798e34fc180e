package resolve

import (
	"net/netip"
	"slices"
	"time"

	"baton/internal/backend"
	"baton/internal/syslog"
)

// addrGroup is the servers of one backend resolving one host name (a
// server-template, server lines with the same name, or the target of an
// SRV slot): the slots an A/AAAA answer is applied to.
type addrGroup struct{ slotList }

// srvGroup is the servers of one backend resolving one SRV label.
type srvGroup struct{ slotList }

// slotList is a group's slots, in declaration order.
type slotList struct {
	slots []*slot
}

func (l *slotList) addSlot(sl *slot) { l.slots = append(l.slots, sl) }

func (g *addrGroup) answer(s *section, res *resolution, now time.Time, by *nameserver) {
	var alive []netip.Addr
	for _, r := range res.records {
		if r.typ == TypeA || r.typ == TypeAAAA {
			alive = append(alive, r.addr)
		}
	}
	s.apply(by, g.slots, assignAddrs(g.slots, alive), nil, "")
}

func (g *addrGroup) fail(s *section, res *resolution, st status) {
	s.apply(nil, g.slots, make([]netip.Addr, len(g.slots)), nil, st.reason())
}

// assignAddrs returns the address of each slot after an answer whose
// live addresses are alive, as HAProxy assigns them: a slot keeps an
// address that is still alive (unless another slot of the group keeps it
// and duplicates are not allowed); a slot whose address left goes without
// one; then free slots (drained ones first) take the addresses no slot
// has, best first (preferred family +8, preferred network +4), and,
// with allow-dup-ip, the least used one when none is left.
func assignAddrs(slots []*slot, alive []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, len(slots))
	used := map[netip.Addr]int{}
	for i, sl := range slots {
		if a := sl.addr; a.IsValid() && slices.Contains(alive, a) && (used[a] == 0 || sl.cfg.AllowDupIP) {
			out[i] = a
			used[a]++
		}
	}
	for _, i := range freeOrder(slots, func(i int) bool { return !out[i].IsValid() }) {
		sl := slots[i]
		best, bestScore := netip.Addr{}, -1
		for _, a := range alive {
			sc := score(sl, a)
			if used[a] > 0 {
				if !sl.cfg.AllowDupIP {
					continue
				}
			} else {
				sc += 2
			}
			if sc > bestScore || sc == bestScore && used[a] < used[best] {
				best, bestScore = a, sc
			}
		}
		if best.IsValid() {
			out[i] = best
			used[best]++
		}
	}
	return out
}

// score ranks an address for a slot: its preferred family, then its
// preferred networks.
func score(sl *slot, a netip.Addr) int {
	n := 0
	if (preferred(sl.cfg) == TypeA) == a.Is4() {
		n += 8
	}
	for _, p := range sl.cfg.ResolveNets {
		if p.Contains(a) {
			n += 4
			break
		}
	}
	return n
}

// freeOrder returns the indexes of the free slots, those without
// requests in flight first, then in declaration order.
func freeOrder(slots []*slot, free func(i int) bool) []int {
	var idle, busy []int
	for i, sl := range slots {
		if !free(i) {
			continue
		}
		if sl.srv.Conns() == 0 {
			idle = append(idle, i)
		} else {
			busy = append(busy, i)
		}
	}
	return append(idle, busy...)
}

func (g *srvGroup) answer(s *section, res *resolution, now time.Time, by *nameserver) {
	var recs []*record
	for i := range res.records {
		if res.records[i].typ == TypeSRV {
			recs = append(recs, &res.records[i])
		}
	}
	find := func(sl *slot) *record {
		for _, r := range recs {
			if r.target == sl.target && r.port == sl.port {
				return r
			}
		}
		return nil
	}
	addrs := make([]netip.Addr, len(g.slots))
	weights := make([]int, len(g.slots))
	held := map[*record]bool{}
	for i, sl := range g.slots {
		addrs[i], weights[i] = sl.addr, -1
		if sl.target == "" {
			continue
		}
		if r := find(sl); r != nil {
			held[r] = true
			continue
		}
		// The record left the answer: the slot is free again.
		s.rt.logf(sl.beName, syslog.Notice, "%s changed its FQDN from %s to (none) by 'SRV record'", sl.name(), sl.target)
		s.dropTarget(sl)
		sl.target, sl.port, addrs[i] = "", 0, netip.Addr{}
	}
	free := freeOrder(g.slots, func(i int) bool { return g.slots[i].target == "" })
	for _, r := range recs {
		if held[r] {
			continue
		}
		if len(free) == 0 {
			s.rt.logf(g.slots[0].beName, syslog.Warning, "%s: no free server slot for SRV record %s:%d of %s", g.slots[0].beName, r.target, r.port, res.name)
			continue
		}
		sl := g.slots[free[0]]
		free = free[1:]
		s.rt.logf(sl.beName, syslog.Notice, "%s changed its FQDN from (none) to %s by 'SRV record'", sl.name(), r.target)
		sl.target, sl.port = r.target, r.port
		addrs[slices.Index(g.slots, sl)] = netip.Addr{}
	}
	for i, sl := range g.slots {
		if sl.target == "" {
			continue
		}
		r := find(sl)
		if w := srvWeight(r.weight); !sl.cfg.IgnoreWeight && w != sl.weight {
			weights[i] = w
		}
		switch {
		case r.extra.IsValid():
			s.dropTarget(sl)
			addrs[i] = r.extra
		case sl.targetRes == nil || sl.targetRes.name != sl.target:
			s.resolveTarget(sl)
		}
	}
	s.apply(by, g.slots, addrs, weights, "")
}

func (g *srvGroup) fail(s *section, res *resolution, st status) {
	for _, sl := range g.slots {
		s.dropTarget(sl)
		sl.target, sl.port = "", 0
	}
	s.apply(nil, g.slots, make([]netip.Addr, len(g.slots)), nil, st.reason())
}

// srvWeight maps an SRV weight (0..65535) to a server weight (0..256)
// as HAProxy does: 0 stays 0.
func srvWeight(w uint16) int { return (int(w) + 255) / 256 }

// apply gives slots their new addresses (and weights: negative or a nil
// slice for unchanged) in one step per backend, logs each change and
// records the state. by is the name server whose answer it was, nil for a
// failure (why says which).
func (s *section) apply(by *nameserver, slots []*slot, addrs []netip.Addr, weights []int, why string) {
	var updates []backend.AddrUpdate
	var left, came []*slot
	for i, sl := range slots {
		w := -1
		if weights != nil {
			w = weights[i]
		}
		// What the server has, not sl.addrPort(): an SRV slot freed by
		// this answer has lost its port already, and would look as if it
		// had no address to take away.
		old := endpointOf(sl.srv)
		sl.addr = addrs[i]
		if w >= 0 {
			sl.weight = w
		}
		now := sl.addrPort()
		if now == old && w < 0 {
			continue
		}
		updates = append(updates, backend.AddrUpdate{Server: sl.srv, Addr: now, Weight: w})
		s.rt.record(sl)
		if now == old {
			continue
		}
		switch {
		case !now.IsValid():
			left = append(left, sl)
		case by != nil:
			from := "(none)"
			if old.IsValid() {
				from = old.Addr().String()
			}
			s.rt.logf(sl.beName, syslog.Notice, "%s changed its IP from %s to %s by %s/%s.", sl.name(), from, now.Addr(), s.cfg.Name, by.name)
			if !old.IsValid() {
				came = append(came, sl)
			}
		}
	}
	if len(updates) == 0 {
		return
	}
	if by != nil {
		by.count.Update.Add(1)
	}
	slots[0].be.Apply(updates)
	s.rt.changed()
	reason := why
	if reason == "" {
		reason = "No IP for server"
	}
	for _, sl := range left {
		act, bck := usable(sl.be)
		s.rt.logf(sl.beName, syslog.Alert, "Server %s is going DOWN for maintenance (%s). %d active and %d backup servers left. %d sessions active.",
			sl.name(), reason, act, bck, sl.srv.Conns())
	}
	for _, sl := range came {
		s.rt.logf(sl.beName, syslog.Notice, "Server %s ('%s') is UP/READY (resolves again).", sl.name(), sl.cfg.Host)
	}
}

// usable counts b's usable active and backup servers.
func usable(b *backend.Backend) (act, bck int) {
	for _, s := range b.Servers {
		if s.Usable() {
			if s.Backup {
				bck++
			} else {
				act++
			}
		}
	}
	return act, bck
}
