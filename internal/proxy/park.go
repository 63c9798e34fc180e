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

var errNoPoller = errors.New("no idle poller on this platform")

// park tries to hand the idle connection to the poller. It returns true
// when the connection is parked: the caller's goroutine must then return
// without touching cc. On false (bytes or EOF already there, a wake
// raced, no poller) the caller waits in its goroutine as before.
func (cc *clientConn) park() bool {
	p := idlePollerFor()
	if p == nil || cc.raw == nil {
		return false
	}
	cc.mu.Lock()
	if cc.kicked || cc.closed || cc.migrate {
		cc.mu.Unlock()
		return false
	}
	cc.parkState.Store(parkParking)
	cc.mu.Unlock()
	cc.armed = false
	cc.peekN, cc.peekErr = 0, nil
	cc.raw.Control(cc.armFn)
	if !cc.armed {
		cc.parkState.Store(parkRunning)
		return false
	}
	if !cc.idleDL.IsZero() {
		d := time.Until(cc.idleDL)
		if cc.idleTimer == nil {
			cc.idleTimer = time.AfterFunc(d, cc.wake)
		} else {
			cc.idleTimer.Reset(d)
		}
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
		return true
	}
	// Woken while parking: keep the connection.
	cc.resuming = false
	cc.session = sess
	cc.parkState.Store(parkRunning)
	return false
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
// parking allocates nothing): peek, and arm the poller when nothing is
// there.
func (cc *clientConn) armControl(fd uintptr) {
	if cc.peek(fd) {
		return
	}
	cc.armed = idlePollerFor().arm(cc, int(fd)) == nil
}
