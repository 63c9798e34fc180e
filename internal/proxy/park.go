package proxy

import (
	"errors"
	"time"
)

// Parking: an idle connection (between requests, or fresh before its
// first byte) with nothing to read gives up its goroutine and stack: it
// is armed in the shared idlePoller and its goroutine returns. Whoever
// wakes it (readability, its idle timer, a kick, a hand-over, a hard
// stop) starts one goroutine again, which re-enters the wait it left:
// the socket's read deadline still says when the wait ends, and a kick
// has moved it into the past, so that goroutine sees why it was woken
// exactly as a goroutine that never left would.
//
// parkState says who owns the connection: its goroutine (running,
// parking) or nobody until woken (parked). A wake during parking is
// remembered (wakeNow) and the goroutine keeps the connection.
const (
	parkRunning int32 = iota
	parkParking
	parkParked
	parkWakeNow
)

// parkRaceHook, set only by tests, runs just before park's final
// transition, where a concurrent wake makes the park fail.
var parkRaceHook func(cc *clientConn, sess *session)

var errPeekEOF = errors.New("peer closed")

var errNoPoller = errors.New("no idle poller on this platform")

// park tries to hand the idle connection to the poller. It returns
// parked when the connection is parked: the caller's goroutine must then
// return without touching cc. With peekFirst (a goroutine just woken
// from the poller) it looks at the socket first, and ready says that
// bytes or EOF are there (peekN, peekErr). Otherwise (a wake raced, no
// poller) the caller waits in its goroutine as before.
func (cc *clientConn) park(peekFirst bool) (parked, ready bool) {
	p := idlePollerFor()
	if p == nil || cc.raw == nil {
		return false, false
	}
	if peekFirst && !cc.idleDL.IsZero() && !time.Now().Before(cc.idleDL) {
		// Woken by the idle timer: the wait ends in the goroutine, by
		// the socket's deadline.
		return false, false
	}
	cc.mu.Lock()
	if cc.kicked || cc.closed || cc.migrate {
		cc.mu.Unlock()
		return false, false
	}
	// parkDL is set before the state says parking: the shared timer
	// reads it for parking and parked connections.
	if cc.idleDL.IsZero() {
		cc.parkDL.Store(0)
	} else {
		cc.parkDL.Store(cc.idleDL.UnixNano())
	}
	cc.parkState.Store(parkParking)
	cc.mu.Unlock()
	cc.armed = false
	cc.peekN, cc.peekErr = 0, nil
	if peekFirst {
		cc.raw.Control(cc.peekArmFn)
	} else {
		cc.raw.Control(cc.armFn)
	}
	if !cc.armed {
		cc.parkState.Store(parkRunning)
		return false, cc.peekN != 0 || cc.peekErr != nil
	}
	// The idle deadline is watched by the poller's one shared timer (a
	// time.Timer per parked connection cost 144 bytes each).
	if dl := cc.parkDL.Load(); dl != 0 {
		p.schedule(dl)
	}
	cc.resuming = true
	// The session goes to the pool only once parked, and a failed park
	// keeps the very same one: the caller holds pointers into it.
	sess := cc.session
	cc.session = nil
	if parkRaceHook != nil {
		parkRaceHook(cc, sess)
	}
	if cc.parkState.CompareAndSwap(parkParking, parkParked) {
		putSession(sess) // cc is no longer ours: only sess is touched
		return true, false
	}
	// Woken while parking: keep the connection.
	cc.resuming = false
	cc.session = sess
	cc.parkState.Store(parkRunning)
	return false, false
}

// wake starts a goroutine for a parked connection; on one being parked
// it makes park fail. Safe from any goroutine, any number of times.
func (cc *clientConn) wake() {
	for {
		switch cc.parkState.Load() {
		case parkParked:
			if cc.parkState.CompareAndSwap(parkParked, parkRunning) {
				go cc.serveFn() // a func value: no closure allocated per wake
				return
			}
		case parkParking:
			if cc.parkState.CompareAndSwap(parkParking, parkWakeNow) {
				return
			}
		default:
			return
		}
	}
}

// armControl is park's RawConn.Control callback (bound once, in armFn, so
// parking allocates nothing). It arms the poller without peeking first:
// epoll_ctl reports a socket that is readable already, so a request that
// arrived meanwhile only costs a wake-up, and the common case (nothing
// there yet) saves a recv system call per request.
func (cc *clientConn) armControl(fd uintptr) {
	cc.armed = idlePollerFor().arm(cc, int(fd)) == nil
}

// peekArmControl is armControl after a look at the socket: a goroutine
// woken by the poller finds its request there (the usual case) with one
// recv, and a spuriously woken one parks again.
func (cc *clientConn) peekArmControl(fd uintptr) {
	if cc.peek(fd) {
		if cc.peekN == 0 && cc.peekErr == nil {
			cc.peekErr = errPeekEOF
		}
		return
	}
	cc.armControl(fd)
}
