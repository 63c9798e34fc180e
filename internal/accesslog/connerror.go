package accesslog

import (
	"net/netip"
	"time"
)

// ConnError logs a connection that failed before any request, in
// HAProxy's error log format (a refused PROXY header, for instance):
// "127.0.0.1:56059 [03/Dec/2012:17:35:10.380] frt/f1: Received something
// which does not look like a PROXY protocol header". bind is the
// listener's name.
func (l *Logger) ConnError(client netip.AddrPort, accepted time.Time, frontend, bind, msg string) {
	ln := l.get()
	if ln == nil {
		return
	}
	b := append(ln.b[:0], l.prefix...)
	b = appendClient(b, client)
	b = append(b, " ["...)
	b = appendDate(b, accepted)
	b = append(b, "] "...)
	b = append(b, frontend...)
	b = append(b, '/')
	b = append(b, bind...)
	b = append(b, ": "...)
	b = append(b, msg...)
	ln.b = append(b, '\n')
	l.send(ln)
}
