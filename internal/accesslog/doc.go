// Package accesslog writes HAProxy's httplog and tcplog lines, and the
// worker's own event lines, to the configured log target.
//
// # Line layout
//
// Every line starts with a fixed Baton prefix naming the process that
// handled the connection, then the message exactly as HAProxy writes it
// with "log stdout format raw":
//
//	baton[PID] gen=N <HAProxy message>
//
// e.g.
//
//	baton[4242] gen=3 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"
//
// The prefix is what a reload-aware reader splits on: "baton[", the
// decimal PID, "] gen=", the decimal generation, one space. Event lines
// (Logger.Event) carry the same prefix followed by free text.
//
// The HTTP message is HAProxy's "option httplog" format
//
//	%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r
//
// and the TCP one "option tcplog"
//
//	%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
//
// with HAProxy's conventions: timers in milliseconds and -1 for a phase
// that was not reached; dates as dd/Mon/yyyy:hh:mm:ss.mmm in the date's
// own location; "<NOSRV>" when no server was reached; the frontend name
// as backend when none was selected; "-" for the captured cookies, which
// Baton does not capture; "+" before the retries after a redispatch; a
// status of -1 when none was sent. Baton has no header captures, so %hr
// and %hs print nothing and, as in HAProxy, take no separator. The request
// line is quoted, with bytes outside 32..126 and '#' and '"' written as
// '#' and two hex digits (HAProxy's encoding); an empty one is <BADREQ>.
// IPv4-mapped IPv6 client addresses are logged as IPv4.
//
// # Writing
//
// A Logger formats each line into a buffer from a bounded free list and
// hands it to one writer goroutine, which issues a single Write per line
// in order. The data path (HTTP, TCP) never blocks on the writer and does
// not allocate once the free list has warmed up: when every buffer is
// queued because the writer is slow (or stuck), the line is dropped and
// counted. After the queue drains, the writer logs how many lines were
// dropped, and Dropped reports the running total. Event uses the same
// queue; it may allocate. Flush waits for queued lines to be written;
// Close flushes and stops the writer.
package accesslog
