package listener

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"baton/internal/sockaddr"
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

// UnixOptions are the owner and permissions of a UNIX socket file the
// master creates ("bind ... mode/user/group", "unix-bind").
type UnixOptions struct {
	// Mode is the file's permission bits; 0 leaves what the umask gave.
	Mode uint32
	// UID and GID own the file when HasUID/HasGID; otherwise it stays the
	// master's.
	UID, GID       int
	HasUID, HasGID bool
}

// Listen binds name, a configuration address in its canonical form
// (package sockaddr): ":80" means every address (IPv4 and IPv6),
// "127.0.0.1:80" one address, "ipv4@..."/"ipv6@..." one family,
// "unix@PATH" a socket file, "abns@NAME" an abstract UNIX socket, and
// "fd@N" the socket this process inherited on descriptor N.
func Listen(name string) (*Listener, error) { return ListenWith(name, UnixOptions{}) }

// ListenWith is Listen with the socket file settings of a "unix@" name.
//
// The master keeps a plain descriptor rather than a net.Listener: os/exec
// calls Fd on every inherited file, and Fd on a file Go polls switches the
// socket to blocking mode. O_NONBLOCK belongs to the open file, shared with
// every worker, so that switch during a reload would make the serving
// worker's accept block a thread that StopAccepting cannot interrupt. The
// descriptor kept here is therefore never polled; workers set non-blocking
// mode once (net.FileListener) and nothing resets it.
func ListenWith(name string, opt UnixOptions) (*Listener, error) {
	return ListenOptions(name, opt, sockopt.Listen{})
}

// ListenOptions is ListenWith with the bind line's socket options (see
// options.go).
func ListenOptions(name string, opt UnixOptions, o sockopt.Listen) (*Listener, error) {
	a, err := sockaddr.Parse(name, sockaddr.Options{AnyPort: true})
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", name, err)
	}
	if a.Kind == sockaddr.FD {
		return adoptInherited(name, a.FD)
	}
	var ln net.Listener
	if a.Kind == sockaddr.Unix {
		var ul *net.UnixListener
		if ul, err = ListenUnixFile(a.Host, opt, false); err == nil {
			ln = ul
		}
	} else {
		ln, err = listenConfig(o).Listen(context.Background(), a.Network(), a.Address())
	}
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", name, err)
	}
	defer ln.Close()
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // the socket lives on in this descriptor's copy
	}
	rc, err := ln.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", name, err)
	}
	fd := -1
	var dupErr error
	_, unix := ln.(*net.UnixListener)
	err = rc.Control(func(s uintptr) {
		if dupErr = afterListen(o, int(s), unix); dupErr != nil {
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
	addr := ln.Addr()
	if a.Kind == sockaddr.Unix {
		addr = &net.UnixAddr{Name: a.Host, Net: "unix"} // not the name it was bound under
	}
	return &Listener{Name: name, addr: addr, file: os.NewFile(uintptr(fd), "listener "+name), opts: o}, nil
}

// ListenUnixFile binds a UNIX socket at path, replacing a stale socket
// file but not one a process still answers on, unless replace is set (a
// takeover): the socket is bound beside the path, given its owner and
// mode, then renamed over it, so the path never shows a half-made socket
// and never stops answering. The file is not removed when the listener
// closes.
func ListenUnixFile(path string, opt UnixOptions, replace bool) (*net.UnixListener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		if !replace {
			return nil, fmt.Errorf("%s: another process is listening there", path)
		}
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d.tmp", filepath.Base(path), os.Getpid()))
	os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	if opt.Mode != 0 {
		err = os.Chmod(tmp, os.FileMode(opt.Mode))
	}
	if err == nil && (opt.HasUID || opt.HasGID) {
		uid, gid := -1, -1
		if opt.HasUID {
			uid = opt.UID
		}
		if opt.HasGID {
			gid = opt.GID
		}
		err = os.Lchown(tmp, uid, gid)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	return ln, nil
}

// claimed are the descriptors adopted through "fd@N": once released, the
// number may belong to another file, so it is never adopted again.
var claimed sync.Map // int -> struct{}

// adoptInherited makes a Listener of descriptor fd, inherited from the
// process that started this one (a test harness, systemd-style socket
// activation): it must be a bound stream socket; one that is not yet
// listening is made to listen.
func adoptInherited(name string, fd int) (*Listener, error) {
	if err := claimInherited(fd); err != nil {
		return nil, fmt.Errorf("bind %s: %w", name, err)
	}
	return Adopt(name, fd)
}

// claimInherited checks that fd is an inherited, bound stream socket that
// this process did not use before, and makes it listen.
func claimInherited(fd int) error {
	if _, dup := claimed.LoadOrStore(fd, struct{}{}); dup {
		return fmt.Errorf("descriptor %d was already used by this process", fd)
	}
	if acc, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN); err != nil {
		return fmt.Errorf("descriptor %d is not an inherited socket: %w", fd, err)
	} else if acc == 0 {
		if err := syscall.Listen(fd, syscall.SOMAXCONN); err != nil {
			return fmt.Errorf("listen on descriptor %d: %w", fd, err)
		}
	}
	return nil
}

// ListenLocal opens a listener this process accepts on itself (the
// master's CLI and stats sockets): name is any sockaddr form; a UNIX
// socket file is bound as ListenWith does, "fd@N" takes an inherited
// socket.
func ListenLocal(name string, opt UnixOptions) (net.Listener, error) {
	a, err := sockaddr.Parse(name, sockaddr.Options{AnyPort: true})
	if err != nil {
		return nil, err
	}
	switch a.Kind {
	case sockaddr.FD:
		if err := claimInherited(a.FD); err != nil {
			return nil, err
		}
		f := os.NewFile(uintptr(a.FD), name)
		defer f.Close() // FileListener works on a duplicate
		return net.FileListener(f)
	case sockaddr.Unix:
		ln, err := ListenUnixFile(a.Host, opt, false)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return ln, nil
	}
	return net.Listen(a.Network(), a.Address())
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
	disableAcceptKeepAlive(ln)
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

// Adopt makes a Listener of fd, a listening TCP or UNIX socket received
// from another process (a standalone takeover, SCM_RIGHTS) or inherited across
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
	if a, err := sockaddr.Parse(name, sockaddr.Options{}); err == nil && a.Kind == sockaddr.Unix {
		// The kernel reports the name the socket was bound under, which
		// was renamed into place (listenUnixFile).
		addr = &net.UnixAddr{Name: a.Host, Net: "unix"}
	}
	return &Listener{Name: name, addr: addr, file: file}, nil
}

// listeningAddr checks that fd is a listening stream socket (TCP or
// UNIX) and returns its address.
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
	case *syscall.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}, nil
	}
	return nil, fmt.Errorf("not a TCP or UNIX socket")
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
