package config

import (
	"fmt"

	"baton/internal/expr"
)

// finishProxy runs when a section ends: it resolves ACL references and
// effective timeouts and checks what needs the whole section (mode).
func (p *parser) finishProxy(st *proxyState) {
	for _, t := range st.terms {
		t.ACLs = st.acls[t.Name]
	}
	if st.isDefaults {
		return
	}
	px := st.p
	p.checkCaptureIDs(st)
	// A frontend that switches its connections to HTTP has HTTP rules
	// and options of its own, as in HAProxy.
	if px.Mode == ModeTCP && !px.SwitchesToHTTP() {
		for _, r := range px.RequestRules {
			p.errorf(r.Pos, "http-request %s: needs mode http (%s is in mode tcp)", r.Action, st.what())
		}
		for _, r := range px.ResponseRules {
			p.errorf(r.Pos, "http-response %s: needs mode http (%s is in mode tcp)", r.Action, st.what())
		}
		for _, r := range px.AfterResponseRules {
			p.errorf(r.Pos, "http-after-response %s: needs mode http (%s is in mode tcp)", r.Action, st.what())
		}
		if px.ForwardFor {
			p.warnf(px.Pos, "%s: option forwardfor needs mode http; ignored", st.what())
			px.ForwardFor = false
		}
	}
	if px.Mode == ModeTCP {
		if px.HTTPLog {
			p.warnf(px.Pos, "%s: option httplog needs mode http; using option tcplog", st.what())
			px.HTTPLog, px.TCPLog = false, true
		}
	}
	p.checkRetryOn(st)
	p.checkServerProtos(st)
	p.finishLogs(st)
	if (px.Kind == KindFrontend || px.Kind == KindListen) && len(px.Binds) == 0 {
		p.warnf(px.Pos, "%s has no bind line and accepts no connections; declare it as a backend if this was intended", st.what())
	}
	resolveTimeouts(st)
	p.timeoutWarnings(st)
	p.finishExtra(st)
	p.finishCompression(st)
	p.finishOps(st)
}

// resolveTimeouts computes Proxy.Timeouts from the set timeouts and
// HAProxy's fallback chain.
func resolveTimeouts(st *proxyState) {
	t := &st.p.Timeouts
	// first returns the first of names that is set, as the effective
	// value: its own line, or a fallback naming where the value came from.
	first := func(names ...string) Timeout {
		own := st.timeouts[names[0]]
		if own.Set {
			return own
		}
		for _, n := range names[1:] {
			if b := st.timeouts[n]; b.Set {
				return Timeout{Value: b.Value, Set: true, From: "timeout " + n + " (" + b.From + ")"}
			}
		}
		return own // unset, or explicitly 0 with its From
	}
	t.Connect = first("connect")
	t.Client = first("client")
	t.Server = first("server")
	t.Tunnel = first("tunnel")
	t.HTTPRequest = first("http-request", "client")
	t.HTTPKeepAlive = first("http-keep-alive", "http-request", "client")
	t.Queue = first("queue", "connect")
	t.ClientFin = first("client-fin", "client")
	t.ServerFin = first("server-fin", "server")
	t.Check = first("check")
	t.Tarpit = first("tarpit", "connect")
}

func (p *parser) timeoutWarnings(st *proxyState) {
	px, t := st.p, st.p.Timeouts
	if (px.Kind == KindFrontend || px.Kind == KindListen) && !t.Client.Set {
		p.warnf(px.Pos, "%s: missing timeout client; idle clients are never disconnected", st.what())
	}
	if px.Kind == KindBackend || px.Kind == KindListen {
		if !t.Connect.Set {
			p.warnf(px.Pos, "%s: missing timeout connect; connections to unreachable servers wait forever", st.what())
		}
		if !t.Server.Set {
			p.warnf(px.Pos, "%s: missing timeout server; unresponsive servers are waited for forever", st.what())
		}
	}
	if px.Mode == ModeHTTP && px.Kind != KindBackend && t.HTTPKeepAlive.Set && t.Client.Set && t.HTTPKeepAlive.Value > t.Client.Value {
		p.advisef(px.Pos, "%s: timeout http-keep-alive (%s) is larger than timeout client (%s); idle connections close at timeout client", st.what(), t.HTTPKeepAlive.Value, t.Client.Value)
	}
}

// validate runs the checks that need the whole configuration: references
// between proxies, modes, duplicate names and addresses.
func (p *parser) validate() {
	p.checkServerResolvers()
	p.checkDoResolve()
	p.checkTableRefs()
	type named struct {
		st  *proxyState
		key string
	}
	fronts := map[string]*proxyState{}
	backs := map[string]*proxyState{}
	for _, st := range p.proxies {
		px := st.p
		if px.Name == "" {
			continue
		}
		if px.Kind != KindBackend {
			if prev := fronts[px.Name]; prev != nil {
				p.errorf(px.Pos, "%s: name already used by %s at %s", st.what(), prev.what(), prev.p.Pos)
				continue
			}
			fronts[px.Name] = st
		}
		if px.Kind != KindFrontend {
			if prev := backs[px.Name]; prev != nil {
				if px.Kind != KindListen || prev.p.Kind != KindListen {
					p.errorf(px.Pos, "%s: name already used by %s at %s", st.what(), prev.what(), prev.p.Pos)
				}
				continue
			}
			backs[px.Name] = st
		}
	}
	binds := map[string]*proxyState{}
	bindPos := map[string]Pos{}
	for _, st := range p.proxies {
		if st.p.Disabled {
			continue // binds nothing (disabled.go)
		}
		for _, b := range st.p.Binds {
			if prev := binds[b.Addr]; prev != nil {
				p.errorf(b.Pos, "bind %s: address already bound by %s at %s", b.Addr, prev.what(), bindPos[b.Addr])
				continue
			}
			binds[b.Addr], bindPos[b.Addr] = st, b.Pos
		}
	}
	check := func(st *proxyState, kw, name string, pos Pos) {
		be := backs[name]
		if be == nil {
			msg := fmt.Sprintf("%s %s: no backend named %q", kw, name, name)
			if fronts[name] != nil {
				msg += fmt.Sprintf(" (%q is a frontend)", name)
			}
			p.errorf(pos, "%s", msg)
			return
		}
		if st.p.Mode == ModeHTTP && be.p.Mode == ModeTCP {
			p.errorf(pos, "%s %s: %s is in mode http but %s is in mode tcp", kw, name, st.what(), be.what())
		}
	}
	for _, st := range p.proxies {
		px := st.p
		if px.Kind == KindBackend {
			continue
		}
		if px.DefaultBackend != "" {
			check(st, "default_backend", px.DefaultBackend, px.DefaultPos)
		}
		for _, u := range px.UseBackends {
			if u.Dynamic == nil {
				check(st, "use_backend", u.Backend, u.Pos)
			}
		}
		if px.Kind == KindFrontend && px.DefaultBackend == "" && len(px.UseBackends) == 0 {
			p.advisef(px.Pos, "%s has no default_backend and no use_backend; its requests get 503", st.what())
		}
	}
	for _, st := range p.proxies {
		p.checkSampleNames(st, fronts, backs)
		p.warnL6InHTTP(st)
		for _, u := range st.p.UseServers {
			if u.Dynamic != nil {
				continue
			}
			found := false
			for _, s := range st.p.Servers {
				found = found || s.Name == u.Server
			}
			if !found {
				p.errorf(u.Pos, "use-server %s: no server named %q in %s", u.Server, u.Server, st.what())
			}
		}
	}
	p.validateExtra()
	p.checkProxyIDs()
}

// checkSampleNames reports proxies named by sample expressions (nbsrv,
// be_conn, fe_conn, ...) that the configuration does not declare.
func (p *parser) checkSampleNames(st *proxyState, fronts, backs map[string]*proxyState) {
	type named interface{ Names() []expr.NameRef }
	check := func(pos Pos, n named) {
		if n == nil {
			return
		}
		for _, ref := range n.Names() {
			m := backs
			if ref.Kind == "frontend" {
				m = fronts
			}
			if ref.Name == "" {
				// The proxy the expression is written in, as in HAProxy.
				if m[st.p.Name] != st {
					p.errorf(pos, "%s: the %s argument is left out, so it means %s, which has no %s capability", ref.Keyword, ref.Kind, st.what(), ref.Kind)
				}
				continue
			}
			if m[ref.Name] == nil {
				p.errorf(pos, "no %s named %q", ref.Kind, ref.Name)
			}
		}
	}
	px := st.p
	for _, a := range append(st.anonACL, aclPointers(px.ACLs)...) {
		check(a.Pos, a.Expr)
	}
	for _, rules := range [][]Rule{px.RequestRules, px.ResponseRules, px.AfterResponseRules, px.TCPConnectionRules, px.TCPSessionRules, px.TCPContentRules, px.TCPResponseRules} {
		for _, r := range rules {
			if r.Expr != nil {
				check(r.Pos, r.Expr)
			}
			if r.Value != nil {
				check(r.Pos, r.Value)
			}
		}
	}
	for _, u := range px.UseBackends {
		if u.Dynamic != nil {
			check(u.Pos, u.Dynamic)
		}
	}
}

// warnL6InHTTP warns, as HAProxy does, about HTTP rule conditions of an
// HTTP proxy that read the raw payload (req.len, req.payload, ...): in
// HTTP mode the payload is the parsed message, not the bytes received.
func (p *parser) warnL6InHTTP(st *proxyState) {
	px := st.p
	if px.Mode != ModeHTTP {
		return
	}
	warn := func(c *Condition) {
		if c == nil {
			return
		}
		for _, and := range c.Or {
			for _, t := range and {
				for _, a := range t.ACLs {
					if a.Expr != nil && a.Expr.Use&(expr.UseReqPayload|expr.UseResPayload) != 0 {
						p.warnf(c.Pos, "%s: L6 sample fetches ignored on HTTP proxies (%s reads the raw payload)", st.what(), a.Expr.FetchName())
						return
					}
				}
			}
		}
	}
	for _, rules := range [][]Rule{px.RequestRules, px.ResponseRules, px.AfterResponseRules} {
		for i := range rules {
			warn(rules[i].Cond)
		}
	}
	for i := range px.UseBackends {
		warn(px.UseBackends[i].Cond)
	}
}

func aclPointers(acls []ACL) []*ACL {
	out := make([]*ACL, len(acls))
	for i := range acls {
		out[i] = &acls[i]
	}
	return out
}
