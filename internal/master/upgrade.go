package master

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"baton/internal/listener"
	"baton/internal/sticktable"
	"baton/internal/tlsconf"
	"baton/internal/worker"
)

// Binary upgrade. The master re-executes the binary it was started from
// (Options.Executable) in place, keeping its PID, its listening sockets
// and its worker generations; the new image then runs a reload, whose new
// generation comes from the new binary:
//
//  1. with m.op held (no reload, restart or stop runs, so no connection is
//     on its way between generations) and no control call in flight, the
//     master clears close-on-exec on the listeners' never-polled
//     descriptors and on duplicates of each generation's control and
//     hand-over channels and of the requesting CLI connection, and writes
//     their numbers and its counters into UpgradeEnv;
//  2. syscall.Exec: the workers notice nothing (their channels stay open)
//     and keep serving;
//  3. the new image (Start) adopts all of it, unsets UpgradeEnv, opens the
//     master CLI and stats sockets again, and reloads: a worker of the new
//     binary starts, the serving old one stops accepting, the new one
//     serves, the old ones hand their idle connections over and drain, as
//     in any reload;
//  4. the result goes to the CLI connection that asked.
//
// If exec fails, the master rolls back (close-on-exec set again) and
// answers Success=0.

// UpgradeEnv carries the master's state across exec.
const UpgradeEnv = "BATON_UPGRADE_STATE"

type upgradeState struct {
	Version   string         `json:"version"`
	Started   time.Time      `json:"started"`
	NextGen   int            `json:"next_gen"`
	Reloads   int            `json:"reloads"`
	Failed    int            `json:"failed"`
	Restarts  int            `json:"restarts"`
	Upgrades  int            `json:"upgrades"`
	Listeners map[string]int `json:"listeners"` // name -> fd
	Gens      []upgradeGen   `json:"gens"`
	ReplyFD   int            `json:"reply_fd"` // -1: nobody waits
	// TicketKeys are the TLS session ticket keys (tickets.go).
	TicketKeys [][]byte `json:"ticket_keys,omitempty"`
	// Serving is the configuration that last started (Master.snap),
	// files included: a later restart or roll-back of an adopted
	// generation starts a worker from it.
	Serving *Snapshot `json:"serving,omitempty"`
	// Counters is the statistics segment and its allocation.
	Counters *counterUpgrade `json:"counters,omitempty"`
	// Tables is the stick tables' segment and its regions.
	Tables *sticktable.AllocatorState `json:"tables,omitempty"`
	// Caches are the cache segments (caches.go).
	Caches []keptCache `json:"caches,omitempty"`
	// State is the run-time state the generations published (Master.state:
	// resolution results, ...), handed to the next generation.
	State map[string]json.RawMessage `json:"state,omitempty"`
}

type upgradeGen struct {
	Gen           int            `json:"gen"`
	PID           int            `json:"pid"`
	Started       time.Time      `json:"started"`
	State         State          `json:"state"`
	Reloads       int            `json:"reloads"`
	Version       string         `json:"version"`
	Binds         []string       `json:"binds"`
	HardStopAfter time.Duration  `json:"hard_stop_after"`
	ControlFD     int            `json:"control_fd"`
	HandOffFD     int            `json:"handoff_fd"`
	CtrGroup      int            `json:"ctr_group,omitempty"`
	CtrSlots      map[string]int `json:"ctr_slots,omitempty"`
	// Tables are the generation's stick-table regions.
	Tables []sticktable.Region `json:"tables,omitempty"`
}

// keepFD returns a duplicate of c's descriptor that survives exec.
func keepFD(c syscall.Conn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(s uintptr) {
		// F_DUPFD without CLOEXEC, above the standard descriptors.
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD, 3)
		if e != 0 {
			dupErr = e
			return
		}
		fd = int(r)
	}); err != nil {
		return -1, err
	}
	return fd, dupErr
}

// Upgrade re-executes the binary in place (see above). On success it does
// not return: the new image answers reply (the CLI connection, or nil).
func (m *Master) Upgrade(reply net.Conn) Result {
	m.op.Lock()
	defer m.op.Unlock()
	m.mu.Lock()
	stopping := m.stopping
	m.mu.Unlock()
	if stopping {
		return Result{Messages: []string{"upgrade refused: baton is stopping"}}
	}
	m.calls.Lock() // no control call may be half answered across exec
	defer m.calls.Unlock()
	exe := m.opt.Executable
	if _, err := os.Stat(exe); err != nil {
		return fail(fmt.Errorf("upgrade: %w", err))
	}
	var kept []int // duplicates to close if exec fails
	var keepOnExec []*listener.Listener
	rollback := func() {
		for _, fd := range kept {
			syscall.Close(fd)
		}
		for _, l := range keepOnExec {
			syscall.Syscall(syscall.SYS_FCNTL, l.File().Fd(), syscall.F_SETFD, syscall.FD_CLOEXEC)
		}
	}
	m.mu.Lock()
	st := upgradeState{Version: m.opt.Version, Started: m.started, NextGen: m.nextGen, Reloads: m.reloads,
		Failed: m.failed, Restarts: m.restarts, Upgrades: m.upgrades + 1, Listeners: make(map[string]int), ReplyFD: -1,
		TicketKeys: tlsconf.EncodeTicketKeys(m.tickets.get()),
		Serving:    m.snap, State: m.state}
	var err error
	for name, l := range m.listeners {
		var fd int
		if fd, err = l.KeepOnExec(); err != nil {
			break
		}
		keepOnExec = append(keepOnExec, l)
		st.Listeners[name] = fd
	}
	for _, g := range m.gens {
		if err != nil {
			break
		}
		if g.state == StateExited || g.state == StateStarting {
			continue
		}
		ug := upgradeGen{Gen: g.gen, PID: g.pid, Started: g.started, State: g.state, Reloads: g.reloads,
			Version: g.version, Binds: g.snap.Binds, HardStopAfter: g.snap.HardStopAfter,
			CtrGroup: g.ctrGroup, CtrSlots: g.ctrSlots, Tables: g.tables}
		sc, ok := g.ctlConn.(syscall.Conn)
		if !ok {
			err = fmt.Errorf("worker gen=%d: control channel has no descriptor", g.gen)
			break
		}
		if ug.ControlFD, err = keepFD(sc); err != nil {
			break
		}
		kept = append(kept, ug.ControlFD)
		if ug.HandOffFD, err = keepFD(g.handoff); err != nil {
			break
		}
		kept = append(kept, ug.HandOffFD)
		st.Gens = append(st.Gens, ug)
	}
	m.mu.Unlock()
	if err == nil {
		if st.Counters, err = m.keepCounters(); st.Counters != nil {
			kept = append(kept, st.Counters.FD)
		}
	}
	if err == nil {
		if st.Tables, err = m.keepTables(); st.Tables != nil {
			kept = append(kept, st.Tables.FD)
		}
	}
	if err == nil {
		var fds []int
		st.Caches, fds, err = m.keepCaches()
		kept = append(kept, fds...)
	}
	if err == nil && reply != nil {
		if rc, ok := reply.(syscall.Conn); ok {
			if st.ReplyFD, err = keepFD(rc); err == nil {
				kept = append(kept, st.ReplyFD)
			}
		}
	}
	var state []byte
	if err == nil {
		state, err = json.Marshal(&st)
	}
	var env string
	if err == nil {
		var fd int
		if env, fd, err = stashState(state); fd >= 0 {
			kept = append(kept, fd)
		}
	}
	if err != nil {
		rollback()
		return fail(fmt.Errorf("upgrade: %w", err))
	}
	m.logf("upgrade: re-executing %s (version %s)", exe, m.opt.Version)
	environ := append(os.Environ(), UpgradeEnv+"="+env)
	// The new image would not know the spare: none may exist across exec.
	m.spareMu.Lock()
	sp := m.spare
	m.spare = nil
	sp.discard()
	err = syscall.Exec(exe, append([]string{exe}, m.opt.Args...), environ)
	m.spareMu.Unlock()
	go m.refillSpare()
	rollback()
	m.logf("upgrade: exec %s: %v", exe, err)
	return fail(fmt.Errorf("upgrade: exec %s: %w", exe, err))
}

// resume adopts what the previous image passed across exec. It returns
// the connection waiting for the upgrade's result, or nil.
func (m *Master) resume(env string) (net.Conn, error) {
	var st upgradeState
	state, err := unstashState(env)
	if err == nil {
		err = json.Unmarshal(state, &st)
	}
	if err != nil {
		return nil, fmt.Errorf("upgrade: %s: %w", UpgradeEnv, err)
	}
	m.started = st.Started
	m.nextGen, m.reloads, m.failed, m.restarts, m.upgrades = st.NextGen, st.Reloads, st.Failed, st.Restarts, st.Upgrades
	m.upgradedFrom = st.Version
	if keys, err := tlsconf.DecodeTicketKeys(st.TicketKeys); err == nil && len(keys) > 0 {
		m.tickets.set(keys)
	}
	m.state = st.State
	var errs []error
	ctrAdopted := st.Counters != nil
	if err := m.resumeCounters(st.Counters); err != nil {
		errs = append(errs, err)
		ctrAdopted = false
	}
	if err := m.resumeTables(st.Tables); err != nil {
		errs = append(errs, err)
	}
	for name, fd := range st.Listeners {
		l, err := listener.Adopt(name, fd)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.listeners[name] = l
	}
	adoptCaches := m.resumeCaches(st.Caches)
	defer adoptCaches(nil)
	for _, ug := range st.Gens {
		if !ctrAdopted {
			ug.CtrSlots = nil // they count in a segment this image does not have
		}
		g, err := m.adoptGeneration(ug)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		adoptCaches(g)
		m.gens = append(m.gens, g)
		if g.state == StateServing {
			if st.Serving != nil {
				g.snap = st.Serving
			}
			m.current = g
			m.snap = g.snap
		}
		go m.wait(g)
		go m.relay(g)
	}
	var reply net.Conn
	if st.ReplyFD >= 0 {
		f := os.NewFile(uintptr(st.ReplyFD), "upgrade reply")
		c, err := net.FileConn(f)
		f.Close()
		if err == nil {
			reply = c
		}
	}
	return reply, errors.Join(errs...)
}

// adoptGeneration rebuilds a generation started by the previous image.
func (m *Master) adoptGeneration(ug upgradeGen) (*generation, error) {
	conn := func(fd int, name string) (net.Conn, error) {
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			return nil, fmt.Errorf("upgrade: worker gen=%d pid=%d %s channel: %w", ug.Gen, ug.PID, name, err)
		}
		return c, nil
	}
	ctl, err := conn(ug.ControlFD, "control")
	if err != nil {
		syscall.Close(ug.HandOffFD)
		return nil, err
	}
	hand, err := conn(ug.HandOffFD, "hand-over")
	if err != nil {
		ctl.Close()
		return nil, err
	}
	proc, err := os.FindProcess(ug.PID) // our child: Wait works on it
	if err != nil {
		ctl.Close()
		hand.Close()
		return nil, fmt.Errorf("upgrade: worker gen=%d pid=%d: %w", ug.Gen, ug.PID, err)
	}
	// ctlConn too: a later upgrade passes it on again.
	g := &generation{gen: ug.Gen, pid: ug.PID, started: ug.Started, proc: proc, version: ug.Version,
		ctlConn: ctl, handoff: hand.(*net.UnixConn),
		snap:   &Snapshot{Binds: ug.Binds, HardStopAfter: ug.HardStopAfter},
		exited: make(chan struct{}), state: ug.State, reloads: ug.Reloads,
		expected: ug.State != StateServing, ctrGroup: ug.CtrGroup, ctrSlots: ug.CtrSlots, tables: ug.Tables}
	g.ctl = worker.NewClientPublish(ctl, m.keepState(g))
	return g, nil
}

// finishUpgrade runs in the new image once it has adopted everything: a
// reload brings a generation of the new binary in.
func (m *Master) finishUpgrade(reply net.Conn) {
	res := m.Reload()
	head := fmt.Sprintf("upgraded pid %d from version %s to %s", m.pid, m.upgradedFrom, m.opt.Version)
	res.Messages = append([]string{head}, res.Messages...)
	if res.OK {
		m.logf("upgrade: %s", head)
	} else {
		m.logf("upgrade: %s, but the reload failed: %s", head, strings.Join(res.Messages[1:], "; "))
	}
	if reply != nil {
		reply.SetWriteDeadline(time.Now().Add(10 * time.Second))
		reply.Write([]byte(res.String()))
		reply.Close()
	}
}

// stashState puts the upgrade state where the new image finds it: in an
// unlinked temporary file whose descriptor survives exec (env "fd:N"; the
// state holds whole configuration files, more than an environment string
// may), or, where no temporary file can be made, in the environment
// itself. fd is the descriptor to close if exec fails, or -1.
func stashState(state []byte) (env string, fd int, err error) {
	f, err := os.CreateTemp("", "baton-upgrade-*")
	if err != nil {
		return string(state), -1, nil
	}
	defer f.Close()
	os.Remove(f.Name())
	if _, err := f.Write(state); err != nil {
		return "", -1, fmt.Errorf("upgrade state: %w", err)
	}
	if fd, err = keepFD(f); err != nil {
		return "", -1, fmt.Errorf("upgrade state: %w", err)
	}
	return "fd:" + strconv.Itoa(fd), fd, nil
}

// unstashState reads what stashState left: "fd:N", or the state itself.
func unstashState(env string) ([]byte, error) {
	rest, ok := strings.CutPrefix(env, "fd:")
	if !ok {
		return []byte(env), nil
	}
	fd, err := strconv.Atoi(rest)
	if err != nil {
		return nil, fmt.Errorf("bad descriptor %q", rest)
	}
	f := os.NewFile(uintptr(fd), "upgrade state")
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}
