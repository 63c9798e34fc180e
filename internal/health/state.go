package health

import (
	"context"
	"sync"
	"time"

	"baton/internal/backend"
	"baton/internal/check"
	"baton/internal/config"
)

// server is one checked server's health, as HAProxy keeps it: a counter
// from 0 to rise+fall-1, the server being up while it is at least rise.
// A server starts up at rise, one failure away from going down.
type server struct {
	c  *Checker
	s  *backend.Server
	cs *config.Server

	// wake reschedules the check loop at once (observe's fastinter).
	wake chan struct{}

	// mu guards everything below: the check loop, the agent loop and
	// request goroutines (observe) all change the health.
	mu          sync.Mutex
	health      int
	rise, fall  int
	up, nolb    bool
	agentHealth int // 0 or 1: the agent's own counter (rise 1, fall 1)
	fastinter   bool
	last        check.Result // the last health check
	lastAgent   check.Result
	// paused is set while the runtime API has the checks disabled
	// (Runtime.Paused): they start over when enabled.
	paused bool
}

func newServer(c *Checker, s *backend.Server) *server {
	cs := s.Config
	rise, fall := cs.Rise, cs.Fall
	if rise <= 0 {
		rise = DefaultRise
	}
	if fall <= 0 {
		fall = DefaultFall
	}
	sv := &server{c: c, s: s, cs: cs, wake: make(chan struct{}, 1),
		health: rise, rise: rise, fall: fall, up: s.Healthy(), agentHealth: 1,
		last: check.Result{Status: check.StatusInit}}
	if !sv.up {
		sv.health = 0
	}
	return sv
}

// carryLevel starts the health counter from a level the previous
// generation carried (Runtime.Level), if any. It runs when the loops
// start: the runtime API's records exist by then.
func (sv *server) carryLevel() {
	l, ok := sv.c.startLevel(sv.s)
	if !ok {
		return
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	sv.health = min(max(l, 0), sv.rise+sv.fall-1)
	if up := sv.health >= sv.rise; up != sv.up {
		sv.up = up
		sv.s.SetHealthy(up)
	}
}

// interval0 is "inter".
func (sv *server) interval0() time.Duration {
	if sv.cs.Inter > 0 {
		return sv.cs.Inter
	}
	return DefaultInter
}

func (sv *server) agentInter() time.Duration {
	if sv.cs.AgentInter > 0 {
		return sv.cs.AgentInter
	}
	return sv.interval0()
}

// interval is the delay before the next check, as HAProxy's
// srv_getinter: inter when fully up, downinter when fully down,
// fastinter while changing state (or when observed errors forced it).
func (sv *server) interval() time.Duration {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return sv.intervalLocked()
}

func (sv *server) intervalLocked() time.Duration {
	inter := sv.interval0()
	if !sv.fastinter && sv.health == sv.rise+sv.fall-1 {
		return inter
	}
	if !sv.up && sv.health == 0 {
		if sv.cs.DownInter > 0 {
			return sv.cs.DownInter
		}
		return inter
	}
	if sv.cs.FastInter > 0 {
		return sv.cs.FastInter
	}
	return inter
}

// run is the server's health check loop.
// changed is closed at the server's next change of address (DNS, the
// runtime API).
func (sv *server) run(ctx context.Context, first time.Duration, changed <-chan struct{}) {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sv.wake:
			// Observed errors asked for fastinter: wait that long from
			// now, unless the check was due sooner.
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
			t.Reset(sv.c.noise(sv.interval()))
			continue
		case <-changed:
			// A new address (or none): the verdicts so far were about
			// another host. Start over, one failure from down if up, and
			// check the new address at once.
			sv.restart()
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		case <-t.C:
		}
		// The next change's channel is taken before the address is read,
		// so a change in between wakes the next wait at once.
		changed = sv.s.AddrChanged()
		st := sv.s.State()
		network, addr := serverAddr(sv.s)
		if sv.c.paused(sv) {
			// Checks disabled: none runs and the server counts as up.
		} else if st != backend.Maint && addr != "" {
			var res check.Result
			if sv.c.p.CheckOption == "external-check" {
				res = check.RunExternal(ctx, sv.external())
			} else {
				res = check.Run(ctx, sv.c.rules, sv.target(network, addr))
			}
			if ctx.Err() != nil {
				return
			}
			sv.apply(res)
		}
		sv.mu.Lock()
		sv.fastinter = false
		next := sv.intervalLocked()
		sv.mu.Unlock()
		t.Reset(sv.c.noise(next))
	}
}

// restart puts the health counter back where a server leaving
// maintenance starts, after its address changed (package backend marks
// a server with a new address up): one failure from down when up, no
// success when down.
func (sv *server) restart() {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	sv.up = sv.s.Healthy()
	if sv.up {
		sv.health = sv.rise
	} else {
		sv.health = 0
	}
	sv.last = check.Result{Status: check.StatusInit}
}

// pending is an event to send once the lock is released.
type pending struct {
	ev Event
	do func()
}

// apply records a health check's result, as HAProxy's
// set_server_check_status and the notifications after it do.
func (sv *server) apply(res check.Result) {
	sv.mu.Lock()
	prev := sv.last.Status
	sv.last = res
	report := res.Status != prev
	switch res.Verdict() {
	case check.Failed:
		if sv.health > 0 {
			sv.health--
			if sv.health < sv.rise {
				sv.health = 0
			}
			report = true
		}
	case check.Passed, check.CondPass:
		if sv.health < sv.rise+sv.fall-1 {
			sv.health++
			if sv.health >= sv.rise {
				sv.health = sv.rise + sv.fall - 1
			}
			report = true
		}
		sv.s.ClearObservedErrors()
	case check.Neutral:
		sv.mu.Unlock()
		return
	}
	var out []pending
	if report {
		out = append(out, pending{ev: sv.event(EventCheck, res, false)})
	}
	out = append(out, sv.notify(res, false)...)
	level := sv.health
	sv.mu.Unlock()
	sv.c.emit(out)
	// After the change: a hook that reads the server sees the state its
	// level says.
	sv.c.probed(sv.s, res, level)
}

// notify changes the server's state after a check, as HAProxy's
// check_notify_failure/success/stopping. sv.mu is held.
func (sv *server) notify(res check.Result, agent bool) []pending {
	switch v := res.Verdict(); {
	case v == check.Failed:
		if agent && res.Status != check.StatusL7Sts {
			return nil
		}
		h := sv.health
		if agent {
			h = sv.agentHealth
		}
		if h > 0 || !sv.up {
			return nil
		}
		return sv.setDown(res)
	case v == check.CondPass && !agent:
		if !sv.healthOK() {
			return nil
		}
		var out []pending
		if !sv.up {
			out = sv.setUp(res)
		}
		if !sv.nolb {
			sv.nolb = true
			sv.s.SetNOLB(true)
			out = append(out, pending{ev: sv.event(EventNOLB, res, true)})
			out = append(out, sv.noServer()...)
		}
		return out
	case v == check.Passed:
		if !sv.healthOK() {
			return nil
		}
		if agent && sv.nolb {
			return nil
		}
		if sv.up && !sv.nolb {
			return nil
		}
		if sv.up && sv.nolb {
			sv.nolb = false
			sv.s.SetNOLB(false)
			return []pending{{ev: sv.event(EventUp, res, true)}}
		}
		return sv.setUp(res)
	}
	return nil
}

// healthOK says both checks allow the server up.
func (sv *server) healthOK() bool {
	if sv.cs.Check && sv.health < sv.rise {
		return false
	}
	if sv.cs.Agent && sv.agentHealth < 1 {
		return false
	}
	return sv.s.State() != backend.Maint
}

func (sv *server) setDown(res check.Result) []pending {
	sv.up, sv.nolb = false, false
	sv.s.SetNOLB(false)
	sv.s.SetHealthy(false)
	out := []pending{{ev: sv.event(EventDown, res, true)}}
	out = append(out, sv.cutSessions()...)
	return append(out, sv.noServer()...)
}

// noServer is HAProxy's "backend has no server available!" after a
// change that left none usable.
func (sv *server) noServer() []pending {
	if active, backup := sv.c.counts(); active+backup > 0 {
		return nil
	}
	return []pending{{ev: Event{Kind: EventNoServer, Backend: sv.c.p.Name, Server: sv.s}}}
}

// cutSessions ends the server's sessions when it goes down, if
// "on-marked-down shutdown-sessions" says so.
func (sv *server) cutSessions() []pending {
	if sv.cs.OnMarkedDown != "shutdown-sessions" || sv.c.opt.ShutdownSessions == nil {
		return nil
	}
	s := sv.s
	return []pending{{do: func() { sv.c.opt.ShutdownSessions(s, 'D') }}}
}

func (sv *server) setUp(res check.Result) []pending {
	sv.up, sv.nolb = true, false
	sv.s.SetNOLB(false)
	// SetHealthy starts the slow start, if any (package backend).
	sv.s.SetHealthy(true)
	out := []pending{{ev: sv.event(EventUp, res, true)}}
	if sv.cs.OnMarkedUp == "shutdown-backup-sessions" && !sv.s.Backup && sv.s.EffectiveWeight() > 0 && sv.c.opt.ShutdownSessions != nil {
		for _, o := range sv.c.b.List() {
			if o.Backup {
				o := o
				out = append(out, pending{do: func() { sv.c.opt.ShutdownSessions(o, 'U') }})
			}
		}
	}
	return out
}

// event builds an event for the server, with the counts HAProxy shows.
// sv.mu is held.
func (sv *server) event(k EventKind, res check.Result, agent bool) Event {
	ev := Event{Kind: k, Backend: sv.c.p.Name, Server: sv.s, Agent: agent, Result: res, Sessions: sv.s.Conns()}
	ev.Cause = !sv.c.opt.LogHealthChecks
	ev.Health = Health{Up: sv.health >= sv.rise, Rise: sv.rise, Fall: sv.fall, Drain: sv.s.Weight() == 0}
	if ev.Health.Up {
		ev.Health.Count = sv.health - sv.rise + 1
	} else {
		ev.Health.Count = sv.health
	}
	if agent {
		ev.Health = Health{Up: sv.agentHealth >= 1, Count: sv.agentHealth, Rise: 1, Fall: 1, Drain: sv.s.Weight() == 0}
	}
	ev.Active, ev.Backup = sv.c.counts()
	return ev
}

// counts returns the usable active and backup servers.
func (c *Checker) counts() (active, backup int) {
	for _, o := range c.b.List() {
		if o.Usable() {
			if o.Backup {
				backup++
			} else {
				active++
			}
		}
	}
	return active, backup
}

func (c *Checker) emit(out []pending) {
	for _, p := range out {
		if p.do != nil {
			p.do()
			continue
		}
		if c.opt.OnEvent != nil {
			c.opt.OnEvent(p.ev)
		}
		if c.opt.OnChange != nil && (p.ev.Kind == EventUp || p.ev.Kind == EventDown) {
			r := resultOf(p.ev.Result)
			if p.ev.Note != "" {
				r = Result{OK: true, Status: p.ev.Note}
			}
			c.opt.OnChange(p.ev.Server, p.ev.Kind == EventUp, r)
		}
	}
}

// observed handles observed errors reaching error-limit (from a request
// goroutine), as HAProxy's health_adjust: on-error decides.
func (sv *server) observed(n int32, last string) {
	res := check.Result{Status: check.StatusHANA, Duration: -1,
		Info: "Detected " + itoa(int(n)) + " consecutive errors, last one was: " + last}
	sv.mu.Lock()
	sv.fastinter = true
	var out []pending
	switch sv.cs.OnError {
	case "fastinter":
	case "sudden-death", "", "fail-check", "mark-down":
		switch sv.cs.OnError {
		case "sudden-death":
			if sv.health > sv.rise {
				sv.health = sv.rise + 1
			}
		case "mark-down":
			sv.health = sv.rise
		}
		prev := sv.last.Status
		sv.last = res
		report := res.Status != prev
		if sv.health > 0 {
			sv.health--
			if sv.health < sv.rise {
				sv.health = 0
			}
			report = true
		}
		if report {
			out = append(out, pending{ev: sv.event(EventCheck, res, false)})
		}
		out = append(out, sv.notify(res, false)...)
	}
	sv.mu.Unlock()
	sv.c.emit(out)
	if sv.cs.FastInter > 0 {
		select {
		case sv.wake <- struct{}{}:
		default:
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
