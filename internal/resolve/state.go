package resolve

import (
	"encoding/json"
	"sort"
)

// ServerState is what resolution left one server with: the state a
// generation publishes and the next one starts from. It is matched by
// backend and server name, and used only when the server still resolves
// the same Name (the configuration wins when it changed the name).
type ServerState struct {
	Backend string `json:"be"`
	Server  string `json:"srv"`
	// Name is the host name or SRV label the server resolves.
	Name string `json:"name"`
	// Addr is the address, "ip:port"; "" means none (maintenance).
	Addr string `json:"addr,omitempty"`
	// Target, Port and Weight are an SRV slot's record: its target host,
	// port and weight (0..256); Target "" means a free slot.
	Target string `json:"target,omitempty"`
	Port   uint16 `json:"port,omitempty"`
	Weight int    `json:"weight,omitempty"`
}

// State is the resolution state of a generation, sorted by backend and
// server name.
type State []ServerState

// Encode returns s as JSON (the control channel's format).
func (s State) Encode() []byte {
	b, _ := json.Marshal(s) // a slice of plain structs cannot fail
	return b
}

// DecodeState reads what Encode wrote; nil or empty input is no state.
func DecodeState(b []byte) (State, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return s, nil
}

func (s State) sort() {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Backend != s[j].Backend {
			return s[i].Backend < s[j].Backend
		}
		return s[i].Server < s[j].Server
	})
}

// index maps "backend/server" to its entry.
func (s State) index() map[string]ServerState {
	m := make(map[string]ServerState, len(s))
	for _, e := range s {
		m[e.Backend+"/"+e.Server] = e
	}
	return m
}
