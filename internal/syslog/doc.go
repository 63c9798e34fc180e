// Package syslog sends log lines to the targets of HAProxy's "log"
// keyword: UDP syslog servers, unix datagram sockets (/dev/log) and the
// process's stdout and stderr, with HAProxy 2.6's header for each
// "format" (local, rfc3164, rfc5424, priority, short, timed, iso, raw).
//
// # Model
//
// A Target is one parsed "log" line: an Address, a format, a facility,
// the level bounds, a maximum line length ("len") and an optional
// sampling ("sample RANGES:SIZE"). At run time:
//
//   - a Sink is one destination (a socket or a file descriptor). It owns a
//     bounded queue of formatted lines and one writer goroutine, so a slow,
//     stuck or absent receiver never blocks the caller: when the queue is
//     full, the line is dropped and counted (Sink.Dropped and the process
//     total, DroppedLogs);
//   - an Output is one "log" line bound to its Sink; its sampling ranges
//     are shared by every proxy that uses the line, as in HAProxy;
//   - a Route is one proxy's use of an Output, with that proxy's own place
//     in the sampling sequence (HAProxy copies a logger into each proxy
//     that says "log global" or inherits it from a defaults section);
//   - a Logger is a proxy's list of Routes with its tag ("log-tag").
//
// Logger.Log filters each route by level, applies sampling, caps the level
// at the minimum level, writes the header and the message (truncated to
// the target's "len" as HAProxy truncates it), appends a newline and
// queues the line. It does not allocate once the sinks' buffers have
// warmed up.
//
// # Header layouts (HAProxy 2.6, byte for byte)
//
//	local     <PRI>Mmm dd hh:mm:ss TAG[PID]: MSG
//	rfc3164   <PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG
//	rfc5424   <PRI>1 YYYY-MM-DDThh:mm:ss.uuuuuu+hh:mm HOST TAG PID - SD MSG
//	priority  <PRI>MSG
//	short     <LEVEL>MSG
//	timed     <LEVEL>YYYY-MM-DDThh:mm:ss.uuuuuu+hh:mm MSG
//	iso       YYYY-MM-DDThh:mm:ss.uuuuuu+hh:mm MSG
//	raw       MSG
//
// PRI is facility*8+level. Times are local. HOST is the "log-send-hostname"
// value; without it rfc3164 says "localhost" and rfc5424 "-". SD is the
// structured data ("log-format-sd"), "-" when there is none. A target
// without "format" uses local, or rfc3164 once "log-send-hostname" is set.
// The header and message together are cut at "len" bytes (1024 by default)
// before the newline is added.
package syslog
