package master

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"baton/internal/listener"
	"baton/internal/worker"
)

// The master CLI speaks HAProxy's master CLI line protocol: one line of
// commands separated by ';', answered, then the connection is closed.
// "@N command" (N-th current worker; 1 is the serving one) or
// "@!PID command" forwards the command to a worker's runtime API.

const cliHelp = `help              this list
show proc         the master and every worker generation
reload            reload the configuration; prints Success=1 or Success=0 and the messages
upgrade           re-execute the binary on disk in place (same PID and sockets), then reload
@N <command>      send <command> to the N-th current worker (@1: the serving one)
@!PID <command>   send <command> to the worker with that PID (serving or draining)
`

func (m *Master) listenCLI() error {
	// A stale socket file from a previous run is replaced; a live one is
	// an error, unless this master takes over from that process. The
	// other address forms (fd@N from VTest, ipv4@...) are opened as is.
	var ln net.Listener
	var err error
	if strings.Contains(m.opt.Socket, "@") && !strings.HasPrefix(m.opt.Socket, "/") {
		ln, err = listener.ListenLocal(m.opt.Socket, listener.UnixOptions{})
	} else {
		ln, err = listenUnix(m.opt.Socket, 0o600, m.opt.Takeover != "")
	}
	if err != nil {
		return fmt.Errorf("master CLI: %w", err)
	}
	m.mu.Lock()
	m.cli = ln
	m.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go m.serveCLI(c)
		}
	}()
	return nil
}

func (m *Master) serveCLI(c net.Conn) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReaderSize(c, 4096)
	line, err := r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return
	}
	c.SetReadDeadline(time.Time{})
	for _, cmd := range strings.Split(line, ";") {
		cmd = strings.TrimSpace(cmd)
		if cmd == "" {
			continue
		}
		if strings.Join(strings.Fields(cmd), " ") == "upgrade" {
			// On success the new image answers on this very connection.
			c.SetDeadline(time.Time{})
			io.WriteString(c, m.Upgrade(c).String())
			return
		}
		out, last := m.Command(cmd)
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, out); err != nil {
			return
		}
		if last {
			return
		}
	}
}

// Command runs one master CLI command and returns its output; last is true
// for commands after which the connection closes (reload, as in HAProxy).
func (m *Master) Command(cmd string) (out string, last bool) {
	if strings.HasPrefix(cmd, "@") {
		return m.forward(cmd), false
	}
	switch strings.Join(strings.Fields(cmd), " ") {
	case "help":
		return cliHelp, false
	case "show proc":
		return m.showProc(), false
	case "reload":
		return m.Reload().String(), true
	case "upgrade":
		return m.Upgrade(nil).String(), true
	}
	return fmt.Sprintf("Unknown command: %q\n%s", cmd, cliHelp), false
}

// Proc is one line of "show proc".
type Proc struct {
	PID        int
	Generation int // 0 for the master
	State      State
	Started    time.Time
	Conns      int
	Reloads    int // for a worker: reloads it survived
	Version    string
}

// Procs returns the live worker generations, oldest first, with their
// connection counts.
func (m *Master) Procs() []Proc {
	m.mu.Lock()
	gens := append([]*generation(nil), m.gens...)
	procs := make([]Proc, len(gens))
	for i, g := range gens {
		procs[i] = Proc{PID: g.pid, Generation: g.gen, State: g.state, Started: g.started, Reloads: g.reloads, Version: g.version}
	}
	m.mu.Unlock()
	m.calls.RLock()
	defer m.calls.RUnlock()
	for i, g := range gens {
		if r, err := g.ctl.Call(&worker.Message{Op: worker.OpStatus}, time.Second); err == nil {
			procs[i].Conns = r.Conns
		} else {
			procs[i].Conns = -1
		}
	}
	return procs
}

func (m *Master) showProc() string {
	procs := m.Procs()
	m.mu.Lock()
	reloads, failed, restarts, upgrades := m.reloads, m.failed, m.restarts, m.upgrades
	m.mu.Unlock()
	var b strings.Builder
	row := func(pid, kind, gen, state, conns, reloads, uptime, started, version string) {
		fmt.Fprintf(&b, "%-8s %-7s %-4s %-9s %-6s %-24s %-12s %-20s %s\n", pid, kind, gen, state, conns, reloads, uptime, started, version)
	}
	row("#<PID>", "<type>", "<gen>", "<state>", "<conns>", "<reloads>", "<uptime>", "<started>", "<version>")
	masterReloads := fmt.Sprintf("%d [failed: %d] [restarts: %d]", reloads, failed, restarts)
	if upgrades > 0 {
		masterReloads += fmt.Sprintf(" [upgrades: %d]", upgrades)
	}
	row(strconv.Itoa(m.pid), "master", "0", "-", "-", masterReloads,
		uptime(time.Since(m.started)), m.started.UTC().Format(time.RFC3339), m.opt.Version)
	for _, section := range []struct {
		title string
		old   bool
	}{{"# workers", false}, {"# old workers", true}} {
		b.WriteString(section.title + "\n")
		for i := len(procs) - 1; i >= 0; i-- {
			p := procs[i]
			if (p.State == StateDraining) != section.old {
				continue
			}
			conns := strconv.Itoa(p.Conns)
			if p.Conns < 0 {
				conns = "?"
			}
			row(strconv.Itoa(p.PID), "worker", strconv.Itoa(p.Generation), string(p.State), conns,
				strconv.Itoa(p.Reloads), uptime(time.Since(p.Started)), p.Started.UTC().Format(time.RFC3339), p.Version)
		}
	}
	// The spare (spare.go) is a process of the master's, not a generation:
	// listed apart, so that no process goes unexplained.
	m.spareMu.Lock()
	if sp := m.spare; sp != nil {
		b.WriteString("# spare\n")
		row(strconv.Itoa(sp.cmd.Process.Pid), "spare", "-", "ready", "-", "-",
			uptime(time.Since(sp.started)), sp.started.UTC().Format(time.RFC3339), m.opt.Version)
	}
	m.spareMu.Unlock()
	return b.String()
}

// uptime formats d like HAProxy: 0d00h02m07s.
func uptime(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%dd%02dh%02dm%02ds", s/86400, s/3600%24, s/60%60, s%60)
}

// forward sends "@N cmd" or "@!PID cmd" to a worker's runtime API.
func (m *Master) forward(line string) string {
	target, cmd, _ := strings.Cut(line[1:], " ")
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return "A command is required after @N or @!PID (interactive mode is not supported).\n"
	}
	m.mu.Lock()
	var g *generation
	if pidStr, ok := strings.CutPrefix(target, "!"); ok {
		pid, _ := strconv.Atoi(pidStr)
		for _, o := range m.gens {
			if o.pid == pid {
				g = o
			}
		}
	} else if n, err := strconv.Atoi(target); err == nil && n >= 1 {
		// Current (non-draining) workers, newest first.
		for i := len(m.gens) - 1; i >= 0; i-- {
			if m.gens[i].state == StateServing || m.gens[i].state == StateStarting {
				if n--; n == 0 {
					g = m.gens[i]
					break
				}
			}
		}
	}
	m.mu.Unlock()
	if g == nil {
		return fmt.Sprintf("No such worker: @%s\n", target)
	}
	m.calls.RLock()
	r, err := g.ctl.Call(&worker.Message{Op: worker.OpCommand, Command: cmd}, callTimeout)
	m.calls.RUnlock()
	if err != nil {
		return fmt.Sprintf("worker gen=%d pid=%d: %v\n", g.gen, g.pid, err)
	}
	return r.Output
}
