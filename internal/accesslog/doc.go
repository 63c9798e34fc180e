// Package accesslog writes a worker's log lines: one per request (mode
// http) or connection (mode tcp) in HAProxy's formats, and the proxies'
// event lines, to the "log" targets of the configuration (package
// syslog sends them).
//
// # Formats
//
// A Format is a compiled HAProxy log format (see logformat.ParseLog).
// "option httplog" is
//
//	%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r
//
// "option tcplog"
//
//	%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
//
// and "option httplog clf" HAProxy's CLF variant; "log-format" gives any
// other. A frontend with targets and no format logs HAProxy's default
// line when it accepts a connection: "Connect from CLIENT to LOCAL
// (FRONTEND/HTTP)".
//
// Format.Append writes a line for an Entry with HAProxy 2.6's rules:
// timers in milliseconds computed from the phase times (each truncated to
// the millisecond, then subtracted) and -1 for a phase not reached; dates
// in local time; "<NOSRV>" when no server was reached; the frontend as
// backend when none was selected; '-' for an empty string unless quoted
// or %{-M}; '+' before the retries after a redispatch, and before %Ta,
// %Tt, %Tu and %B in a line logged early ("option logasap"); request
// fields encoded with '#' and two hex digits for bytes outside 32..126,
// '"' and '#'. Baton captures no headers or cookies: %hr, %hs, %hrl and
// %hsl write nothing (and take no separator), %CC and %CS are empty, as
// are %ID, %sslc and %sslv. IPv4-mapped IPv6 addresses are written as
// IPv4. A line is cut at the longest target "len" less one byte: literal
// text and plain strings are cut, any other field that does not fit is
// left out whole, as HAProxy does.
//
// # Routing
//
// A Logger holds one configuration's targets; Logger.Proxy gives each
// proxy its settings. Proxy.Log writes a traffic line unless "option
// dontlog-normal" skips it (no error, timeout, retry, redispatch or 5xx),
// at level info, or err with "option log-separate-errors" for the others.
// Proxy.LogError writes the line of a connection that failed before a
// request was read, with "error-log-format" when set (HAProxy's session
// log). "log-format-sd" is written only when a target uses rfc5424.
// Proxy.Eventf sends a proxy's events (servers going up and down, the
// proxy stopping) and Logger.Eventf the process's, at the level HAProxy
// uses. Traffic lines are formatted in pooled buffers and queued without
// blocking or allocating once warm; a slow target drops and counts lines
// (Logger.Dropped, syslog.DroppedLogs).
package accesslog
