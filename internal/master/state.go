package master

import (
	"encoding/json"
	"maps"

	"baton/internal/worker"
)

// keepState returns g's receiver for published state (worker.OpPublish):
// the master keeps the latest of each kind, from the serving generation
// or a newer one (a draining generation's view is older), and hands it
// to every generation it starts, so that run-time state such as
// resolution results survives reloads and crash restarts.
func (m *Master) keepState(g *generation) func(*worker.Message) {
	return func(msg *worker.Message) {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.current != nil && g != m.current && g.gen < m.current.gen {
			return
		}
		if m.state == nil {
			m.state = map[string]json.RawMessage{}
		}
		for kind, data := range msg.State {
			m.state[kind] = data
		}
	}
}

// keptState returns a copy of the state kept for the next generation.
func (m *Master) keptState() map[string]json.RawMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.state)
}
