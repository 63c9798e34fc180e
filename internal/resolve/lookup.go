package resolve

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Lookups: the do-resolve actions ("http-request do-resolve", "tcp-request
// content do-resolve"). A request's goroutine calls Resolve, which hands
// the lookup to the section's run goroutine: it joins the resolution of
// that name and query type in flight, or starts one at once, and answers
// when it ends; the request waits (at most resolve_retries times timeout
// retry), and no other goroutine does.
//
// As in HAProxy 2.6, answers outlive a lookup only in a resolution that
// servers keep: a name a server also resolves (same section and preferred
// family) is answered from that resolution's last valid answer while it
// is younger than "hold valid", without a query, from a cache the run
// goroutine fills and request goroutines read without allocating. A name
// only lookups ask is resolved again for each request (HAProxy frees such
// a resolution once its last requester is done; checked with haproxy
// 2.6.12: a changed record is seen by the next request even with "hold
// valid 1h").

// lookup is one do-resolve waiting for the run goroutine.
type lookup struct {
	name  string // lower case, no trailing dot
	qtype uint16 // TypeA or TypeAAAA: the preferred family
	// reply receives the address (buffered: the run goroutine never
	// blocks); an invalid one means the resolution failed.
	reply chan netip.Addr
}

// maxLookupResolutions bounds the resolutions do-resolve keeps in flight
// per section (a flood of new names cannot exhaust the query IDs); a
// lookup beyond it fails at once, leaving its variable unset.
const maxLookupResolutions = 4096

// maxCached bounds the answers a section's cache keeps; beyond it, new
// answers are not kept (they expire within hold valid anyway).
const maxCached = 65536

// cached is a valid answer kept for do-resolve.
type cached struct {
	addr netip.Addr
	at   time.Time // when it came
}

// answerCache holds the valid answers of a section's server resolutions,
// by preferred family then name, for hold valid. The run goroutine writes
// it; request goroutines read it.
type answerCache struct {
	mu     sync.RWMutex
	byType [2]map[string]cached // [0]: A preferred, [1]: AAAA
}

func famIndex(qtype uint16) int {
	if qtype == TypeA {
		return 0
	}
	return 1
}

func (c *answerCache) get(qtype uint16, name []byte, hold time.Duration, now time.Time) (netip.Addr, bool) {
	c.mu.RLock()
	e, ok := c.byType[famIndex(qtype)][string(name)]
	c.mu.RUnlock()
	if !ok || now.Sub(e.at) >= hold {
		return netip.Addr{}, false
	}
	return e.addr, true
}

func (c *answerCache) put(qtype uint16, name string, e cached) {
	c.mu.Lock()
	m := c.byType[famIndex(qtype)]
	if m == nil {
		m = map[string]cached{}
		c.byType[famIndex(qtype)] = m
	}
	if _, ok := m[name]; ok || len(m) < maxCached {
		m[name] = e
	}
	c.mu.Unlock()
}

func (c *answerCache) forget(qtype uint16, name string) {
	c.mu.Lock()
	delete(c.byType[famIndex(qtype)], name)
	c.mu.Unlock()
}

// sweep drops the answers older than hold.
func (c *answerCache) sweep(hold time.Duration, now time.Time) {
	c.mu.Lock()
	for _, m := range c.byType {
		for k, e := range m {
			if now.Sub(e.at) >= hold {
				delete(m, k)
			}
		}
	}
	c.mu.Unlock()
}

// Resolve resolves name (a host name, as a do-resolve expression gave
// it) through the resolvers section called section, preferring IPv4
// addresses when ipv4 is set and IPv6 ones otherwise. It returns false
// when the name is invalid, the resolution fails, or the Runtime stops
// meanwhile. A fresh cached answer costs no allocation; otherwise the
// calling goroutine waits for the resolution to end.
func (r *Runtime) Resolve(sectionName string, name []byte, ipv4, wait bool) (netip.Addr, bool) {
	var s *section
	for _, x := range r.sections {
		if x.cfg.Name == sectionName {
			s = x
			break
		}
	}
	if s == nil {
		return netip.Addr{}, false
	}
	var buf [maxNameLen]byte
	key, ok := lowerName(buf[:0], name)
	if !ok {
		return netip.Addr{}, false
	}
	qtype := TypeAAAA
	if ipv4 {
		qtype = TypeA
	}
	if a, ok := s.cache.get(qtype, key, s.cfg.Hold.Valid, time.Now()); ok || !wait {
		return a, ok
	}
	l := lookup{name: string(key), qtype: qtype, reply: make(chan netip.Addr, 1)}
	if CheckName(l.name) != nil {
		return netip.Addr{}, false
	}
	select {
	case s.lookups <- l:
	case <-r.done:
		return netip.Addr{}, false
	}
	select {
	case a := <-l.reply:
		return a, a.IsValid()
	case <-r.done:
		return netip.Addr{}, false
	}
}

// lowerName appends name to dst in lower case without its trailing dot;
// false when it cannot be a host name (empty, or too long).
func lowerName(dst, name []byte) ([]byte, bool) {
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if len(name) == 0 || len(name) > cap(dst)-len(dst) || len(name) > maxNameLen-2 {
		return nil, false
	}
	for _, b := range name {
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		dst = append(dst, b)
	}
	return dst, true
}

// lookup takes a do-resolve request: answered at once from a server
// resolution whose valid answer is younger than hold valid, else it waits
// for the resolution of its name, started now if none is running.
func (s *section) lookup(l lookup, now time.Time) {
	var res *resolution
	for _, x := range s.resolutions {
		if x.name == l.name && x.prefer == l.qtype {
			res = x
			break
		}
	}
	if res != nil && !res.running && res.status == statusValid && now.Sub(res.lastValid) < s.cfg.Hold.Valid {
		if a := res.pick(); a.IsValid() {
			s.cache.put(l.qtype, l.name, cached{addr: a, at: res.lastValid})
			l.reply <- a
			return
		}
	}
	if res == nil {
		if s.lookupRes >= maxLookupResolutions {
			l.reply <- netip.Addr{}
			return
		}
		res = s.resolution(l.name, l.qtype)
		res.lookupOnly = true
		s.lookupRes++
	}
	res.waiters = append(res.waiters, l.reply)
	if !res.running {
		s.start(res, now)
	}
}

// pick is the address a do-resolve gets from res's records: the first of
// the preferred family, else the first of the other.
func (res *resolution) pick() netip.Addr {
	var other netip.Addr
	for _, r := range res.records {
		switch {
		case r.typ == res.prefer:
			return r.addr
		case (r.typ == TypeA || r.typ == TypeAAAA) && !other.IsValid():
			other = r.addr
		}
	}
	return other
}

// lookupsEnded answers the waiters of a resolution that just ended
// (valid: with its best address), keeps a server resolution's answer for
// later lookups (forgets it on failure), and drops a resolution that only
// lookups needed.
func (s *section) lookupsEnded(res *resolution, valid bool) {
	if res.prefer == TypeSRV {
		return
	}
	var a netip.Addr
	if valid {
		a = res.pick()
	}
	// The cache first: a waiter's next lookup must find the answer.
	if a.IsValid() && len(res.groups) > 0 {
		s.cache.put(res.prefer, res.name, cached{addr: a, at: res.lastValid})
	} else {
		s.cache.forget(res.prefer, res.name)
	}
	for _, w := range res.waiters {
		w <- a
	}
	res.waiters = res.waiters[:0]
	if res.lookupOnly {
		res.lookupOnly = false
		s.lookupRes--
		if len(res.groups) == 0 {
			s.resolutions = slices.DeleteFunc(s.resolutions, func(o *resolution) bool { return o == res })
		}
	}
}
