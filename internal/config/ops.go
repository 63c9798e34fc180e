package config

import (
	"fmt"
	"strings"
	"time"

	"baton/internal/expr"
)

// Operations keywords: the statistics page ("stats ..."), monitoring
// ("monitor-uri", "monitor fail"), the Prometheus exporter service
// ("http-request use-service prometheus-exporter") and the server state
// file ("server-state-file", "server-state-base",
// "load-server-state-from-file", "server-state-file-name").

// StatsPage is a proxy's statistics page: the "stats" keywords other than
// "stats socket" and "stats timeout". A proxy inherits its defaults
// section's page and changes it with its own keywords, as in HAProxy.
type StatsPage struct {
	// URI is the path prefix that shows the page; "" means HAProxy's
	// "/haproxy?stats".
	URI string
	// Realm is the Basic authentication realm; "" means "HAProxy
	// Statistics".
	Realm string
	// Auth lists the accounts allowed to see the page ("stats auth
	// user:password"); empty means no authentication.
	Auth []StatsUser
	// Refresh is the page's refresh delay; 0 means none.
	Refresh time.Duration
	// Admin enables the page's server actions when it holds ("stats
	// admin if COND"); nil means a read-only page.
	Admin *Condition
	// HideVersion hides Baton's version.
	HideVersion bool
	// ShowNode shows the node name: Node, or the host name when "".
	ShowNode bool
	Node     string
	// ShowDesc shows Desc, a description of the node.
	ShowDesc bool
	Desc     string
	// ShowLegends shows each object's mode, id and address.
	ShowLegends bool
	// Scope restricts the page to the named proxies ("." means this
	// one); empty means every proxy.
	Scope []string
	// Rules are the "stats http-request" access rules, in order.
	Rules []StatsRule
	Pos   Pos
	// fromDefaults marks a page copied from the defaults section: as in
	// HAProxy, the proxy's first own "stats" keyword starts a fresh page
	// instead of amending it.
	fromDefaults bool
}

// StatsUser is one "stats auth user:password".
type StatsUser struct{ User, Password string }

// StatsRule is one "stats http-request allow|deny|auth [realm R] [cond]".
type StatsRule struct {
	Action string // "allow", "deny" or "auth"
	Realm  string // for auth; "" means the page's realm
	Cond   *Condition
	Pos    Pos
}

// StatsURI returns the page's URI prefix with HAProxy's default.
func (s *StatsPage) StatsURI() string {
	if s.URI == "" {
		return "/haproxy?stats"
	}
	return s.URI
}

// StatsRealm returns the realm with HAProxy's default.
func (s *StatsPage) StatsRealm() string {
	if s.Realm == "" {
		return "HAProxy Statistics"
	}
	return s.Realm
}

func (s *StatsPage) clone() *StatsPage {
	c := *s
	c.Auth = append([]StatsUser(nil), s.Auth...)
	c.Scope = append([]string(nil), s.Scope...)
	c.Rules = append([]StatsRule(nil), s.Rules...)
	return &c
}

// LoadState is where "load-server-state-from-file" reads server state.
type LoadState int

const (
	// LoadStateNone loads nothing (HAProxy's default).
	LoadStateNone LoadState = iota
	// LoadStateGlobal loads the global "server-state-file".
	LoadStateGlobal
	// LoadStateLocal loads the proxy's own file ("server-state-file-name",
	// or the backend's name), under "server-state-base".
	LoadStateLocal
)

// registerOpsKeywords adds the operations keywords to the tables.
func registerOpsKeywords() {
	for _, kw := range []string{"enable", "uri", "realm", "auth", "refresh", "hide-version", "show-node",
		"show-desc", "show-legends", "scope", "show-modules"} {
		proxyKeywords["stats "+kw] = &proxyKeyword{sections: secAll, parse: parseStatsKeyword}
	}
	proxyKeywords["stats admin"] = &proxyKeyword{sections: secF | secL | secB, parse: parseStatsKeyword}
	proxyKeywords["stats http-request"] = &proxyKeyword{sections: secL | secB, parse: parseStatsKeyword}
	proxyKeywords["monitor-uri"] = &proxyKeyword{sections: secD | secF | secL, parse: parseMonitorURI}
	proxyKeywords["monitor fail"] = &proxyKeyword{sections: secF | secL, parse: parseMonitorFail}
	proxyKeywords["http-request use-service"] = &proxyKeyword{sections: secF | secL | secB, parse: parseUseService}
	prefixWords["monitor"] = true
	for _, kw := range []string{"stats", "monitor-uri", "monitor", "http-request use-service"} {
		delete(unsupportedProxy, kw)
	}
	proxyKeywords["load-server-state-from-file"] = &proxyKeyword{sections: secD | secL | secB, parse: parseLoadServerState}
	proxyKeywords["server-state-file-name"] = &proxyKeyword{sections: secD | secL | secB, parse: parseServerStateFileName}
	globalKeywords["server-state-file"] = parseServerStateFile
	globalKeywords["server-state-base"] = parseServerStateBase
	for _, kw := range []string{"load-server-state-from-file", "server-state-file-name"} {
		delete(unsupportedProxy, kw)
	}
	delete(unsupportedGlobal, "server-state-file")
	delete(unsupportedGlobal, "server-state-base")
}

// page returns the proxy's statistics page, creating it.
func (st *proxyState) page(pos Pos) *StatsPage {
	if st.p.Stats == nil || st.p.Stats.fromDefaults {
		st.p.Stats = &StatsPage{Pos: pos}
	}
	return st.p.Stats
}

func parseStatsKeyword(p *parser, st *proxyState, l line, args []string, _ bool) {
	kw := l.Words[1]
	errf := func(format string, a ...any) { p.errorf(l.Pos, "stats %s: %s", kw, fmt.Sprintf(format, a...)) }
	one := func() (string, bool) {
		if len(args) != 1 {
			errf("expects one argument")
			return "", false
		}
		return args[0], true
	}
	switch kw {
	case "enable", "hide-version", "show-legends", "show-modules":
		if len(args) > 0 {
			errf("unexpected argument %q", args[0])
			return
		}
	}
	pg := st.page(l.Pos)
	switch kw {
	case "enable":
	case "uri":
		if v, ok := one(); ok {
			pg.URI = v
		}
	case "realm":
		if v, ok := one(); ok {
			pg.Realm = v
		}
	case "auth":
		v, ok := one()
		if !ok {
			return
		}
		u, pw, found := strings.Cut(v, ":")
		if !found || u == "" {
			errf("expects user:password, got %q", v)
			return
		}
		pg.Auth = append(pg.Auth, StatsUser{u, pw})
	case "refresh":
		v, ok := one()
		if !ok {
			return
		}
		d, err := parseTimeUnit(v, time.Second)
		if err != nil {
			errf("%v", err)
			return
		}
		pg.Refresh = d
	case "hide-version":
		pg.HideVersion = true
	case "show-legends":
		pg.ShowLegends = true
	case "show-modules":
		p.advisef(l.Pos, "stats show-modules: Baton's page has no per-module columns; ignored")
	case "show-node":
		if len(args) > 1 {
			errf("expects at most one name")
			return
		}
		pg.ShowNode = true
		if len(args) == 1 {
			pg.Node = args[0]
		}
	case "show-desc":
		pg.ShowDesc, pg.Desc = true, strings.Join(args, " ")
	case "scope":
		if v, ok := one(); ok {
			pg.Scope = append(pg.Scope, v)
		}
	case "admin":
		if len(args) == 0 {
			errf("expects if or unless and a condition")
			return
		}
		c, msg := p.parseCond(st, l, args, st.site(expr.HTTPRequest))
		if msg != "" {
			errf("%s", msg)
			return
		}
		pg.Admin = c
	case "http-request":
		parseStatsRule(p, st, l, args, pg)
	}
}

func parseStatsRule(p *parser, st *proxyState, l line, args []string, pg *StatsPage) {
	errf := func(format string, a ...any) { p.errorf(l.Pos, "stats http-request: %s", fmt.Sprintf(format, a...)) }
	act, condWords := splitCond(args)
	if len(act) == 0 {
		errf("expects allow, deny or auth")
		return
	}
	r := StatsRule{Action: act[0], Pos: l.Pos}
	switch act[0] {
	case "allow", "deny":
		if len(act) > 1 {
			errf("unexpected argument %q", act[1])
			return
		}
	case "auth":
		switch {
		case len(act) == 3 && act[1] == "realm":
			r.Realm = act[2]
		case len(act) != 1:
			errf("auth takes only \"realm REALM\"")
			return
		}
	default:
		errf("unknown action %q (allow, deny or auth)", act[0])
		return
	}
	var ok bool
	if r.Cond, ok = p.optCond(st, l, condWords, "stats http-request"); ok {
		pg.Rules = append(pg.Rules, r)
	}
}

func parseMonitorURI(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 || args[0] == "" {
		p.errorf(l.Pos, "monitor-uri: expects one URI")
		return
	}
	st.p.MonitorURI = args[0]
}

func parseMonitorFail(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "monitor fail: expects if or unless and a condition")
		return
	}
	c, msg := p.parseCond(st, l, args, st.site(expr.HTTPRequest))
	if msg != "" {
		p.errorf(l.Pos, "monitor fail: %s", msg)
		return
	}
	st.p.MonitorFail = append(st.p.MonitorFail, c)
}

// Services names the services "http-request use-service" can start.
var Services = []string{"prometheus-exporter"}

func parseUseService(p *parser, st *proxyState, l line, args []string, _ bool) {
	act, condWords := splitCond(args)
	if len(act) != 1 {
		p.errorf(l.Pos, "http-request use-service: expects one service name")
		return
	}
	if msg := scriptingMessage(l.Words); msg != "" {
		p.errorf(l.Pos, "%s", msg)
		return
	}
	if act[0] != "prometheus-exporter" {
		p.errorf(l.Pos, "http-request use-service: service %q is not supported (Baton has prometheus-exporter)", act[0])
		return
	}
	r := Rule{Action: "use-service", Name: act[0], Pos: l.Pos}
	var ok bool
	if r.Cond, ok = p.optCond(st, l, condWords, "http-request use-service"); ok {
		st.p.RequestRules = append(st.p.RequestRules, r)
	}
}

func parseLoadServerState(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "load-server-state-from-file: expects global, local or none")
		return
	}
	switch args[0] {
	case "global":
		st.p.LoadServerState = LoadStateGlobal
	case "local":
		st.p.LoadServerState = LoadStateLocal
	case "none":
		st.p.LoadServerState = LoadStateNone
	default:
		p.errorf(l.Pos, "load-server-state-from-file: expects global, local or none, got %q", args[0])
	}
}

func parseServerStateFileName(p *parser, st *proxyState, l line, args []string, _ bool) {
	switch {
	case len(args) == 0 || len(args) == 1 && args[0] == "use-backend-name":
		st.p.ServerStateFileName = ""
	case len(args) == 1:
		st.p.ServerStateFileName = args[0]
	default:
		p.errorf(l.Pos, "server-state-file-name: expects one file name or use-backend-name")
	}
}

func parseServerStateFile(p *parser, l line, args []string) {
	p.globalWord(l, args, "server-state-file: expects one path", &p.cfg.Global.ServerStateFile)
}

func parseServerStateBase(p *parser, l line, args []string) {
	p.globalWord(l, args, "server-state-base: expects one directory", &p.cfg.Global.ServerStateBase)
}

// globalWord sets *dst to a global keyword's one argument.
func (p *parser) globalWord(l line, args []string, usage string, dst *string) {
	if len(args) != 1 || args[0] == "" {
		p.errorf(l.Pos, "%s", usage)
		return
	}
	*dst = args[0]
}

// optCond parses an optional "if|unless COND" of keyword kw; ok is false
// after an error.
func (p *parser) optCond(st *proxyState, l line, words []string, kw string) (*Condition, bool) {
	if len(words) == 0 {
		return nil, true
	}
	c, msg := p.parseCond(st, l, words, st.site(expr.HTTPRequest))
	if msg != "" {
		p.errorf(l.Pos, "%s: %s", kw, msg)
		return nil, false
	}
	return c, true
}

// ServerStatePath is the file a backend's state loads from, or "" for
// none: the global server-state-file ("global"), or the backend's own
// file ("local": server-state-file-name, or the backend's name), under
// server-state-base when relative.
func (c *Config) ServerStatePath(p *Proxy) string {
	var f string
	switch p.LoadServerState {
	case LoadStateGlobal:
		f = c.Global.ServerStateFile
	case LoadStateLocal:
		f = p.ServerStateFileName
		if f == "" {
			f = p.Name
		}
	}
	if f == "" {
		return ""
	}
	if !strings.HasPrefix(f, "/") && c.Global.ServerStateBase != "" {
		f = strings.TrimSuffix(c.Global.ServerStateBase, "/") + "/" + f
	}
	return f
}

// finishOps checks what needs the whole section: HAProxy refuses "stats
// auth" or "stats realm" together with "stats http-request" (the rules
// would have to say where the authentication goes).
func (p *parser) finishOps(st *proxyState) {
	if pg := st.p.Stats; pg != nil && len(pg.Rules) > 0 && (len(pg.Auth) > 0 || pg.Realm != "") {
		p.errorf(pg.Rules[0].Pos, "%s: stats auth/realm and stats http-request cannot be used together (use stats http-request auth)", st.what())
	}
}

// inheritOps copies into st the operations settings of its defaults.
func inheritOps(st, def *proxyState) {
	d, p := def.p, st.p
	if d.Stats != nil {
		p.Stats = d.Stats.clone()
		p.Stats.fromDefaults = !st.isDefaults
	}
	sec := kindSection(p.Kind)
	if sec&(secF|secL) != 0 { // monitor-uri

		p.MonitorURI = d.MonitorURI
	}
	if sec&(secL|secB) != 0 { // load-server-state-from-file, server-state-file-name

		p.LoadServerState, p.ServerStateFileName = d.LoadServerState, d.ServerStateFileName
	}
}

// parseTimeUnit reads a time whose bare numbers are in unit (seconds for
// "stats refresh").
func parseTimeUnit(s string, unit time.Duration) (time.Duration, error) {
	if s != "" && s[len(s)-1] >= '0' && s[len(s)-1] <= '9' {
		n, err := parseInt(s, 0, 1<<31-1)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * unit, nil
	}
	return parseTime(s)
}
