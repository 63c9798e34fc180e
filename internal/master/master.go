package master

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"baton/internal/counters"
	"baton/internal/listener"
	"baton/internal/settle"
	"baton/internal/sockopt"
	"baton/internal/sticktable"
	"baton/internal/worker"
)

// Defaults for the zero values of Options.
const (
	// DefaultSoftStopWindow is the window over which a draining
	// generation closes its idle keep-alive connections.
	DefaultSoftStopWindow = time.Second
	// DefaultMaxDraining bounds the draining generations; beyond it the
	// oldest is closed hard (HAProxy's mworker-max-reloads, per generation).
	DefaultMaxDraining = 16
	// DefaultStartTimeout bounds a new worker's start (config parsed,
	// engine built).
	DefaultStartTimeout = 30 * time.Second
	// callTimeout bounds every other control request.
	callTimeout = 10 * time.Second
	// handOffTimeout bounds a soft stop that hands connections over
	// first (well beyond the ~0.1 ms per connection it takes).
	handOffTimeout = time.Minute
	// killGrace is how long a hard-stopped worker gets before SIGKILL.
	killGrace = 2 * time.Second
)

// Snapshot is one configuration as the master sees it: the files exactly
// as read and validated (handed to the worker verbatim) and what the master
// itself needs from them.
type Snapshot struct {
	Files []worker.File
	// Binds are the listening addresses (config Bind.Addr), without
	// duplicates.
	Binds []string
	// SockOpts are the bind lines' socket options, by address; absent
	// means none.
	SockOpts map[string]sockopt.Listen
	// UnixFiles are the owner and mode of the UNIX socket files among
	// Binds, by address; the others have none.
	UnixFiles map[string]listener.UnixOptions
	// HardStopAfter bounds a draining generation; 0 means no bound.
	HardStopAfter time.Duration
	// Warnings are reported with the reload result.
	Warnings []string
	// Notices are the configuration's .notice messages, logged and
	// reported with the reload result like warnings.
	Notices []string
	// StatsSockets are served by the master (standalone takeover).
	StatsSockets []StatsSocket
	// Assets are the files the configuration names (certificates, keys,
	// CAs, CRLs, crt-lists), as the master read and checked them; the
	// worker loads these bytes, not the disk.
	Assets []worker.File
	// Stats names the configuration's statistics objects (frontends,
	// backends, servers): the master gives each a slot of the counters
	// segment.
	Stats []counters.Key
	// Tables are the configuration's stick tables: the master gives each
	// a region of the tables' shared segment.
	Tables []*sticktable.Spec
	// Caches are the configuration's cache sections: the master gives
	// each a shared segment (caches.go).
	Caches []worker.CacheRef
}

// Loader reads and validates the configuration at paths. Its error lists
// every problem, one per line, each with its file:line.
type Loader func(paths []string) (*Snapshot, error)

// Options configure a Master.
type Options struct {
	// ConfigPaths are the -f arguments, read again on every reload.
	ConfigPaths []string
	// Load reads and validates the configuration; nil means
	// NewConfigLoader with a settle.Reader of default settings.
	Load Loader
	// Socket is the master CLI's unix socket path; "" means none.
	Socket string
	// PIDFile receives the master's PID; "" means none.
	PIDFile string
	// Log receives the master's event lines; nil means os.Stderr.
	Log io.Writer
	// WorkerCommand returns the command starting a worker; the master adds
	// ExtraFiles (and Stdout/Stderr when unset). nil means this executable
	// with the hidden "__worker" sub-command.
	WorkerCommand func() *exec.Cmd
	// SoftStopWindow is passed to a draining worker; 0 means
	// DefaultSoftStopWindow.
	SoftStopWindow time.Duration
	// MaxDraining bounds the draining generations; 0 means
	// DefaultMaxDraining.
	MaxDraining int
	// StartTimeout bounds a worker's start; 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// Restart spaces out restarts of a crashed worker.
	Restart Backoff
	// Executable is the binary an upgrade re-executes; "" means the one
	// this process was started from (resolved by New, before anyone can
	// replace the file).
	Executable string
	// Args are the arguments an upgrade passes again (without argv[0]).
	Args []string
	// Version is shown by "show proc" and in the upgrade result.
	Version string
	// Takeover is the stats socket of a running Baton whose listening
	// sockets this master takes over at start (-x), before telling it to
	// soft-stop; "" means bind everything.
	Takeover string
	// Spare keeps one worker process started ahead of the next reload
	// (spare.go), so that a reload does not wait for a process to execute
	// and initialise. false means each reload starts its worker.
	Spare bool
}

// Result is the outcome of a reload, as the master CLI prints it.
type Result struct {
	OK       bool
	Messages []string
	// switched is when the new generation began accepting (OK only).
	switched time.Time
}

// String formats r like HAProxy's master CLI: "Success=1" or "Success=0",
// a "--" line, then the messages.
func (r Result) String() string {
	var b strings.Builder
	if r.OK {
		b.WriteString("Success=1\n--\n")
	} else {
		b.WriteString("Success=0\n--\n")
	}
	for _, m := range r.Messages {
		b.WriteString(m)
		b.WriteByte('\n')
	}
	return b.String()
}

// State is a generation's state.
type State string

const (
	StateStarting State = "starting"
	StateServing  State = "serving"
	StateDraining State = "draining"
	StateExited   State = "exited"
)

type generation struct {
	gen     int
	pid     int
	started time.Time
	cmd     *exec.Cmd   // nil for a generation adopted across an upgrade
	proc    *os.Process // the worker process
	version string      // of the binary it runs
	ctlConn net.Conn    // the master's end of the control channel
	ctl     *worker.Client
	handoff *net.UnixConn // the master's end of the hand-over channel
	snap    *Snapshot
	exited  chan struct{}

	// Guarded by Master.mu.
	state    State
	reloads  int  // reloads survived
	expected bool // told to stop: its exit is no crash
	// remote marks the other master of a takeover hand-over: handoff is
	// the channel between the two masters; there is no process or
	// control channel of ours.
	remote bool
	// ctrGroup and ctrSlots are g's part of the counters segment (see
	// counters.go); ctrSlots is nil when g counts nothing.
	ctrGroup int
	ctrSlots map[string]int
	// tables are g's regions of the stick tables' segment (tables.go).
	tables []sticktable.Region
	// caches are g's cache segments (caches.go).
	caches []*cacheSegment
}

// String names g in log lines.
func (g *generation) String() string {
	if g.remote {
		return fmt.Sprintf("takeover peer pid=%d", g.pid)
	}
	return fmt.Sprintf("worker gen=%d pid=%d", g.gen, g.pid)
}

// Master owns the listening sockets and the worker generations.
type Master struct {
	opt     Options
	pid     int
	started time.Time
	reload  *coalescer[Result]
	op      sync.Mutex // serialises reload, restart, stop and upgrade
	// calls is held (read) by control calls that may run beside m.op
	// (show proc, @N) and (write) by an upgrade: no reply may be half
	// read when the process image is replaced.
	calls sync.RWMutex

	mu        sync.Mutex
	listeners map[string]*listener.Listener
	gens      []*generation // live generations, oldest first
	current   *generation   // the serving generation (or the last one)
	snap      *Snapshot     // the last configuration that started
	nextGen   int
	reloads   int
	failed    int
	restarts  int
	upgrades  int
	// upgradedFrom is the previous image's version after an upgrade.
	upgradedFrom string
	stopping     bool
	backoff      Backoff
	cli          net.Listener
	stats        map[string]*statsListener // by path
	relays       map[uint64]relay          // connections on their way, by relay ID
	relayID      uint64
	// switching is set while serve moves the accept role: connections
	// handed over meanwhile are held until the new generation serves.
	switching bool
	held      []relay
	// state is the latest run-time state of each kind the serving (or a
	// newer) generation published; every new generation starts with it.
	state map[string]json.RawMessage
	// onSwitch, if set (tests), runs in serve once the previous
	// generation stopped accepting, before the new one serves.
	onSwitch func()
	// onSpareTaken, if set (tests), runs when a spawn took the spare,
	// with its PID, before anything is passed to it.
	onSpareTaken func(pid int)
	// ctrs allocates the statistics segment; nil without one.
	ctrs *counters.Table
	// tables allocates the stick tables' segment; nil without one.
	tables   *sticktable.Allocator
	done     chan struct{}
	doneOnce sync.Once
	// tickets are the TLS session ticket keys every generation shares
	// (tickets.go).
	tickets ticketKeys
	// spareMu guards spare, the worker started ahead of need (spare.go);
	// an upgrade holds it across the exec so that no spare starts then.
	spareMu sync.Mutex
	spare   *spare
	// caches are the cache sections' segments (caches.go).
	caches cacheSegments
}

// New returns a master; Start starts it.
func New(opt Options) *Master {
	if opt.Load == nil {
		opt.Load = NewConfigLoader(&settle.Reader{})
	}
	if opt.Log == nil {
		opt.Log = os.Stderr
	}
	if opt.SoftStopWindow <= 0 {
		opt.SoftStopWindow = DefaultSoftStopWindow
	}
	if opt.MaxDraining <= 0 {
		opt.MaxDraining = DefaultMaxDraining
	}
	if opt.StartTimeout <= 0 {
		opt.StartTimeout = DefaultStartTimeout
	}
	if opt.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			exe = os.Args[0]
		}
		opt.Executable = exe
	}
	if opt.WorkerCommand == nil {
		opt.WorkerCommand = func() *exec.Cmd {
			// This very image, even if the file was replaced since: a
			// reload keeps the binary, only an upgrade changes it.
			cmd := exec.Command("/proc/self/exe", "__worker")
			if _, err := os.Stat(cmd.Path); err != nil {
				cmd = exec.Command(opt.Executable, "__worker")
			}
			cmd.Args[0] = opt.Executable
			return cmd
		}
	}
	m := &Master{opt: opt, pid: os.Getpid(), listeners: make(map[string]*listener.Listener),
		stats:  make(map[string]*statsListener),
		relays: make(map[uint64]relay), done: make(chan struct{}), backoff: opt.Restart}
	m.reload = newCoalescer(m.doReload)
	return m
}

func (m *Master) logf(format string, args ...any) {
	m.mu.Lock()
	gen := 0
	if m.current != nil {
		gen = m.current.gen
		if m.current.remote {
			gen = m.nextGen // the last generation of ours
		}
	}
	m.mu.Unlock()
	fmt.Fprintf(m.opt.Log, "baton[%d] gen=%d master: %s\n", m.pid, gen, fmt.Sprintf(format, args...))
}

// Start reads the configuration, binds, starts generation 1 and the master
// CLI. On error nothing is left running.
func (m *Master) Start() error {
	if env, ok := os.LookupEnv(UpgradeEnv); ok {
		os.Unsetenv(UpgradeEnv) // not for the workers
		return m.startUpgraded(env)
	}
	m.op.Lock()
	defer m.op.Unlock()
	m.started = time.Now()
	m.openCounters()
	m.openTables()
	snap, err := m.opt.Load(m.opt.ConfigPaths)
	if err != nil {
		return err
	}
	for _, w := range snap.Warnings {
		m.logf("warning: %s", w)
	}
	for _, n := range snap.Notices {
		m.logf("notice: %s", n)
	}
	// The CLI opens first: once a port is bound, connections queue and
	// callers may already look at "show proc".
	if m.opt.Socket != "" {
		if err := m.listenCLI(); err != nil {
			return err
		}
	}
	if m.opt.Takeover != "" {
		if err := m.adoptListeners(m.opt.Takeover); err != nil {
			m.closeCLI()
			return err
		}
		m.adoptTicketKeys(m.opt.Takeover)
	}
	if _, err := m.bind(snap); err != nil {
		m.closeAllListeners()
		m.closeCLI()
		return err
	}
	g, err := m.spawn(snap)
	var prev *takeoverPeer // a takeover's previous process, stopped accepting
	if err == nil && m.opt.Takeover != "" {
		var herr error
		if prev, herr = beginHandOver(m.opt.Takeover); herr != nil {
			m.logf("takeover: %v: the previous process will be soft-stopped instead", herr)
		}
	}
	if err == nil {
		err = m.serve(g)
	}
	handedOver := false
	if prev != nil {
		handedOver = m.finishHandOver(prev, err == nil)
	}
	if err != nil {
		m.closeAllListeners()
		m.closeCLI()
		return err
	}
	if m.opt.PIDFile != "" {
		if err := os.WriteFile(m.opt.PIDFile, fmt.Appendf(nil, "%d\n", m.pid), 0o644); err != nil {
			m.logf("pid file: %v", err)
		}
	}
	m.logf("started: worker gen=%d pid=%d serving %v", g.gen, g.pid, snap.Binds)
	if m.opt.Takeover != "" {
		m.closeUnused(snap.Binds)
	}
	if handedOver {
		m.logf("takeover: %s: previous pid %d stopped accepting before this one started, and hands its connections over", m.opt.Takeover, prev.pid)
	} else if m.opt.Takeover != "" {
		// Both processes accept from the same sockets now: the old one
		// can stop; queued connections stay in the shared queue.
		if out, err := softStopPrevious(m.opt.Takeover); err != nil {
			m.logf("takeover: telling the previous process to soft-stop: %v", err)
		} else {
			m.logf("takeover: %s: %s", m.opt.Takeover, out)
		}
	}
	m.reconcileStats(snap.StatsSockets)
	m.startTicketRotation()
	m.notify("READY=1")
	return nil
}

// startUpgraded is Start in the image an upgrade executed.
func (m *Master) startUpgraded(env string) error {
	m.op.Lock()
	reply, err := m.resume(env)
	if err != nil {
		m.logf("%v", err)
	}
	if m.opt.Socket != "" {
		if err := m.listenCLI(); err != nil {
			m.logf("%v", err)
		}
	}
	m.op.Unlock()
	m.logf("upgrade: version %s resumed pid %d with %d listener(s) and %d worker(s)", m.opt.Version, m.pid, len(m.listeners), len(m.gens))
	m.startTicketRotation()
	m.finishUpgrade(reply)
	if m.serving() == nil {
		m.Stop(false)
		return errors.New("upgrade: no generation serves")
	}
	go m.refillSpare()
	m.notify("READY=1")
	return nil
}

func (m *Master) notify(state string) {
	if err := sdNotify(state); err != nil {
		m.logf("%v", err)
	}
}

// Addr returns the address actually bound for a configuration address
// (useful with kernel-picked ports), or nil.
func (m *Master) Addr(name string) net.Addr {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l := m.listeners[name]; l != nil {
		return l.Addr()
	}
	return nil
}

// Done is closed once the master has stopped and every worker has exited.
func (m *Master) Done() <-chan struct{} { return m.done }

// Reload re-reads the configuration and replaces the serving generation.
// Concurrent calls are coalesced; each gets the result of a reload that
// started after it asked.
func (m *Master) Reload() Result { return m.reload.Do() }

func (m *Master) doReload() Result {
	m.op.Lock()
	defer m.op.Unlock()
	m.mu.Lock()
	stopping := m.stopping
	m.mu.Unlock()
	if stopping {
		return Result{Messages: []string{"reload refused: baton is stopping"}}
	}
	m.notify(notifyReloading())
	defer m.notify("READY=1")
	began := time.Now()
	res := m.replace()
	m.mu.Lock()
	if res.OK {
		m.reloads++
	} else {
		m.failed++
	}
	m.mu.Unlock()
	m.publishReload(res.OK)
	m.publishGenerations()
	if res.OK {
		m.logf("reload: success (the new generation accepted %v after the reload began)", res.switched.Sub(began).Round(10*time.Microsecond))
	} else {
		m.logf("reload failed, still serving the previous configuration: %s", strings.Join(res.Messages, "; "))
	}
	return res
}

func fail(err error, msgs ...string) Result {
	return Result{Messages: append(msgs, strings.Split(strings.TrimRight(err.Error(), "\n"), "\n")...)}
}

// replace runs the reload sequence; m.op is held.
func (m *Master) replace() Result {
	snap, err := m.opt.Load(m.opt.ConfigPaths)
	if err != nil {
		return fail(err)
	}
	msgs := append(append([]string(nil), snap.Warnings...), snap.Notices...)
	fresh, err := m.bind(snap)
	if err != nil {
		return fail(err, msgs...)
	}
	g, err := m.spawn(snap)
	if err != nil {
		m.closeListeners(fresh)
		return fail(err, msgs...)
	}
	old := m.serving()
	if err := m.serveMigrating(g); err != nil {
		// The old generation may have stopped accepting already: a fresh
		// worker with its configuration takes the accept role back.
		m.hardStop(g, "failed to serve")
		m.closeListeners(fresh)
		if old != nil {
			if err2 := m.serveAgain(old); err2 != nil {
				m.logf("putting the previous configuration back: %v", err2)
			}
			m.drain(old)
		}
		return fail(err, msgs...)
	}
	switched := time.Now()
	if old != nil {
		m.drain(old)
	}
	m.mu.Lock()
	for _, o := range m.gens {
		if o != g {
			o.reloads++
		}
	}
	m.mu.Unlock()
	m.closeUnused(snap.Binds)
	m.reconcileStats(snap.StatsSockets)
	m.boundDraining()
	msgs = append(msgs, fmt.Sprintf("worker gen=%d pid=%d serving %v", g.gen, g.pid, snap.Binds))
	return Result{OK: true, Messages: msgs, switched: switched}
}

// serving returns the generation that accepts now, if any.
func (m *Master) serving() *generation {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.current != nil && m.current.state == StateServing {
		return m.current
	}
	return nil
}

// bind opens the listeners of snap that are not open yet, with their
// socket options, and returns those; listeners open already get their
// changeable options again. On error the new ones are closed again.
func (m *Master) bind(snap *Snapshot) ([]string, error) {
	var fresh []string
	for _, n := range snap.Binds {
		m.mu.Lock()
		old, ok := m.listeners[n]
		m.mu.Unlock()
		if ok {
			if err := old.Reapply(snap.SockOpts[n]); err != nil {
				m.closeListeners(fresh)
				return nil, err
			}
			continue
		}
		l, err := listener.ListenOptions(n, snap.UnixFiles[n], snap.SockOpts[n])
		if err != nil {
			m.closeListeners(fresh)
			return nil, err
		}
		m.mu.Lock()
		m.listeners[n] = l
		m.mu.Unlock()
		fresh = append(fresh, n)
	}
	return fresh, nil
}

func (m *Master) closeListeners(names []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		if l := m.listeners[n]; l != nil {
			l.Close()
			delete(m.listeners, n)
		}
	}
}

func (m *Master) closeAllListeners() {
	m.mu.Lock()
	var names []string
	for n := range m.listeners {
		names = append(names, n)
	}
	m.mu.Unlock()
	m.closeListeners(names)
}

// closeUnused closes listeners the configuration in use dropped.
func (m *Master) closeUnused(keep []string) {
	m.mu.Lock()
	var drop []string
	for n := range m.listeners {
		if !slices.Contains(keep, n) {
			drop = append(drop, n)
		}
	}
	m.mu.Unlock()
	if len(drop) > 0 {
		sort.Strings(drop)
		m.logf("closing listeners no longer configured: %v", drop)
		m.closeListeners(drop)
	}
}

// spawn starts a worker for snap and waits until it is ready to accept.
func (m *Master) spawn(snap *Snapshot) (*generation, error) {
	defer func() { go m.refillSpare() }()
	sp := m.takeSpare()
	if sp != nil && m.onSpareTaken != nil {
		m.onSpareTaken(sp.cmd.Process.Pid)
	}
	var conn net.Conn
	var theirs *os.File // the worker's end of the control channel; nil with a spare
	if sp != nil {
		conn = sp.conn
	} else {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("control socketpair: %w", err)
		}
		theirs = os.NewFile(uintptr(fds[1]), "control")
		if conn, err = fileConn(fds[0], "control"); err != nil {
			theirs.Close()
			return nil, err
		}
	}
	// closeTheirs drops the master's copies of what only the worker keeps.
	closeTheirs := func() {
		if theirs != nil {
			theirs.Close()
		}
	}
	hand, theirHand, err := handOffChannel()
	if err != nil {
		conn.Close()
		closeTheirs()
		sp.discard()
		return nil, err
	}
	// files are the worker's descriptors from ControlFD on, in the order
	// the start message refers to them (worker.ControlFD+i).
	files := []*os.File{theirs}
	m.mu.Lock()
	for _, n := range snap.Binds {
		files = append(files, m.listeners[n].File())
	}
	// The hand-over channel follows the listeners (worker.Options.HandOff).
	files = append(files, theirHand)
	m.nextGen++
	gen := m.nextGen
	m.mu.Unlock()
	g := &generation{gen: gen}
	// The statistics segment comes next, at the descriptor the start
	// message names.
	ctr := m.attachCounters(g, snap, worker.ControlFD+len(files))
	if ctr != nil {
		files = append(files, m.counterFile())
	}
	tables := m.attachTables(g, snap, worker.ControlFD+len(files))
	if tables != nil {
		files = append(files, m.tables.File())
	}
	var caches []worker.CacheRef
	files, caches = m.attachCaches(g, snap, files, worker.ControlFD)
	var cmd *exec.Cmd
	passed := 0
	if sp != nil {
		cmd, passed = sp.cmd, len(files)-1
		err = sp.pass(files[1:])
	} else {
		cmd = m.opt.WorkerCommand()
		cmd.ExtraFiles = files
		if cmd.Stdout == nil {
			cmd.Stdout = os.Stdout
		}
		if cmd.Stderr == nil {
			cmd.Stderr = os.Stderr
		}
		err = cmd.Start()
	}
	closeTheirs()
	theirHand.Close()
	if err != nil {
		conn.Close()
		hand.Close()
		sp.discard() // it has its files, or half of them
		m.releaseCounters(g)
		m.releaseTables(g)
		m.releaseCaches(g)
		if sp != nil {
			m.logf("spare worker pid=%d: %v: starting a worker instead", sp.cmd.Process.Pid, err)
			return m.spawn(snap)
		}
		return nil, fmt.Errorf("start worker: %w", err)
	}
	g.pid, g.started, g.cmd, g.proc = cmd.Process.Pid, time.Now(), cmd, cmd.Process
	g.version, g.ctlConn, g.handoff, g.snap = m.opt.Version, conn, hand, snap
	g.exited, g.state = make(chan struct{}), StateStarting
	g.ctl = worker.NewClientPublish(conn, m.keepState(g))
	m.mu.Lock()
	m.gens = append(m.gens, g)
	m.mu.Unlock()
	go m.wait(g)
	go m.relay(g)
	_, err = g.ctl.Call(&worker.Message{Op: worker.OpStart, Generation: gen, Listeners: snap.Binds, Files: snap.Files, HandOff: true, Passed: passed,
		Assets: snap.Assets, TicketKeys: m.encodedTicketKeys(), State: m.keptState(), Counters: ctr, Tables: tables, Caches: caches}, m.opt.StartTimeout)
	if err != nil {
		m.hardStop(g, "failed to start")
		<-g.exited
		if sp != nil && errors.Is(err, worker.ErrClosed) {
			// The spare died without answering, whatever the
			// configuration would have said: an executed worker
			// starts it instead (takeSpare finds no other spare: the
			// next one starts after this spawn returns).
			m.logf("spare worker pid=%d ended before it answered its start: starting a worker instead", g.pid)
			return m.spawn(snap)
		}
		return nil, fmt.Errorf("worker gen=%d pid=%d: %w", gen, g.pid, errors.Unwrap(err))
	}
	return g, nil
}

// serve hands the accept role to g: the serving generation, if any, stops
// accepting first and acknowledges, then g starts. The kernel's accept
// queue holds connections meanwhile; none can reach the old generation
// once g accepts.
func (m *Master) serve(g *generation) error { return m.switchTo(g, false) }

// serveMigrating is serve for a reload: the old generation, as it stops
// accepting, also begins handing its idle connections over (they wait in
// the master, held, until g serves), so that no request reaches it on a
// kept-alive connection between g's start and the drain that follows.
func (m *Master) serveMigrating(g *generation) error { return m.switchTo(g, true) }

func (m *Master) switchTo(g *generation, migrate bool) error {
	m.mu.Lock()
	m.switching = true
	m.mu.Unlock()
	defer m.releaseHeld()
	if old := m.serving(); old != nil {
		stop := &worker.Message{Op: worker.OpStopAccepting}
		stop.Migrate = migrate
		if _, err := old.ctl.Call(stop, callTimeout); err != nil {
			// It cannot be trusted not to accept: make sure it cannot.
			m.logf("worker gen=%d pid=%d did not stop accepting (%v): killing it", old.gen, old.pid, err)
			m.kill(old)
		}
		m.mu.Lock()
		if old.state == StateServing {
			old.state = StateDraining
		}
		m.mu.Unlock()
	}
	if m.onSwitch != nil {
		m.onSwitch()
	}
	if _, err := g.ctl.Call(&worker.Message{Op: worker.OpServe}, callTimeout); err != nil {
		return fmt.Errorf("worker gen=%d pid=%d: %w", g.gen, g.pid, err)
	}
	m.mu.Lock()
	g.state = StateServing
	m.current = g
	m.snap = g.snap
	m.mu.Unlock()
	m.publishGenerations()
	return nil
}

// serveAgain starts a fresh worker with old's configuration, after old's
// successor failed to serve (an engine cannot restart its accept loops).
func (m *Master) serveAgain(old *generation) error {
	g, err := m.spawn(old.snap)
	if err != nil {
		return err
	}
	return m.serve(g)
}

// drain soft-stops g (which no longer accepts), bounded by hard-stop-after.
// When another generation serves, g first hands its idle keep-alive
// connections over to it.
func (m *Master) drain(g *generation) {
	m.mu.Lock()
	g.expected = true
	g.state = StateDraining
	migrate := m.current != nil && m.current != g && m.current.state == StateServing
	m.mu.Unlock()
	timeout := callTimeout
	if migrate {
		// The reply waits for the hand-over: one round trip per idle
		// connection. Timing out would close connections hard.
		timeout = handOffTimeout
	}
	r, err := g.ctl.Call(&worker.Message{Op: worker.OpSoftStop, Window: m.opt.SoftStopWindow, Migrate: migrate}, timeout)
	if err != nil {
		if !errors.Is(err, worker.ErrClosed) {
			m.logf("worker gen=%d pid=%d soft stop: %v", g.gen, g.pid, err)
			m.hardStop(g, "soft stop failed")
		}
		return
	}
	if migrate {
		m.logf("worker gen=%d pid=%d handed %d connection(s) over, draining %d", g.gen, g.pid, r.Moved, r.Conns)
	} else {
		m.logf("worker gen=%d pid=%d draining %d connection(s)", g.gen, g.pid, r.Conns)
	}
	if d := g.snap.HardStopAfter; d > 0 {
		go func() {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-g.exited:
			case <-t.C:
				m.hardStop(g, fmt.Sprintf("hard-stop-after %v", d))
			}
		}()
	}
}

// boundDraining closes the oldest draining generations beyond MaxDraining.
func (m *Master) boundDraining() {
	m.mu.Lock()
	var draining []*generation
	for _, g := range m.gens {
		if g.state == StateDraining {
			draining = append(draining, g)
		}
	}
	m.mu.Unlock()
	for len(draining) > m.opt.MaxDraining {
		go m.hardStop(draining[0], fmt.Sprintf("more than %d draining generations", m.opt.MaxDraining))
		draining = draining[1:]
	}
}

// hardStop closes g's connections at once and kills it if it does not
// exit promptly.
func (m *Master) hardStop(g *generation, why string) {
	m.mu.Lock()
	g.expected = true
	m.mu.Unlock()
	select {
	case <-g.exited:
		return
	default:
	}
	m.logf("worker gen=%d pid=%d hard stop: %s", g.gen, g.pid, why)
	g.ctl.Call(&worker.Message{Op: worker.OpClose}, killGrace)
	t := time.NewTimer(killGrace)
	defer t.Stop()
	select {
	case <-g.exited:
	case <-t.C:
		m.kill(g)
	}
}

// kill sends SIGKILL to g and waits for it to be reaped.
func (m *Master) kill(g *generation) {
	m.mu.Lock()
	g.expected = true
	m.mu.Unlock()
	g.proc.Kill()
	<-g.exited
}

// wait reaps g and restarts the serving generation if it crashed.
func (m *Master) wait(g *generation) {
	var err error
	if g.cmd != nil {
		err = g.cmd.Wait()
	} else if st, werr := g.proc.Wait(); werr != nil {
		err = werr
	} else if !st.Success() {
		err = &exec.ExitError{ProcessState: st}
	}
	g.ctl.Close()
	g.handoff.Close() // ends its relay, which fails what was in flight to it
	m.releaseCounters(g)
	m.releaseTables(g)
	m.releaseCaches(g)
	m.mu.Lock()
	wasServing := g.state == StateServing
	g.state = StateExited
	crashed := !g.expected && !m.stopping
	m.gens = slices.DeleteFunc(m.gens, func(o *generation) bool { return o == g })
	left := len(m.gens)
	stopping := m.stopping
	m.mu.Unlock()
	close(g.exited)
	m.publishGenerations()
	status := "exited"
	if err != nil {
		status = err.Error()
	}
	if crashed && wasServing {
		m.mu.Lock()
		m.restarts++
		d := m.backoff.Next(time.Since(g.started))
		m.mu.Unlock()
		m.logf("worker gen=%d pid=%d crashed (%s): restarting in %v", g.gen, g.pid, status, d)
		go m.restart(g, d)
	} else {
		m.logf("worker gen=%d pid=%d %s", g.gen, g.pid, status)
	}
	if stopping && left == 0 {
		m.finish()
	}
}

// restart replaces a crashed serving generation with the same
// configuration, after delay.
func (m *Master) restart(crashed *generation, delay time.Duration) {
	t := time.NewTimer(delay)
	select {
	case <-t.C:
	case <-m.done:
		t.Stop()
		return
	}
	m.op.Lock()
	defer m.op.Unlock()
	m.mu.Lock()
	skip := m.stopping || m.current != crashed
	snap := m.snap
	m.mu.Unlock()
	if skip {
		return // a reload or a stop took over meanwhile
	}
	g, err := m.spawn(snap)
	if err == nil {
		err = m.serve(g)
	}
	if err != nil {
		m.mu.Lock()
		d := m.backoff.Next(0)
		m.mu.Unlock()
		m.logf("restart failed (%v): retrying in %v", err, d)
		go m.restart(crashed, d)
		return
	}
	m.logf("worker gen=%d pid=%d restarted, serving", g.gen, g.pid)
}

// Stop stops the master. Graceful: every worker stops accepting and
// drains, bounded by hard-stop-after. Otherwise every connection is closed
// at once. Done is closed when all workers have exited.
func (m *Master) Stop(graceful bool) {
	m.mu.Lock()
	already := m.stopping
	m.stopping = true
	gens := slices.Clone(m.gens)
	var hsa time.Duration
	if m.snap != nil {
		hsa = m.snap.HardStopAfter
	}
	m.mu.Unlock()
	m.discardSpare()
	if !already {
		m.notify("STOPPING=1")
	}
	if !graceful {
		m.logf("hard stop: closing %d worker(s)", len(gens))
		var wg sync.WaitGroup
		for _, g := range gens {
			wg.Add(1)
			go func() { defer wg.Done(); m.hardStop(g, "stop") }()
		}
		wg.Wait()
		m.finish()
		return
	}
	if already {
		return
	}
	m.logf("graceful stop: draining %d worker(s)", len(gens))
	// A reload in progress finishes first, so no worker is left behind.
	m.op.Lock()
	m.mu.Lock()
	gens = slices.Clone(m.gens)
	m.mu.Unlock()
	for _, g := range gens {
		m.mu.Lock()
		serving := g.state == StateServing || g.state == StateStarting
		m.mu.Unlock()
		if serving {
			g.ctl.Call(&worker.Message{Op: worker.OpStopAccepting}, callTimeout)
			m.drain(g)
		}
	}
	m.op.Unlock()
	m.stopWhenDrained(hsa)
}

// finish releases everything once no worker is left.
func (m *Master) finish() {
	m.doneOnce.Do(func() {
		m.discardSpare()
		m.closeCLI()
		m.closeStats()
		m.closeAllListeners()
		if m.opt.PIDFile != "" {
			os.Remove(m.opt.PIDFile)
		}
		m.logf("stopped")
		close(m.done)
	})
}

func (m *Master) closeCLI() {
	m.mu.Lock()
	cli := m.cli
	m.cli = nil
	m.mu.Unlock()
	if cli != nil {
		cli.Close()
	}
}
