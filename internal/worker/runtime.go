package worker

import "baton/internal/runtime"

// command runs a runtime API command the master forwarded (stats socket
// sessions, master CLI "@N"): an engine that is a runtime.Target answers
// it at the session's level; one that is only a Commander answers with
// its own words.
func (w *worker) command(m *Message) string {
	if w.engine == nil {
		return "This worker has not started: no runtime API yet.\n"
	}
	if t, ok := w.engine.(runtime.Target); ok {
		return runtime.Execute(t, m.Command, runtime.ParseLevel(m.Level))
	}
	if c, ok := w.engine.(Commander); ok {
		return c.Command(m.Command)
	}
	return "Unknown command: this worker has no runtime API yet.\n"
}
