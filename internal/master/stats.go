package master

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"baton/internal/listener"
	"baton/internal/runtime"
)

// The master serves the configuration's "stats socket" lines itself. A
// connection is a runtime API session (package runtime): its commands go
// to the serving generation (runtime.go). Three commands are the
// master's own, for a standalone takeover ("baton -x PATH"):
//
//	_getsocks   (level admin, "expose-fd listeners") one message whose
//	            SCM_RIGHTS carry every listening socket; its text is
//	            "baton-listeners N\n" then the N names (configuration
//	            addresses), one a line, in descriptor order
//	_softstop   (level admin) answer "Soft-stopping pid P\n", then stop
//	            gracefully: workers stop accepting and drain, the process
//	            exits
//	_handover   (level admin, "expose-fd listeners") with a hand-over
//	            channel in SCM_RIGHTS: stop accepting, then hand the idle
//	            keep-alive connections over to the new process and drain
//	            (see takeover.go)
//
// They are recognised on a connection's first line, alone.

// StatsSocket is a "stats socket" line the master serves.
type StatsSocket struct {
	// Path is the socket file, or another address form of package
	// sockaddr ("127.0.0.1:9999", "abns@x", "fd@3").
	Path string
	// Mode is the socket file's permission bits; 0 means 0600.
	Mode uint32
	// Owner sets the socket file's owner (HasUID/HasGID); Mode above
	// wins over Owner.Mode.
	Owner listener.UnixOptions
	// Timeout bounds an idle session ("stats timeout"); 0 means 10 s
	// (runtime.DefaultTimeout).
	Timeout time.Duration
	// Level is "user", "operator" or "admin"; "" means admin.
	Level string
	// ExposeListeners allows _getsocks ("expose-fd listeners").
	ExposeListeners bool
}

const (
	getsocksHeader = "baton-listeners"
	// maxPassedFDs is the kernel's limit on descriptors in one message
	// (SCM_MAX_FD).
	maxPassedFDs = 253
)

// unixListener is a unix socket the master listens on (master CLI, stats
// socket). It removes its file on close only while the file is still its
// own: a process taking over binds a replacement at the same path.
type unixListener struct {
	net.Listener
	path string
	ino  uint64
}

// listenUnix binds path with mode. A socket another process answers on is
// an error unless replace is set (a takeover): then the new socket is
// bound beside it and renamed over it, so that the path never stops
// answering.
func listenUnix(path string, mode os.FileMode, replace bool) (*unixListener, error) {
	ln, err := listener.ListenUnixFile(path, listener.UnixOptions{Mode: uint32(mode)}, replace)
	if err != nil {
		return nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		ln.Close()
		return nil, err
	}
	return &unixListener{Listener: ln, path: path, ino: st.Ino}, nil
}

func (u *unixListener) Close() error {
	err := u.Listener.Close()
	var st syscall.Stat_t
	if syscall.Stat(u.path, &st) == nil && st.Ino == u.ino {
		os.Remove(u.path)
	}
	return err
}

// reconcileStats opens the stats sockets of socks that are not open and
// closes those socks no longer lists. Problems are logged: a stats socket
// is not worth failing a reload over.
func (m *Master) reconcileStats(socks []StatsSocket) {
	keep := make(map[string]bool)
	for _, s := range socks {
		keep[s.Path] = true
		m.mu.Lock()
		open := m.stats[s.Path]
		m.mu.Unlock()
		if open != nil {
			m.mu.Lock()
			open.sock = s // new mode/level take effect for new sessions
			m.mu.Unlock()
			continue
		}
		ln, err := m.listenStats(s)
		if err != nil {
			m.logf("stats socket: %v", err)
			continue
		}
		st := &statsListener{ln: ln, sock: s}
		m.mu.Lock()
		m.stats[s.Path] = st
		m.mu.Unlock()
		go m.acceptStats(st)
	}
	m.mu.Lock()
	var drop []*statsListener
	for p, st := range m.stats {
		if !keep[p] {
			drop = append(drop, st)
			delete(m.stats, p)
		}
	}
	m.mu.Unlock()
	for _, st := range drop {
		st.ln.Close()
	}
}

// listenStats opens a stats socket: a socket file as listenUnix does
// (replacing the one a takeover's predecessor serves), with its owner;
// any other address through listener.ListenLocal.
func (m *Master) listenStats(s StatsSocket) (net.Listener, error) {
	path, isFile := strings.CutPrefix(s.Path, "unix@")
	if !isFile && !strings.HasPrefix(path, "/") {
		return listener.ListenLocal(s.Path, listener.UnixOptions{})
	}
	mode := os.FileMode(s.Mode)
	if mode == 0 {
		mode = 0o600
	}
	ln, err := listenUnix(path, mode, m.opt.Takeover != "")
	if err != nil {
		return nil, err
	}
	if o := s.Owner; o.HasUID || o.HasGID {
		uid, gid := -1, -1
		if o.HasUID {
			uid = o.UID
		}
		if o.HasGID {
			gid = o.GID
		}
		if err := os.Lchown(path, uid, gid); err != nil {
			ln.Close()
			return nil, err
		}
	}
	return ln, nil
}

type statsListener struct {
	ln   net.Listener
	sock StatsSocket // guarded by Master.mu
}

func (m *Master) closeStats() {
	m.mu.Lock()
	all := m.stats
	m.stats = make(map[string]*statsListener)
	m.mu.Unlock()
	for _, st := range all {
		st.ln.Close()
	}
}

func (m *Master) acceptStats(st *statsListener) {
	for {
		c, err := st.ln.Accept()
		if err != nil {
			return
		}
		go m.serveStats(c, st)
	}
}

func (m *Master) serveStats(c net.Conn, st *statsListener) {
	defer c.Close()
	m.mu.Lock()
	sock := st.sock
	m.mu.Unlock()
	timeout := sock.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	c.SetDeadline(time.Now().Add(timeout))
	var line string
	var rest []byte
	var fds []int
	var err error
	if uc, ok := c.(*net.UnixConn); ok {
		line, rest, fds, err = readCommand(uc)
	} else {
		// A TCP stats socket: no descriptor can come this way.
		line, rest, err = readLine(c)
	}
	defer func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}()
	if err != nil && (err != io.EOF || line == "") {
		return
	}
	admin := sock.Level == "" || sock.Level == "admin"
	if !isTakeoverCommand(line) {
		c.SetDeadline(time.Time{})
		s := &runtime.Session{Level: runtime.ParseLevel(sock.Level), Timeout: sock.Timeout, Exec: m.runtimeCommand}
		s.Serve(c, line, io.MultiReader(bytes.NewReader(rest), c))
		return
	}
	for _, cmd := range strings.Split(line, ";") {
		switch strings.Join(strings.Fields(cmd), " ") {
		case "":
			continue
		case "_getsocks":
			if !admin || !sock.ExposeListeners {
				io.WriteString(c, "Permission denied: _getsocks needs \"level admin\" and \"expose-fd listeners\" on this stats socket\n")
				return
			}
			uc, ok := c.(*net.UnixConn)
			if !ok {
				io.WriteString(c, "_getsocks needs a UNIX stats socket: descriptors cannot travel over this one\n")
				return
			}
			if err := m.sendListeners(uc); err != nil {
				m.logf("stats socket %s: _getsocks: %v", sock.Path, err)
				fmt.Fprintf(c, "_getsocks failed: %v\n", err)
			}
			return
		case getTicketsCmd:
			if !admin || !sock.ExposeListeners {
				io.WriteString(c, "Permission denied: _gettickets needs \"level admin\" and \"expose-fd listeners\" on this stats socket\n")
				return
			}
			if err := m.writeTicketKeys(c); err != nil {
				m.logf("stats socket %s: _gettickets: %v", sock.Path, err)
			}
			return
		case handOverCmd:
			if !admin || !sock.ExposeListeners {
				io.WriteString(c, "Permission denied: _handover needs \"level admin\" and \"expose-fd listeners\" on this stats socket\n")
				return
			}
			uc, ok := c.(*net.UnixConn)
			if len(fds) != 1 || !ok {
				io.WriteString(c, "_handover needs one descriptor: the hand-over channel\n")
				return
			}
			fd := fds[0]
			fds = nil
			m.serveHandOver(uc, bufio.NewReader(io.MultiReader(bytes.NewReader(rest), c)), fd)
			return
		case "_softstop":
			if !admin {
				io.WriteString(c, "Permission denied: _softstop needs \"level admin\"\n")
				return
			}
			fmt.Fprintf(c, "Soft-stopping pid %d\n", m.pid)
			m.logf("stats socket %s: _softstop: graceful stop", sock.Path)
			go m.Stop(true)
			return
		}
	}
}

// readCommand reads the first line on c, with any descriptors that came
// with it (SCM_RIGHTS: _handover passes one). rest is what followed the
// line in the same reads.
func readCommand(c *net.UnixConn) (line string, rest []byte, fds []int, err error) {
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n := 0
	for n < len(buf) {
		k, oobn, _, _, rerr := c.ReadMsgUnix(buf[n:], oob)
		if oobn > 0 {
			if msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn]); perr == nil {
				for _, msg := range msgs {
					if got, rerr := syscall.ParseUnixRights(&msg); rerr == nil {
						fds = append(fds, got...)
					}
				}
			}
		}
		n += k
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return string(buf[:i+1]), buf[i+1 : n], fds, nil
		}
		if rerr != nil {
			return string(buf[:n]), nil, fds, rerr
		}
		if k == 0 && oobn == 0 {
			return string(buf[:n]), nil, fds, io.EOF
		}
	}
	return string(buf[:n]), nil, fds, nil
}

// sendListeners passes every listening socket over c in one message.
func (m *Master) sendListeners(c *net.UnixConn) error {
	m.mu.Lock()
	names := make([]string, 0, len(m.listeners))
	for n := range m.listeners {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > maxPassedFDs {
		m.mu.Unlock()
		return fmt.Errorf("%d listeners: at most %d can be passed", len(names), maxPassedFDs)
	}
	// Duplicates: the listeners may be closed meanwhile by a reload.
	fds := make([]int, 0, len(names))
	var err error
	for _, n := range names {
		var fd int
		if fd, err = dupCloexec(int(m.listeners[n].File().Fd())); err != nil {
			break
		}
		fds = append(fds, fd)
	}
	m.mu.Unlock()
	defer func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}()
	if err != nil {
		return err
	}
	var text bytes.Buffer
	fmt.Fprintf(&text, "%s %d\n", getsocksHeader, len(names))
	for _, n := range names {
		text.WriteString(n + "\n")
	}
	var oob []byte
	if len(fds) > 0 {
		oob = syscall.UnixRights(fds...)
	}
	_, _, err = c.WriteMsgUnix(text.Bytes(), oob, nil)
	return err
}

func dupCloexec(fd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// FetchListeners asks the process serving the stats socket at path for its
// listening sockets (_getsocks) and returns them by name. The caller owns
// the descriptors.
func FetchListeners(path string) (map[string]int, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("takeover from %s: %w", path, err)
	}
	defer c.Close()
	uc := c.(*net.UnixConn)
	uc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(uc, "_getsocks\n"); err != nil {
		return nil, fmt.Errorf("takeover from %s: %w", path, err)
	}
	buf := make([]byte, 64<<10)
	oob := make([]byte, syscall.CmsgSpace(maxPassedFDs*4))
	n, oobn, flags, _, err := uc.ReadMsgUnix(buf, oob)
	var fds []int
	if oobn > 0 {
		msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn])
		if perr == nil {
			for _, msg := range msgs {
				got, rerr := syscall.ParseUnixRights(&msg)
				if rerr == nil {
					fds = append(fds, got...)
				}
			}
		}
	}
	closeAll := func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}
	if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		closeAll()
		return nil, fmt.Errorf("takeover from %s: %w", path, err)
	}
	if flags&syscall.MSG_CTRUNC != 0 {
		closeAll()
		return nil, fmt.Errorf("takeover from %s: descriptors truncated", path)
	}
	text := buf[:n]
	if rest, err := io.ReadAll(uc); err == nil {
		text = append(text, rest...)
	}
	lines := strings.Split(strings.TrimRight(string(text), "\n"), "\n")
	header := strings.Fields(lines[0])
	if len(header) != 2 || header[0] != getsocksHeader {
		closeAll()
		return nil, fmt.Errorf("takeover from %s: %s", path, strings.TrimSpace(string(text)))
	}
	count, err := strconv.Atoi(header[1])
	names := lines[1:]
	if count == 0 {
		names = nil
	}
	if err != nil || count != len(names) || count != len(fds) {
		closeAll()
		return nil, fmt.Errorf("takeover from %s: %d descriptors for %q", path, len(fds), lines)
	}
	out := make(map[string]int, count)
	for i, name := range names {
		out[name] = fds[i]
	}
	return out, nil
}

// adoptListeners takes the listening sockets over from the process at
// path; those this configuration does not use are closed after the start.
func (m *Master) adoptListeners(path string) error {
	fds, err := FetchListeners(path)
	if err != nil {
		return err
	}
	var names []string
	for name, fd := range fds {
		l, err := listener.Adopt(name, fd)
		if err != nil {
			m.logf("takeover: %v", err)
			continue
		}
		m.mu.Lock()
		m.listeners[name] = l
		m.mu.Unlock()
		names = append(names, name)
	}
	sort.Strings(names)
	m.logf("took %d listener(s) over from %s: %v", len(names), path, names)
	return nil
}

// softStopPrevious tells the process at path to stop accepting and drain.
func softStopPrevious(path string) (string, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "_softstop\n"); err != nil {
		return "", err
	}
	out, err := io.ReadAll(c)
	s := strings.TrimSpace(string(out))
	if err == nil && !strings.HasPrefix(s, "Soft-stopping") {
		err = errors.New(s)
	}
	return s, err
}
