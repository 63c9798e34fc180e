package master

import (
	"fmt"
	"net"
	"os"
	"syscall"

	"baton/internal/worker"
)

// relay is one client connection on its way from a draining generation to
// the serving one: the receiver answers under the master's relay ID, and
// the answer goes back to the sender under its own ID.
type relay struct {
	from *generation
	id   uint64
	to   *generation
}

// handOffChannel returns the master's end of a new hand-over channel and
// the worker's end to pass in ExtraFiles (the caller closes it once the
// worker started).
func handOffChannel() (*net.UnixConn, *os.File, error) {
	fds, err := worker.TransferSocketpair()
	if err != nil {
		return nil, nil, err
	}
	mine := os.NewFile(uintptr(fds[0]), "hand-over")
	c, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, fmt.Errorf("hand-over channel: %w", err)
	}
	return c.(*net.UnixConn), os.NewFile(uintptr(fds[1]), "hand-over"), nil
}

// relay serves g's hand-over channel until g is gone: connections g sends
// go to the serving generation, and its answers go back to their senders.
// Once g's channel ends, connections still on their way to g are reported
// back as not adopted, so that their senders keep and drain them.
func (m *Master) relay(g *generation) {
	for {
		t, fd, err := worker.ReadTransfer(g.handoff)
		if err != nil {
			if worker.IsMalformed(err) {
				m.logf("worker gen=%d pid=%d: %v", g.gen, g.pid, err)
				if t.Kind == worker.TransferConn && t.ID != 0 {
					m.answer(g, t.ID, err.Error())
				}
				continue
			}
			break
		}
		switch t.Kind {
		case worker.TransferConn:
			m.forwardConn(g, t, fd)
		case worker.TransferAck:
			m.mu.Lock()
			r, ok := m.relays[t.ID]
			if ok && r.to == g {
				delete(m.relays, t.ID)
			} else {
				ok = false
			}
			m.mu.Unlock()
			if ok {
				m.answer(r.from, r.id, t.Err)
			}
		}
	}
	m.mu.Lock()
	var lost []relay
	for id, r := range m.relays {
		if r.to == g {
			lost = append(lost, r)
			delete(m.relays, id)
		}
	}
	m.mu.Unlock()
	for _, r := range lost {
		m.answer(r.from, r.id, fmt.Sprintf("worker gen=%d exited before adopting the connection", g.gen))
	}
}

// forwardConn passes the connection descriptor fd from a draining generation
// to the serving one, then closes the master's copy: from then on the
// socket lives in the sender (until it hears back) and the receiver.
func (m *Master) forwardConn(from *generation, t *worker.Transfer, fd int) {
	defer syscall.Close(fd)
	m.mu.Lock()
	to := m.current
	if to == from || (to != nil && to.state != StateServing) {
		to = nil
	}
	var id uint64
	if to != nil {
		m.relayID++
		id = m.relayID
		m.relays[id] = relay{from: from, id: t.ID, to: to}
	}
	m.mu.Unlock()
	if to == nil {
		m.answer(from, t.ID, "no serving generation to adopt the connection")
		return
	}
	err := worker.WriteTransfer(to.handoff, &worker.Transfer{ID: id, Kind: worker.TransferConn, Bind: t.Bind, Buffered: t.Buffered}, fd)
	if err != nil {
		m.mu.Lock()
		_, waiting := m.relays[id]
		delete(m.relays, id)
		m.mu.Unlock()
		if waiting { // else the receiver's end already reported it lost
			m.answer(from, t.ID, fmt.Sprintf("worker gen=%d: %v", to.gen, err))
		}
	}
}

// answer tells g what became of the connection it sent as id ("" means
// adopted).
func (m *Master) answer(g *generation, id uint64, errText string) {
	if err := worker.WriteTransfer(g.handoff, &worker.Transfer{ID: id, Kind: worker.TransferAck, Err: errText}, -1); err != nil {
		// g is gone or stuck: its end of the channel reports the loss.
		m.logf("worker gen=%d pid=%d: %v", g.gen, g.pid, err)
	}
}
