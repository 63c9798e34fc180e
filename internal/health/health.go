package health

import (
	"context"
	"crypto/tls"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"baton/internal/backend"
	"baton/internal/check"
	"baton/internal/config"
	"baton/internal/sockaddr"
	"baton/internal/sockopt"
)

// Defaults for a server line whose Inter, Rise or Fall is 0.
const (
	DefaultInter = 2 * time.Second
	DefaultRise  = 2
	DefaultFall  = 3
)

// Options tune a Checker.
type Options struct {
	// OnEvent receives every event (see Event), from the goroutine that
	// caused it: a server's check goroutine, or a request's goroutine for
	// observed errors. nil means nobody is told.
	OnEvent func(Event)
	// ShutdownSessions cuts every connection using s (on-marked-down
	// shutdown-sessions with code 'D', on-marked-up
	// shutdown-backup-sessions with code 'U' on each backup server).
	// nil does nothing.
	ShutdownSessions func(s *backend.Server, code byte)
	// OnChange is called, from the goroutine that decided it, each time
	// a server goes up or down, with the check that decided it. nil means
	// nobody is told.
	OnChange func(s *backend.Server, up bool, r Result)
	// The runtime API's hooks (see runtime.go): each check's result for
	// the statistics, checks disabled, a carried health level.
	Runtime
	// Dialer opens check connections; nil means a net.Dialer (with the
	// server's or backend's source address).
	Dialer check.Dialer
	// TLS returns the TLS configuration of a server's checks ("ssl" or
	// "check-ssl"); nil, or a nil result, means plain TCP (a "connect
	// ssl" rule then fails).
	TLS func(s *backend.Server) *tls.Config
	// Spread places the first checks of the process; nil starts each
	// server's first check after a random part of its interval.
	Spread *Spread
	// Global holds spread-checks (random noise on every interval).
	Global config.CheckGlobals
	// ProxyAddr and ProxyPort are the proxy's first listener, passed to
	// external checks ("" for a backend). ProxyID is the proxy's number.
	ProxyAddr, ProxyPort string
	ProxyID              int
	// ExternalOutput receives what external check programs print; nil
	// means os.Stderr.
	ExternalOutput io.Writer
	// Node is the name send-state reports; "" means the host name.
	Node string
	// LogHealthChecks is the backend's "option log-health-checks": state
	// changes are then reported without their reason (the checks were).
	LogHealthChecks bool
}

// Checker runs the health checks (and agent checks) of one backend's
// servers and keeps each server's health as HAProxy does.
type Checker struct {
	p       *config.Proxy
	b       *backend.Backend
	rules   *check.Ruleset // p.CheckRules, or one made from p.HTTPChk
	opt     Options
	servers []*server

	mu     sync.Mutex // guards servers (Add), cancel and ctx
	cancel context.CancelFunc
	ctx    context.Context // the loops' context once started, for Add
	wg     sync.WaitGroup
}

// New prepares checks for the servers of b, built from p, that have
// "check" or "agent-check", and hooks "observe" into the servers. Nothing
// is probed before Start.
func New(p *config.Proxy, b *backend.Backend, opt Options) *Checker {
	c := &Checker{p: p, b: b, opt: opt, rules: rulesOf(p)}
	if c.opt.Node == "" {
		c.opt.Node, _ = os.Hostname()
	}
	if c.opt.ExternalOutput == nil {
		c.opt.ExternalOutput = os.Stderr
	}
	for _, s := range b.Servers {
		cs := s.Config
		if cs == nil || !cs.Check && !cs.Agent {
			continue
		}
		sv := newServer(c, s)
		c.servers = append(c.servers, sv)
		if cs.Check && cs.Observe != "" {
			s.SetObserver(sv.observed)
		}
	}
	return c
}

// rulesOf returns the proxy's check ruleset. A Proxy not made by the
// configuration parser may have only HTTPChk (or nothing): the ruleset is
// then made here.
func rulesOf(p *config.Proxy) *check.Ruleset {
	if p.CheckRules != nil {
		return p.CheckRules
	}
	rs := check.TCPConnect()
	if hc := p.HTTPChk; hc != nil {
		rs = &check.Ruleset{Kind: check.KindHTTP}
		meth, uri := hc.Method, hc.URI
		if meth == "" {
			meth = "OPTIONS"
		}
		if uri == "" {
			uri = "/"
		}
		args := []string{meth, uri}
		if hc.Version != "" {
			args = append(args, hc.Version)
		}
		if r, _, err := check.ParseHTTPChkOption(args); err == nil {
			rs.Add(r)
		}
	}
	rs.Finish()
	return rs
}

// Active reports whether the backend has checks to run.
func (c *Checker) Active() bool { return len(c.servers) > 0 }

// Start launches one loop per check (health and agent) of each server.
// The loops stop when ctx is done or Stop is called. A Checker starts
// once: later calls do nothing.
func (c *Checker) Start(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		return
	}
	c.ctx, c.cancel = context.WithCancel(ctx)
	for _, sv := range c.servers {
		c.startLocked(c.ctx, sv)
	}
}

func (c *Checker) firstDelay(inter time.Duration) time.Duration {
	if c.opt.Spread != nil {
		return c.opt.Spread.next()
	}
	return rand.N(inter)
}

// Stop ends every check loop and waits for them to return.
func (c *Checker) Stop() {
	c.mu.Lock()
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// noise adds the global spread-checks randomness to an interval: up to
// ±spread percent.
func (c *Checker) noise(d time.Duration) time.Duration {
	sp := c.opt.Global.SpreadChecks
	if sp <= 0 {
		return d
	}
	r := int64(d) * int64(sp) / 100
	if r <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(2*r+1)-r)
}

// Spread places the first checks of a whole process as HAProxy does:
// the i-th of n checks starts after i/n of the smallest check interval
// (intervals under a second are left out of that minimum), bounded by
// max-spread-checks.
type Spread struct {
	mu       sync.Mutex
	n, pos   int
	minInter time.Duration
}

// minSpreadInter is HAProxy's SRV_CHK_INTER_THRES.
const minSpreadInter = time.Second

// NewSpread counts the checks of checkers and their smallest interval.
func NewSpread(checkers []*Checker, g config.CheckGlobals) *Spread {
	sp := &Spread{}
	add := func(d time.Duration) {
		sp.n++
		if d >= minSpreadInter && (sp.minInter == 0 || d < sp.minInter) {
			sp.minInter = d
		}
	}
	for _, c := range checkers {
		for _, sv := range c.servers {
			if sv.cs.Check {
				add(sv.interval())
			}
			if sv.cs.Agent {
				add(sv.agentInter())
			}
		}
	}
	if g.SpreadChecks > 0 && sp.minInter > 0 {
		r := int64(sp.minInter) * int64(g.SpreadChecks) / 100
		sp.minInter += time.Duration(rand.Int64N(2*r+1) - r)
	}
	if g.MaxSpreadChecks > 0 && sp.minInter > g.MaxSpreadChecks {
		sp.minInter = g.MaxSpreadChecks
	}
	return sp
}

func (sp *Spread) next() time.Duration {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.n == 0 {
		return 0
	}
	d := sp.minInter * time.Duration(sp.pos) / time.Duration(sp.n)
	sp.pos++
	return d
}

// serverAddr is where the server is now: its address or socket path;
// addr is "" when it has none (resolution maintenance). Checks read it at
// each run, so they follow a server whose address changes.
func serverAddr(s *backend.Server) (network, addr string) {
	a := s.Addr()
	if a == "" {
		return "tcp", ""
	}
	return sockaddr.DialArgs(a)
}

// tlsFunc turns the server's TLS configuration for checks into the
// upgrade check.Run calls; nil when it has none.
func (c *Checker) tlsFunc(s *backend.Server) check.TLSFunc {
	if c.opt.TLS == nil {
		return nil
	}
	tc := c.opt.TLS(s)
	if tc == nil {
		return nil
	}
	return func(ctx context.Context, conn net.Conn, sni string, alpn []string) (net.Conn, error) {
		cfg := tc
		if sni != "" || len(alpn) > 0 {
			cfg = tc.Clone()
			if sni != "" {
				cfg.ServerName = sni
			}
			if len(alpn) > 0 {
				cfg.NextProtos = alpn
			}
		}
		tconn := tls.Client(conn, cfg)
		if err := tconn.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		return tconn, nil
	}
}

// dialer returns the Dialer of a check: the configured one, or a
// net.Dialer from the server's (else the backend's) source address.
func (c *Checker) dialer(s *backend.Server) check.Dialer {
	if c.opt.Dialer != nil {
		return c.opt.Dialer
	}
	src := s.Config.Source
	if src == nil {
		src = c.p.Source
	}
	d := &net.Dialer{}
	if src != nil {
		d.LocalAddr = &net.TCPAddr{IP: src.Addr.AsSlice(), Port: src.Port}
		d.Control = sockopt.Dial{Device: src.Interface}.Control()
	}
	return d
}

// target builds the check.Target of a health check run at the server's
// current address.
func (sv *server) target(network, addr string) *check.Target {
	c, s, cs := sv.c, sv.s, sv.cs
	t := &check.Target{
		Network: network, Addr: addr,
		CheckAddr: cs.CheckAddr, CheckPort: cs.CheckPort,
		Dialer: c.dialer(s), TLS: c.tlsFunc(s),
		Inter: sv.interval0(),
	}
	t.Socks4, t.ViaSocks4 = cs.Socks4, cs.CheckViaSocks4
	// The server's TLS (ssl, check-ssl) makes the default connects TLS.
	t.SSL = t.TLS != nil
	if t.CheckPort == 0 && cs.CheckAddrPort > 0 {
		t.CheckPort = cs.CheckAddrPort
	}
	if to := c.p.Timeouts; to.Check.Set {
		t.Timeout = to.Check.Value
		if to.Connect.Set {
			t.ConnectTimeout = to.Connect.Value
		}
	}
	switch {
	case cs.CheckSendProxy:
		t.SendProxy = max(cs.SendProxy, 1)
	case cs.CheckPort == 0 && !cs.CheckAddr.IsValid():
		t.SendProxy = cs.SendProxy
	}
	if c.p.CheckSendState {
		t.StateHeader = sv.stateHeader
	}
	if c.p.CheckDisable404 {
		t.Disable404 = true
		t.ServerUp = s.Healthy()
	}
	return t
}

// stateHeader is X-Haproxy-Server-State's value.
func (sv *server) stateHeader() string {
	sv.mu.Lock()
	h, rise, fall, up, nolb := sv.health, sv.rise, sv.fall, sv.up, sv.nolb
	sv.mu.Unlock()
	var st string
	switch {
	case up && h == rise+fall-1 && !nolb:
		st = "UP"
	case up && !nolb:
		st = "UP " + strconv.Itoa(h-rise+1) + "/" + strconv.Itoa(fall)
	case up && h == rise+fall-1:
		st = "NOLB"
	case up:
		st = "NOLB " + strconv.Itoa(h-rise+1) + "/" + strconv.Itoa(fall)
	case h > 0:
		st = "DOWN " + strconv.Itoa(h) + "/" + strconv.Itoa(rise)
	default:
		st = "DOWN"
	}
	s := sv.s
	host, port := s.Addr(), ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		host, port = h, p
	}
	if network, _ := serverAddr(s); network == "unix" {
		host, port = "unix", "unix"
	}
	tot, scur := 0, 0
	for _, o := range sv.c.b.List() {
		if o.Usable() {
			tot += o.EffectiveWeight()
		}
		scur += o.Conns()
	}
	v := st + "; address=" + host + "; port=" + port + "; name=" + sv.c.p.Name + "/" + s.Name +
		"; node=" + sv.c.opt.Node + "; weight=" + strconv.Itoa(s.EffectiveWeight()) + "/" + strconv.Itoa(tot) +
		"; scur=" + strconv.Itoa(s.Conns()) + "/" + strconv.Itoa(scur) + "; qcur=0"
	if r := s.Ramp(); r < 100 {
		v += "; throttle=" + strconv.Itoa(max(1, r)) + "%"
	}
	return v
}

// external builds an external check run.
func (sv *server) external() *check.External {
	c, s, cs := sv.c, sv.s, sv.cs
	x := &check.External{
		Command: c.p.ExternalCommand, Path: c.p.ExternalPath,
		ProxyAddr: c.opt.ProxyAddr, ProxyPort: c.opt.ProxyPort, ProxyID: c.opt.ProxyID, ProxyName: c.p.Name,
		ServerID: cs.ID, ServerName: s.Name, ServerMaxConn: s.CurrentMaxConn(), ServerCurConn: s.Conns(),
		ServerProto: "tcp", Timeout: sv.interval0(), Stderr: c.opt.ExternalOutput,
	}
	if c.p.Mode == config.ModeHTTP {
		x.ServerProto = "h1"
	}
	if c.p.Timeouts.Check.Set {
		x.Timeout = c.p.Timeouts.Check.Value
	}
	network, addr := serverAddr(s)
	if network == "unix" {
		x.ServerAddr = addr
	} else if h, p, err := net.SplitHostPort(addr); err == nil {
		x.ServerAddr, x.ServerPort = h, p
	}
	if cs.CheckAddr.IsValid() {
		x.ServerAddr = cs.CheckAddr.String()
	}
	if cs.CheckPort > 0 {
		x.ServerPort = strconv.Itoa(cs.CheckPort)
	}
	return x
}

// agentTarget builds the agent check's target: agent-addr (else addr,
// else the server's address) on agent-port, without PROXY header.
func (sv *server) agentTarget() *check.Target {
	c, s, cs := sv.c, sv.s, sv.cs
	network, addr := serverAddr(s)
	t := &check.Target{Network: network, Addr: addr, Dialer: c.dialer(s), TLS: c.tlsFunc(s), Inter: sv.agentInter(), CheckPort: cs.AgentPort}
	// check-via-socks4 takes the agent through the proxy too, as in
	// HAProxy 2.6 (checked: agent_status SOCKERR behind a refusing one).
	t.Socks4, t.ViaSocks4 = cs.Socks4, cs.CheckViaSocks4
	a := cs.AgentAddr
	if !a.IsValid() {
		a = cs.CheckAddr
	}
	if a.IsValid() {
		t.Network, t.CheckAddr = "tcp", a
	}
	if to := c.p.Timeouts; to.Check.Set {
		t.Timeout = to.Check.Value
		if to.Connect.Set {
			t.ConnectTimeout = to.Connect.Value
		}
	}
	return t
}

// SetSpread makes the checker place its first checks with sp (see
// NewSpread). Call it before Start.
func (c *Checker) SetSpread(sp *Spread) { c.opt.Spread = sp }
