package listener

import (
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"
)

func TestNamesRoundTrip(t *testing.T) {
	for _, names := range [][]string{
		{},
		{":80"},
		{":80", "[::]:443", "127.0.0.1:8080"},
	} {
		s, err := Names(names)
		if err != nil {
			t.Fatalf("Names(%q): %v", names, err)
		}
		if got := ParseNames(s); !slices.Equal(got, names) && len(names) > 0 {
			t.Errorf("ParseNames(Names(%q)) = %q", names, got)
		}
	}
	for _, bad := range [][]string{{""}, {"a b"}, {"x\ty"}} {
		if _, err := Names(bad); err == nil {
			t.Errorf("Names(%q) succeeded", bad)
		}
	}
}

func FuzzParseNames(f *testing.F) {
	f.Add(":80 [::]:443")
	f.Add("")
	f.Add("  a  b ")
	f.Fuzz(func(t *testing.T, s string) {
		names := ParseNames(s)
		enc, err := Names(names)
		if err != nil {
			t.Fatalf("ParseNames gave unencodable %q: %v", names, err)
		}
		if again := ParseNames(enc); !slices.Equal(again, names) {
			t.Fatalf("round trip %q -> %q", names, again)
		}
	})
}

// TestInheritSharesSocket checks that a listener rebuilt from the handed-over
// descriptor accepts from the master's socket, and that closing the rebuilt
// one leaves the socket (and its accept queue) alive in the master.
func TestInheritSharesSocket(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()

	dup, err := dupFile(l.File())
	if err != nil {
		t.Fatal(err)
	}
	lns, err := Inherit([]string{l.Name}, []*os.File{dup})
	if err != nil {
		t.Fatal(err)
	}
	ln := lns["127.0.0.1:0"]
	if ln == nil {
		t.Fatalf("listener not found by name: %v", lns)
	}
	if ln.Addr().String() != addr {
		t.Fatalf("inherited listener on %s, want %s", ln.Addr(), addr)
	}
	accept(t, ln, addr)
	ln.Close()

	// The socket lives on: a connection queues, and a second inheritor
	// accepts it.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial after the inheritor closed: %v", err)
	}
	defer c.Close()
	dup2, err := dupFile(l.File())
	if err != nil {
		t.Fatal(err)
	}
	ln2, err := FromFile("second", dup2)
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	s, err := ln2.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c.Write([]byte("x"))
	s.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 1)
	if _, err := io.ReadFull(s, b); err != nil || b[0] != 'x' {
		t.Fatalf("queued connection not usable: %v %q", err, b)
	}
}

func TestInheritErrors(t *testing.T) {
	if _, err := Inherit([]string{"a", "b"}, nil); err == nil {
		t.Error("mismatched names and files accepted")
	}
	f, err := os.CreateTemp(t.TempDir(), "notasocket")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Inherit([]string{":1"}, []*os.File{f}); err == nil {
		t.Error("a regular file was accepted as a listener")
	}
	l1, _ := Listen("127.0.0.1:0")
	defer l1.Close()
	d1, _ := dupFile(l1.File())
	d2, _ := dupFile(l1.File())
	if _, err := Inherit([]string{"x", "x"}, []*os.File{d1, d2}); err == nil {
		t.Error("a name passed twice was accepted")
	}
}

func TestListenTaken(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Listen(l.Addr().String()); err == nil {
		t.Fatal("binding a taken port succeeded")
	}
}

func accept(t *testing.T, ln net.Listener, addr string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		done <- err
	}()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func dupFile(f *os.File) (*os.File, error) {
	fd, err := dupCloexec(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// TestFdKeepsNonblocking guards against os/exec's Fd call switching the
// shared socket to blocking mode while a worker accepts on it.
func TestFdKeepsNonblocking(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	d, err := dupFile(l.File())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := FromFile("x", d) // a worker: sets non-blocking mode
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fd := l.File().Fd() // what os/exec does for the next generation
	flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	if e != 0 {
		t.Fatal(e)
	}
	if flags&syscall.O_NONBLOCK == 0 {
		t.Fatal("the shared socket was switched to blocking mode")
	}
}

// TestAdoptKeepsNonblocking: a socket received from a running process is
// non-blocking; adopting it and handing it on (Fd, as os/exec does) keeps
// it so, and the adopted Listener shares the accept queue.
func TestAdoptKeepsNonblocking(t *testing.T) {
	running, err := net.Listen("tcp", "127.0.0.1:0") // the old process's worker
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	rc, err := running.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd int
	var dupErr error
	rc.Control(func(s uintptr) { fd, dupErr = dupCloexec(int(s)) })
	if dupErr != nil {
		t.Fatal(dupErr)
	}
	l, err := Adopt("127.0.0.1:x", fd)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Addr().String() != running.Addr().String() {
		t.Errorf("Addr %v, want %v", l.Addr(), running.Addr())
	}
	flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, l.File().Fd(), syscall.F_GETFL, 0)
	if e != 0 {
		t.Fatal(e)
	}
	if flags&syscall.O_NONBLOCK == 0 {
		t.Fatal("adopting switched the shared socket to blocking mode")
	}
	d, err := dupFile(l.File())
	if err != nil {
		t.Fatal(err)
	}
	next, err := FromFile("x", d) // the new process's worker
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	accept(t, next, running.Addr().String())
	keep, err := l.KeepOnExec()
	if err != nil {
		t.Fatal(err)
	}
	fdFlags, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(keep), syscall.F_GETFD, 0)
	if e != 0 || fdFlags&syscall.FD_CLOEXEC != 0 {
		t.Errorf("close-on-exec still set (%v)", e)
	}
}

func TestAdoptRejectsOthers(t *testing.T) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(p[1])
	if _, err := Adopt("pipe", p[0]); err == nil {
		t.Error("adopted a pipe")
	}
	c, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn, err := net.Dial("tcp", c.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f, err := conn.(*net.TCPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := dupCloexec(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Adopt("conn", fd); err == nil {
		t.Error("adopted a connected socket")
	}
}
