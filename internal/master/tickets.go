package master

import (
	"sync"
	"time"

	"baton/internal/tlsconf"
	"baton/internal/worker"
)

// TLS session ticket keys. The master owns them so that a client resumes
// its TLS session across reloads: it makes them once, hands the same list
// to every generation it starts (the start message), rotates them every
// tlsconf.TicketRotation and pushes the new list to every live
// generation (OpTicketKeys). They survive a binary upgrade in the
// upgrade state. A bind with tls-ticket-keys uses its file instead.

// ticketKeys is the master's current list, first key encrypting.
type ticketKeys struct {
	mu   sync.Mutex
	keys [][32]byte
	once sync.Once
}

// get returns the current keys, making the first one on first use.
func (t *ticketKeys) get() [][32]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = tlsconf.RotateTicketKeys(nil)
	}
	return append([][32]byte(nil), t.keys...)
}

func (t *ticketKeys) set(keys [][32]byte) {
	t.mu.Lock()
	t.keys = keys
	t.mu.Unlock()
}

func (t *ticketKeys) rotate() [][32]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.keys = tlsconf.RotateTicketKeys(t.keys)
	return append([][32]byte(nil), t.keys...)
}

// encodedTicketKeys is the list as a control message carries it.
func (m *Master) encodedTicketKeys() [][]byte { return tlsconf.EncodeTicketKeys(m.tickets.get()) }

// startTicketRotation rotates the keys on a schedule until the master is
// done. It runs once per master (an upgraded image starts its own).
func (m *Master) startTicketRotation() {
	m.tickets.once.Do(func() {
		go func() {
			t := time.NewTicker(tlsconf.TicketRotation)
			defer t.Stop()
			for {
				select {
				case <-m.done:
					return
				case <-t.C:
				}
				m.pushTicketKeys(m.tickets.rotate())
			}
		}()
	})
}

// pushTicketKeys hands keys to every live generation: a draining one
// still resumes its clients' sessions.
func (m *Master) pushTicketKeys(keys [][32]byte) {
	m.mu.Lock()
	gens := append([]*generation(nil), m.gens...)
	m.mu.Unlock()
	enc := tlsconf.EncodeTicketKeys(keys)
	for _, g := range gens {
		if _, err := g.ctl.Call(&worker.Message{Op: worker.OpTicketKeys, TicketKeys: enc}, callTimeout); err != nil {
			m.logf("worker gen=%d pid=%d: ticket keys: %v", g.gen, g.pid, err)
		}
	}
}
