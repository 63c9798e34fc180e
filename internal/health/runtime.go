package health

import (
	"baton/internal/backend"
)

// Runtime are the Options the runtime API and the statistics need. Each
// nil hook means none.
type Runtime struct {
	// OnProbe is called, from the server's check goroutine, after every
	// check with its result and the server's health level afterwards,
	// HAProxy's: 0..rise-1 down, rise..rise+fall-1 up.
	OnProbe func(s *backend.Server, r Result, level int)
	// Paused says a server's checks are disabled ("disable health"): no
	// check runs and the server counts as up, as in HAProxy.
	Paused func(s *backend.Server) bool
	// Level gives the health level a server starts from (one carried
	// from the previous generation); ok false means HAProxy's start:
	// up, one failure from down (level rise).
	Level func(s *backend.Server) (level int, ok bool)
}

// Add starts checking a server added at run time, if it has "check" and
// the checker runs.
func (c *Checker) Add(s *backend.Server) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx != nil && c.ctx.Err() == nil {
		c.startLocked(s)
	}
}

// startLevel returns the consecutive successes and failures a server's
// loop starts from: a carried level, or HAProxy's start.
func (c *Checker) startLevel(s *backend.Server, rise, fall int) (ok, bad int) {
	if c.opt.Level != nil {
		if l, found := c.opt.Level(s); found {
			if l >= rise {
				return 0, min(max(rise+fall-1-l, 0), fall-1)
			}
			return max(l, 0), 0
		}
	}
	return 0, fall - 1
}

// paused reports whether s's checks are disabled, marking it up (with an
// OnChange) if it was down.
func (c *Checker) paused(s *backend.Server) bool {
	p := c.opt.Paused != nil && c.opt.Paused(s)
	if p && !s.Healthy() {
		s.SetHealthy(true)
		if c.opt.OnChange != nil {
			c.opt.OnChange(s, true, Result{OK: true, Status: "Health checks disabled"})
		}
	}
	return p
}

// probed reports a check to OnProbe with the health level that ok and
// bad (after the check) and up give.
func (c *Checker) probed(s *backend.Server, r Result, ok, bad int, up bool, rise, fall int) {
	if c.opt.OnProbe == nil {
		return
	}
	level := ok
	if up {
		level = rise + fall - 1 - min(bad, fall-1)
	}
	c.opt.OnProbe(s, r, level)
}

// Codes are HAProxy's short check status names (show stat's
// check_status, the server state file) by Result.Status.
var Codes = map[string]string{
	L4OK: "L4OK", L4Con: "L4CON", L4Timeout: "L4TOUT",
	L7OK: "L7OK", L7Status: "L7STS", L7Invalid: "L7RSP", L7Timeout: "L7TOUT",
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
