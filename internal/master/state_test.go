package master

import (
	"encoding/json"
	"testing"

	"baton/internal/worker"
)

// Published state is kept from the serving generation or a newer one,
// never from an older (draining) one, and every kind separately.
func TestKeepState(t *testing.T) {
	m := New(Options{})
	g1, g2, g3 := &generation{gen: 1}, &generation{gen: 2}, &generation{gen: 3}
	m.current = g2
	pub := func(g *generation, kind, data string) {
		m.keepState(g)(&worker.Message{Op: worker.OpPublish, State: map[string]json.RawMessage{kind: json.RawMessage(data)}})
	}
	pub(g2, "resolvers", `[1]`)
	pub(g1, "resolvers", `[0]`) // older, draining: ignored
	pub(g3, "other", `"x"`)     // newer (starting): kept
	got := m.keptState()
	if string(got["resolvers"]) != "[1]" || string(got["other"]) != `"x"` || len(got) != 2 {
		t.Fatalf("kept %v", got)
	}
	got["resolvers"] = json.RawMessage("changed")
	if string(m.keptState()["resolvers"]) != "[1]" {
		t.Error("keptState returned the master's own map")
	}
}
