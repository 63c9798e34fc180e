package config

import (
	"fmt"
	"strings"
	"time"

	"baton/internal/expr"
)

// what names the section a line is in, for messages about whole sections.
func (st *proxyState) what() string {
	if st.isDefaults {
		if st.defName != "" {
			return fmt.Sprintf("defaults %q", st.defName)
		}
		return "defaults"
	}
	return fmt.Sprintf("%s %q", st.p.Kind, st.p.Name)
}

func parseMode(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "mode: expects http or tcp")
		return
	}
	switch args[0] {
	case "http":
		st.p.Mode = ModeHTTP
	case "tcp":
		st.p.Mode = ModeTCP
	case "health", "log", "spop":
		p.errorf(l.Pos, "mode: %q is a HAProxy mode that Baton does not support (http or tcp)", args[0])
		return
	default:
		p.errorf(l.Pos, "mode: invalid mode %q (http or tcp)", args[0])
		return
	}
	st.p.ModeFrom = st.origin(l.Pos)
}

func parseBind(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "bind: missing address")
		return
	}
	binds, rest, ok := p.bindAddresses(l, args[0], args[1:])
	if !ok {
		return
	}
	// The connection options apply to every socket of the line; id
	// names one socket.
	var cb Bind
	cb.Addr = binds[0].Addr
	if rest, ok = p.bindConnOptions(&cb, l, args[0], rest); !ok {
		return
	}
	if cb.ID != 0 && len(binds) > 1 {
		p.errorf(l.Pos, "bind %s: 'id' can only be used with a single socket", args[0])
		return
	}
	// One TLS side per line: the sockets of a list share it (and its
	// certificates, sessions and ticket keys).
	var tb Bind
	p.parseBindOptions(st, l, &tb, args[0], rest)
	for i := range binds {
		binds[i].TLS = tb.TLS
		binds[i].Proto = tb.Proto
		binds[i].BindOptions = cb.BindOptions
	}
	st.p.Binds = append(st.p.Binds, binds...)
}

func parseDefaultBackend(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "default_backend: expects one backend name")
		return
	}
	if strings.Contains(args[0], "%") {
		p.errorf(l.Pos, "default_backend: dynamic backend names are not supported")
		return
	}
	st.p.DefaultBackend, st.p.DefaultPos = args[0], l.Pos
}

func parseUseBackend(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "use_backend: missing backend name")
		return
	}
	u := UseBackend{Backend: args[0], Pos: l.Pos}
	if strings.Contains(args[0], "%") {
		f, ok := p.parseDynamicBackend(l, args[0])
		if !ok {
			return
		}
		u.Dynamic = f
	}
	if len(args) > 1 {
		c, msg := p.parseCond(st, l, args[1:], expr.BackendSwitch)
		if msg != "" {
			p.errorf(l.Pos, "use_backend %s: %s", args[0], msg)
			return
		}
		u.Cond = c
	}
	st.p.UseBackends = append(st.p.UseBackends, u)
}

func parseRetries(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "retries: expects one number")
		return
	}
	n, err := parseInt(args[0], 0, 1000)
	if err != nil {
		p.errorf(l.Pos, "retries: %v", err)
		return
	}
	st.p.Retries = n
}

func parseBalance(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "balance: missing algorithm (%s)", strings.Join(balanceNames[:], ", "))
		return
	}
	if parseBalanceForm(p, st, l, args) {
		return
	}
	for i, n := range balanceNames {
		if n == args[0] {
			if len(args) > 1 {
				p.errorf(l.Pos, "balance %s: option %q is not supported", n, args[1])
				return
			}
			st.p.Balance = Balance(i)
			return
		}
	}
	switch a, _, _ := strings.Cut(args[0], "("); a {
	case "hash", "log-hash", "sticky":
		p.errorf(l.Pos, "balance: %q is a HAProxy algorithm that Baton does not support", args[0])
		return
	}
	p.errorf(l.Pos, "balance: unknown algorithm %q (%s)", args[0], strings.Join(balanceNames[:], ", "))
}

func parseProxyMaxConn(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "maxconn: expects one number")
		return
	}
	n, err := parseInt(args[0], 0, 1<<30)
	if err != nil {
		p.errorf(l.Pos, "maxconn: %v", err)
		return
	}
	st.p.MaxConn = n
}

// parseRateLimit reads "rate-limit sessions N" (HAProxy 2.6 knows no
// other rate-limit); 0 is no limit, as in HAProxy.
func parseRateLimit(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 2 || args[0] != "sessions" {
		p.errorf(l.Pos, "rate-limit: expects 'sessions' and a number of sessions per second")
		return
	}
	n, err := parseInt(args[1], 0, 1<<30)
	if err != nil {
		p.errorf(l.Pos, "rate-limit sessions: %v", err)
		return
	}
	st.p.RateLimitSessions = n
}

func parseTimeout(p *parser, st *proxyState, l line, args []string, _ bool) {
	name := l.Words[1]
	if len(args) != 1 {
		p.errorf(l.Pos, "timeout %s: expects one time", name)
		return
	}
	d, err := parseTime(args[0])
	if err != nil {
		p.errorf(l.Pos, "timeout %s: %v", name, err)
		return
	}
	st.timeouts[name] = Timeout{Value: d, Set: d > 0, From: st.origin(l.Pos)}
}

func parseKeepAliveOption(p *parser, st *proxyState, l line, args []string, neg bool) {
	opt := l.Words[1+b2i(neg)]
	if len(args) > 0 {
		p.errorf(l.Pos, "option %s: unexpected argument %q", opt, args[0])
		return
	}
	mode := map[string]KeepAliveMode{"http-keep-alive": KeepAlive, "http-server-close": ServerClose, "httpclose": Close}[opt]
	if neg {
		// "no option X" cancels X; the connection mode returns to
		// keep-alive, HAProxy's default.
		if st.p.KeepAlive == mode {
			st.p.KeepAlive = KeepAlive
		}
		st.p.KeepAliveFrom = st.origin(l.Pos)
		return
	}
	st.p.KeepAlive, st.p.KeepAliveFrom = mode, st.origin(l.Pos)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func parseFlagOption(p *parser, st *proxyState, l line, args []string, neg bool) {
	opt := l.Words[1+b2i(neg)]
	if len(args) > 0 {
		p.errorf(l.Pos, "option %s: argument %q is not supported", opt, args[0])
		return
	}
	on := !neg
	switch opt {
	case "dontlognull":
		st.p.DontLogNull = on
	case "redispatch":
		st.p.Redispatch = on
	}
}

// isToken reports whether s is a non-empty HTTP token (method, header
// name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func parseServer(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) < 2 {
		p.errorf(l.Pos, "server: expects a name and an address (server NAME ADDR:PORT [options])")
		return
	}
	s := newServerFrom(st)
	s.Name, s.Pos = args[0], l.Pos
	errf := func(format string, a ...any) {
		p.errorf(l.Pos, "server %q: %s", s.Name, fmt.Sprintf(format, a...))
	}
	if msg := checkName(s.Name); msg != "" {
		errf("%s", msg)
		return
	}
	// No port, or port 0: the destination's port (HAProxy's reading),
	// which rules may set (set-dst-port). The address is read with a
	// placeholder port, then given port 0.
	spec := args[1]
	portZero := false
	if !strings.ContainsAny(spec, ":@") && !strings.HasPrefix(spec, "/") && !strings.HasPrefix(spec, "_") {
		spec, portZero = spec+":1", true
	} else if base, ok := strings.CutSuffix(spec, ":0"); ok && !strings.Contains(spec, "@") {
		spec, portZero = base+":1", true
	}
	warn, err := serverAddress(s, spec)
	if err != nil {
		errf("%v", err)
		return
	}
	if warn != "" {
		p.warnf(l.Pos, "server %q: %s", s.Name, warn)
	}
	if s.TLS != nil {
		// From default-server: this server's own copy, named after it.
		t := *s.TLS
		t.Name, t.Pos = s.Name, l.Pos.String()
		s.TLS = &t
	}
	if !p.applyServerOptions(s, l, args[2:], false) {
		return
	}
	if err := p.serverInitAddr(s, spec, l.Pos); err != nil {
		errf("%v", err)
		return
	}
	if portZero {
		s.Port = 0
		if a, ok := strings.CutSuffix(s.Addr, ":1"); ok {
			s.Addr = a + ":0"
		}
	}
	s.DstFromRules = portZero || strings.HasPrefix(s.Addr, "0.0.0.0:")
	if s.Check && portZero {
		errf("has neither service port nor check port (checks need the server's port)")
		return
	}
	if prev, ok := st.servers[s.Name]; ok {
		errf("duplicate server name, first declared at %s", prev.Pos)
		return
	}
	st.servers[s.Name] = s
	st.p.Servers = append(st.p.Servers, s)
}

// defaultInter is HAProxy's default health-check interval.
const defaultInter = 2 * time.Second

// serverOptions lists the server option names, for suggestions.
var serverOptions []string
