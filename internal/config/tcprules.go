package config

// tcp-request inspect-delay and tcp-request content: what TLS passthrough
// needs (wait for the ClientHello, then route on its SNI). Other
// tcp-request forms and actions are rejected.

func parseInspectDelay(p *parser, st *proxyState, l line, args []string, _ bool) {
	if st.p.Kind == KindBackend {
		p.errorf(l.Pos, "tcp-request inspect-delay: Baton inspects in frontend and listen sections only, not in a backend")
		return
	}
	if len(args) != 1 {
		p.errorf(l.Pos, "tcp-request inspect-delay: expects one time")
		return
	}
	d, err := parseTime(args[0])
	if err != nil {
		p.errorf(l.Pos, "tcp-request inspect-delay: %v", err)
		return
	}
	st.p.InspectDelay = d
}

// tcpContentActions are HAProxy's tcp-request content actions Baton
// lacks (accept and reject are supported).
var tcpContentActions = wordSet(`capture do-resolve expect-netscaler-cip expect-proxy lua sc-add-gpc sc-inc-gpc
	sc-inc-gpc0 sc-inc-gpc1 sc-set-gpt0 send-spoe-group set-bandwidth-limit set-dst set-dst-port set-log-level
	set-mark set-nice set-priority-class set-priority-offset set-src set-src-port set-tos set-var set-var-fmt
	silent-drop switch-mode track-sc0 track-sc1 track-sc2 unset-var use-service`)

func parseTCPContent(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "tcp-request content: missing action (accept or reject)")
		return
	}
	act := args[0]
	switch {
	case act == "accept" || act == "reject":
	case scriptingMessage(append([]string{"tcp-request", "content"}, args...)) != "":
		p.errorf(l.Pos, "%s", scriptingMessage(append([]string{"tcp-request", "content"}, args...)))
		return
	case tcpContentActions[act]:
		p.errorf(l.Pos, "tcp-request content %s: a HAProxy action that Baton does not support (accept, reject)", act)
		return
	default:
		p.errorf(l.Pos, "tcp-request content: unknown action %q (accept, reject)", act)
		return
	}
	switch {
	case st.isDefaults:
		p.errorf(l.Pos, "tcp-request content %s: Baton does not support tcp-request rules in a defaults section (frontend, listen)", act)
		return
	case st.p.Kind == KindBackend:
		p.errorf(l.Pos, "tcp-request content %s: Baton evaluates tcp-request content rules in frontend and listen sections only, not in a backend", act)
		return
	}
	r := TCPRule{Action: act, Pos: l.Pos}
	if len(args) > 1 {
		c, msg := p.parseCond(st, l, args[1:])
		if msg != "" {
			p.errorf(l.Pos, "tcp-request content %s: %s", act, msg)
			return
		}
		r.Cond = c
	}
	st.p.ContentRules = append(st.p.ContentRules, r)
}
