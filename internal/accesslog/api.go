package accesslog

// This file fixes the package's entry points; the other files implement them.
//
// accesslog formats HAProxy's httplog and tcplog lines, with the worker
// generation and PID that handled the connection, into a reused buffer.
//
//	type Entry struct { ... every field of HAProxy's httplog/tcplog:
//	    client addr/port, accept date, frontend, backend, server,
//	    TR/Tw/Tc/Tr/Ta (or Tw/Tc/Tt), status, bytes read, captured cookies
//	    ("-"), termination state (two or four chars, e.g. "----", "sH--",
//	    "cR--", "SC--"), actconn/feconn/beconn/srv_conn/retries,
//	    srv_queue/backend_queue, method+URI+version }
//	type Logger struct{ ... }          // one per worker; safe for concurrent use
//	func New(w io.Writer, generation, pid int) *Logger
//	func (l *Logger) HTTP(e *Entry)    // one httplog line
//	func (l *Logger) TCP(e *Entry)     // one tcplog line
//	func (l *Logger) Event(format string, args ...any) // worker event lines
