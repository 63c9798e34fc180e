package config

import (
	"fmt"

	"baton/internal/check"
)

// checkState is a section's health-check parse state: HAProxy keeps the
// tcp-check lines and the http-check lines (with the request of "option
// httpchk") as two lists, and the last check option decides which one,
// or which protocol check, runs.
type checkState struct {
	tcp, http       *check.Ruleset
	ownTCP, ownHTTP bool // this section started its own list
	tcpPos, httpPos Pos  // the first line of each list
	opt             string
	optPos          Pos
	proto           *check.Ruleset // a protocol option's ruleset
	// droppedRequest is where an inherited "option httpchk" was, when
	// this section's own http-check lines replaced its request.
	droppedRequest Pos
}

// clone copies the state a section inherits from its defaults.
func (c *checkState) clone() checkState {
	n := *c
	n.tcp, n.http, n.proto = c.tcp.Clone(), c.http.Clone(), c.proto.Clone()
	n.ownTCP, n.ownHTTP = false, false
	return n
}

// checkOptions are the "option" keywords that choose a check.
var checkOptions = []string{"httpchk", "tcp-check", "redis-check", "ssl-hello-chk", "smtpchk", "pgsql-check", "mysql-check", "ldap-check", "external-check"}

func parseCheckOption(p *parser, st *proxyState, l line, args []string, _ bool) {
	opt := l.Words[1]
	cs := &st.chk
	errf := func(format string, a ...any) { p.errorf(l.Pos, "option %s: %s", opt, fmt.Sprintf(format, a...)) }
	tooMany := func(n int) bool {
		if len(args) > n {
			errf("cannot handle unexpected argument %q", args[n])
			return true
		}
		return false
	}
	var rs *check.Ruleset
	switch opt {
	case "httpchk":
		r, warn, err := check.ParseHTTPChkOption(args)
		if err != nil {
			p.errorf(l.Pos, "%v", err)
			return
		}
		if warn != "" {
			p.warnf(l.Pos, "%s", warn)
		}
		// The option's request goes into this section's own http-check
		// list, as in HAProxy: an inherited list is left behind.
		if !cs.ownHTTP {
			cs.http, cs.ownHTTP, cs.httpPos = &check.Ruleset{Kind: check.KindHTTP}, true, l.Pos
		}
		if err := cs.http.Add(r); err != nil {
			errf("%v", err)
			return
		}
		req := r.Send.HTTP
		st.p.HTTPChk = &HTTPCheck{Method: req.Method, URI: req.URI, Version: req.Version, Pos: l.Pos}
		if st.p.HTTPChk.Method == "" {
			st.p.HTTPChk.Method = "OPTIONS"
		}
		if st.p.HTTPChk.URI == "" {
			st.p.HTTPChk.URI = "/"
		}
	case "tcp-check":
		if tooMany(0) {
			return
		}
	case "redis-check":
		if tooMany(0) {
			return
		}
		rs = check.RedisCheck()
	case "ssl-hello-chk":
		if tooMany(0) {
			return
		}
		rs = check.SSLHelloCheck()
	case "ldap-check":
		if tooMany(0) {
			return
		}
		rs = check.LDAPCheck()
	case "smtpchk":
		if tooMany(2) {
			return
		}
		rs = check.SMTPCheck(args)
	case "pgsql-check":
		if len(args) != 2 || args[0] != "user" {
			if len(args) >= 1 && args[0] != "user" {
				errf("only supports optional values: 'user'")
				return
			}
			errf("expects 'user <username>' as argument")
			return
		}
		rs = check.PgSQLCheck(args[1])
	case "mysql-check":
		if tooMany(3) {
			return
		}
		user, pre41 := "", false
		if len(args) > 0 {
			if args[0] != "user" {
				errf("only supports optional values: 'user' (got %q)", args[0])
				return
			}
			if len(args) < 2 || args[1] == "" {
				errf("'user' expects <username> as argument")
				return
			}
			user = args[1]
			if len(args) == 3 {
				switch args[2] {
				case "post-41":
				case "pre-41":
					pre41 = true
				default:
					errf("'user' only supports 'post-41' and 'pre-41' (got %q)", args[2])
					return
				}
			}
		}
		rs = check.MySQLCheck(user, pre41)
	case "external-check":
		if tooMany(0) {
			return
		}
	}
	cs.opt, cs.optPos, cs.proto = opt, l.Pos, rs
	st.p.CheckOption = opt
}

func parseHTTPCheck(p *parser, st *proxyState, l line, args []string, _ bool) {
	act := l.Words[1]
	switch act {
	case "disable-on-404", "send-state":
		if len(args) > 0 {
			p.errorf(l.Pos, "http-check %s: unexpected argument %q", act, args[0])
			return
		}
		if act == "send-state" {
			st.p.CheckSendState = true
		} else {
			st.p.CheckDisable404 = true
		}
		return
	}
	p.addCheckRule(st, l, check.KindHTTP, l.Words[1:])
}

func parseTCPCheck(p *parser, st *proxyState, l line, args []string, _ bool) {
	p.addCheckRule(st, l, check.KindTCP, l.Words[1:])
}

// addCheckRule parses a tcp-check or http-check rule into the section's
// own list of that kind, starting one if the list is inherited.
func (p *parser) addCheckRule(st *proxyState, l line, kind check.Kind, args []string) {
	kw := l.Words[0]
	r, err := check.ParseRule(kind, args)
	if err != nil {
		p.errorf(l.Pos, "%s: %v", kw, err)
		return
	}
	if r.Action == check.ActConnect && r.Connect.SSL {
		p.errorf(l.Pos, "%s connect: ssl: TLS health checks come with the server TLS options (check-ssl, verify, ca-file), which Baton does not support yet", kw)
		return
	}
	cs := &st.chk
	list, own, pos := &cs.tcp, &cs.ownTCP, &cs.tcpPos
	if kind == check.KindHTTP {
		list, own, pos = &cs.http, &cs.ownHTTP, &cs.httpPos
	}
	if !*own {
		if kind == check.KindHTTP && *list != nil && cs.droppedRequest.File == "" {
			for _, x := range (*list).Rules {
				if x.Action == check.ActSend && x.Send.HTTP != nil && x.Send.HTTP.FromOption {
					cs.droppedRequest = cs.httpPos
				}
			}
		}
		*list, *own, *pos = &check.Ruleset{Kind: kind}, true, l.Pos
	}
	if err := (*list).Add(r); err != nil {
		p.errorf(l.Pos, "%s %s: %v", kw, args[0], err)
	}
}

func parseExternalCheck(p *parser, st *proxyState, l line, args []string, _ bool) {
	what := l.Words[1]
	if len(args) != 1 {
		p.errorf(l.Pos, "external-check %s: expects one argument", what)
		return
	}
	if what == "command" {
		st.p.ExternalCommand = args[0]
	} else {
		st.p.ExternalPath = args[0]
	}
}

// finishChecks decides a backend's check once its section is read, with
// HAProxy's warnings for rules that the chosen check ignores.
func (p *parser) finishChecks(st *proxyState) {
	px, cs := st.p, &st.chk
	if px.Kind == KindFrontend {
		return
	}
	var rs *check.Ruleset
	switch cs.opt {
	case "httpchk":
		rs = cs.http
		if cs.droppedRequest.File != "" && cs.ownHTTP {
			p.advisef(cs.httpPos, "%s: its own http-check lines replace the inherited list, including the request of 'option httpchk' at %s, as in HAProxy 2.6: checks send no request; repeat 'option httpchk' in this section", st.what(), cs.droppedRequest)
		}
	case "tcp-check":
		rs = cs.tcp
		if rs == nil {
			rs = &check.Ruleset{Kind: check.KindTCP}
		}
	case "external-check":
		g := &p.cfg.Global
		if !g.ExternalCheck {
			p.errorf(cs.optPos, "%s: 'option external-check' needs 'external-check' in the global section", st.what())
		}
		if !g.InsecureForkWanted {
			p.errorf(cs.optPos, "%s: 'option external-check' needs 'insecure-fork-wanted' in the global section: external checks run a program for every check", st.what())
		}
		if px.ExternalCommand == "" {
			p.errorf(cs.optPos, "%s: 'option external-check' needs 'external-check command'", st.what())
		}
	case "":
	default:
		rs = cs.proto
	}
	if cs.opt != "tcp-check" && cs.tcp != nil && len(cs.tcp.Rules) > 0 {
		p.warnf(cs.tcpPos, "%s uses tcp-check rules without 'option tcp-check', so the rules are ignored", st.what())
	}
	if cs.opt != "httpchk" && cs.http != nil && hasExplicitHTTPRules(cs.http) {
		p.warnf(cs.httpPos, "%s uses http-check rules without 'option httpchk', so the rules are ignored", st.what())
	}
	if rs == nil {
		rs = check.TCPConnect()
	}
	if err := rs.Finish(); err != nil {
		p.errorf(cs.optPos, "%s: %v", st.what(), err)
		return
	}
	px.CheckRules = rs
}

func hasExplicitHTTPRules(rs *check.Ruleset) bool {
	for _, r := range rs.Rules {
		if !(r.Action == check.ActSend && r.Send.HTTP != nil && r.Send.HTTP.FromOption) {
			return true
		}
	}
	return false
}

// Global check keywords.

func parseSpreadChecks(p *parser, l line, args []string) {
	if len(args) != 1 {
		p.errorf(l.Pos, "spread-checks: expects a percentage (0..50)")
		return
	}
	n, err := parseInt(args[0], 0, 50)
	if err != nil {
		p.errorf(l.Pos, "spread-checks: %v", err)
		return
	}
	p.cfg.Global.SpreadChecks = n
}

func parseMaxSpreadChecks(p *parser, l line, args []string) {
	if len(args) != 1 {
		p.errorf(l.Pos, "max-spread-checks: expects a time")
		return
	}
	d, err := parseTime(args[0])
	if err != nil {
		p.errorf(l.Pos, "max-spread-checks: %v", err)
		return
	}
	p.cfg.Global.MaxSpreadChecks = d
}

// parseGlobalCheckFlag reads "external-check" and "insecure-fork-wanted".
func parseGlobalCheckFlag(p *parser, l line, args []string) {
	kw := l.Words[0]
	if len(args) > 0 {
		p.errorf(l.Pos, "%s: unexpected argument %q", kw, args[0])
		return
	}
	if kw == "external-check" {
		p.cfg.Global.ExternalCheck = true
	} else {
		p.cfg.Global.InsecureForkWanted = true
	}
}
