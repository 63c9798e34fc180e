package listener

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// serveOnce rebuilds a worker's listener from l and checks that a client
// dialing network/address reaches it.
func serveOnce(t *testing.T, l *Listener, network, address string) {
	t.Helper()
	f, err := dupFile(l.File())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := FromFile(l.Name, f)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial(network, address)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, address, err)
	}
	c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestListenUnixFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	// A stale socket file (nobody answers) is replaced.
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	gid := os.Getgid()
	l, err := ListenWith("unix@"+path, UnixOptions{Mode: 0o640, GID: gid, HasGID: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o640 || int(fi.Sys().(*syscall.Stat_t).Gid) != gid {
		t.Fatalf("socket file %v %v", fi, err)
	}
	serveOnce(t, l, "unix", path)
	// A live one is not taken over.
	if _, err := Listen("unix@" + path); err == nil || !strings.Contains(err.Error(), "another process is listening") {
		t.Fatalf("second listener on a live socket: %v", err)
	}
	// Closing leaves the file, as HAProxy does; the next start replaces it.
	l.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("socket file gone after Close: %v", err)
	}
}

func TestListenUnixOwner(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	path := filepath.Join(t.TempDir(), "o.sock")
	l, err := ListenWith("unix@"+path, UnixOptions{UID: 65534, HasUID: true, GID: 65534, HasGID: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	st := must(os.Lstat(path)).Sys().(*syscall.Stat_t)
	if st.Uid != 65534 || st.Gid != 65534 {
		t.Fatalf("owner %d:%d, want 65534:65534", st.Uid, st.Gid)
	}
}

func must(fi os.FileInfo, err error) os.FileInfo {
	if err != nil {
		panic(err)
	}
	return fi
}

func TestListenABNSAndFamilies(t *testing.T) {
	name := fmt.Sprintf("baton-test-%d", os.Getpid())
	l, err := Listen("abns@" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	serveOnce(t, l, "unix", "@"+name+strings.Repeat("\x00", 107-len(name)))

	l4, err := Listen("ipv4@127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l4.Close()
	serveOnce(t, l4, "tcp4", l4.Addr().String())
}

// lastFD hands out descriptor numbers never used before in this test
// process (tests may run several times: -count).
var lastFD = 300

func freshFD() int {
	lastFD += 3
	return lastFD
}

// boundSocket returns a TCP socket bound to 127.0.0.1 on a descriptor
// number no earlier test used: "fd@N" never takes a number twice in a
// process.
func boundSocket(t *testing.T) int {
	t.Helper()
	min := freshFD()
	s, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(s)
	if err := syscall.Bind(s, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(s), syscall.F_DUPFD_CLOEXEC, uintptr(min))
	if e != 0 {
		t.Fatal(e)
	}
	return int(r)
}

// TestListenInheritedFD: "fd@N" takes a socket this process inherited
// bound but not listening, makes it listen, and never takes N twice.
func TestListenInheritedFD(t *testing.T) {
	fd := boundSocket(t)
	name := fmt.Sprintf("fd@%d", fd)
	l, err := Listen(name)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Addr().(*net.TCPAddr).Port == 0 {
		t.Fatalf("address %v", l.Addr())
	}
	serveOnce(t, l, "tcp", l.Addr().String())
	if _, err := Listen(name); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("second fd@%d: %v", fd, err)
	}
	unused := fmt.Sprintf("fd@%d", freshFD())
	if _, err := Listen(unused); err == nil || !strings.Contains(err.Error(), "not an inherited socket") {
		t.Fatalf("%s: %v", unused, err)
	}
}

func TestListenLocal(t *testing.T) {
	fd := boundSocket(t)
	ln, err := ListenLocal(fmt.Sprintf("fd@%d", fd), UnixOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if s, err := ln.Accept(); err != nil {
		t.Fatal(err)
	} else {
		s.Close()
	}
	// The descriptor number itself was handed to the listener's copy and
	// closed: nothing keeps it.
	if _, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE); err == nil {
		t.Errorf("descriptor %d still open", fd)
	}
}

// TestAdoptUnix: a listening UNIX socket received from another process is
// adopted like a TCP one (a takeover passes both kinds).
func TestAdoptUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.sock")
	src, err := Listen("unix@" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fd, err := dupCloexec(int(src.File().Fd()))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Adopt("unix@"+path, fd)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if a, ok := l.Addr().(*net.UnixAddr); !ok || a.Name != path {
		t.Fatalf("adopted address %v", l.Addr())
	}
	serveOnce(t, l, "unix", path)
}
