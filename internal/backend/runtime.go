package backend

import (
	"fmt"
	"net/netip"
	"sync/atomic"
)

// runtimeState is what the runtime API changes in a server beyond
// weight and state: its maxconn and its address.
type runtimeState struct {
	// maxConn is the maxconn set at run time plus one; 0 means none was
	// set (MaxConn applies). Atomic because the runtime API writes it
	// while every Acquire reads it.
	maxConn atomic.Int32
	// addrSet is set once an address was given at run time: from then
	// on the idle pool checks that a connection goes to the current
	// address, as for a server resolved by DNS. Atomic because the
	// runtime API sets it while PutIdle reads it.
	addrSet atomic.Bool
}

// CurrentMaxConn returns the maxconn in force before any slow start: the
// one set at run time, or MaxConn (0: no limit).
func (s *Server) CurrentMaxConn() int {
	if m := s.rt.maxConn.Load(); m > 0 {
		return int(m - 1)
	}
	return s.MaxConn
}

// SetMaxConn changes the maxconn (0: no limit); requests waiting for a
// slot may proceed.
func (s *Server) SetMaxConn(n int) {
	s.rt.maxConn.Store(int32(max(n, 0)) + 1)
	s.b.stateChanged()
}

// SetAddr gives the server a new address at run time ("ip:port"), as
// "set server addr" does: pooled connections to the old one are closed
// and checks start over, as after a change from DNS. initial marks the
// address a generation starts with (carried from the previous one, or
// a server state file): no slow start.
func (s *Server) SetAddr(addr string, initial bool) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("invalid address %q", addr)
	}
	s.rt.addrSet.Store(true)
	s.setAddr(ap, initial)
	s.b.stateChanged()
	return nil
}

// AddrSetAtRuntime reports whether the address was set by SetAddr (not
// the configuration's, nor one from DNS).
func (s *Server) AddrSetAtRuntime() bool { return s.rt.addrSet.Load() }

// checksAddr reports whether the idle pool must check a connection's
// address against the server's current one.
func (s *Server) checksAddr() bool { return s.dynamic || s.rt.addrSet.Load() }
