// Package workertest provides a small Engine for testing the process model
// without the proxy: each accepted connection gets one greeting line naming
// the generation, the process and the configuration's label, and stays open
// until the client closes it (or the engine is closed).
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
//	error TEXT           makes the configuration invalid
type Config struct {
	Binds         []string
	Label         string
	HardStopAfter time.Duration
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
	return New(fmt.Sprintf("gen=%d pid=%d label=%s", info.Generation, info.PID, c.Label)), nil
}

// Engine greets and holds connections.
type Engine struct {
	greeting string
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	mu       sync.Mutex
	lns      []net.Listener
	conns    map[net.Conn]struct{}
	soft     bool
	closed   bool
	doneOnce sync.Once
	accepts  sync.WaitGroup
}

// New returns an engine writing greeting+"\n" to each connection.
func New(greeting string) *Engine {
	return &Engine{greeting: greeting, stop: make(chan struct{}), done: make(chan struct{}), conns: make(map[net.Conn]struct{})}
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
		e.conns[c] = struct{}{}
		e.mu.Unlock()
		go e.handle(c)
	}
}

func (e *Engine) handle(c net.Conn) {
	io.WriteString(c, e.greeting+"\n")
	io.Copy(io.Discard, c) // until the client (or Close) ends it
	c.Close()
	e.mu.Lock()
	delete(e.conns, c)
	e.checkDone()
	e.mu.Unlock()
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
