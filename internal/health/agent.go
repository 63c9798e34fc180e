package health

import (
	"context"
	"strconv"
	"strings"
	"time"

	"baton/internal/backend"
	"baton/internal/check"
)

// runAgent is the server's agent check loop: every agent-inter it reads
// the agent's line and applies it.
func (sv *server) runAgent(ctx context.Context, first time.Duration) {
	rs := check.AgentCheck(sv.cs.AgentSend)
	if err := rs.Finish(); err != nil {
		return
	}
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// The agent is asked even in maintenance: it may say "ready".
		at := sv.agentTarget()
		if at.Addr == "" && !at.CheckAddr.IsValid() {
			// No address (resolution maintenance): nothing to ask.
			t.Reset(sv.c.noise(sv.agentInter()))
			continue
		}
		res := check.Run(ctx, rs, at)
		if ctx.Err() != nil {
			return
		}
		sv.applyAgent(res)
		t.Reset(sv.c.noise(sv.agentInter()))
	}
}

// applyAgent applies an agent's answer as HAProxy does: the
// administrative state first, then the weight and maxconn, then the
// health, which sets the health check's counter too ("up" to fully up,
// "down", "fail" or "stopped" to fully down). A failure to reach the
// agent changes nothing but is reported.
func (sv *server) applyAgent(res check.Result) {
	a := res.Agent
	var warn string
	var out []pending
	if a != nil {
		switch a.Admin {
		case "drain":
			out = sv.setAdmin(backend.Drain)
		case "maint":
			out = sv.setAdmin(backend.Maint)
		case "ready":
			out = sv.setAdmin(backend.Ready)
		}
		if a.Weight != "" {
			warn = sv.agentWeight(a.Weight)
			if warn == "" && sv.s.State() == backend.Drain {
				sv.mu.Lock()
				out = append(out, pending{ev: sv.event(EventDrainRemains, res, true)})
				sv.mu.Unlock()
			}
		}
		if a.MaxConn >= 0 {
			sv.s.SetMaxConn(a.MaxConn)
		}
		switch {
		case a.Health != "":
			msg := a.Desc
			if msg == "" || res.Status == check.StatusL7OK {
				switch {
				case a.Err != "":
					msg = a.Err
				case warn != "":
					msg = warn
				}
			}
			res.Info = "via agent : " + a.Health
			if msg != "" {
				res.Info += " (" + msg + ")"
			}
		case a.Err != "":
			res.Info = "agent reports an error : " + a.Err
		case warn != "":
			res.Info = "agent warns : " + warn
		}
	}
	sv.mu.Lock()
	if a != nil {
		switch a.Health {
		case "up":
			sv.health = sv.rise + sv.fall - 1
		case "down", "stopped", "fail":
			sv.health = 0
		}
	}
	prev := sv.lastAgent.Status
	sv.lastAgent = res
	report := res.Status != prev
	switch res.Verdict() {
	case check.Failed:
		// Reaching the agent failing is not the server failing: only an
		// answer saying so counts.
		if res.Status == check.StatusL7Sts && sv.agentHealth > 0 {
			sv.agentHealth = 0
			report = true
		}
	case check.Passed:
		if sv.agentHealth < 1 {
			sv.agentHealth = 1
			report = true
		}
	case check.Neutral:
		// CHECKED: no health word; nothing to notify.
		sv.mu.Unlock()
		sv.c.emit(out)
		return
	}
	if report {
		out = append(out, pending{ev: sv.event(EventCheck, res, true)})
	}
	out = append(out, sv.notify(res, true)...)
	sv.mu.Unlock()
	sv.c.emit(out)
}

// agentWeight applies "N%": the weight becomes N% of the configured one
// (HAProxy's relative weight change); it returns a warning, or "".
func (sv *server) agentWeight(w string) string {
	pct, err := strconv.Atoi(strings.TrimSuffix(w, "%"))
	if err != nil || !strings.HasSuffix(w, "%") || pct < 0 {
		return "Relative weight must be a positive integer"
	}
	nw := sv.cs.Weight * pct / 100
	if nw > backend.MaxWeight {
		return "Weight too high"
	}
	sv.s.SetWeight(nw)
	return ""
}

// setAdmin moves the server to an administrative state an agent asked
// for, with HAProxy's messages: entering maintenance takes it down (its
// sessions cut as on-marked-down says); leaving it, its checks start
// over one success from up (HAProxy's "start OK but check
// immediately"); drain keeps it up but out of load balancing.
func (sv *server) setAdmin(to backend.State) []pending {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	from := sv.s.State()
	if from == to {
		return nil
	}
	res := sv.last
	var out []pending
	switch {
	case to == backend.Maint:
		sessions := sv.s.Conns()
		sv.s.SetState(backend.Maint)
		ev := sv.event(EventMaint, res, false)
		ev.Down, ev.Sessions = !sv.up, sessions
		out = append(out, pending{ev: ev})
		if sv.up {
			out = append(out, sv.cutSessions()...)
			out = append(out, sv.noServer()...)
		}
	case from == backend.Maint:
		sv.s.SetState(to)
		if sv.cs.Check {
			sv.health = sv.rise
		}
		if ok := sv.healthOK(); ok != sv.up {
			sv.up = ok
			sv.s.SetHealthy(ok)
		}
		ev := sv.event(EventReady, res, false)
		ev.Down = !sv.up
		out = append(out, pending{ev: ev})
	case to == backend.Drain:
		sv.s.SetState(backend.Drain)
		ev := sv.event(EventDrain, res, false)
		ev.Down = !sv.up
		out = append(out, pending{ev: ev})
	default: // drain to ready
		sv.s.SetState(backend.Ready)
		ev := sv.event(EventUndrain, res, false)
		ev.Down = !sv.up
		out = append(out, pending{ev: ev})
	}
	return out
}
