package config

// "disabled" and "enabled" in a proxy section (or a defaults section, for
// the proxies that follow): a disabled proxy is parsed and checked like
// any other, then set aside in Config.Stopped instead of Config.Proxies,
// so nothing starts it: it binds no address, runs no health check, has
// no stats row and sends no log, as HAProxy 2.6's stopped proxies. A
// request routed to a disabled backend (use_backend, default_backend, or
// a name built per request) gets a 503, as in HAProxy.

func parseDisabled(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) > 0 {
		p.errorf(l.Pos, "%s: takes no argument", l.Words[0])
		return
	}
	st.p.Disabled = l.Words[0] == "disabled"
}

// setAsideDisabled moves the disabled proxies from Proxies to Stopped,
// once every check that needs them is done. A stick table of a disabled
// proxy that another proxy uses is an error: Baton keeps no table for a
// proxy it does not start.
func (p *parser) setAsideDisabled() {
	disabledTables := map[string]bool{}
	for _, st := range p.proxies {
		if st.p.Disabled && st.p.StickTable != nil {
			disabledTables[st.p.Name] = true
		}
	}
	for _, r := range p.tableRefs {
		if disabledTables[r.name] {
			p.errorf(r.pos, "stick-table: table '%s' belongs to a disabled proxy, which Baton does not start", r.name)
		}
	}
	var on []*Proxy
	for _, px := range p.cfg.Proxies {
		if px.Disabled {
			p.cfg.Stopped = append(p.cfg.Stopped, px)
		} else {
			on = append(on, px)
		}
	}
	p.cfg.Proxies = on
}

// StoppedBackend reports whether name is a disabled backend or listen
// proxy: traffic routed to it gets a 503.
func (c *Config) StoppedBackend(name string) bool {
	for _, px := range c.Stopped {
		if px.Name == name && px.Kind != KindFrontend {
			return true
		}
	}
	return false
}
