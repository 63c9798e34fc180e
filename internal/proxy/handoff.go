package proxy

import (
	"errors"
	"fmt"
	"net"
	"sync"
)

// handOff is one HandOff in progress. Every connection that joined it
// (marked by HandOff, or going idle while it runs) leaves it exactly
// once, after it was handed over or decided to stay; HandOff returns
// when none is left.
type handOff struct {
	send func(bind string, c *net.TCPConn, buffered []byte) error

	mu     sync.Mutex
	left   int
	closed bool          // HandOff returned: no connection may join
	wake   chan struct{} // signalled when left drops to zero
}

func (ho *handOff) join() bool {
	ho.mu.Lock()
	defer ho.mu.Unlock()
	if ho.closed {
		return false
	}
	ho.left++
	return true
}

func (ho *handOff) leave() {
	ho.mu.Lock()
	ho.left--
	if ho.left == 0 {
		select {
		case ho.wake <- struct{}{}:
		default:
		}
	}
	ho.mu.Unlock()
}

// finish waits until no joined connection is left, then closes the
// hand-over to newcomers.
func (ho *handOff) finish() {
	for {
		ho.mu.Lock()
		if ho.left == 0 {
			ho.closed = true
			ho.mu.Unlock()
			return
		}
		ho.mu.Unlock()
		<-ho.wake
	}
}

func (e *Engine) handoffLeave() {
	if ho := e.handoff.Load(); ho != nil {
		ho.leave()
	}
}

// HandOff moves this generation's waiting client connections to the
// next one (see the worker's Migrator). It stops accepting and starts
// draining as SoftStop does, so that every response from now on carries
// "Connection: close"; then every connection waiting for a request (idle
// between requests, or fresh and never answered) is woken by a deadline
// in the past, which consumes nothing. A connection with no byte pending
// is passed to send from its own goroutine; when send succeeds the
// engine forgets it and closes only its own descriptor (the socket lives
// on in the next process, so no FIN is sent). A connection whose request
// had started, or whose send failed, stays and is served or drained. A
// connection going idle while HandOff runs joins it. HandOff returns once
// every connection it took was handed over or kept; SoftStop may follow
// for what remains.
func (e *Engine) HandOff(send func(bind string, c *net.TCPConn, buffered []byte) error) {
	e.StopAccepting()
	ho := &handOff{send: send, wake: make(chan struct{}, 1)}
	if !e.handoff.CompareAndSwap(nil, ho) {
		return // a hand-over is already running
	}
	e.draining.Store(true)
	e.drainH2()
	e.mu.Lock()
	for cc := range e.conns {
		cc.markMigrate(ho)
	}
	e.mu.Unlock()
	ho.finish()
	e.handoff.CompareAndSwap(ho, nil)
}

// errNotServing refuses an adoption by an engine that stopped accepting:
// it would outlive its Done.
var errNotServing = errors.New("engine no longer serving")

// Adopt serves c, handed over by the previous generation, as if it had
// just been accepted on the listener for bind, with buffered as bytes
// already received. It counts against maxconn like an accepted
// connection but never waits for a slot: adoption must not stall the
// hand-over, so the limits may be exceeded briefly.
func (e *Engine) Adopt(bind string, c net.Conn, buffered []byte) error {
	fe := e.frontends[bind]
	if fe == nil {
		return fmt.Errorf("adopt %s: no frontend binds this address", bind)
	}
	cc := newClientConn(e, fe, bind, c)
	cc.adopted = true
	cc.shard = uint8(e.adoptSeq.Add(1))
	buffered = cc.adoptProxy(buffered)
	if len(buffered) > bufSize {
		return fmt.Errorf("adopt %s: %d buffered bytes exceed the %d-byte buffer", bind, len(buffered), bufSize)
	}
	if len(buffered) > 0 {
		cc.buf = getBuf()
		cc.w = copy(*cc.buf, buffered)
	}
	return e.adopt(cc, fe, bind)
}

// adopt registers an adopted connection and starts serving it.
func (e *Engine) adopt(cc *clientConn, fe *frontend, bind string) error {
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		cc.releaseBufs()
		return fmt.Errorf("adopt %s: %w", bind, errNotServing)
	}
	cc.slotG = e.global.tryAcquire()
	cc.slotF = fe.slots.tryAcquire()
	cc.slotB = cc.brt != nil && cc.brt.slot.tryAcquire()
	e.conns[cc] = struct{}{}
	e.actconn.Add(1)
	fe.feconn.Add(1)
	e.mu.Unlock()
	cc.countOpen(true)
	go cc.serve()
	return nil
}
