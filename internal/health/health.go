package health

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/sockaddr"
)

// Defaults for a server line whose Inter, Rise or Fall is 0.
const (
	DefaultInter = 2 * time.Second
	DefaultRise  = 2
	DefaultFall  = 3
)

// Options tune a Checker.
type Options struct {
	// OnChange is called, from the server's check goroutine, each time a
	// server goes up or down, with the check that decided it. nil means
	// nobody is told.
	OnChange func(s *backend.Server, up bool, r Result)
	// OnCheck is called, from the server's check goroutine, after each
	// check that HAProxy's "option log-health-checks" reports: one whose
	// status differs from the previous check's, or that moved the
	// server's health. It runs before OnChange. nil means none.
	OnCheck func(s *backend.Server, r Result, h Health)
	// The runtime API's hooks (see runtime.go): each check's result for
	// the statistics, checks disabled, a carried health level.
	Runtime
	// TLS returns the TLS configuration of a server's checks ("ssl" or
	// "check-ssl"); nil, or a nil result, means plain TCP.
	TLS func(s *backend.Server) *tls.Config
}

// Checker probes the servers of one backend.
type Checker struct {
	b       *backend.Backend
	httpChk *config.HTTPCheck
	connect time.Duration // timeout connect; 0 means the probe's interval
	opt     Options

	mu     sync.Mutex
	cancel context.CancelFunc
	ctx    context.Context // the loops' context once started, for Add
	wg     sync.WaitGroup
}

// New prepares checks for the servers of b, built from p, that have
// "check". Nothing runs before Start.
func New(p *config.Proxy, b *backend.Backend, opt Options) *Checker {
	c := &Checker{b: b, httpChk: p.HTTPChk, opt: opt}
	if p.Timeouts.Connect.Set {
		c.connect = p.Timeouts.Connect.Value
	}
	return c
}

// Start launches one check loop per checked server. The loops stop when
// ctx is done or Stop is called. A Checker starts once: later calls do
// nothing.
func (c *Checker) Start(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		return
	}
	ctx, c.cancel = context.WithCancel(ctx)
	c.ctx = ctx
	for _, s := range c.b.Servers {
		c.startLocked(s)
	}
}

// startLocked starts s's check loop if it has "check"; c.mu is held.
func (c *Checker) startLocked(s *backend.Server) {
	if s.Config == nil || !s.Config.Check {
		return
	}
	c.wg.Add(1)
	changed := s.AddrChanged() // taken now: a change after Start wakes the loop
	go func() {
		defer c.wg.Done()
		c.run(c.ctx, s, changed)
	}()
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

// run is one server's check loop; changed is closed at the server's next
// change of address.
func (c *Checker) run(ctx context.Context, s *backend.Server, changed <-chan struct{}) {
	inter, rise, fall := params(s.Config)
	t := time.NewTimer(rand.N(inter)) // spread first probes
	defer t.Stop()
	// Consecutive successes and failures. A server starts up but one
	// failure away from down, as in HAProxy (its health starts at
	// "rise"): a dead server is found by the first check.
	ok, bad := c.startLevel(s, rise, fall)
	prev := "" // the previous check's status
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changed:
			// A new address (or none): the old verdicts were about
			// another host. Start over, as a server leaving maintenance
			// does (up, one failure from down), and probe it now.
			ok, bad, prev = 0, fall-1, ""
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		}
		// The next change's channel is taken before the address is read,
		// so a change in between wakes the next wait at once.
		changed = s.AddrChanged()
		if c.paused(s) {
			// Checks disabled: no check, the server counts as up; they
			// start over (up, one failure from down) when enabled.
			ok, bad, prev = 0, fall-1, ""
		} else if addr := s.Addr(); s.State() != backend.Maint && addr != "" {
			var tc *tls.Config
			if c.opt.TLS != nil {
				tc = c.opt.TLS(s)
			}
			r := c.probe(ctx, addr, inter, tc)
			if ctx.Err() != nil {
				return
			}
			up := s.Healthy()
			// HAProxy's health counter moves unless it is at its top
			// (up, no failure) or bottom (down, no success).
			moved := up && bad > 0 || !up
			if !r.OK {
				moved = up || ok > 0
			}
			if r.OK {
				ok, bad = ok+1, 0
			} else {
				ok, bad = 0, bad+1
			}
			change := r.OK && !up && ok >= rise || !r.OK && up && bad >= fall
			if c.opt.OnCheck != nil && (moved || r.Status != prev) {
				h := Health{Up: up != change, Weight: s.Weight(), Rise: rise, Fall: fall}
				if h.Up {
					h.Count = fall - bad
				} else {
					h.Count = ok
					if change {
						h.Count = 0
					}
				}
				c.opt.OnCheck(s, r, h)
			}
			prev = r.Status
			if change {
				s.SetHealthy(r.OK)
			}
			// After the change: a hook that reads the server sees the
			// state its level says.
			c.probed(s, r, ok, bad, up != change, rise, fall)
			if change && c.opt.OnChange != nil {
				c.opt.OnChange(s, r.OK, r)
			}
		}
		t.Reset(inter)
	}
}

func params(cs *config.Server) (inter time.Duration, rise, fall int) {
	inter, rise, fall = cs.Inter, cs.Rise, cs.Fall
	if inter <= 0 {
		inter = DefaultInter
	}
	if rise <= 0 {
		rise = DefaultRise
	}
	if fall <= 0 {
		fall = DefaultFall
	}
	return inter, rise, fall
}

// probe checks addr once within inter, over TLS if tc is not nil.
func (c *Checker) probe(ctx context.Context, addr string, inter time.Duration, tc *tls.Config) Result {
	start := time.Now()
	r := c.check(ctx, addr, inter, tc)
	r.Duration = time.Since(start)
	return r
}

func (c *Checker) check(ctx context.Context, addr string, inter time.Duration, tc *tls.Config) Result {
	ctx, cancel := context.WithTimeout(ctx, inter)
	defer cancel()
	dctx := ctx
	if c.connect > 0 && c.connect < inter {
		var dcancel context.CancelFunc
		dctx, dcancel = context.WithTimeout(ctx, c.connect)
		defer dcancel()
	}
	var d net.Dialer
	network, address := sockaddr.DialArgs(addr)
	conn, err := d.DialContext(dctx, network, address)
	if err != nil {
		if isTimeout(err) {
			return Result{Status: L4Timeout}
		}
		return Result{Status: L4Con, Info: errnoText(err)}
	}
	defer conn.Close()
	if tc != nil {
		s := tls.Client(conn, tc)
		if err := s.HandshakeContext(ctx); err != nil {
			if ctx.Err() != nil {
				return Result{Status: L6Timeout}
			}
			return Result{Status: L6Invalid, Info: tlsErrText(err)}
		}
		conn = s
		if c.httpChk == nil {
			return Result{OK: true, Status: L6OK}
		}
	}
	if c.httpChk == nil {
		return Result{OK: true, Status: L4OK}
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	code, reason, err := httpStatus(conn, c.httpChk, addr)
	switch {
	case err != nil && isTimeout(err):
		return Result{Status: L7Timeout}
	case err != nil:
		return Result{Status: L7Invalid}
	case code < 200 || code >= 400:
		return Result{Status: L7Status, Code: code, Info: reason}
	}
	return Result{OK: true, Status: L7OK, Code: code}
}

// httpStatus sends the check request on conn and returns the response's
// status code and reason phrase.
func httpStatus(conn net.Conn, hc *config.HTTPCheck, addr string) (int, string, error) {
	method, uri, version := hc.Method, hc.URI, hc.Version
	if method == "" {
		method = "OPTIONS"
	}
	if uri == "" {
		uri = "/"
	}
	if version == "" {
		version = "HTTP/1.0"
	}
	req := method + " " + uri + " " + version + "\r\n"
	if version == "HTTP/1.1" {
		req += "Host: " + addr + "\r\n"
	}
	req += "Connection: close\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		return 0, "", err
	}
	line, err := bufio.NewReaderSize(conn, 512).ReadSlice('\n')
	if err != nil {
		return 0, "", err
	}
	// "HTTP/1.x NNN reason"
	f := strings.SplitN(strings.TrimSpace(string(line)), " ", 3)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") || len(f[1]) != 3 {
		return 0, "", errInvalid
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, "", errInvalid
	}
	reason := ""
	if len(f) == 3 {
		reason = f[2]
	}
	return code, reason, nil
}

var errInvalid = errors.New("invalid response")

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

// errnoText is the system's description of err ("Connection refused"),
// capitalised as strerror writes it.
func errnoText(err error) string {
	var errno syscall.Errno
	s := err.Error()
	if errors.As(err, &errno) {
		s = errno.Error()
	}
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// tlsErrText is the info of a failed handshake: HAProxy's "SSL handshake
// failure", with Go's reason (an unknown authority, a name mismatch) in
// parentheses.
func tlsErrText(err error) string {
	return "SSL handshake failure (" + err.Error() + ")"
}
