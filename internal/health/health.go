package health

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
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
	// server goes up or down, with the check's reason (e.g. "Layer7 wrong
	// status: 503"). nil means nobody is told.
	OnChange func(s *backend.Server, up bool, reason string)
}

// Checker probes the servers of one backend.
type Checker struct {
	b       *backend.Backend
	httpChk *config.HTTPCheck
	connect time.Duration // timeout connect; 0 means the probe's interval
	opt     Options

	mu     sync.Mutex
	cancel context.CancelFunc
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
	for _, s := range c.b.Servers {
		if s.Config == nil || !s.Config.Check {
			continue
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.run(ctx, s)
		}()
	}
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

// run is one server's check loop.
func (c *Checker) run(ctx context.Context, s *backend.Server) {
	inter, rise, fall := params(s.Config)
	t := time.NewTimer(rand.N(inter)) // spread first probes
	defer t.Stop()
	ok, bad := 0, 0 // consecutive successes and failures
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.State() != backend.Maint {
			reason, err := c.probe(ctx, s.Addr, inter)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				ok, bad = ok+1, 0
				if !s.Healthy() && ok >= rise {
					c.set(s, true, reason)
				}
			} else {
				ok, bad = 0, bad+1
				if s.Healthy() && bad >= fall {
					c.set(s, false, err.Error())
				}
			}
		}
		t.Reset(inter)
	}
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
	network, address := sockaddr.DialArgs(addr)
	conn, err := d.DialContext(dctx, network, address)
	if err != nil {
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
