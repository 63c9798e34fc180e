package config

// inheritExtra copies into st what its defaults section set of the
// settings of checks.go, server_opts.go and connopts.go.
func inheritExtra(st, def *proxyState) {
	p, d := st.p, def.p
	sec := kindSection(p.Kind)
	if sec&(secBackend|secListen|secDefaults) != 0 {
		st.chk = def.chk.clone()
		p.ProxyChecks = d.ProxyChecks
		p.CheckRules = nil
		if def.defServer != nil {
			ds := *def.defServer
			st.defServer = &ds
		}
	}
	p.ConnOptions = d.ConnOptions
}

// finishExtra runs when a proxy section ends (see finishProxy): the
// health check is decided and the servers and binds are checked as a
// whole.
func (p *parser) finishExtra(st *proxyState) {
	p.finishChecks(st)
	p.checkBindIDs(st)
	px := st.p
	for i := range px.Binds {
		if px.Binds[i].Backlog == 0 {
			px.Binds[i].Backlog = px.Backlog
		}
	}
	ids := map[int]*Server{}
	for _, s := range px.Servers {
		if s.ID == 0 {
			continue
		}
		if prev := ids[s.ID]; prev != nil {
			p.errorf(s.Pos, "server %q: id %d already used at %s (server %q)", s.Name, s.ID, prev.Pos, prev.Name)
			continue
		}
		ids[s.ID] = s
	}
	next := 1
	for _, s := range px.Servers {
		if s.ID != 0 {
			continue
		}
		for ids[next] != nil {
			next++
		}
		s.ID = next
		ids[next] = s
	}
	for _, s := range px.Servers {
		if s.Agent && s.AgentPort == 0 {
			p.errorf(s.Pos, "server %q: agent-check needs agent-port (the agent's port)", s.Name)
		}
		if s.Observe == "layer7" && px.Mode != ModeHTTP {
			// HAProxy alerts, turns observing off, and starts anyway.
			p.warnf(s.Pos, "server %q: observe layer7 can only be used in mode http; not observing", s.Name)
			s.Observe = ""
		}
		// minconn above maxconn (or alone) is a static maxconn, as in
		// HAProxy.
		if s.MinConn > s.MaxConn {
			s.MaxConn = s.MinConn
		}
		if s.UnixPath() != "" && s.CheckPort == 0 && !s.CheckAddr.IsValid() && s.Source != nil && s.Source.UseSrc != "" {
			p.errorf(s.Pos, "server %q: source usesrc does not apply to a UNIX socket server", s.Name)
		}
	}
}

// defaultFrontMaxConn is the maxconn a frontend counts with, for
// fullconn, when neither it nor the global section sets one.
const defaultFrontMaxConn = 2000

// validateExtra runs with the whole configuration: a backend with dynamic
// server limits and no fullconn gets HAProxy's default, 10% of the
// maxconn of the frontends that may route to it.
func (p *parser) validateExtra() {
	for _, st := range p.proxies {
		be := st.p
		if be.Kind == KindFrontend || be.FullConn > 0 {
			continue
		}
		dynamic := false
		for _, s := range be.Servers {
			dynamic = dynamic || s.MinConn > 0 && s.MinConn < s.MaxConn
		}
		if !dynamic {
			continue
		}
		sum := 0
		for _, fs := range p.proxies {
			fe := fs.p
			if fe.Kind == KindBackend {
				continue
			}
			routes := fe == be || fe.DefaultBackend == be.Name
			for _, u := range fe.UseBackends {
				routes = routes || u.Backend == be.Name
			}
			if !routes {
				continue
			}
			switch {
			case fe.MaxConn > 0:
				sum += fe.MaxConn
			case p.cfg.Global.MaxConn > 0:
				sum += p.cfg.Global.MaxConn
			default:
				sum += defaultFrontMaxConn
			}
		}
		be.FullConn = max((sum+9)/10, 1)
	}
}
