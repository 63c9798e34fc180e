package proxy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/health"
	"baton/internal/runtime"
)

// Servers added and removed at run time ("add server", "del server").
//
// An added server is read like a "server" line of the configuration
// (the same options and checks), starts in maintenance with its health
// checks disabled, as in HAProxy, and exists in this generation only: a
// reload builds the servers of the file. It has no counters slot of its
// own (the master gives slots to the configuration's objects): what it
// serves counts in its backend's totals, and its "show stat" line shows
// its state with zero counters.

// AddServer adds a server to a backend whose algorithm is dynamic.
func (e *Engine) AddServer(beName, name string, args []string) error {
	be := e.findBackend(beName)
	if be == nil {
		return runtime.ErrNoBackend
	}
	if !be.b.Dynamic() {
		return runtime.ErrStaticLB
	}
	cs, err := parseServerLine(name, args)
	if err != nil {
		return err
	}
	s, err := be.b.AddServer(cs)
	if errors.Is(err, backend.ErrExists) {
		return runtime.ErrServerExists
	}
	if err != nil {
		return err
	}
	now := time.Now()
	old := be.servers()
	rt := &serverRT{s: s, be: be, ctr: be.ctr, slot: -1, dynamic: true, lastChange: now, checksOff: cs.Check}
	for _, o := range old {
		if o != nil {
			rt.sid = max(rt.sid, o.sid)
		}
	}
	rt.sid++
	list := make([]*serverRT, s.Index+1)
	copy(list, old)
	list[s.Index] = rt
	be.srvs.Store(&list)
	if cs.Check || cs.Agent {
		e.checkerFor(be).Add(s)
	}
	be.stateChanged(now)
	return nil
}

// checkerFor returns the backend's health checker, starting one for a
// backend that had no checked server.
func (e *Engine) checkerFor(be *backendRT) *health.Checker {
	e.mu.Lock()
	defer e.mu.Unlock()
	if be.checker == nil {
		be.checker = health.New(be.p, be.b, e.checkOptions(be))
		be.checker.Start(context.Background())
		e.checkers = append(e.checkers, be.checker)
	}
	return be.checker
}

// DelServer removes a server in maintenance that no connection uses.
func (e *Engine) DelServer(beName, name string) error {
	be := e.findBackend(beName)
	if be == nil {
		return runtime.ErrNoBackend
	}
	s := be.b.Find(name)
	if s == nil {
		return runtime.ErrNoServer
	}
	switch err := be.b.RemoveServer(s); {
	case errors.Is(err, backend.ErrNotMaint):
		return runtime.ErrNotInMaint
	case errors.Is(err, backend.ErrInUse):
		return runtime.ErrServerInUse
	case err != nil:
		return err
	}
	old := be.servers()
	list := append([]*serverRT(nil), old...)
	if s.Index < len(list) {
		list[s.Index] = nil
	}
	be.srvs.Store(&list)
	be.stateChanged(time.Now())
	return nil
}

// parseServerLine reads "ADDR [options]" as a configuration "server"
// line would be, so runtime servers take the same options with the same
// checks.
func parseServerLine(name string, args []string) (*config.Server, error) {
	if len(args) == 0 {
		return nil, errors.New("'server' expects <name> and <addr>[:<port>] as arguments.")
	}
	words := append([]string{name}, args...)
	for i, w := range words {
		if strings.ContainsAny(w, "'\n") {
			return nil, fmt.Errorf("invalid character in %q", w)
		}
		words[i] = "'" + w + "'"
	}
	cfg, err := config.Parse("add server", []byte("backend _\n    server "+strings.Join(words, " ")+"\n"))
	if err != nil {
		msg := strings.TrimPrefix(strings.TrimSpace(err.Error()), "add server:2: ")
		return nil, errors.New(msg)
	}
	return cfg.Proxies[0].Servers[0], nil
}
