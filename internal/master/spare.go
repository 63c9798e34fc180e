package master

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"

	"baton/internal/worker"
)

// A spare is a worker process started ahead of the next reload: it has
// run the Go runtime's start-up and the packages' initialisation, and
// waits on its control channel for a start message. Executing and
// initialising a worker is most of a reload's time (about 30 ms of 40
// with no load, and it grows with the load because the new process
// competes for the CPU with the serving one), so a reload that finds a
// spare only passes it the descriptors and the configuration.
//
// The spare is not a generation: "show proc" lists it apart ("# spare"), it holds
// no listener and no configuration, and it exits when its control
// channel closes (the master discards it, or dies).
type spare struct {
	cmd     *exec.Cmd
	conn    net.Conn      // the control channel, the master's end
	files   *net.UnixConn // the descriptor channel, the master's end
	started time.Time
}

// refillSpare starts a spare unless one is there, Options.Spare is off, or
// the master is stopping. It runs after each spawn, outside the reload's
// critical path; a reload that comes first executes a worker as before.
func (m *Master) refillSpare() {
	if !m.opt.Spare {
		return
	}
	m.spareMu.Lock()
	defer m.spareMu.Unlock()
	m.mu.Lock()
	stopping := m.stopping
	m.mu.Unlock()
	if m.spare != nil || stopping {
		return
	}
	sp, err := m.startSpare()
	if err != nil {
		m.logf("spare worker: %v: the next reload starts its worker itself", err)
		return
	}
	m.spare = sp
}

func (m *Master) startSpare() (*spare, error) {
	ctl, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control socketpair: %w", err)
	}
	fch, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		syscall.Close(ctl[0])
		syscall.Close(ctl[1])
		return nil, fmt.Errorf("descriptor socketpair: %w", err)
	}
	theirCtl, theirFiles := os.NewFile(uintptr(ctl[1]), "control"), os.NewFile(uintptr(fch[1]), "descriptors")
	defer theirCtl.Close()
	defer theirFiles.Close()
	conn, err := fileConn(ctl[0], "control")
	if err != nil {
		syscall.Close(fch[0])
		return nil, err
	}
	fc, err := fileConn(fch[0], "descriptors")
	if err != nil {
		conn.Close()
		return nil, err
	}
	cmd := m.opt.WorkerCommand()
	cmd.ExtraFiles = []*os.File{theirCtl, theirFiles}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, worker.SpareEnv+"=1")
	if cmd.Stdout == nil {
		cmd.Stdout = os.Stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		conn.Close()
		fc.Close()
		return nil, fmt.Errorf("start: %w", err)
	}
	return &spare{cmd: cmd, conn: conn, files: fc.(*net.UnixConn), started: time.Now()}, nil
}

// fileConn turns one end of a socketpair into a net.Conn.
func fileConn(fd int, name string) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), name)
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s channel: %w", name, err)
	}
	return c, nil
}

// takeSpare hands the spare over to a spawn, or nil when there is none or
// it died meanwhile (then it is reaped here).
func (m *Master) takeSpare() *spare {
	m.spareMu.Lock()
	sp := m.spare
	m.spare = nil
	m.spareMu.Unlock()
	if sp == nil {
		return nil
	}
	var ws syscall.WaitStatus
	if pid, _ := syscall.Wait4(sp.cmd.Process.Pid, &ws, syscall.WNOHANG, nil); pid != 0 {
		m.logf("spare worker pid=%d had exited (%v): starting a worker instead", sp.cmd.Process.Pid, ws)
		sp.conn.Close()
		sp.files.Close()
		sp.cmd.Process.Release()
		return nil
	}
	return sp
}

// discardSpare stops the spare, if any, and reaps it, before a stop.
func (m *Master) discardSpare() {
	m.spareMu.Lock()
	sp := m.spare
	m.spare = nil
	m.spareMu.Unlock()
	sp.discard()
}

// discard stops and reaps the spare; nil is a no-op.
func (sp *spare) discard() {
	if sp == nil {
		return
	}
	sp.conn.Close()
	sp.files.Close()
	sp.cmd.Process.Kill()
	sp.cmd.Wait()
}

// pass sends files to the spare over its descriptor channel, in order, in
// batches the kernel accepts (SCM_MAX_FD is 253). The worker finds them
// where a freshly executed worker would have inherited them
// (worker.Message.Passed).
func (sp *spare) pass(files []*os.File) error {
	const batch = 200
	for len(files) > 0 {
		n := min(batch, len(files))
		fds := make([]int, n)
		for i, f := range files[:n] {
			fds[i] = int(f.Fd())
		}
		if _, _, err := sp.files.WriteMsgUnix([]byte{byte(n)}, syscall.UnixRights(fds...), nil); err != nil {
			return fmt.Errorf("passing descriptors to the spare worker: %w", err)
		}
		files = files[n:]
	}
	return sp.files.Close()
}
