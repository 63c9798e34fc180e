package config

import (
	"strings"

	"baton/internal/expr"
)

// Keywords that go with the rule sets: captures, the unique id, server
// selection rules, inspect delays, and the global switch for
// experimental actions.

// parseCaptureHeader reads "capture request|response header NAME len N".
func parseCaptureHeader(p *parser, st *proxyState, l line, args []string, _ bool) {
	kw := l.Words[0] + " " + l.Words[1]
	if len(args) != 4 || args[0] != "header" || args[2] != "len" {
		p.errorf(l.Pos, "%s: expects header NAME len LENGTH", kw)
		return
	}
	if !validHeaderName(args[1]) {
		p.errorf(l.Pos, "%s: invalid header name %q", kw, args[1])
		return
	}
	n, err := parseInt(args[3], 1, 1<<20)
	if err != nil {
		p.errorf(l.Pos, "%s: len: %v", kw, err)
		return
	}
	st.addCapture(Capture{Response: l.Words[1] == "response", Header: args[1], Len: n, Pos: l.Pos})
}

// parseDeclareCapture reads "declare capture request|response len N".
func parseDeclareCapture(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 3 || args[0] != "request" && args[0] != "response" || args[1] != "len" {
		p.errorf(l.Pos, "declare capture: expects request|response len LENGTH")
		return
	}
	n, err := parseInt(args[2], 1, 1<<20)
	if err != nil {
		p.errorf(l.Pos, "declare capture: len: %v", err)
		return
	}
	st.addCapture(Capture{Response: args[0] == "response", Len: n, Pos: l.Pos})
}

func parseUniqueIDFormat(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "unique-id-format: expects one log-format string (quote it if it has spaces)")
		return
	}
	f, err := expr.CompileHTTPFormat(args[0], p.cfg.Expr)
	if err == nil {
		err = f.CheckWhere(st.site(expr.UniqueIDFormat))
	}
	if err != nil {
		p.errorf(l.Pos, "unique-id-format: %v", err)
		return
	}
	st.p.UniqueIDFormat = f
}

func parseUniqueIDHeader(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 || !validHeaderName(args[0]) {
		p.errorf(l.Pos, "unique-id-header: expects one header name")
		return
	}
	st.p.UniqueIDHeader = args[0]
}

// parseUseServer reads "use-server NAME if|unless COND"; NAME may be a
// log-format string resolved per request.
func parseUseServer(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) < 3 || args[1] != "if" && args[1] != "unless" {
		p.errorf(l.Pos, "use-server: expects a server name and an if or unless condition")
		return
	}
	u := UseServer{Server: args[0], Pos: l.Pos}
	if strings.Contains(args[0], "%") {
		f, err := expr.CompileFormat(args[0], p.cfg.Expr)
		if err == nil {
			err = f.CheckWhere(expr.ServerSwitch)
		}
		if err != nil {
			p.errorf(l.Pos, "use-server %s: %v", args[0], err)
			return
		}
		u.Dynamic = f
	}
	c, msg := p.parseCond(st, l, args[1:], expr.ServerSwitch)
	if msg != "" {
		p.errorf(l.Pos, "use-server %s: %s", args[0], msg)
		return
	}
	u.Cond = c
	st.p.UseServers = append(st.p.UseServers, u)
}

// parsePersistRule reads "force-persist|ignore-persist if|unless COND".
func parsePersistRule(p *parser, st *proxyState, l line, args []string, _ bool) {
	kw := l.Words[0]
	if len(args) < 2 || args[0] != "if" && args[0] != "unless" {
		p.errorf(l.Pos, "%s: expects an if or unless condition", kw)
		return
	}
	c, msg := p.parseCond(st, l, args, expr.ServerSwitch)
	if msg != "" {
		p.errorf(l.Pos, "%s: %s", kw, msg)
		return
	}
	if kw == "force-persist" {
		st.p.ForcePersist = append(st.p.ForcePersist, c)
		return
	}
	st.p.IgnorePersist = append(st.p.IgnorePersist, c)
}

func parseInspectDelay(p *parser, st *proxyState, l line, args []string, _ bool) {
	kw := l.Words[0] + " inspect-delay"
	if len(args) != 1 {
		p.errorf(l.Pos, "%s: expects one time", kw)
		return
	}
	d, err := parseTime(args[0])
	if err != nil {
		p.errorf(l.Pos, "%s: %v", kw, err)
		return
	}
	if l.Words[0] == "tcp-request" {
		st.p.InspectDelay = d
	} else {
		st.p.ResponseInspectDelay = d
	}
}

func parseExperimental(p *parser, l line, args []string) {
	if len(args) > 0 {
		p.errorf(l.Pos, "expose-experimental-directives: unexpected argument %q", args[0])
		return
	}
	p.cfg.Global.ExperimentalDirectives = true
}

// parseDynamicBackend compiles a use_backend name built per request.
func (p *parser) parseDynamicBackend(l line, name string) (*expr.Format, bool) {
	f, err := expr.CompileFormat(name, p.cfg.Expr)
	if err == nil {
		err = f.CheckWhere(expr.BackendSwitch)
	}
	if err != nil {
		p.errorf(l.Pos, "use_backend %s: %v", name, err)
		return nil, false
	}
	return f, true
}

// checkCaptureIDs reports capture rules naming a slot the frontend does
// not declare (a backend's rules are checked at run time, as in HAProxy).
func (p *parser) checkCaptureIDs(st *proxyState) {
	px := st.p
	if px.Kind == KindBackend {
		return
	}
	req, res := px.CaptureSlots()
	check := func(rules []Rule, n int, set, dir string) {
		for _, r := range rules {
			if r.Action == "capture" && r.CaptureLen == 0 && int(r.Int) >= n {
				p.errorf(r.Pos, "%s capture: no %s capture slot %d (declare it with declare capture %s len N)", set, dir, r.Int, dir)
			}
		}
	}
	check(px.RequestRules, len(req), "http-request", "request")
	check(px.TCPContentRules, len(req), "tcp-request content", "request")
	check(px.ResponseRules, len(res), "http-response", "response")
	check(px.AfterResponseRules, len(res), "http-after-response", "response")
}
