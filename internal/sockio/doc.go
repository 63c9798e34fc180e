// Package sockio reads and writes a plain TCP socket (non-blocking, in Go's
// poller) with raw system calls made inside its RawConn, for the busy
// paths' reads and writes: the proxy's HTTP/1.1 client and server
// sockets and an HTTP/2 connection's client socket. Three things make it
// cheaper than net.Conn's Read and Write:
//
//   - A raw system call does not hand the goroutine's P to the
//     scheduler for the call's duration. A loopback writev runs the
//     receiver's TCP input too and takes microseconds; with the entersyscall
//     of net.Conn's Write the runtime's monitor thread sees Ps "in a
//     system call", takes them back and starts other threads, and keeps
//     itself waking every 20 us to do so (about 6% of the worker's CPU
//     under wrk -c64). The calls here never block: the socket is
//     non-blocking, and EAGAIN returns to the poller like net.Conn does.
//   - The first read of a message (a keep-alive client's next request,
//     a server's answer) usually finds nothing yet. When the caller
//     knows the socket was empty, it waits for the poller first and
//     reads once, when there is something to read (ReadWaiting),
//     instead of a read that fails with EAGAIN and then a wait: that
//     saved about 1.7 failed reads per request. The wait is Go's own
//     (pollwait), which, unlike RawConn.Read, keeps an edge the poller
//     saw before the call, so bytes already there end it at once. Empty
//     means no byte and no FIN: a FIN that came with the last bytes
//     read shares their edge, so only a peek that found nothing (the
//     idle pool's), a fresh connection, or a caller whose wait is
//     bounded (the proxy's hot wait, then a level-triggered park; an
//     HTTP/2 reader's short deadline while it holds buffers) may wait
//     first. Every other read is tried first, as RawConn.Read does.
//   - The calls are the socket ones, recvfrom, sendto and sendmsg
//     (HAProxy's too), not read and writev: those go through the file
//     layer first (its position lock, permission and notification
//     hooks) on the way to the same socket code.
//
// While an IO owns a socket, no other goroutine may read it: ReadWaiting
// waits inside RawConn.Control, which does not take the read lock, and
// the runtime aborts the process on two waiters at once.
//
// Deadlines are the socket's own (SetReadDeadline, SetWriteDeadline),
// which RawConn's Read and Write obey (the proxy's server connections
// keep them on a grid, so that most requests leave them as they are).
// One goroutine at a time reads and one writes, as with any net.Conn;
// the callbacks are bound once, so a call allocates nothing.
package sockio
