package master

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"baton/internal/worker"
)

// Takeover hand-over. A reload inside one master moves idle keep-alive
// connections to the new generation; a standalone takeover ("baton -x")
// does the same between two masters, over the old one's stats socket:
//
//  1. The new master has the listening sockets (_getsocks) and a worker
//     that is ready but not accepting. It sends "_handover" with one end
//     of a new hand-over channel (SOCK_SEQPACKET, in SCM_RIGHTS).
//  2. The old master stops accepting in its serving generation and
//     answers "Stopped accepting pid P". The kernel's accept queues, shared
//     by both processes, hold new connections meanwhile: none is refused,
//     and none can reach the old configuration once the new one accepts.
//  3. The new worker starts accepting; the new master sends "commit" (or
//     "abort" if its worker failed: the old master then starts a fresh
//     worker of its own configuration and goes on serving).
//  4. The old master treats the channel as its serving generation: its
//     workers hand their idle connections over as in a reload, the old
//     master relays each to the new master, whose serving generation
//     adopts it; answers travel back the same way. Connections that cannot
//     move are closed at a request boundary; the old master drains and
//     exits.
//
// An older Baton that does not know "_handover" answers "Unknown
// command": the new master then accepts at once and sends "_softstop", as
// before.

const (
	handOverCmd    = "_handover"
	handOverReady  = "Stopped accepting pid "
	handOverCommit = "commit"
	handOverAbort  = "abort"
	// handOverWait bounds how long the old master waits for commit or
	// abort with its accept loops stopped.
	handOverWait = 30 * time.Second
)

// takeoverPeer is the new master's view of the previous process during a
// hand-over.
type takeoverPeer struct {
	conn    *net.UnixConn // the stats socket connection
	br      *bufio.Reader
	channel *net.UnixConn // our end of the hand-over channel
	pid     int
}

// beginHandOver asks the Baton serving the stats socket at path to stop
// accepting and hand its connections over. (nil, nil) means it does not
// know how: the caller falls back to _softstop.
func beginHandOver(path string) (*takeoverPeer, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, err
	}
	uc := c.(*net.UnixConn)
	fds, err := worker.TransferSocketpair()
	if err != nil {
		uc.Close()
		return nil, err
	}
	defer syscall.Close(fds[1])
	mine := os.NewFile(uintptr(fds[0]), "hand-over")
	fc, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		uc.Close()
		return nil, err
	}
	p := &takeoverPeer{conn: uc, br: bufio.NewReader(uc), channel: fc.(*net.UnixConn)}
	uc.SetDeadline(time.Now().Add(handOverWait))
	if _, _, err := uc.WriteMsgUnix([]byte(handOverCmd+"\n"), syscall.UnixRights(fds[1]), nil); err != nil {
		p.close()
		return nil, err
	}
	line, err := p.br.ReadString('\n')
	if err != nil {
		p.close()
		return nil, fmt.Errorf("%s: %w", handOverCmd, err)
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), handOverReady)
	if !ok {
		p.close()
		if strings.HasPrefix(line, "Unknown command") {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %s", handOverCmd, strings.TrimSpace(line))
	}
	p.pid, _ = strconv.Atoi(rest)
	return p, nil
}

func (p *takeoverPeer) close() {
	p.conn.Close()
	p.channel.Close()
}

// finish sends commit or abort and returns the old master's answer.
func (p *takeoverPeer) finish(word string) (string, error) {
	defer p.conn.Close()
	if _, err := io.WriteString(p.conn, word+"\n"); err != nil {
		return "", err
	}
	line, err := p.br.ReadString('\n')
	return strings.TrimSpace(line), err
}

// finishHandOver ends the new master's side: commit once its worker
// serves (the connections the previous process hands over are then
// relayed to it), abort otherwise. It reports whether the previous
// process committed to handing over and draining.
func (m *Master) finishHandOver(p *takeoverPeer, serving bool) bool {
	word := handOverCommit
	if !serving {
		word = handOverAbort
	}
	out, err := p.finish(word)
	if !serving || err != nil || !strings.HasPrefix(out, "Handing over") {
		p.channel.Close()
		if serving {
			m.logf("takeover: the previous process did not commit (%q, %v)", out, err)
		}
		return false
	}
	// The previous process drains as a generation of ours would: what it
	// hands over arrives on the channel and goes to the serving
	// generation. Its end closes when it exits.
	go m.relay(&generation{pid: p.pid, remote: true, handoff: p.channel, state: StateDraining,
		snap: &Snapshot{}, exited: make(chan struct{}), started: time.Now()})
	return true
}

// serveHandOver is the old master's side of "_handover" on the stats
// socket c, with the new master's end of the hand-over channel chanFD
// (closed here).
func (m *Master) serveHandOver(c *net.UnixConn, br *bufio.Reader, chanFD int) {
	f := os.NewFile(uintptr(chanFD), "hand-over")
	fc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(c, "%s failed: %v\n", handOverCmd, err)
		return
	}
	channel := fc.(*net.UnixConn)
	m.op.Lock()
	m.mu.Lock()
	stopping := m.stopping
	m.mu.Unlock()
	if stopping {
		m.op.Unlock()
		channel.Close()
		io.WriteString(c, "Refused: this process is stopping\n")
		return
	}
	old := m.serving()
	if old != nil {
		if _, err := old.ctl.Call(&worker.Message{Op: worker.OpStopAccepting}, callTimeout); err != nil {
			m.logf("takeover: worker gen=%d pid=%d did not stop accepting (%v): killing it", old.gen, old.pid, err)
			m.kill(old)
		}
		m.mu.Lock()
		if old.state == StateServing {
			old.state = StateDraining
		}
		m.mu.Unlock()
	}
	c.SetDeadline(time.Now().Add(handOverWait))
	fmt.Fprintf(c, "%s%d\n", handOverReady, m.pid)
	line, err := br.ReadString('\n')
	if strings.TrimSpace(line) != handOverCommit {
		// The new process could not serve (or vanished): serve again.
		channel.Close()
		if err == nil {
			err = errors.New(strings.TrimSpace(line))
		}
		m.logf("takeover: the new process did not take over (%v): serving again", err)
		if old != nil {
			if err := m.serveAgain(old); err != nil {
				m.logf("takeover: serving again: %v", err)
			}
			m.drain(old)
		}
		m.op.Unlock()
		fmt.Fprintf(c, "Resumed pid %d\n", m.pid)
		return
	}
	peer := &generation{remote: true, handoff: channel, state: StateServing, snap: &Snapshot{},
		exited: make(chan struct{}), started: time.Now()}
	m.mu.Lock()
	m.stopping = true
	m.current = peer
	hsa := time.Duration(0)
	if m.snap != nil {
		hsa = m.snap.HardStopAfter
	}
	m.mu.Unlock()
	go m.relay(peer)
	fmt.Fprintf(c, "Handing over pid %d\n", m.pid)
	m.logf("stats socket: %s: the new process serves; handing connections over and draining", handOverCmd)
	m.notify("STOPPING=1")
	if old != nil {
		m.drain(old)
	}
	m.op.Unlock()
	m.stopWhenDrained(hsa)
}

// stopWhenDrained ends a master whose workers all drain: it finishes once
// the last exits, or closes them at hard-stop-after.
func (m *Master) stopWhenDrained(hsa time.Duration) {
	if hsa > 0 {
		go func() {
			t := time.NewTimer(hsa)
			defer t.Stop()
			select {
			case <-m.done:
			case <-t.C:
				m.logf("hard-stop-after %v reached", hsa)
				m.Stop(false)
			}
		}()
	}
	m.mu.Lock()
	empty := len(m.gens) == 0
	m.mu.Unlock()
	if empty {
		m.finish()
	}
}
