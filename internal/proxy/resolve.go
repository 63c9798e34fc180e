package proxy

import (
	"baton/internal/backend"
	"baton/internal/resolve"
	"baton/internal/syslog"
)

// newResolvers prepares the resolution of servers with resolvers (and
// the name servers' sockets, so "show resolvers" lists every section).
// The previous generation's state is applied here, before anything is
// served; queries start with the health checks.
func (e *Engine) newResolvers(opt Options) error {
	if len(e.cfg.Resolvers) == 0 {
		return nil
	}
	bes := make(map[string]*backend.Backend, len(e.backends))
	for name, be := range e.backends {
		bes[name] = be.b
	}
	rt, err := resolve.New(e.cfg, bes, resolve.Options{Log: e.resolverEvent, Publish: opt.PublishResolvers, State: opt.ResolverState})
	if err != nil {
		return err
	}
	e.resolvers = rt
	return nil
}

// resolverEvent sends a resolver's line to its backend's log targets, or
// the global ones for a resolvers section's own, and as a diagnostic.
func (e *Engine) resolverEvent(backend string, lvl syslog.Level, msg string) {
	if be := e.backends[backend]; be != nil {
		e.event(be.log, lvl, "%s", msg)
		return
	}
	e.diagf("%s", msg)
	e.log.Eventf(lvl, "%s", msg)
}

// stopResolvers stops resolution and closes the name servers' sockets.
func (e *Engine) stopResolvers() {
	if e.resolvers != nil {
		e.resolvers.Stop()
	}
}
