// Package pollwait waits for a socket to become readable in Go's own
// network poller, without the reset that syscall.RawConn.Read does
// first.
//
// Go's poller is edge-triggered: when bytes arrive on a socket nobody is
// waiting on, it records the edge in the socket's runtime poll
// descriptor, and the next wait returns at once. RawConn.Read (like
// net.Conn.Read) clears that record before it starts, so it must try a
// read first or it could sleep through bytes already there; on a
// keep-alive connection that first read usually fails with EAGAIN (the
// next request or the server's answer has not arrived yet), one wasted
// system call per read. Wait keeps the record: a caller that knows the
// socket was empty after its last read (the read came back short) waits
// first and reads once, when there is something to read.
//
// The descriptor is reached through the unexported fields of net.TCPConn
// and the runtime's poll wait through a linkname, both checked when the
// package starts (a loopback pair is made and its descriptor found); if
// anything does not match, Of returns 0 and callers keep reading first.
// Wait must run with a reference on the socket held, inside
// RawConn.Control, so that a Close meanwhile cannot free the descriptor
// under it: Close wakes the wait with net.ErrClosed instead.
package pollwait
