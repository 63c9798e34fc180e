package backend

import (
	"net"
	"net/netip"
	"strings"
	"sync/atomic"

	"baton/internal/config"
)

// Endpoint is the address a server is reached at. A server without one
// (its host name did not resolve, or DNS took its address away) is in
// resolution maintenance, HAProxy's RMAINT: load balancing skips it
// whatever its administrative state, and it has no pooled connection.
type Endpoint struct {
	// Addr is "ip:port", what the data path dials, or a socket address
	// (sockaddr.DialArgs reads both).
	Addr string
	// AddrPort is Addr parsed, for comparisons; zero for a socket
	// address.
	AddrPort netip.AddrPort
}

// addrState is the part of a Server that resolution changes.
type addrState struct {
	// ep is the current address, nil for none. It is atomic because the
	// resolver's goroutine replaces it (SetAddr) while every Acquire
	// (Usable) and dial reads it; an Endpoint is never modified once
	// stored, so a reader holds a consistent address.
	ep atomic.Pointer[Endpoint]
	// dynamic is set, once at New, for a server whose address can change
	// (it has resolvers): only then do the idle pool's puts and gets
	// check that a connection goes to the current address.
	dynamic bool
	// changed is closed and replaced each time the address changes, so
	// the health checker notices at once; atomic because SetAddr swaps
	// it while the checker's goroutine reads it.
	changed atomic.Pointer[chan struct{}]
}

func (s *Server) initAddr(cs *config.Server) {
	s.dynamic = cs.Resolvers != ""
	if cs.Addr == "" {
		return
	}
	if ep := newEndpoint(cs.Addr); ep != nil {
		s.ep.Store(ep)
	}
}

func newEndpoint(addr string) *Endpoint {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		if strings.Contains(addr, "@") {
			// A socket address in its canonical form (unix@, abns@,
			// ipv4@, ipv6@): dialed as written, never resolved again.
			return &Endpoint{Addr: addr}
		}
		return nil
	}
	return endpointOf(ap)
}

func endpointOf(ap netip.AddrPort) *Endpoint {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	return &Endpoint{Addr: ap.String(), AddrPort: ap}
}

// Endpoint returns the server's current address, nil when it has none.
func (s *Server) Endpoint() *Endpoint { return s.ep.Load() }

// Addr returns the current "ip:port", or "" when the server has no
// address.
func (s *Server) Addr() string {
	if ep := s.ep.Load(); ep != nil {
		return ep.Addr
	}
	return ""
}

// AddrChanged returns a channel closed at the next change of address.
func (s *Server) AddrChanged() <-chan struct{} {
	for {
		if ch := s.changed.Load(); ch != nil {
			return *ch
		}
		ch := make(chan struct{})
		if s.changed.CompareAndSwap(nil, &ch) {
			return ch
		}
	}
}

// setAddr stores ap (invalid: no address) and reports whether it
// changed. Leaving an address closes the pooled connections to it; a new
// address starts healthy, as a server leaving maintenance does in
// HAProxy, is checked again at once, and slow-starts unless initial (a
// generation's starting address). The order matters: the address
// is replaced before the pool is purged, and PutIdle compares under the
// pool's lock, so no connection to the old address can be pooled after.
func (s *Server) setAddr(ap netip.AddrPort, initial bool) bool {
	old := s.ep.Load()
	var ep *Endpoint
	if ap.IsValid() {
		if old != nil && old.AddrPort == endpointOf(ap).AddrPort {
			return false
		}
		ep = endpointOf(ap)
	} else if old == nil {
		return false
	}
	s.ep.Store(ep)
	s.idle.purge(false)
	if ep != nil {
		s.healthy.Store(true)
		if !initial {
			s.warmUp()
		}
	}
	if ch := s.changed.Swap(nil); ch != nil {
		close(*ch)
	}
	return true
}

// AddrUpdate is one server's new address (and weight) from a resolver.
type AddrUpdate struct {
	Server *Server
	// Addr is the new address; the zero value means none (resolution
	// maintenance).
	Addr netip.AddrPort
	// Weight is the new weight; negative means unchanged.
	Weight int
	// Initial marks the address a generation starts with (carried over
	// from the previous one): no slow start, as at any start.
	Initial bool
}

// Apply gives servers of b their new addresses and weights in one step,
// then lets queued requests use servers that became usable (or fails
// them when none is left). It returns the updates that changed an
// address. Servers gain their addresses before others lose theirs, so a
// concurrent pick never finds the backend empty when the answer is not.
func (b *Backend) Apply(updates []AddrUpdate) (changed []AddrUpdate) {
	for _, gaining := range []bool{true, false} {
		for _, u := range updates {
			if u.Addr.IsValid() != gaining {
				continue
			}
			if u.Weight >= 0 {
				u.Server.setUserWeight(clampWeight(u.Weight))
			}
			if u.Server.setAddr(u.Addr, u.Initial) {
				changed = append(changed, u)
			}
		}
	}
	b.stateChanged()
	return changed
}

// sameAddr reports whether c is connected to ep, for a dynamic server's
// pool: a connection opened before the address changed must not serve a
// request made after. Connections that are not TCP are not checked.
func sameAddr(c net.Conn, ep *Endpoint) bool {
	if ep == nil {
		return false
	}
	ta, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return true
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	return ok && ta.Port == int(ep.AddrPort.Port()) && ip.Unmap() == ep.AddrPort.Addr()
}

// UsableActive returns how many non-backup servers load balancing may
// pick now (HAProxy's srv_act), for the retry rules.
func (b *Backend) UsableActive() int {
	n := 0
	for _, s := range b.mem.Load().active {
		if s.Usable() {
			n++
		}
	}
	return n
}
