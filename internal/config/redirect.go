package config

import "strings"

// The proxy-level "redirect" keyword: "redirect location|prefix|scheme
// VALUE [code N] [options] [if|unless COND]". It takes the options of
// "http-request redirect", but its value is a plain string, not a log
// format, and its rules run after every http-request rule of the proxy
// (and after the statistics page's URI), whatever their order in the
// file: HAProxy 2.6's order in http_process_req_common.

func init() {
	proxyKeywords["redirect"] = &proxyKeyword{sections: secF | secL | secB, parse: parseRedirectKeyword}
	delete(unsupportedProxy, "redirect")
	proxyKeywords["http-send-name-header"] = &proxyKeyword{sections: secD | secL | secB, parse: parseSendNameHeader}
	delete(unsupportedProxy, "http-send-name-header")
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

// literalFormat escapes s so that the log-format compiler reads it as
// plain text.
func literalFormat(s string) string { return strings.ReplaceAll(s, "%", "%%") }
