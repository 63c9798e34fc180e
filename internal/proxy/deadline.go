package proxy

import (
	"math/bits"
	"time"
)

// coarseDeadline is one direction's deadline of one socket, kept on a
// grid so that successive requests on a keep-alive connection usually
// ask for the deadline the socket already has.
//
// Setting a deadline is a lock and a timer-heap update in Go's runtime
// (a tenth of a microsecond or more), and the keep-alive path sets
// several per request, each "now + timeout", each a little later than
// the last. Rounded up to a grid of a hundredth of the timeout (a power
// of two of nanoseconds), they are equal for every request inside one
// grid step, and only the first one reaches the runtime. A deadline so
// rounded fires at most 1% of its timeout late, never early: "timeout
// server 30s" ends a silent server after 30 s to 30.3 s.
//
// The zero value knows nothing of the socket: the first set always
// reaches it. Whoever sets that direction's deadline on the socket
// without going through next calls forget.
type coarseDeadline struct {
	at    int64 // the grid point the socket holds (wall-clock ns; 0: none), when known
	known bool
}

// next returns the deadline to set for t, and whether the socket needs
// it (false: it holds that value already).
func (d *coarseDeadline) next(t time.Time) (time.Time, bool) {
	var at int64
	if !t.IsZero() {
		t = gridUp(t, time.Now())
		at = t.UnixNano()
	}
	if d.known && d.at == at {
		return t, false
	}
	d.at, d.known = at, true
	return t, true
}

// forget says the socket's deadline was set some other way.
func (d *coarseDeadline) forget() { d.known = false }

// gridUp rounds t up to a multiple of the largest power of two of
// nanoseconds not above a hundredth of t - now. A deadline in the past,
// or less than 100 us away, is returned as it is. The grid is on the wall
// clock, where points compare across calls; the result keeps t's
// monotonic reading (moved by the same amount), so a step of the wall
// clock moves the grid, not when the deadline fires.
func gridUp(t, now time.Time) time.Time {
	step := t.Sub(now) / 100
	if step < time.Microsecond {
		return t
	}
	g := int64(1) << (bits.Len64(uint64(step)) - 1)
	ns := t.UnixNano()
	return t.Add(time.Duration((ns+g-1)&^(g-1) - ns))
}

// SetReadDeadline sets the server socket's read deadline on the grid.
func (s *serverConn) SetReadDeadline(t time.Time) error {
	if t, ok := s.rdl.next(t); ok {
		return s.TCPConn.SetReadDeadline(t)
	}
	return nil
}

// SetWriteDeadline sets the server socket's write deadline on the grid.
func (s *serverConn) SetWriteDeadline(t time.Time) error {
	if t, ok := s.wdl.next(t); ok {
		return s.TCPConn.SetWriteDeadline(t)
	}
	return nil
}

// SetDeadline sets both of the server socket's deadlines on the grid.
func (s *serverConn) SetDeadline(t time.Time) error {
	rerr := s.SetReadDeadline(t)
	if err := s.SetWriteDeadline(t); err != nil {
		return err
	}
	return rerr
}

// setWriteDeadline sets the client socket's write deadline on the grid.
// Only the goroutine that writes to the client calls it; the read
// deadline is not kept so, because kick sets it from other goroutines.
func (cc *clientConn) setWriteDeadline(t time.Time) {
	if t, ok := cc.wdl.next(t); ok {
		cc.c.SetWriteDeadline(t)
	}
}
