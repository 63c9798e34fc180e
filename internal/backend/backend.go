package backend

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"baton/internal/config"
	"baton/internal/h1"
)

// Errors returned by Acquire.
var (
	// ErrNoServer means no server of the backend is usable (HAProxy
	// answers 503 "no server available").
	ErrNoServer = errors.New("no server available")
	// ErrQueueTimeout means every usable server stayed at its maxconn
	// until the deadline.
	ErrQueueTimeout = errors.New("queue timeout: every server at maxconn")
)

// Key carries what hashing algorithms need: the client address for
// "balance source", the request target for "balance uri". An invalid Src
// or empty URI makes those algorithms fall back to round robin.
type Key struct {
	Src netip.Addr
	URI []byte
	// Req is the request (hdr), Payload the first bytes of a TCP
	// connection (rdp-cookie); nil when there is none.
	Req     *h1.Request
	Payload []byte
	// Body is the start of a POST's body as received (url_param
	// check_post); nil when none was waited for.
	Body []byte
}

// Backend is a set of servers with a balance algorithm and a FIFO queue
// for requests waiting on maxconn. It is safe for concurrent use.
type Backend struct {
	Name string
	// Servers lists the configuration's servers in declaration order;
	// List also has the servers added at run time (AddServer).
	Servers []*Server
	Balance config.Balance
	// Opts and HashType are the hashing algorithms' options (hash.go).
	Opts     config.BalanceOpts
	HashType config.HashType
	// AllBackups balances over every usable backup server, with the
	// backend's algorithm, when no active server is usable ("option
	// allbackups"); false uses the first usable backup only. Set it
	// before the first server set is built (New).
	AllBackups bool
	// MaxIdle bounds the idle connections pooled per server, over the
	// servers' own pool-max-conn: 0 means the servers' settings (see
	// Server.IdleLimit), a negative value disables pooling. Set it
	// before the backend is shared.
	MaxIdle int

	// mem are the servers load balancing picks from; replaced whole
	// (copy on write) when a server is added or removed at run time, so
	// a pick reads one consistent set without a lock.
	mem atomic.Pointer[members]
	// memMu serialises the writers of mem.
	memMu sync.Mutex

	// rrMu guards Server.rrCur for roundrobin.
	rrMu sync.Mutex
	// rot is the round-robin position of static-rr (into srSeq) and the
	// rotating start of leastconn's tie-break; atomic because every
	// Acquire advances it.
	rot atomic.Uint64

	qmu   sync.Mutex
	queue []*waiter // guarded by qmu; FIFO
	// queued mirrors len(queue); written under qmu, read without it so
	// Acquire and Release skip the lock when nobody waits.
	queued atomic.Int32

	wpool sync.Pool // *waiter
	loadState
}

// waiter is an Acquire parked in the queue. The dispatcher that removes
// it from the queue sends the server (slot already taken) on ch.
type waiter struct {
	key     Key
	exclude *Server
	ch      chan *Server // buffered 1
}

// New builds a backend from a proxy's servers. Disabled servers start in
// Maint; every server starts healthy.
func New(p *config.Proxy) *Backend {
	b := &Backend{Name: p.Name, Balance: p.Balance, Opts: p.BalanceOpts, HashType: p.HashType, AllBackups: p.AllBackups}
	for i, cs := range p.Servers {
		b.Servers = append(b.Servers, newServer(b, i, cs))
	}
	b.mem.Store(newMembers(b, b.Servers))
	b.initLoad(p)
	return b
}

// members is one version of a backend's server set.
type members struct {
	b      *Backend
	all    []*Server // in declaration (then addition) order
	active []*Server // non-backup servers in that order
	backup []*Server // backup servers in that order
	// srSeq is static-rr's fixed schedule: active servers interleaved
	// by their configured weights (smooth weighted round robin).
	srSeq []*Server
	// ring is the consistent-hash ring (hash.go), built on first use.
	ring ring
	// backupTier is the backup servers as a tier of their own, balanced
	// like the active one (option allbackups); nil without it.
	backupTier *members
}

func newMembers(b *Backend, all []*Server) *members {
	m := &members{b: b, all: all}
	for _, s := range all {
		if s.Backup {
			m.backup = append(m.backup, s)
		} else {
			m.active = append(m.active, s)
		}
	}
	m.srSeq = staticSchedule(m.active)
	if b.AllBackups && len(m.backup) > 0 {
		m.backupTier = &members{b: b, all: m.backup, active: m.backup, srSeq: staticSchedule(m.backup)}
	}
	return m
}

// List returns every server, those added at run time included, in
// order. The slice must not be modified.
func (b *Backend) List() []*Server { return b.mem.Load().all }

// Find returns the server named name, or nil.
func (b *Backend) Find(name string) *Server {
	for _, s := range b.List() {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Dynamic reports whether the balance algorithm takes servers added at
// run time (HAProxy's "dynamic" algorithms: not static-rr, not the
// hashes).
func (b *Backend) Dynamic() bool {
	switch b.Balance {
	case config.StaticRR, config.SourceHash, config.URI:
		return false
	}
	return true
}

// Errors of AddServer and RemoveServer.
var (
	ErrExists   = errors.New("a server with this name exists")
	ErrNotMaint = errors.New("the server is not in maintenance")
	ErrInUse    = errors.New("the server has connections")
)

// AddServer adds a server built from cs, in Maint as HAProxy starts a
// dynamic server; its Index follows the last one's.
func (b *Backend) AddServer(cs *config.Server) (*Server, error) {
	b.memMu.Lock()
	defer b.memMu.Unlock()
	old := b.mem.Load()
	idx := 0
	for _, s := range old.all {
		if s.Name == cs.Name {
			return nil, ErrExists
		}
		idx = max(idx, s.Index+1)
	}
	s := newServer(b, idx, cs)
	s.state.Store(int32(Maint))
	b.mem.Store(newMembers(b, append(old.all[:len(old.all):len(old.all)], s)))
	return s, nil
}

// RemoveServer removes s, which must be in Maint with no connection in
// use or queued for it; its idle connections are closed.
func (b *Backend) RemoveServer(s *Server) error {
	b.memMu.Lock()
	defer b.memMu.Unlock()
	if s.State() != Maint {
		return ErrNotMaint
	}
	if s.Conns() > 0 {
		return ErrInUse
	}
	old := b.mem.Load()
	var all []*Server
	for _, o := range old.all {
		if o != s {
			all = append(all, o)
		}
	}
	b.mem.Store(newMembers(b, all))
	s.idle.purge(true)
	return nil
}

// Queued returns the number of requests waiting for a server slot.
func (b *Backend) Queued() int { return int(b.queued.Load()) }

// Acquire picks a usable server (Ready, healthy, weight > 0) honouring the
// balance algorithm and weights, and counts one more connection on it.
// Backup servers are used only when no active server is usable, and then
// only the first usable backup, or all of them with AllBackups.
//
// exclude is the server a failed attempt used (redispatch): it is avoided
// while another usable server exists in the same tier; when it is the only
// usable one it is returned again, so the caller retries the same server
// rather than failing.
//
// When every candidate is at its maxconn the call waits in the backend's
// FIFO queue until Release frees a slot or deadline passes (zero deadline:
// no limit). Errors: ErrNoServer, ErrQueueTimeout.
//
// When nobody is queued and a slot is free, Acquire takes no lock (except
// roundrobin's short one) and does not allocate.
func (b *Backend) Acquire(key Key, exclude *Server, deadline time.Time) (*Server, error) {
	if b.queued.Load() == 0 {
		s, res := b.pick(&key, exclude)
		switch res {
		case picked:
			return s, nil
		case pickNone:
			return nil, ErrNoServer
		}
	}
	return b.wait(key, exclude, deadline)
}

// wait queues the caller at the tail and waits for a dispatcher to hand it
// a server.
func (b *Backend) wait(key Key, exclude *Server, deadline time.Time) (*Server, error) {
	w, _ := b.wpool.Get().(*waiter)
	if w == nil {
		w = &waiter{ch: make(chan *Server, 1)}
	}
	w.key, w.exclude = key, exclude

	b.qmu.Lock()
	b.queue = append(b.queue, w)
	b.queued.Add(1)
	// Dispatch now: a slot may have been freed after our pick failed
	// but before we were queued, and its Release saw an empty queue.
	b.dispatch()
	b.qmu.Unlock()

	var s *Server
	if deadline.IsZero() {
		s = <-w.ch
	} else {
		d := time.Until(deadline)
		select {
		case s = <-w.ch:
		default:
			if d <= 0 {
				return b.timeout(w)
			}
			t := time.NewTimer(d)
			select {
			case s = <-w.ch:
				t.Stop()
			case <-t.C:
				return b.timeout(w)
			}
		}
	}
	b.putWaiter(w)
	if s == nil {
		return nil, ErrNoServer
	}
	return s, nil
}

// timeout removes w from the queue after its deadline passed, unless a
// dispatcher got to it first, in which case the server it was handed is
// returned.
func (b *Backend) timeout(w *waiter) (*Server, error) {
	b.qmu.Lock()
	queued := b.remove(w)
	b.qmu.Unlock()
	if queued {
		b.putWaiter(w)
		return nil, ErrQueueTimeout
	}
	s := <-w.ch
	b.putWaiter(w)
	if s == nil {
		return nil, ErrNoServer
	}
	return s, nil
}

func (b *Backend) putWaiter(w *waiter) {
	w.key, w.exclude = Key{}, nil
	b.wpool.Put(w)
}

// remove takes w out of the queue; it reports whether w was there.
// b.qmu must be held.
func (b *Backend) remove(w *waiter) bool {
	for i, x := range b.queue {
		if x == w {
			copy(b.queue[i:], b.queue[i+1:])
			b.queue[len(b.queue)-1] = nil
			b.queue = b.queue[:len(b.queue)-1]
			b.queued.Add(-1)
			return true
		}
	}
	return false
}

// dispatch hands free slots to waiters in FIFO order. A waiter that
// cannot be served is skipped only if it excludes a server (a later
// waiter may take that server); an unrestricted waiter that cannot be
// served ends the scan, since nobody after it can be either. When no
// server is usable at all, waiters are woken with nil (ErrNoServer)
// rather than left to time out, as a new request would be answered.
// b.qmu must be held.
func (b *Backend) dispatch() {
	n := 0
	stop := false
	for _, w := range b.queue {
		if !stop {
			s, res := b.pick(&w.key, w.exclude)
			if res != pickFull {
				w.ch <- s // nil for pickNone
				continue
			}
			if w.exclude == nil {
				stop = true
			}
		}
		b.queue[n] = w
		n++
	}
	clear(b.queue[n:])
	b.queue = b.queue[:n]
	b.queued.Store(int32(n))
}

// Release ends one request/connection on s (acquired from this backend)
// and, if requests are queued, hands the freed slot to the first one that
// can use it.
func (b *Backend) Release(s *Server) {
	if s == nil {
		return
	}
	s.conns.Add(-1)
	b.loadAdd(-1)
	// Sequentially consistent atomics: either a queued waiter's pick
	// (made after queued was raised) saw this slot free, or this load
	// sees queued > 0 and dispatches.
	if b.queued.Load() != 0 {
		b.qmu.Lock()
		b.dispatch()
		b.qmu.Unlock()
	}
}

// stateChanged lets queued requests use a server that became usable, or
// fails them when none is left.
func (b *Backend) stateChanged() {
	if b.queued.Load() != 0 {
		b.qmu.Lock()
		b.dispatch()
		b.qmu.Unlock()
	}
}

// Close closes every pooled idle connection and makes PutIdle refuse
// further ones. Queued requests are not affected.
func (b *Backend) Close() {
	for _, s := range b.List() {
		s.idle.purge(true)
	}
}
