package health

import (
	"strconv"

	"baton/internal/backend"
	"baton/internal/check"
)

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventCheck is a check whose result HAProxy's "option
	// log-health-checks" reports: its status changed from the previous
	// check's, or it moved the server's health counter.
	EventCheck EventKind = iota + 1
	// EventDown, EventUp and EventNOLB are changes of the server's state.
	EventDown
	EventUp
	EventNOLB
	// EventNoServer follows an EventDown that left the backend without
	// any usable server.
	EventNoServer
	// The administrative changes an agent asks for ("maint", "drain",
	// "ready"), worded as HAProxy's srv_update_status: EventMaint enters
	// maintenance, EventReady leaves it, EventDrain enters the drain
	// state, EventUndrain leaves it, EventDrainRemains is a weight the
	// agent set while the server stays drained.
	EventMaint
	EventReady
	EventDrain
	EventUndrain
	EventDrainRemains
)

// Event is what a Checker reports to Options.OnEvent. Its methods word
// it as HAProxy does, so the log lines read the same.
type Event struct {
	Kind    EventKind
	Backend string
	Server  *backend.Server
	// Agent is set for the agent check's results.
	Agent bool
	// Result is the check behind the event; for a state change without
	// a check (an agent, observed errors) it is the last one.
	Result check.Result
	// Cause is false for a state change HAProxy reports without its
	// reason: with option log-health-checks, the checks were logged
	// already.
	Cause bool
	// Health is the server's health counter after the check.
	Health Health
	// Active and Backup count the usable servers after the change;
	// Sessions the server's connections then.
	Active, Backup, Sessions int
	// Down is the server's operational state after an administrative
	// change (for EventMaint: before it), which the wording follows.
	Down bool
	// Note replaces the check's reason of a state change no check made
	// ("Health checks disabled"); "" means none.
	Note string
}

// Health is a server's health counter, as HAProxy shows it.
type Health struct {
	Up bool
	// Count is the checks that must still fail before an up server goes
	// down (of Fall), or the successes of a down server (of Rise).
	Count, Rise, Fall int
	// Drain is set for an up server whose weight is 0.
	Drain bool
}

// String is "2/3 UP", "1/2 DOWN", "3/3 DRAIN".
func (h Health) String() string {
	switch {
	case !h.Up:
		return strconv.Itoa(h.Count) + "/" + strconv.Itoa(h.Rise) + " DOWN"
	case h.Drain:
		return strconv.Itoa(h.Count) + "/" + strconv.Itoa(h.Fall) + " DRAIN"
	}
	return strconv.Itoa(h.Count) + "/" + strconv.Itoa(h.Fall) + " UP"
}

func (e *Event) prefix(b []byte) []byte {
	if e.Server.Backup {
		b = append(b, "Backup "...)
	}
	b = append(b, "Server "...)
	b = append(b, e.Backend...)
	b = append(b, '/')
	return append(b, e.Server.Name...)
}

// Line is HAProxy's line for the event, without the trailing period's
// newline: "Server be/s1 is DOWN, reason: ... 0 sessions active, 0
// requeued, 0 remaining in queue.", "Health check for server be/s1
// failed, reason: ..., status: 0/2 DOWN.", "backend be has no server
// available!".
func (e *Event) Line() string {
	var b []byte
	switch e.Kind {
	case EventCheck:
		if e.Agent {
			b = append(b, "Agent check for "...)
		} else {
			b = append(b, "Health check for "...)
		}
		if e.Server.Backup {
			b = append(b, "backup "...)
		}
		b = append(b, "server "...)
		b = append(b, e.Backend...)
		b = append(b, '/')
		b = append(b, e.Server.Name...)
		switch e.Result.Verdict() {
		case check.CondPass:
			b = append(b, " conditionally succeeded, "...)
		case check.Passed:
			b = append(b, " succeeded, "...)
		default:
			b = append(b, " failed, "...)
		}
		b = e.Result.AppendReason(b)
		b = append(b, ", status: "...)
		b = append(b, e.Health.String()...)
		return string(append(b, '.'))
	case EventNoServer:
		return "backend " + e.Backend + " has no server available!"
	}
	b = e.prefix(b)
	switch e.Kind {
	case EventDown:
		b = append(b, " is DOWN"...)
	case EventUp:
		b = append(b, " is UP"...)
	case EventNOLB:
		b = append(b, " is stopping"...)
	case EventMaint:
		if e.Down {
			return string(append(b, " was DOWN and now enters maintenance."...))
		}
		b = append(b, " is going DOWN for maintenance"...)
		return string(e.appendCounts(b, true))
	case EventDrain:
		b = append(b, " enters drain state"...)
		return string(e.appendCounts(b, e.Down))
	case EventReady:
		b = append(b, " is "...)
		b = append(b, upDown(e.Down)...)
		if e.Server.State() == backend.Drain {
			b = append(b, "/DRAIN"...)
		} else {
			b = append(b, "/READY"...)
		}
		return string(append(b, " (leaving forced maintenance)."...))
	case EventUndrain:
		b = append(b, " is "...)
		b = append(b, upDown(e.Down)...)
		return string(append(b, " (leaving forced drain)."...))
	case EventDrainRemains:
		return string(append(b, " remains in forced drain mode."...))
	}
	switch {
	case e.Cause && e.Note != "":
		b = append(b, ", reason: "...)
		b = append(b, e.Note...)
		b = append(b, ", check duration: 0ms"...)
	case e.Cause:
		b = append(b, ", "...)
		b = e.Result.AppendReason(b)
	}
	return string(e.appendCounts(b, e.Kind == EventDown))
}

func upDown(down bool) string {
	if down {
		return "DOWN"
	}
	return "UP"
}

// appendCounts is the end of a state change's line: the servers left
// (with the server's sessions) when it went down, else online.
func (e *Event) appendCounts(b []byte, left bool) []byte {
	b = append(b, ". "...)
	b = strconv.AppendInt(b, int64(e.Active), 10)
	b = append(b, " active and "...)
	b = strconv.AppendInt(b, int64(e.Backup), 10)
	if left {
		b = append(b, " backup servers left."...)
	} else {
		b = append(b, " backup servers online."...)
	}
	if e.Backup > 0 && e.Active == 0 {
		b = append(b, " Running on backup."...)
	}
	if left {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(e.Sessions), 10)
		return append(b, " sessions active, 0 requeued, 0 remaining in queue."...)
	}
	return append(b, " 0 sessions requeued, 0 total in queue."...)
}
