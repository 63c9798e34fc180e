package config

// Proxy keywords that set one value each: http-send-name-header,
// backlog and id. (This file sorts after keywords.go, whose init makes
// the tables.)

func init() {
	proxyKeywords["http-send-name-header"] = &proxyKeyword{sections: secD | secL | secB, parse: parseSendNameHeader}
	delete(unsupportedProxy, "http-send-name-header")
	proxyKeywords["backlog"] = &proxyKeyword{sections: secD | secF | secL, parse: parseBacklog}
	delete(unsupportedProxy, "backlog")
	proxyKeywords["id"] = &proxyKeyword{sections: secF | secL | secB, parse: parseProxyID}
	delete(unsupportedProxy, "id")
}

// parseSendNameHeader reads "http-send-name-header NAME": the request
// sent to a server carries the server's name in NAME (set per attempt,
// so a retry elsewhere names the new server), replacing the client's.
func parseSendNameHeader(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 || args[0] == "" {
		p.errorf(l.Pos, "http-send-name-header: expects a header name")
		return
	}
	if !validHeaderName(args[0]) {
		p.errorf(l.Pos, "http-send-name-header: invalid header name %q", args[0])
		return
	}
	st.p.SendNameHeader = args[0]
}

func parseRedirectKeyword(p *parser, st *proxyState, l line, args []string, _ bool) {
	rc := &ruleCtx{p: p, st: st, set: ruleSets["http-request"], pos: l.Pos, what: "redirect", literal: true}
	act, condWords := splitCond(args)
	r := Rule{Action: "redirect", Pos: l.Pos}
	if len(act) == 0 || act[0] != "location" && act[0] != "prefix" && act[0] != "scheme" {
		p.errorf(l.Pos, "redirect: expects location, prefix or scheme and a value")
		return
	}
	if msg := actRedirect(rc, &r, act); msg != "" {
		p.errorf(l.Pos, "redirect: %s", msg)
		return
	}
	if len(condWords) > 0 {
		c, msg := p.parseCond(st, l, condWords, st.site(rc.set.where))
		if msg != "" {
			p.errorf(l.Pos, "redirect: %s", msg)
			return
		}
		r.Cond = c
	}
	st.p.RedirectRules = append(st.p.RedirectRules, r)
}

// parseBacklog reads the proxy-level "backlog N": the listen queue of
// its binds that set no "backlog" of their own.
func parseBacklog(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "backlog: expects a number of connections")
		return
	}
	n, err := parseInt(args[0], 1, 1<<30)
	if err != nil {
		p.errorf(l.Pos, "backlog: %v", err)
		return
	}
	st.p.Backlog = n
}

// parseProxyID reads "id N": the proxy's number in the statistics
// (iid), unique and positive; the worker numbers the proxies without
// one.
func parseProxyID(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "id: expects a number")
		return
	}
	n, err := parseInt(args[0], 1, 1<<31-1)
	if err != nil {
		p.errorf(l.Pos, "id: %v (a positive number)", err)
		return
	}
	st.p.ID, st.p.IDPos = n, l.Pos
}

// checkProxyIDs refuses two proxies with the same id.
func (p *parser) checkProxyIDs() {
	seen := map[int]*Proxy{}
	for _, st := range p.proxies {
		px := st.p
		if px.ID == 0 || st.isDefaults {
			continue
		}
		if prev := seen[px.ID]; prev != nil {
			p.errorf(px.IDPos, "proxy %q: id %d already used by proxy %q", px.Name, px.ID, prev.Name)
			continue
		}
		seen[px.ID] = px
	}
}
