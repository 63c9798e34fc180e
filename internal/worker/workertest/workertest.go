// Package workertest provides a small Engine for testing the process model
// without the proxy: each accepted connection gets one greeting line naming
// the generation, the process and the configuration's label, then the same
// line again for every line the client sends (a toy request/response), and
// stays open until the client closes it (or the engine is closed).
//
// With the "migrate" directive the engine is a worker.Migrator: between two
// lines a connection is idle, and HandOff hands it over (real descriptors,
// real loopback connections) to the next generation, which answers its
// following lines with its own greeting.
package workertest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"baton/internal/worker"
)

// Config is the toy configuration language understood by Parse, one
// directive per line:
//
//	bind ADDR            a listening address
//	label TEXT           written in greetings
//	hard-stop-after DUR  bound on a draining generation
//	migrate              the engine hands idle connections over
//	error TEXT           makes the configuration invalid
type Config struct {
	Binds         []string
	Label         string
	HardStopAfter time.Duration
	Migrate       bool
}

// Parse reads the toy configuration from files; every "error" line and
// unknown directive is reported as "file:line: ..." .
func Parse(files []worker.File) (*Config, error) {
	c := &Config{}
	var errs []string
	for _, f := range files {
		sc := bufio.NewScanner(bytes.NewReader(f.Data))
		for line := 1; sc.Scan(); line++ {
			fields := strings.Fields(sc.Text())
			if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
				continue
			}
			arg := strings.Join(fields[1:], " ")
			switch fields[0] {
			case "bind":
				c.Binds = append(c.Binds, arg)
			case "label":
				c.Label = arg
			case "hard-stop-after":
				d, err := time.ParseDuration(arg)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s:%d: %v", f.Name, line, err))
				}
				c.HardStopAfter = d
			case "migrate":
				c.Migrate = true
			case "error":
				errs = append(errs, fmt.Sprintf("%s:%d: %s", f.Name, line, arg))
			default:
				errs = append(errs, fmt.Sprintf("%s:%d: unknown keyword '%s'", f.Name, line, fields[0]))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return c, nil
}

// Factory is a worker.Factory building an Engine from the toy language.
func Factory(files []worker.File, info worker.Info) (worker.Engine, error) {
	c, err := Parse(files)
	if err != nil {
		return nil, err
	}
	e := New(fmt.Sprintf("gen=%d pid=%d label=%s", info.Generation, info.PID, c.Label))
	if c.Migrate {
		return e, nil
	}
	return plain{e}, nil
}

// plain hides the Engine's Migrator methods: only the worker.Engine
// interface's methods are promoted.
type plain struct{ worker.Engine }

// Engine greets and holds connections.
type Engine struct {
	greeting string
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	mu       sync.Mutex
	lns      []net.Listener
	conns    map[net.Conn]*conn
	soft     bool
	closed   bool
	doneOnce sync.Once
	accepts  sync.WaitGroup
}

// conn is one client connection; handing is set (under Engine.mu) while
// HandOff waits for it.
type conn struct {
	c       net.Conn
	bind    string
	send    func(bind string, c *net.TCPConn, buffered []byte) error
	handing *sync.WaitGroup
}

// New returns an engine writing greeting+"\n" to each connection.
func New(greeting string) *Engine {
	return &Engine{greeting: greeting, stop: make(chan struct{}), done: make(chan struct{}), conns: make(map[net.Conn]*conn)}
}

func (e *Engine) Serve(addr string, ln net.Listener) error {
	e.mu.Lock()
	select {
	case <-e.stop:
		e.mu.Unlock()
		ln.Close()
		return nil
	default:
	}
	e.lns = append(e.lns, ln)
	e.accepts.Add(1)
	e.mu.Unlock()
	defer e.accepts.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-e.stop:
				return nil
			default:
				return err
			}
		}
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			c.Close()
			continue
		}
		cc := &conn{c: c, bind: addr}
		e.conns[c] = cc
		e.mu.Unlock()
		go e.handle(cc, true, nil)
	}
}

// handle answers each line with the greeting. A read that times out is
// HandOff's signal: the connection, with the part of a line read so far,
// goes to send; if that fails it is served on here.
func (e *Engine) handle(cc *conn, greet bool, buffered []byte) {
	c := cc.c
	if greet {
		io.WriteString(c, e.greeting+"\n")
	}
	r := bufio.NewReader(io.MultiReader(bytes.NewReader(buffered), c))
	var partial []byte
	for {
		line, err := r.ReadBytes('\n')
		partial = append(partial, line...)
		if err == nil {
			partial = partial[:0]
			if _, err := io.WriteString(c, e.greeting+"\n"); err != nil {
				break
			}
			continue
		}
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			break // the client closed, or Close did
		}
		e.mu.Lock()
		send, wg := cc.send, cc.handing
		cc.send, cc.handing = nil, nil
		e.mu.Unlock()
		if send == nil {
			continue
		}
		tcp, ok := c.(*net.TCPConn)
		sent := false
		if ok {
			rest, _ := r.Peek(r.Buffered())
			sent = send(cc.bind, tcp, append(partial, rest...)) == nil
		}
		if sent {
			// The socket lives on in the next generation: closing this
			// descriptor sends nothing to the client.
			c.Close()
			e.forget(cc)
			wg.Done()
			return
		}
		c.SetReadDeadline(time.Time{})
		wg.Done()
		// A timed-out bufio.Reader keeps its error: go on with a fresh
		// one over what it had buffered.
		rest, _ := r.Peek(r.Buffered())
		r = bufio.NewReader(io.MultiReader(bytes.NewReader(append([]byte(nil), rest...)), c))
	}
	c.Close()
	e.forget(cc)
}

func (e *Engine) forget(cc *conn) {
	e.mu.Lock()
	delete(e.conns, cc.c)
	if cc.handing != nil {
		cc.handing.Done()
		cc.send, cc.handing = nil, nil
	}
	e.checkDone()
	e.mu.Unlock()
}

// HandOff hands every connection over between two lines (see handle) and
// returns once each one moved or stayed. Like SoftStop it makes the engine
// draining: Done fires once no connection is left.
func (e *Engine) HandOff(send func(bind string, c *net.TCPConn, buffered []byte) error) {
	var wg sync.WaitGroup
	e.mu.Lock()
	e.soft = true // draining, as the proxy's HandOff: Done needs no SoftStop
	var parked []net.Conn
	for c, cc := range e.conns {
		if cc.handing != nil {
			continue
		}
		wg.Add(1)
		cc.send, cc.handing = send, &wg
		parked = append(parked, c)
	}
	e.mu.Unlock()
	for _, c := range parked {
		c.SetReadDeadline(time.Unix(1, 0)) // wakes the handler's read
	}
	wg.Wait()
	e.mu.Lock()
	e.checkDone()
	e.mu.Unlock()
}

// Adopt serves a connection the previous generation handed over, without
// a greeting: the client is between two lines.
func (e *Engine) Adopt(bind string, c net.Conn, buffered []byte) error {
	e.mu.Lock()
	if e.closed || e.soft {
		e.mu.Unlock()
		return fmt.Errorf("adopt: engine stopping")
	}
	cc := &conn{c: c, bind: bind}
	e.conns[c] = cc
	e.mu.Unlock()
	go e.handle(cc, false, append([]byte(nil), buffered...))
	return nil
}

func (e *Engine) StopAccepting() {
	e.mu.Lock()
	e.stopOnce.Do(func() { close(e.stop) })
	for _, ln := range e.lns {
		ln.Close()
	}
	e.mu.Unlock()
	e.accepts.Wait()
}

func (e *Engine) SoftStop(time.Duration) {
	e.StopAccepting()
	e.mu.Lock()
	e.soft = true
	e.checkDone()
	e.mu.Unlock()
}

// checkDone must be called with e.mu held.
func (e *Engine) checkDone() {
	if (e.soft || e.closed) && len(e.conns) == 0 {
		e.doneOnce.Do(func() { close(e.done) })
	}
}

func (e *Engine) Done() <-chan struct{} { return e.done }

func (e *Engine) Close() {
	e.StopAccepting()
	e.mu.Lock()
	e.closed = true
	for c := range e.conns {
		c.Close()
	}
	e.checkDone()
	e.mu.Unlock()
}

func (e *Engine) Conns() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.conns)
}
