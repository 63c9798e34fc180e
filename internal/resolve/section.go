package resolve

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"baton/internal/config"
	"baton/internal/syslog"
)

// status is the outcome of a resolution, as HAProxy names them.
type status int

const (
	statusNone status = iota
	statusValid
	statusNX
	statusRefused
	statusTimeout
	statusOther
	statusInvalid
)

func (st status) reason() string {
	switch st {
	case statusNX:
		return "DNS NX status"
	case statusRefused:
		return "DNS refused status"
	case statusTimeout:
		return "DNS timeout status"
	}
	return "unspecified DNS error"
}

// nameserver is one UDP name server of a section.
type nameserver struct {
	name  string
	conn  *net.UDPConn // connected to the server
	count Counters
	// logged limits bad-answer lines to one per kind (its counter) per
	// logEvery, with the number left unsaid; owned by the run goroutine.
	logged map[*atomic.Uint64]*logLimit
}

// logLimit is the last line of one kind and the lines suppressed since.
type logLimit struct {
	at         time.Time
	suppressed int
}

// logEvery bounds the bad-answer lines of one kind from one name server.
const logEvery = time.Second

// packet is one datagram a name server sent.
type packet struct {
	ns   *nameserver
	data []byte
}

// group receives a resolution's outcomes: the servers of one backend
// resolving one name.
type group interface {
	// answer applies a valid answer (the resolution's live records).
	answer(s *section, res *resolution, now time.Time, by *nameserver)
	// fail takes the group's addresses away once a failure outlived its
	// hold period.
	fail(s *section, res *resolution, st status)
	addSlot(sl *slot)
}

// record is one cached answer record with when it was last seen.
type record struct {
	typ  uint16
	addr netip.Addr
	// SRV: target, port, weight; extra is the target's address from the
	// answer's additional records (invalid: none), seen at extraSeen.
	target    string
	port      uint16
	weight    uint16
	extra     netip.Addr
	extraSeen time.Time
	seen      time.Time
}

// resolution is the periodic resolution of one name with one preferred
// query type, shared by every group that needs it.
type resolution struct {
	name   string
	prefer uint16 // TypeA, TypeAAAA or TypeSRV
	groups []group

	running   bool
	id        uint16
	qtype     uint16 // the type being asked now
	tries     int    // sends of the preferred type left
	queries   int    // name servers the last send reached
	responses int    // answers to the last send
	answered  []bool // by name server index: answered the last send
	lastQuery time.Time
	// lastDone is when the last resolution ended (zero: never ran);
	// lastValid when one last succeeded (creation counts, as in HAProxy,
	// so a failure at start is held too).
	lastDone, lastValid time.Time
	status              status // of the last answer
	records             []record
	// held is the failure last logged as held (within its hold period),
	// so that a lasting failure is said once.
	held status
	// waiters are the do-resolve lookups waiting for this run to end
	// (lookup.go); lookupOnly says only lookups need the resolution, so
	// it is dropped when it ends.
	waiters    []chan netip.Addr
	lookupOnly bool
}

func (res *resolution) add(g group) { res.groups = append(res.groups, g) }

// section runs one resolvers section.
type section struct {
	rt      *Runtime
	cfg     config.Resolvers
	servers []*nameserver
	slots   []*slot
	packets chan packet
	// lookups are do-resolve requests for the run goroutine; cache their
	// answers (lookup.go).
	lookups chan lookup
	cache   answerCache

	// Owned by the run goroutine (and New, before it starts).
	resolutions []*resolution
	byID        map[uint16]*resolution
	buf         []byte // query scratch
	// lookupRes counts the resolutions only lookups need; lastSweep is
	// when the cache was last swept.
	lookupRes int
	lastSweep time.Time
}

func newSection(r *Runtime, rc *config.Resolvers) (*section, error) {
	s := &section{rt: r, cfg: *rc, packets: make(chan packet, 64), lookups: make(chan lookup, 64), byID: map[uint16]*resolution{}}
	if s.cfg.TimeoutResolve <= 0 {
		s.cfg.TimeoutResolve = config.DefaultResolvers.TimeoutResolve
	}
	if s.cfg.TimeoutRetry <= 0 {
		s.cfg.TimeoutRetry = config.DefaultResolvers.TimeoutRetry
	}
	if s.cfg.ResolveRetries <= 0 {
		s.cfg.ResolveRetries = config.DefaultResolvers.ResolveRetries
	}
	if s.cfg.AcceptedPayloadSize < 512 {
		s.cfg.AcceptedPayloadSize = 512
	}
	for _, n := range rc.Nameservers {
		ap, err := netip.ParseAddrPort(n.Addr)
		if err != nil {
			return nil, fmt.Errorf("%s: resolvers %s: nameserver %s: %v", n.Pos, rc.Name, n.Name, err)
		}
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(ap))
		if err != nil {
			for _, ns := range s.servers {
				ns.conn.Close()
			}
			return nil, fmt.Errorf("%s: resolvers %s: nameserver %s: %v", n.Pos, rc.Name, n.Name, err)
		}
		s.servers = append(s.servers, &nameserver{name: n.Name, conn: c, logged: map[*atomic.Uint64]*logLimit{}})
	}
	return s, nil
}

// resolution returns the resolution of name with preferred type qtype,
// creating it.
func (s *section) resolution(name string, qtype uint16) *resolution {
	for _, res := range s.resolutions {
		if res.name == name && res.prefer == qtype {
			return res
		}
	}
	res := &resolution{name: name, prefer: qtype, qtype: qtype, lastValid: time.Now()}
	s.resolutions = append(s.resolutions, res)
	return res
}

// drop removes g from res, and res when nobody needs it anymore.
func (s *section) drop(res *resolution, g group) {
	res.groups = slices.DeleteFunc(res.groups, func(o group) bool { return o == g })
	if len(res.groups) > 0 {
		return
	}
	if len(res.waiters) > 0 {
		// Lookups still wait for it: it ends for them only.
		res.lookupOnly = true
		s.lookupRes++
		return
	}
	if res.running {
		delete(s.byID, res.id)
	}
	s.resolutions = slices.DeleteFunc(s.resolutions, func(o *resolution) bool { return o == res })
}

// read forwards ns's datagrams to the run goroutine until its socket is
// closed. A read error other than a close (an ICMP unreachable reported
// on the connected socket) is not fatal.
func (s *section) read(ctx context.Context, ns *nameserver) {
	buf := make([]byte, 65536)
	for {
		n, err := ns.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			continue
		}
		p := packet{ns: ns, data: append([]byte(nil), buf[:n]...)}
		select {
		case s.packets <- p:
		case <-ctx.Done():
			return
		}
	}
}

// run is the section's loop: it starts resolutions when they are due,
// sends queries again when unanswered, and handles answers.
func (s *section) run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		now := time.Now()
		next := s.tick(now)
		t.Reset(next.Sub(now))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case p := <-s.packets:
			s.handle(p, time.Now())
		case l := <-s.lookups:
			s.lookup(l, time.Now())
		}
	}
}

// tick expires and resends running resolutions, starts due ones, and
// returns when it must run again.
func (s *section) tick(now time.Time) time.Time {
	next := now.Add(s.cfg.TimeoutResolve)
	if now.Sub(s.lastSweep) >= s.cfg.TimeoutResolve {
		s.lastSweep = now
		s.cache.sweep(s.cfg.Hold.Valid, now)
	}
	for _, res := range slices.Clone(s.resolutions) {
		if res.running {
			due := res.lastQuery.Add(s.cfg.TimeoutRetry)
			if now.Before(due) {
				next = earliest(next, due)
				continue
			}
			for i, ns := range s.servers {
				if !res.answered[i] {
					ns.count.Timeout.Add(1)
				}
			}
			if res.tries == 0 {
				st := res.status
				if res.responses == 0 {
					st = statusTimeout
				}
				s.failed(res, st, now)
				next = earliest(next, now.Add(s.cfg.TimeoutResolve))
				continue
			}
			// Unanswered, or both families tried: the preferred type
			// again, one try less; answered with errors: the other
			// family now, at no cost.
			if res.responses == 0 || res.qtype != res.prefer || res.prefer == TypeSRV {
				res.qtype = res.prefer
				res.tries--
			} else {
				res.qtype = otherFamily(res.prefer)
			}
			s.send(res, now)
			next = earliest(next, now.Add(s.cfg.TimeoutRetry))
			continue
		}
		due := res.lastDone.Add(s.cfg.TimeoutResolve)
		if !res.lastDone.IsZero() && now.Before(due) {
			next = earliest(next, due)
			continue
		}
		s.start(res, now)
		next = earliest(next, now.Add(s.cfg.TimeoutRetry))
	}
	return next
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func otherFamily(t uint16) uint16 {
	if t == TypeA {
		return TypeAAAA
	}
	return TypeA
}

// start begins a resolution with a fresh query ID.
func (s *section) start(res *resolution, now time.Time) {
	for {
		id := uint16(rand.Uint32())
		if s.byID[id] == nil {
			res.id = id
			break
		}
	}
	s.byID[res.id] = res
	res.running = true
	res.qtype = res.prefer
	res.tries = s.cfg.ResolveRetries - 1
	res.status = statusNone
	s.send(res, now)
}

// send sends the current query to every name server.
func (s *section) send(res *resolution, now time.Time) {
	res.queries, res.responses, res.lastQuery = 0, 0, now
	if len(res.answered) != len(s.servers) {
		res.answered = make([]bool, len(s.servers))
	}
	clear(res.answered)
	var err error
	s.buf, err = AppendQuery(s.buf[:0], res.id, res.name, res.qtype, s.cfg.AcceptedPayloadSize)
	if err != nil {
		return // the configuration checked the name: cannot happen
	}
	for _, ns := range s.servers {
		if _, err := ns.conn.Write(s.buf); err != nil {
			ns.count.SndError.Add(1)
			continue
		}
		ns.count.Sent.Add(1)
		res.queries++
	}
}

// done ends a resolution's run.
func (s *section) done(res *resolution, now time.Time) {
	delete(s.byID, res.id)
	res.running = false
	res.lastDone = now
}

// handle processes one datagram.
func (s *section) handle(p packet, now time.Time) {
	ns := p.ns
	if len(p.data) > s.cfg.AcceptedPayloadSize {
		s.bad(ns, &ns.count.TooBig, "answer of %d bytes, beyond accepted_payload_size %d", len(p.data), s.cfg.AcceptedPayloadSize)
		return
	}
	if len(p.data) < 2 {
		s.bad(ns, &ns.count.Invalid, "answer of %d bytes", len(p.data))
		return
	}
	id := uint16(p.data[0])<<8 | uint16(p.data[1])
	res := s.byID[id]
	if res == nil {
		s.bad(ns, &ns.count.Outdated, "answer with ID %d, which no query in flight has (late, or forged)", id)
		return
	}
	if i := slices.Index(s.servers, ns); res.answered[i] {
		s.bad(ns, &ns.count.Outdated, "second answer to the query for %s", res.name)
		return
	} else {
		res.answered[i] = true
	}
	res.responses++
	st, recs, extras := s.check(ns, res, p.data)
	if st != statusValid {
		res.status = st
		if res.responses < res.queries {
			return // another name server may still answer well
		}
		if res.qtype != res.prefer || res.prefer == TypeSRV {
			if res.tries == 0 {
				s.failed(res, st, now)
			}
			return // else the retry timer sends again
		}
		res.qtype = otherFamily(res.prefer)
		s.send(res, now)
		return
	}
	ns.count.Valid.Add(1)
	s.done(res, now)
	res.status, res.lastValid, res.held = statusValid, now, statusNone
	res.merge(recs, extras, now, s.cfg.Hold.Obsolete)
	for _, g := range slices.Clone(res.groups) {
		g.answer(s, res, now, ns)
	}
	s.lookupsEnded(res, true)
}

// failed ends a resolution with an error: groups lose their addresses
// only once no valid answer came within the status's hold period.
func (s *section) failed(res *resolution, st status, now time.Time) {
	s.done(res, now)
	res.status = st
	s.lookupsEnded(res, false)
	if len(res.groups) == 0 {
		return // only lookups needed it
	}
	if hold := holdFor(s.cfg.Hold, st); now.Sub(res.lastValid) < hold {
		if res.held != st {
			res.held = st
			s.rt.logf("", syslog.Warning, "resolvers %s: resolution of %s failed (%s); servers keep their addresses until %v without a valid answer",
				s.cfg.Name, res.name, st.reason(), hold)
		}
		return
	}
	res.held = statusNone
	res.records = nil
	for _, g := range slices.Clone(res.groups) {
		g.fail(s, res, st)
	}
}

// check validates an answer to res and returns its status and, when
// valid, the records for the name asked (following a CNAME chain within
// the answer) and, for SRV, the additional addresses of the targets.
func (s *section) check(ns *nameserver, res *resolution, b []byte) (status, []Record, map[string][]netip.Addr) {
	m, err := Parse(b)
	switch {
	case err != nil:
		s.bad(ns, &ns.count.Invalid, "invalid answer for %s: %v", res.name, err)
		return statusInvalid, nil, nil
	case !m.Response || m.Questions != 1:
		s.bad(ns, &ns.count.Invalid, "invalid answer for %s: not a response to one question", res.name)
		return statusInvalid, nil, nil
	}
	switch m.RCode {
	case RCodeSuccess:
	case RCodeNXDomain:
		ns.count.NX.Add(1)
		return statusNX, nil, nil
	case RCodeRefused:
		ns.count.Refused.Add(1)
		return statusRefused, nil, nil
	default:
		ns.count.Other.Add(1)
		return statusOther, nil, nil
	}
	if m.Question.Name != res.name || m.Question.Type != res.qtype || m.Question.Class != ClassIN {
		// An answer to another question: ignored like a bad one.
		s.bad(ns, &ns.count.Invalid, "answer for %s (type %d) to the query for %s (type %d): ignored", m.Question.Name, m.Question.Type, res.name, res.qtype)
		return statusInvalid, nil, nil
	}
	if m.Truncated && res.qtype != TypeSRV {
		s.bad(ns, &ns.count.Truncated, "truncated answer for %s", res.name)
		return statusOther, nil, nil
	}
	if len(m.Answers) == 0 {
		ns.count.AnyErr.Add(1)
		return statusOther, nil, nil
	}
	var recs []Record
	if res.qtype == TypeSRV {
		for _, r := range m.Answers {
			if r.Type == TypeSRV && r.Name == res.name && r.Target != "" {
				recs = append(recs, r)
			}
		}
		if len(recs) == 0 {
			s.bad(ns, &ns.count.Invalid, "answer for %s without an SRV record for it", res.name)
			return statusInvalid, nil, nil
		}
		extras := map[string][]netip.Addr{}
		for _, r := range m.Additional {
			if r.Type == TypeA || r.Type == TypeAAAA {
				extras[r.Name] = append(extras[r.Name], r.Addr)
			}
		}
		return statusValid, recs, extras
	}
	names := map[string]bool{res.name: true}
	cname := false
	for _, r := range m.Answers {
		switch {
		case r.Type == TypeCNAME && names[r.Name]:
			names[r.Target], cname = true, true
		case r.Type == res.qtype && names[r.Name]:
			recs = append(recs, r)
		}
	}
	if cname {
		ns.count.CNAME.Add(1)
	}
	if len(recs) == 0 {
		if cname {
			s.bad(ns, &ns.count.CNAMEError, "CNAME chain of %s ends without an address", res.name)
		} else {
			s.bad(ns, &ns.count.Invalid, "answer for %s holds records for other names only: ignored", res.name)
		}
		return statusInvalid, nil, nil
	}
	return statusValid, recs, nil
}

// merge adds an answer's records to the cache (refreshing those seen
// again) and drops the records not seen within the obsolete period.
func (res *resolution) merge(recs []Record, extras map[string][]netip.Addr, now time.Time, obsolete time.Duration) {
	for _, r := range recs {
		i := slices.IndexFunc(res.records, func(c record) bool {
			if r.Type == TypeSRV {
				return c.typ == TypeSRV && c.target == r.Target && c.port == r.Port
			}
			return c.typ == r.Type && c.addr == r.Addr
		})
		if i < 0 {
			res.records = append(res.records, record{typ: r.Type, addr: r.Addr, target: r.Target, port: r.Port})
			i = len(res.records) - 1
		}
		c := &res.records[i]
		c.seen, c.weight = now, r.Weight
		if a := extras[r.Target]; len(a) > 0 {
			c.extra, c.extraSeen = a[0], now
		}
	}
	res.records = slices.DeleteFunc(res.records, func(c record) bool { return now.Sub(c.seen) > obsolete })
	for i := range res.records {
		if c := &res.records[i]; c.extra.IsValid() && now.Sub(c.extraSeen) > obsolete {
			c.extra = netip.Addr{}
		}
	}
}

// resolveTarget starts resolving an SRV slot's target, which the answer
// gave no additional record for.
func (s *section) resolveTarget(sl *slot) {
	s.dropTarget(sl)
	sl.targetGrp = &addrGroup{slotList{slots: []*slot{sl}}}
	sl.targetRes = s.resolution(sl.target, preferred(sl.cfg))
	sl.targetRes.add(sl.targetGrp)
}

// dropTarget stops resolving an SRV slot's target.
func (s *section) dropTarget(sl *slot) {
	if sl.targetRes != nil {
		s.drop(sl.targetRes, sl.targetGrp)
		sl.targetRes, sl.targetGrp = nil, nil
	}
}

// bad counts a bad answer from ns and logs it, at most once per kind
// per logEvery (a flood of forged answers costs no more than a line a
// second).
func (s *section) bad(ns *nameserver, counter *atomic.Uint64, format string, args ...any) {
	counter.Add(1)
	l := ns.logged[counter]
	if l == nil {
		l = &logLimit{}
		ns.logged[counter] = l
	}
	now := time.Now()
	if !l.at.IsZero() && now.Sub(l.at) < logEvery {
		l.suppressed++
		return
	}
	more := ""
	if l.suppressed > 0 {
		more = fmt.Sprintf(" (and %d more like it)", l.suppressed)
	}
	l.at, l.suppressed = now, 0
	s.rt.logf("", syslog.Warning, "resolvers %s: nameserver %s: %s%s", s.cfg.Name, ns.name, fmt.Sprintf(format, args...), more)
}
