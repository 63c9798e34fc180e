package health

import (
	"context"

	"baton/internal/backend"
	"baton/internal/check"
)

// Runtime are the Options the runtime API and the statistics need. Each
// nil hook means none.
type Runtime struct {
	// OnProbe is called, from the server's check goroutine, after every
	// health check with its result and the server's health level
	// afterwards, HAProxy's: 0..rise-1 down, rise..rise+fall-1 up.
	OnProbe func(s *backend.Server, r Result, level int)
	// Paused says a server's checks are disabled ("disable health"): no
	// check runs and the server counts as up, as in HAProxy.
	Paused func(s *backend.Server) bool
	// Level gives the health level a server starts from (one carried
	// from the previous generation); ok false means HAProxy's start:
	// up, one failure from down (level rise).
	Level func(s *backend.Server) (level int, ok bool)
}

// Add starts checking a server added at run time, if it has "check" or
// "agent-check" and the checker runs.
func (c *Checker) Add(s *backend.Server) {
	cs := s.Config
	if cs == nil || !cs.Check && !cs.Agent {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sv := newServer(c, s)
	c.servers = append(c.servers, sv)
	if cs.Check && cs.Observe != "" {
		s.SetObserver(sv.observed)
	}
	if c.ctx != nil && c.ctx.Err() == nil {
		c.startLocked(c.ctx, sv)
	}
}

// startLocked starts sv's loops; c.mu is held.
func (c *Checker) startLocked(ctx context.Context, sv *server) {
	sv.carryLevel()
	if sv.cs.Check {
		first := c.firstDelay(sv.interval())
		changed := sv.s.AddrChanged() // taken now: a change after Start wakes the loop
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			sv.run(ctx, first, changed)
		}()
	}
	if sv.cs.Agent {
		first := c.firstDelay(sv.agentInter())
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			sv.runAgent(ctx, first)
		}()
	}
}

// startLevel returns the carried level a server starts from, if any.
func (c *Checker) startLevel(s *backend.Server) (int, bool) {
	if c.opt.Level == nil || !s.Config.Check {
		return 0, false
	}
	return c.opt.Level(s)
}

// paused reports whether sv's checks are disabled, marking it up if it
// was down; once enabled again its checks start over, one failure from
// down.
func (c *Checker) paused(sv *server) bool {
	p := c.opt.Paused != nil && c.opt.Paused(sv.s)
	sv.mu.Lock()
	if !p {
		if sv.paused {
			sv.paused = false
			sv.health = sv.rise
			if !sv.up {
				sv.health = 0
			}
		}
		sv.mu.Unlock()
		return false
	}
	sv.paused = true
	var out []pending
	if !sv.up || !sv.s.Healthy() {
		sv.up, sv.health = true, sv.rise
		sv.s.SetHealthy(true)
		ev := sv.event(EventUp, check.Result{}, false)
		ev.Cause, ev.Note = true, "Health checks disabled"
		out = append(out, pending{ev: ev})
	}
	sv.mu.Unlock()
	c.emit(out)
	return true
}

// probed reports a check to OnProbe with the health level after it.
func (c *Checker) probed(s *backend.Server, res check.Result, level int) {
	if c.opt.OnProbe != nil {
		c.opt.OnProbe(s, resultOf(res), level)
	}
}

// Codes are HAProxy's short check status names (show stat's
// check_status, the server state file) by Result.Status.
var Codes = map[string]string{}

func init() {
	for st := check.StatusUnknown; st <= check.StatusProcOK; st++ {
		Codes[st.Desc()] = st.String()
	}
}

// Describe returns the description of a short status name ("L4OK":
// "Layer4 check passed"), "" for an unknown one.
func Describe(code string) string {
	for desc, c := range Codes {
		if c == code {
			return desc
		}
	}
	return ""
}
