package worker

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// handoff is a worker's end of its hand-over channel: it sends this
// generation's idle connections (as the old generation) and adopts the
// previous generation's (as the serving one).
type handoff struct {
	w    *worker
	conn *net.UnixConn
	mig  Migrator // nil: the engine cannot adopt

	// adopt is held for reading by an Adopt in progress and for writing
	// to stop adopting, so that once stopAdopting returns no connection
	// can land in an engine that is about to soft-stop.
	adopt     sync.RWMutex
	adoptable bool

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan string // reply per connection sent
	closed  bool
}

// errNoChannel is the result of a send once the channel is gone.
var errNoChannel = errors.New("hand-over channel closed")

// errNotServing refuses a connection arriving after this generation
// stopped accepting: it is acked with Retry, so that the master passes
// the connection on to the generation serving now.
var errNotServing = errors.New("the receiving generation is not serving")

func (w *worker) openHandOff(n int) (*handoff, error) {
	f := w.opt.HandOff(n)
	if f == nil {
		return nil, errors.New("hand-over channel: no descriptor")
	}
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("hand-over channel: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("hand-over channel: %T is not a unix socket", c)
	}
	h := &handoff{w: w, conn: uc, pending: make(map[uint64]chan string)}
	h.mig, _ = w.engine.(Migrator)
	return h, nil
}

func (h *handoff) startAdopting() {
	h.adopt.Lock()
	h.adoptable = true
	h.adopt.Unlock()
}

func (h *handoff) stopAdopting() {
	h.adopt.Lock()
	h.adoptable = false
	h.adopt.Unlock()
}

func (h *handoff) close() {
	h.stopAdopting()
	h.conn.Close()
}

// read serves the channel: acknowledgements of connections this
// generation sent, and connections the previous one sends.
func (h *handoff) read() {
	for {
		t, fd, err := ReadTransfer(h.conn)
		if err != nil {
			if IsMalformed(err) {
				h.w.logf("%v", err)
				if t.Kind == TransferConn && t.ID != 0 {
					h.ack(t.ID, err) // the sender must not wait forever
				}
				continue
			}
			break
		}
		switch t.Kind {
		case TransferAck:
			h.deliver(t.ID, t.Err)
		case TransferConn:
			h.ack(t.ID, h.adoptConn(t, fd))
		}
	}
	h.mu.Lock()
	h.closed = true
	pending := h.pending
	h.pending = nil
	h.mu.Unlock()
	for _, ch := range pending {
		ch <- errNoChannel.Error()
	}
}

func (h *handoff) ack(id uint64, err error) {
	t := &Transfer{ID: id, Kind: TransferAck}
	if err != nil {
		t.Err = err.Error()
		t.Retry = errors.Is(err, errNotServing)
	}
	if werr := WriteTransfer(h.conn, t, -1); werr != nil {
		h.w.logf("%v", werr)
	}
}

func (h *handoff) deliver(id uint64, errText string) {
	h.mu.Lock()
	ch := h.pending[id]
	delete(h.pending, id)
	h.mu.Unlock()
	if ch != nil {
		ch <- errText
	}
}

// adoptConn makes the descriptor a connection of this generation's
// engine. os.NewFile of a non-blocking socket and its Fd (inside
// net.FileConn) switch the shared open file to blocking mode for an
// instant; net.FileConn's duplicate sets it back. The sender is parked
// waiting for this answer meanwhile, so no read of its sees the switch.
func (h *handoff) adoptConn(t *Transfer, fd int) error {
	h.adopt.RLock()
	defer h.adopt.RUnlock()
	if h.mig == nil || !h.adoptable {
		syscall.Close(fd)
		if h.mig == nil {
			return errors.New("the serving generation's engine cannot adopt connections")
		}
		return errNotServing
	}
	f := os.NewFile(uintptr(fd), "handed-over "+t.Bind)
	c, err := net.FileConn(f)
	if err != nil {
		syscall.SetNonblock(fd, true) // the sender keeps serving it
		f.Close()
		return fmt.Errorf("adopt %s: %w", t.Bind, err)
	}
	f.Close()
	if t.Relay != nil {
		return h.adoptRelay(t, c)
	}
	if err := h.mig.Adopt(t.Bind, c, t.Buffered); err != nil {
		c.Close() // only this duplicate: the sender still holds the socket
		return fmt.Errorf("adopt %s: %w", t.Bind, err)
	}
	return nil
}

// send hands c over and returns nil once the next generation adopted it.
// The descriptor travels while c is parked: Control keeps it valid, and
// its blocking mode is never touched (File would).
func (h *handoff) send(bind string, c *net.TCPConn, buffered []byte) error {
	return h.sendConn(&Transfer{Kind: TransferConn, Bind: bind, Buffered: buffered}, c)
}

// sendConn sends t with c's descriptor and waits for the answer.
func (h *handoff) sendConn(t *Transfer, c syscall.Conn) error {
	ch := make(chan string, 1)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return errNoChannel
	}
	h.nextID++
	id := h.nextID
	h.pending[id] = ch
	h.mu.Unlock()
	rc, err := c.SyscallConn()
	if err == nil {
		var werr error
		t.ID = id
		err = rc.Control(func(fd uintptr) {
			werr = WriteTransfer(h.conn, t, int(fd))
		})
		if err == nil {
			err = werr
		}
	}
	if err != nil {
		h.mu.Lock()
		if h.pending != nil {
			delete(h.pending, id)
		}
		h.mu.Unlock()
		return err
	}
	if e := <-ch; e != "" {
		return errors.New(e)
	}
	return nil
}

// migrate hands the engine's idle connections to the serving generation
// and returns how many moved and how many stayed. Without a channel or a
// Migrator engine it does nothing: the soft stop that follows drains them
// instead.
func (w *worker) migrate(sweep bool) (moved, kept int) {
	mig, ok := w.engine.(Migrator)
	if !ok || w.handoff == nil {
		return 0, 0
	}
	var nMoved, nKept atomic.Int64
	var firstErr atomic.Value
	mig.HandOff(func(bind string, c *net.TCPConn, buffered []byte) error {
		err := w.handoff.send(bind, c, buffered)
		if err != nil {
			nKept.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
			return err
		}
		nMoved.Add(1)
		return nil
	})
	moved, kept = int(nMoved.Load()), int(nKept.Load())
	more := ""
	if sweep {
		if moved == 0 && kept == 0 {
			return 0, 0 // nothing went idle since the last pass
		}
		more = " more"
	}
	if kept > 0 {
		w.logf("handed %d%s connection(s) over; %d stay to drain here (%v)", moved, more, kept, firstErr.Load())
	} else {
		w.logf("handed %d%s connection(s) over", moved, more)
	}
	return moved, kept
}

// handOffSweep is the period of the hand-over passes during a drain. The
// engine gives a client it has just answered a short grace (the proxy:
// 100 ms) before a soft stop closes its idle connection; a pass well
// within that grace hands the connection over instead.
const handOffSweep = 10 * time.Millisecond

// sweepHandOffs repeats the hand-over while the engine drains. A request
// in progress when the first pass ran may be answered without
// "Connection: close" (its response was under way before the hand-over
// began): its connection goes idle afterwards, and the engine, draining,
// closes it after a short grace while the client may be reusing it. Each
// pass hands such connections over. The engine's SoftStop is not called
// meanwhile: HandOff already drains (responses carry "Connection:
// close", nothing is accepted), and SoftStop's kicks of idle connections
// would cut that grace short. The sweeps end when the engine is done,
// when stop is closed, or at the first connection no generation could
// take: the drain then goes on as a plain soft stop over window.
func (w *worker) sweepHandOffs(stop <-chan struct{}, window time.Duration) {
	t := time.NewTicker(handOffSweep)
	defer t.Stop()
	done := w.engine.Done()
	for {
		select {
		case <-done:
			return
		case <-stop:
			return
		case <-t.C:
		}
		if _, kept := w.migrate(true); kept > 0 {
			w.engine.SoftStop(window)
			return
		}
	}
}
