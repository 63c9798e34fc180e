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
// the answer goes back to the sender under its own ID. The master keeps
// its copy of the descriptor (fd) until the answer is final, so that a
// receiver refusing it because it stopped accepting meanwhile can be
// skipped: the connection goes on to the generation serving now.
type relay struct {
	from     *generation
	id       uint64 // the sender's ID
	to       *generation
	bind     string
	buffered []byte
	fd       int
	// tlsRelay describes the far end of a TLS relay (Transfer.Relay).
	tlsRelay []byte
}

// finishRelay closes the master's copy and gives the sender the final answer
// ("" means adopted).
func (m *Master) finishRelay(r relay, errText string) {
	syscall.Close(r.fd)
	if errText == "" {
		m.countMigrated()
	}
	m.answer(r.from, r.id, errText)
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
				m.logf("%v: %v", g, err)
				if t.Kind == worker.TransferConn && t.ID != 0 {
					m.answer(g, t.ID, err.Error())
				}
				continue
			}
			break
		}
		switch t.Kind {
		case worker.TransferConn:
			m.route(relay{from: g, id: t.ID, bind: t.Bind, buffered: t.Buffered, fd: fd, tlsRelay: t.Relay})
		case worker.TransferAck:
			m.mu.Lock()
			r, ok := m.relays[t.ID]
			if ok && r.to == g {
				delete(m.relays, t.ID)
			} else {
				ok = false
			}
			m.mu.Unlock()
			switch {
			case !ok:
			case t.Err != "" && t.Retry:
				// g stopped accepting after the connection was sent
				// to it: its successor takes it.
				m.route(r)
			default:
				m.finishRelay(r, t.Err)
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
		// g may have adopted it and read from it before exiting: only
		// the sender can still tell, so it keeps the connection.
		m.finishRelay(r, fmt.Sprintf("%v exited before adopting the connection", g))
	}
}

// route passes r to the generation serving now. While the accept role
// moves (serve), nobody may adopt: r is held, and serve delivers it to
// the new serving generation. Only when no generation other than the
// sender and the one that refused r serves is the sender told to keep it.
func (m *Master) route(r relay) {
	m.mu.Lock()
	if m.switching {
		m.held = append(m.held, r)
		m.mu.Unlock()
		return
	}
	to := m.current
	if to == r.from || to == r.to || (to != nil && to.state != StateServing) {
		to = nil
	}
	var id uint64
	if to != nil {
		r.to = to
		m.relayID++
		id = m.relayID
		m.relays[id] = r
	}
	m.mu.Unlock()
	if to == nil {
		m.finishRelay(r, "no serving generation to adopt the connection")
		return
	}
	err := worker.WriteTransfer(to.handoff, &worker.Transfer{ID: id, Kind: worker.TransferConn, Bind: r.bind, Buffered: r.buffered, Relay: r.tlsRelay}, r.fd)
	if err != nil {
		m.mu.Lock()
		_, waiting := m.relays[id]
		delete(m.relays, id)
		m.mu.Unlock()
		if waiting { // else the receiver's end already reported it lost
			m.finishRelay(r, fmt.Sprintf("%v: %v", to, err))
		}
	}
}

// releaseHeld ends a move of the accept role: the connections that
// arrived meanwhile go to the generation serving now (or back to their
// senders if none does).
func (m *Master) releaseHeld() {
	m.mu.Lock()
	m.switching = false
	held := m.held
	m.held = nil
	m.mu.Unlock()
	for _, r := range held {
		m.route(r)
	}
}

// answer tells g what became of the connection it sent as id ("" means
// adopted).
func (m *Master) answer(g *generation, id uint64, errText string) {
	if err := worker.WriteTransfer(g.handoff, &worker.Transfer{ID: id, Kind: worker.TransferAck, Err: errText}, -1); err != nil {
		// g is gone or stuck: its end of the channel reports the loss.
		m.logf("%v: %v", g, err)
	}
}
