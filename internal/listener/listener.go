package listener

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"baton/internal/sockopt"
)

// Listener is one listening socket owned by the master, named by the
// configuration address it was bound for. The master never accepts on it;
// it only keeps the socket (and its accept queue) alive between
// generations.
type Listener struct {
	// Name is the configuration's Bind.Addr, e.g. ":80" or "127.0.0.1:8080".
	Name string
	addr net.Addr
	file *os.File
	// opts are the socket options it was bound with (options.go).
	opts sockopt.Listen
}

// Listen binds name, a configuration address: ":80" means every address
// (IPv4 and IPv6), "[::]:80" the same, "127.0.0.1:80" one address.
//
// The master keeps a plain descriptor rather than a net.Listener: os/exec
// calls Fd on every inherited file, and Fd on a file Go polls switches the
// socket to blocking mode. O_NONBLOCK belongs to the open file, shared with
// every worker, so that switch during a reload would make the serving
// worker's accept block a thread that StopAccepting cannot interrupt. The
// descriptor kept here is therefore never polled; workers set non-blocking
// mode once (net.FileListener) and nothing resets it.
func Listen(name string) (*Listener, error) { return ListenOptions(name, sockopt.Listen{}) }

// ListenOptions is Listen with the bind line's socket options (see
// options.go).
func ListenOptions(name string, o sockopt.Listen) (*Listener, error) {
	ln, err := listenConfig(o).Listen(context.Background(), "tcp", name)
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", name, err)
	}
	defer ln.Close()
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", name, err)
	}
	fd := -1
	var dupErr error
	err = rc.Control(func(s uintptr) {
		if dupErr = o.AfterListen(int(s)); dupErr != nil {
			return
		}
		fd, dupErr = dupCloexec(int(s))
		if dupErr == nil {
			// Nobody accepts yet: this is the one moment the shared
			// mode can change safely.
			dupErr = syscall.SetNonblock(fd, false)
		}
	})
	if err == nil {
		err = dupErr
	}
	if err != nil {
		if fd >= 0 {
			syscall.Close(fd)
		}
		return nil, fmt.Errorf("bind %s: descriptor for inheritance: %w", name, err)
	}
	return &Listener{Name: name, addr: ln.Addr(), file: os.NewFile(uintptr(fd), "listener "+name), opts: o}, nil
}

func dupCloexec(fd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// Addr is the address actually bound (with the kernel-picked port for ":0").
func (l *Listener) Addr() net.Addr { return l.addr }

// File is the descriptor to hand to a worker (os/exec ExtraFiles). It stays
// owned by the Listener: the caller must not close it.
func (l *Listener) File() *os.File { return l.file }

// Close closes the master's descriptor. Workers holding a duplicate keep
// the socket open until they close theirs.
func (l *Listener) Close() error { return l.file.Close() }

// FromFile rebuilds a net.Listener from an inherited descriptor and closes
// f: net.FileListener works on a duplicate, and keeping f open would keep
// the socket alive after the engine stops accepting.
func FromFile(name string, f *os.File) (net.Listener, error) {
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("inherit listener %s (fd %d): %w", name, f.Fd(), err)
	}
	return ln, nil
}

// Inherit rebuilds one listener per name from files, which are in the same
// order. Every file is closed, whatever the outcome; on error the listeners
// already rebuilt are closed too.
func Inherit(names []string, files []*os.File) (map[string]net.Listener, error) {
	if len(names) != len(files) {
		for _, f := range files {
			f.Close()
		}
		return nil, fmt.Errorf("inherit listeners: %d names for %d descriptors", len(names), len(files))
	}
	out := make(map[string]net.Listener, len(names))
	var err error
	for i, f := range files {
		if err != nil {
			f.Close()
			continue
		}
		if _, dup := out[names[i]]; dup {
			f.Close()
			err = fmt.Errorf("inherit listeners: %s passed twice", names[i])
			continue
		}
		var ln net.Listener
		ln, err = FromFile(names[i], f)
		if err == nil {
			out[names[i]] = ln
		}
	}
	if err != nil {
		for _, ln := range out {
			ln.Close()
		}
		return nil, err
	}
	return out, nil
}

// Names encodes listener names for an environment variable: names are
// addresses, which never contain a space, so a space separates them.
func Names(names []string) (string, error) {
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, " \t\n") {
			return "", fmt.Errorf("listener name %q cannot be encoded", n)
		}
	}
	return strings.Join(names, " "), nil
}

// ParseNames decodes what Names encoded.
func ParseNames(s string) []string { return strings.Fields(s) }

// Adopt makes a Listener of fd, a listening TCP socket received from
// another process (a standalone takeover, SCM_RIGHTS) or inherited across
// exec (a binary upgrade). Adopt owns fd from then on, whatever the
// outcome.
//
// Such a socket is normally in non-blocking mode already (its accepting
// workers set it), and O_NONBLOCK belongs to the open file shared with
// them: it must stay set. An *os.File made from a non-blocking descriptor
// would be registered with Go's poller; instead the descriptor is
// installed over a blocking placeholder's number (dup3), so the File is
// never polled and its Fd leaves the shared mode alone, as with Listen.
func Adopt(name string, fd int) (*Listener, error) {
	addr, err := listeningAddr(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("adopt listener %s (fd %d): %w", name, fd, err)
	}
	hold, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("adopt listener %s: placeholder: %w", name, err)
	}
	file := os.NewFile(uintptr(hold), "listener "+name) // blocking: not polled
	err = syscall.Dup3(fd, int(file.Fd()), syscall.O_CLOEXEC)
	syscall.Close(fd)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("adopt listener %s: dup3: %w", name, err)
	}
	return &Listener{Name: name, addr: addr, file: file}, nil
}

// listeningAddr checks that fd is a listening TCP socket and returns its
// address.
func listeningAddr(fd int) (net.Addr, error) {
	typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return nil, err
	}
	acc, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
	if err != nil {
		return nil, err
	}
	if typ != syscall.SOCK_STREAM || acc != 1 {
		return nil, fmt.Errorf("not a listening stream socket")
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return nil, err
	}
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}, nil
	case *syscall.SockaddrInet6:
		ip := make(net.IP, net.IPv6len)
		copy(ip, a.Addr[:])
		return &net.TCPAddr{IP: ip, Port: a.Port}, nil
	}
	return nil, fmt.Errorf("not a TCP socket")
}

// KeepOnExec clears close-on-exec on the Listener's descriptor so that it
// survives syscall.Exec (a binary upgrade), and returns its number.
func (l *Listener) KeepOnExec() (int, error) {
	fd := int(l.file.Fd()) // never polled: Fd leaves the mode alone
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0); e != 0 {
		return -1, fmt.Errorf("listener %s: clear close-on-exec: %w", l.Name, e)
	}
	return fd, nil
}
