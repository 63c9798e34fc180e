package health

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
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
	// server goes up or down, with the check's reason (e.g. "Layer7 wrong
	// status: 503"). nil means nobody is told.
	OnChange func(s *backend.Server, up bool, reason string)
	// OnProbe, if set, is called after every probe with its Result (the
	// statistics: check status, code, duration, health level).
	OnProbe func(s *backend.Server, r Result)
	// Paused, if set, says a server's checks are disabled ("disable
	// health"): no probe runs and the server counts as up.
	Paused func(s *backend.Server) bool
	// Health, if set, gives a server's health level to start from (one
	// carried over from the previous generation); ok false means
	// HAProxy's start: Rise for a server that is up, 0 for one down.
	Health func(s *backend.Server) (health int, ok bool)
}

// Result is one probe's outcome, in HAProxy's terms.
type Result struct {
	// OK: the probe passed.
	OK bool
	// Status is the check status: L4OK, L4TOUT, L4CON, L7OK, L7STS,
	// L7RSP, L7TOUT.
	Status string
	// Code is the HTTP status of a layer 7 check, 0 otherwise.
	Code     int
	Duration time.Duration
	// Desc is the status's description ("Layer4 check passed").
	Desc string
	// Health is HAProxy's health level after the probe: 0..Rise-1 down,
	// Rise..Rise+Fall-1 up.
	Health int
}

// Describe returns the description of a check status ("L4OK": "Layer4
// check passed").
func Describe(status string) string { return statusDesc[status] }

// statusDesc are the descriptions of the check statuses.
var statusDesc = map[string]string{
	"L4OK": "Layer4 check passed", "L4TOUT": "Layer4 timeout", "L4CON": "Layer4 connection problem",
	"L7OK": "Layer7 check passed", "L7STS": "Layer7 wrong status", "L7RSP": "Layer7 invalid response",
	"L7TOUT": "Layer7 timeout",
}

// Checker probes the servers of one backend.
type Checker struct {
	b       *backend.Backend
	httpChk *config.HTTPCheck
	connect time.Duration // timeout connect; 0 means the probe's interval
	opt     Options

	mu     sync.Mutex
	cancel context.CancelFunc
	ctx    context.Context // the checks' context once started
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

// Add starts checking a server added at run time, if it has "check" and
// the checker runs.
func (c *Checker) Add(s *backend.Server) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx != nil && c.ctx.Err() == nil {
		c.startLocked(s)
	}
}

func (c *Checker) startLocked(s *backend.Server) {
	if s.Config == nil || !s.Config.Check {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.run(c.ctx, s)
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

// run is one server's check loop. The up/down decision is HAProxy's:
// a health level goes up by one per passed probe and, once it reaches
// rise, to its top (rise+fall-1), where the server is up; a failed probe
// takes one off while above rise, and takes a server at rise down (level
// 0). So a server goes down after fall failures in a row and up after
// rise successes in a row.
func (c *Checker) run(ctx context.Context, s *backend.Server) {
	inter, rise, fall := params(s.Config)
	top := rise + fall - 1
	health := rise
	if !s.Healthy() {
		health = 0
	}
	if c.opt.Health != nil {
		if h, ok := c.opt.Health(s); ok {
			health = min(max(h, 0), top)
		}
	}
	t := time.NewTimer(rand.N(inter)) // spread first probes
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		paused := c.opt.Paused != nil && c.opt.Paused(s)
		if paused && !s.Healthy() {
			c.set(s, true, "Health checks disabled")
		}
		if s.State() != backend.Maint && !paused {
			start := time.Now()
			reason, err := c.probe(ctx, s.CurrentAddr(), inter)
			if ctx.Err() != nil {
				return
			}
			r := classify(reason, err)
			r.Duration = time.Since(start)
			if err == nil {
				health++
				if health >= rise {
					health = top
					if !s.Healthy() {
						c.set(s, true, reason)
					}
				}
			} else if health > rise {
				health--
			} else {
				health = 0
				if s.Healthy() {
					c.set(s, false, err.Error())
				}
			}
			r.Health = health
			if c.opt.OnProbe != nil {
				c.opt.OnProbe(s, r)
			}
		}
		t.Reset(inter)
	}
}

// classify turns a probe's reason or error into a Result's status.
func classify(reason string, err error) Result {
	r := Result{OK: err == nil}
	text := reason
	if err != nil {
		text = err.Error()
	}
	switch {
	case strings.HasPrefix(text, "Layer4 check passed"):
		r.Status = "L4OK"
	case strings.HasPrefix(text, "Layer4"):
		r.Status = "L4CON"
		if strings.Contains(text, "timeout") {
			r.Status = "L4TOUT"
		}
	case strings.HasPrefix(text, "Layer7 check passed"), strings.HasPrefix(text, "Layer7 wrong status"):
		r.Status = "L7OK"
		if err != nil {
			r.Status = "L7STS"
		}
		if i := strings.LastIndexByte(text, ' '); i >= 0 {
			r.Code, _ = strconv.Atoi(text[i+1:])
		}
	default:
		r.Status = "L7RSP"
		if strings.Contains(text, "timeout") {
			r.Status = "L7TOUT"
		}
	}
	r.Desc = statusDesc[r.Status]
	return r
}

func (c *Checker) set(s *backend.Server, up bool, reason string) {
	s.SetHealthy(up)
	if c.opt.OnChange != nil {
		c.opt.OnChange(s, up, reason)
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

// probe checks addr once within inter; it returns a success reason or an
// error saying why the check failed.
func (c *Checker) probe(ctx context.Context, addr string, inter time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, inter)
	defer cancel()
	dctx := ctx
	if c.connect > 0 && c.connect < inter {
		var dcancel context.CancelFunc
		dctx, dcancel = context.WithTimeout(ctx, c.connect)
		defer dcancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
			return "", fmt.Errorf("Layer4 timeout: %w", err)
		}
		return "", fmt.Errorf("Layer4 connection problem: %w", err)
	}
	defer conn.Close()
	if c.httpChk == nil {
		return "Layer4 check passed", nil
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	code, err := httpStatus(conn, c.httpChk, addr)
	if err != nil {
		return "", err
	}
	if code < 200 || code >= 400 {
		return "", fmt.Errorf("Layer7 wrong status: %d", code)
	}
	return "Layer7 check passed: " + strconv.Itoa(code), nil
}

// httpStatus sends the check request on conn and returns the response's
// status code.
func httpStatus(conn net.Conn, hc *config.HTTPCheck, addr string) (int, error) {
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
		return 0, fmt.Errorf("Layer7 send failed: %w", err)
	}
	line, err := bufio.NewReaderSize(conn, 512).ReadSlice('\n')
	if err != nil {
		if os.IsTimeout(err) {
			return 0, fmt.Errorf("Layer7 timeout: %w", err)
		}
		return 0, fmt.Errorf("Layer7 no response: %w", err)
	}
	// "HTTP/1.x NNN reason"
	f := strings.Fields(string(line))
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") || len(f[1]) != 3 {
		return 0, fmt.Errorf("Layer7 invalid response: %q", strings.TrimSpace(string(line)))
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, fmt.Errorf("Layer7 invalid response: %q", strings.TrimSpace(string(line)))
	}
	return code, nil
}
