package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"time"

	"baton/internal/cache"
	"baton/internal/counters"
	"baton/internal/listener"
	"baton/internal/sticktable"
)

// Engine is what a worker needs from the data path (proxy.Engine has it).
type Engine interface {
	// Serve accepts on ln for the frontend bound to addr until
	// StopAccepting, then returns nil.
	Serve(addr string, ln net.Listener) error
	// StopAccepting returns once no accept loop can accept again.
	StopAccepting()
	// SoftStop starts draining; Done is closed when no connection remains.
	SoftStop(idleWindow time.Duration)
	Done() <-chan struct{}
	// Close closes every connection at once.
	Close()
	// Conns is the number of live client connections.
	Conns() int
}

// LogCloser is implemented by engines whose log lines are written
// asynchronously: CloseLogs writes what is queued (bounded in time) before
// the worker exits.
type LogCloser interface {
	CloseLogs()
}

// Info describes the generation an Engine is built for.
type Info struct {
	Generation int
	PID        int
	// Log receives the engine's access and event lines (the process's
	// stdout).
	Log io.Writer
	// Assets are the files the configuration names, as the master read
	// them (certificates, keys, ...).
	Assets []File
	// TicketKeys are the master's TLS session ticket keys.
	TicketKeys [][32]byte
	// Counters is where the generation counts (package counters); nil
	// when the master passed no segment.
	Counters *counters.View
	// Tables are the stick tables in the master's shared segment; nil
	// when the master passed none (the engine then keeps its own).
	Tables *sticktable.Tables
	// Caches are the cache sections' stores in the master's shared
	// segments, by name; a cache missing here lives in the engine's own
	// memory.
	Caches map[string]*cache.Store
	// State is the run-time state the master kept from earlier
	// generations, by kind (see Message.State).
	State map[string]json.RawMessage
	// Publish sends the engine's state of one kind to the master, for
	// the next generation; it may block briefly and must not be called
	// from the data path.
	Publish func(kind string, data []byte)
}

// Factory builds an engine from the configuration files the master
// validated. Its error (e.g. file:line problems) is reported to the master.
type Factory func(files []File, info Info) (Engine, error)

// Commander is implemented by engines that answer runtime API commands
// forwarded from the master CLI ("@1 show stat").
type Commander interface {
	Command(line string) string
}

// ControlFD is the descriptor of the control channel in a worker; the
// listeners follow it, in the order of the start message's names.
const ControlFD = 3

// Options configure Run.
type Options struct {
	// Control is the worker's end of the control channel.
	Control net.Conn
	// Listener returns the inherited descriptor at index i (0-based, in
	// the start message's order); nil means ControlFD+1+i of this process.
	Listener func(i int) *os.File
	// HandOff returns the inherited hand-over channel, which follows the
	// n listeners when the start message says so; nil means descriptor
	// ControlFD+1+n of this process.
	HandOff func(n int) *os.File
	// Descriptors is a spare worker's descriptor channel (spare.go): a
	// start message with Passed > 0 finds its listeners, hand-over
	// channel and segments there. nil means they are inherited.
	Descriptors *net.UnixConn
	NewEngine   Factory
	// Log receives event lines; nil means os.Stderr.
	Log io.Writer
	// AccessLog is passed to the engine; nil means os.Stdout.
	AccessLog io.Writer
}

// Main is the worker process's entry point (the hidden "__worker"
// sub-command): it serves the control channel on ControlFD and returns the
// exit status.
func Main(newEngine Factory) int {
	// The master decides when this process stops: a Ctrl-C reaching the
	// whole process group, or a reload signal sent to it, must not kill a
	// generation behind the master's back.
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	f := os.NewFile(ControlFD, "control")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "baton[%d] worker: control channel on fd %d: %v\n", os.Getpid(), ControlFD, err)
		return 1
	}
	opt := Options{Control: conn, NewEngine: newEngine}
	if os.Getenv(SpareEnv) == "1" {
		os.Unsetenv(SpareEnv) // not for the engine's env() fetches
		if opt.Descriptors, err = descriptorChannel(); err != nil {
			fmt.Fprintf(os.Stderr, "baton[%d] worker: %v\n", os.Getpid(), err)
			return 1
		}
	}
	if err := Run(opt); err != nil {
		fmt.Fprintf(os.Stderr, "baton[%d] worker: %v\n", os.Getpid(), err)
		return 1
	}
	return 0
}

// Run serves the control channel until the generation has finished: its
// engine drained after a soft stop, it was closed, or it never started.
func Run(opt Options) error {
	w := &worker{opt: opt, pid: os.Getpid(), log: opt.Log, ctl: opt.Control, sweepStop: make(chan struct{})}
	if w.log == nil {
		w.log = os.Stderr
	}
	if w.opt.AccessLog == nil {
		w.opt.AccessLog = os.Stdout
	}
	if w.opt.Listener == nil {
		w.opt.Listener = func(i int) *os.File {
			return os.NewFile(uintptr(ControlFD+1+i), fmt.Sprintf("listener-%d", i))
		}
	}
	if w.opt.HandOff == nil {
		w.opt.HandOff = func(n int) *os.File {
			return os.NewFile(uintptr(ControlFD+1+n), "hand-over")
		}
	}
	defer w.ctl.Close()
	defer func() {
		w.stopSweeps()
		if w.handoff != nil {
			w.handoff.close()
		}
		// The last log lines (a drain's final requests, "Proxy X
		// stopped") are written before the process exits.
		if l, ok := w.engine.(LogCloser); ok {
			l.CloseLogs()
		}
	}()
	return w.run()
}

type worker struct {
	opt Options
	pid int
	gen int
	log io.Writer
	ctl net.Conn

	wmu       sync.Mutex // serialises replies
	engine    Engine
	listeners map[string]net.Listener
	serving   sync.WaitGroup
	state     string // "starting", "serving", "stopped", "draining"

	handoff *handoff // nil without a hand-over channel
	// handedEarly says the idle connections were handed over when the
	// worker stopped accepting (OpStopAccepting with Migrate); moved and
	// kept are how many went and stayed, for the soft stop that follows.
	handedEarly bool
	moved, kept int
	// sweepStop ends the hand-over sweeps of a drain (sweepHandOffs) when
	// the worker is closed or returns.
	sweepStop     chan struct{}
	sweepStopOnce sync.Once
}

func (w *worker) stopSweeps() { w.sweepStopOnce.Do(func() { close(w.sweepStop) }) }

func (w *worker) logf(format string, args ...any) {
	fmt.Fprintf(w.log, "baton[%d] gen=%d worker: %s\n", w.pid, w.gen, fmt.Sprintf(format, args...))
}

func (w *worker) reply(req *Message, r Message) {
	r.Seq, r.Op = req.Seq, OpReply
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if err := WriteMessage(w.ctl, &r); err != nil {
		w.logf("reply to %s: %v", req.Op, err)
	}
}

// run reads requests in order. The engine's Done is watched on another
// goroutine: once the drain completes the worker exits even while the
// master keeps the channel open.
func (w *worker) run() error {
	reqs := make(chan *Message)
	readErr := make(chan error, 1)
	go func() {
		for {
			m, err := ReadMessage(w.ctl)
			if err != nil {
				readErr <- err
				return
			}
			reqs <- m
		}
	}()
	var done <-chan struct{} // the engine's Done, once soft-stopping
	for {
		select {
		case m := <-reqs:
			exit, err := w.handle(m)
			if err != nil {
				return err
			}
			if exit {
				return nil
			}
			if w.state == "draining" && done == nil {
				done = w.engine.Done()
			}
		case <-done:
			w.logf("drained, exiting")
			return nil
		case err := <-readErr:
			return w.orphaned(err)
		}
	}
}

// orphaned handles the loss of the master: finish the work in hand, then
// leave, so that no worker outlives its master for long.
func (w *worker) orphaned(err error) error {
	if w.engine == nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("control channel: %w", err)
	}
	w.logf("master gone (%v): draining, then exiting", err)
	if w.handoff != nil {
		w.handoff.stopAdopting()
	}
	switch w.state {
	case "serving":
		w.stopAccepting()
	case "starting":
		w.closeListeners() // never served: hold no socket open
	}
	if w.state != "draining" {
		w.engine.SoftStop(time.Second)
	}
	// Nobody is left to enforce hard-stop-after: bound the drain here.
	t := time.NewTimer(orphanDrainLimit)
	defer t.Stop()
	select {
	case <-w.engine.Done():
	case <-t.C:
		w.logf("still %d connection(s) after %v without a master: closing them", w.engine.Conns(), orphanDrainLimit)
		w.engine.Close()
	}
	return nil
}

// orphanDrainLimit bounds the drain of a worker whose master is gone.
const orphanDrainLimit = 5 * time.Minute

func (w *worker) handle(m *Message) (exit bool, err error) {
	switch m.Op {
	case OpStart:
		if w.engine != nil {
			w.reply(m, Message{Err: "already started"})
			return false, nil
		}
		if err := w.start(m); err != nil {
			w.reply(m, Message{Err: err.Error()})
			return true, nil
		}
		w.state = "starting"
		w.logf("ready on %d listener(s)", len(w.listeners))
		w.reply(m, Message{})
	case OpServe:
		if w.engine == nil || w.state != "starting" {
			w.reply(m, Message{Err: "serve: not in starting state"})
			return false, nil
		}
		w.serve()
		w.reply(m, Message{})
	case OpStopAccepting:
		if w.engine != nil && w.state == "serving" {
			w.stopAccepting()
			if m.Migrate {
				// A successor is about to serve: reply now (the master
				// waits for it before starting the successor), then
				// begin the soft stop and its hand-over at once.
				w.reply(m, Message{})
				w.moved, w.kept = w.migrate(false)
				w.handedEarly = true
				return false, nil
			}
		}
		w.reply(m, Message{})
	case OpSoftStop:
		if w.engine == nil {
			w.reply(m, Message{})
			return true, nil
		}
		moved := 0
		if w.state == "serving" {
			w.stopAccepting()
		}
		if w.state == "starting" {
			// Never served: the inherited descriptors are all it holds.
			w.closeListeners()
		}
		if w.state != "draining" {
			moved = w.softStop(m.Window, m.Migrate)
		}
		w.reply(m, Message{Conns: w.engine.Conns(), Moved: moved})
	case OpClose:
		w.stopSweeps()
		if w.handoff != nil {
			w.handoff.stopAdopting()
		}
		if w.engine != nil {
			if w.state == "serving" {
				w.stopAccepting()
			}
			w.closeListeners()
			n := w.engine.Conns()
			w.engine.Close()
			w.logf("hard stop: closed %d connection(s)", n)
		}
		w.reply(m, Message{})
		return true, nil
	case OpStatus:
		r := Message{Output: w.state}
		if w.engine != nil {
			r.Conns = w.engine.Conns()
		}
		w.reply(m, r)
	case OpTicketKeys:
		w.reply(m, Message{Err: w.setTicketKeys(m.TicketKeys)})
	case OpCommand:
		w.reply(m, Message{Output: w.command(m)})
	default:
		w.reply(m, Message{Err: fmt.Sprintf("unknown op %q", m.Op)})
	}
	return false, nil
}

func (w *worker) start(m *Message) error {
	w.gen = m.Generation
	if m.Passed > 0 {
		if err := w.receivePassed(m); err != nil {
			return err
		}
	}
	files := make([]*os.File, len(m.Listeners))
	for i := range files {
		files[i] = w.opt.Listener(i)
		if files[i] == nil {
			return fmt.Errorf("listener %s: no descriptor %d", m.Listeners[i], i)
		}
	}
	lns, err := listener.Inherit(m.Listeners, files)
	if err != nil {
		return err
	}
	keys, err := decodeTicketKeys(m.TicketKeys)
	if err != nil {
		for _, ln := range lns {
			ln.Close()
		}
		return err
	}
	eng, err := w.opt.NewEngine(m.Files, Info{Generation: m.Generation, PID: w.pid, Log: w.opt.AccessLog,
		Assets: m.Assets, TicketKeys: keys, State: m.State, Publish: w.publish, Counters: w.openCounters(m.Counters), Tables: w.openTables(m.Tables), Caches: w.openCaches(m.Caches)})
	if err != nil {
		for _, ln := range lns {
			ln.Close()
		}
		return err
	}
	w.engine, w.listeners = eng, lns
	if m.HandOff {
		h, err := w.openHandOff(len(m.Listeners))
		if err != nil {
			// Without the channel this generation only soft-stops: a
			// missing hand-over costs migration, never service.
			w.logf("%v: connections will not migrate", err)
		} else {
			w.handoff = h
			h.offerRelays()
			go h.read()
		}
	}
	return nil
}

// softStop drains the engine, first handing its idle connections to the
// serving generation when migrate says one serves; it returns how many
// moved.
func (w *worker) softStop(window time.Duration, migrate bool) (moved int) {
	w.state = "draining"
	if w.handoff != nil {
		w.handoff.stopAdopting()
	}
	kept := 0
	switch {
	case w.handedEarly:
		moved, kept = w.moved, w.kept
		w.handedEarly = false
	case migrate:
		moved, kept = w.migrate(false)
	}
	if _, ok := w.engine.(Migrator); ok && migrate && kept == 0 && w.handoff != nil {
		// The hand-over drains the engine (see sweepHandOffs); a soft
		// stop comes only if a connection must stay.
		go w.sweepHandOffs(w.sweepStop, window)
	} else {
		w.engine.SoftStop(window)
	}
	w.logf("soft stop: draining %d connection(s)", w.engine.Conns())
	return moved
}

// publish sends state of one kind to the master (OpPublish, no reply).
func (w *worker) publish(kind string, data []byte) {
	m := &Message{Op: OpPublish, State: map[string]json.RawMessage{kind: data}}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if err := WriteMessage(w.ctl, m); err != nil && !errors.Is(err, net.ErrClosed) {
		// (Closed: the generation is ending; nobody needs it anymore.)
		w.logf("publish %s state: %v", kind, err)
	}
}

func (w *worker) serve() {
	names := make([]string, 0, len(w.listeners))
	for n := range w.listeners {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ln := w.listeners[name]
		w.serving.Add(1)
		go func() {
			defer w.serving.Done()
			if err := w.engine.Serve(name, ln); err != nil {
				w.logf("serve %s: %v", name, err)
			}
		}()
	}
	w.state = "serving"
	if w.handoff != nil {
		w.handoff.startAdopting()
	}
	w.logf("serving %v", names)
}

// stopAccepting returns once no accept can happen: the engine has stopped
// every accept loop, every Serve has returned, and this process's
// descriptors of the shared sockets are closed.
func (w *worker) stopAccepting() {
	// A generation that stopped accepting never serves again: it adopts
	// nothing more either (what arrives is acked with Retry and goes on
	// to its successor), so that no connection lands in an engine about
	// to drain.
	if w.handoff != nil {
		w.handoff.stopAdopting()
	}
	w.engine.StopAccepting()
	w.serving.Wait()
	w.closeListeners()
	w.state = "stopped"
	w.logf("stopped accepting")
}

func (w *worker) closeListeners() {
	for _, ln := range w.listeners {
		ln.Close() // already closed by the engine when it served on it
	}
}
