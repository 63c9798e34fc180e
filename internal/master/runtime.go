package master

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"

	"baton/internal/runtime"
	"baton/internal/worker"
)

// The runtime API on the stats sockets. Every session lives in the
// master, so it outlives reloads: a "socat readline" session keeps
// working while generations come and go. Each command goes to the
// generation serving at that moment, which answers from the counters
// every generation shares and from its own state. A command that changes
// state (runtime.IsChange) waits for a reload in progress to finish (so
// the new generation starts from the state it sets), runs on the serving
// generation, whose answer is the session's, then on every other live
// generation, so that a server put in maintenance gets no request from a
// draining one either.

// runtimeCommand runs one command for a stats socket session.
func (m *Master) runtimeCommand(cmd string, lvl runtime.Level) string {
	change := runtime.IsChange(cmd)
	if change {
		m.op.Lock()
		defer m.op.Unlock()
	}
	g := m.serving()
	if g == nil {
		return "No generation serves at the moment: try again.\n"
	}
	out, err := m.callCommand(g, cmd, lvl)
	if err != nil {
		return fmt.Sprintf("%v: %v\n", g, err)
	}
	if change {
		m.mu.Lock()
		var others []*generation
		for _, o := range m.gens {
			if o != g && !o.remote && o.state != StateExited {
				others = append(others, o)
			}
		}
		m.mu.Unlock()
		for _, o := range others {
			if _, err := m.callCommand(o, cmd, lvl); err != nil && !errors.Is(err, worker.ErrClosed) {
				m.logf("%v: %q: %v", o, cmd, err)
			}
		}
	}
	return out
}

func (m *Master) callCommand(g *generation, cmd string, lvl runtime.Level) (string, error) {
	m.calls.RLock()
	defer m.calls.RUnlock()
	r, err := g.ctl.Call(&worker.Message{Op: worker.OpCommand, Command: cmd, Level: lvl.String()}, callTimeout)
	if err != nil {
		return "", err
	}
	return r.Output, nil
}

// isTakeoverCommand reports whether line is one of the master's own
// stats socket commands (alone on the first line).
func isTakeoverCommand(line string) bool {
	switch strings.Join(strings.Fields(line), " ") {
	case "_getsocks", "_softstop", handOverCmd, getTicketsCmd:
		return true
	}
	return false
}

// readLine reads the first line of a TCP stats session and what came
// after it in the same reads.
func readLine(c net.Conn) (string, []byte, error) {
	r := bufio.NewReaderSize(c, 4096)
	line, err := r.ReadString('\n')
	rest, _ := r.Peek(r.Buffered())
	return line, bytes.Clone(rest), err
}
