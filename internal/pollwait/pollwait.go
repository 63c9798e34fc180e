package pollwait

import (
	"net"
	"os"
	"reflect"
	"sync"
	"unsafe"
)

// runtimePollWait is the runtime's poll wait (internal/poll's
// runtime_pollWait): it returns at once, consuming it, if an edge was
// recorded since the last wait or reset, and otherwise parks the
// goroutine until one is, the read deadline passes or the socket is
// closed. It returns one of the codes below.
//
//go:linkname runtimePollWait internal/poll.runtime_pollWait
func runtimePollWait(ctx uintptr, mode int) int

// The runtime's result codes (internal/poll's pollNoError and so on).
const (
	pollNoError    = 0
	pollErrClosing = 1
	pollErrTimeout = 2
)

// Desc is a socket's runtime poll descriptor; 0 means none is known.
type Desc uintptr

// offsets of the fields on the way from a *net.TCPConn to its runtime
// poll descriptor: TCPConn.conn.fd (a *netFD), then netFD.pfd.pd.runtimeCtx.
var (
	once   sync.Once
	ok     bool
	fdOff  uintptr // of conn.fd in TCPConn
	ctxOff uintptr // of pfd.pd.runtimeCtx in netFD
)

// field walks t's named fields and returns the offset of the last one
// and its type, or false if one is missing.
func field(t reflect.Type, names ...string) (uintptr, reflect.Type, bool) {
	var off uintptr
	for _, n := range names {
		if t.Kind() != reflect.Struct {
			return 0, nil, false
		}
		f, found := t.FieldByName(n)
		if !found || len(f.Index) != 1 {
			return 0, nil, false
		}
		off += f.Offset
		t = f.Type
	}
	return off, t, true
}

func setup() {
	off, t, found := field(reflect.TypeFor[net.TCPConn](), "conn", "fd")
	if !found || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return
	}
	fdOff = off
	off, t, found = field(t.Elem(), "pfd", "pd", "runtimeCtx")
	if !found || t.Kind() != reflect.Uintptr {
		return
	}
	ctxOff = off
	ok = selfTest()
}

// selfTest makes a loopback pair and checks that the descriptor found
// for one end is that socket's: the runtime's pollDesc holds the file
// descriptor number right after its first pointer.
func selfTest() bool {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return false
	}
	defer ln.Close()
	c, err := net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		return false
	}
	defer c.Close()
	fdp := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(c), fdOff))
	if fdp == nil {
		return false
	}
	// The runtime's pollDesc is not in the Go heap (the collector
	// ignores a pointer to it), so the context may be loaded as one.
	pd := *(*unsafe.Pointer)(unsafe.Add(fdp, ctxOff))
	if pd == nil {
		return false
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	match := false
	rc.Control(func(fd uintptr) {
		match = *(*uintptr)(unsafe.Add(pd, unsafe.Sizeof(uintptr(0)))) == fd
	})
	return match
}

func descOf(c *net.TCPConn) Desc {
	fd := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(c), fdOff))
	if fd == nil {
		return 0
	}
	return Desc(*(*uintptr)(unsafe.Add(fd, ctxOff)))
}

// Of returns c's poll descriptor, or 0 when it cannot be had (then the
// caller reads first, as RawConn.Read does).
func Of(c *net.TCPConn) Desc {
	once.Do(setup)
	if !ok || c == nil {
		return 0
	}
	return descOf(c)
}

// WaitRead waits until d's socket has become readable since the last
// wait (or since RawConn.Read's last reset). It returns nil,
// os.ErrDeadlineExceeded when the read deadline passed, or net.ErrClosed
// when the socket was closed. The caller holds a reference on the socket
// (it runs inside RawConn.Control) and one goroutine at a time waits.
func (d Desc) WaitRead() error {
	switch runtimePollWait(uintptr(d), 'r') {
	case pollNoError:
		return nil
	case pollErrTimeout:
		return os.ErrDeadlineExceeded
	case pollErrClosing:
		return net.ErrClosed
	}
	return errNotPollable
}

var errNotPollable = &os.SyscallError{Syscall: "poll wait", Err: os.ErrInvalid}
