package backend

import (
	"syscall"
	"unsafe"
)

// peek runs inside RawConn.Read: one recv(MSG_PEEK|MSG_DONTWAIT) of a
// byte, which never blocks and leaves any data in the socket. It returns
// true so Read does not wait for readability. The raw syscall avoids
// syscall.Recvfrom's sockaddr buffer, which would escape to the heap.
func (e *idleEntry) peek(fd uintptr) bool {
	n, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd,
		uintptr(unsafe.Pointer(&e.buf[0])), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	e.n, e.errno = int(n), errno
	return true
}

// IdlePeeked says GetIdleMatching's liveness check looks into the
// socket: a connection it returns held nothing then, not even a FIN.
const IdlePeeked = true

func peekAlive(n int, errno syscall.Errno) bool {
	return errno == syscall.EAGAIN || errno == syscall.EWOULDBLOCK
}
