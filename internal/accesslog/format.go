package accesslog

import (
	"net/netip"
	"strconv"
	"time"
)

// Entry is one connection (tcplog) or one request (httplog). The proxy
// fills it in; HTTP and TCP read it without keeping it.
type Entry struct {
	// Client is the client's address and port; the zero value logs "-:-".
	Client netip.AddrPort
	// Date is the request date (%tr, httplog: when the first byte of the
	// request arrived) or the accept date (%t, tcplog).
	Date time.Time
	// Frontend, Backend and Server are the names. An empty Backend logs
	// the frontend (no switching happened); an empty Server logs <NOSRV>.
	Frontend, Backend, Server string

	// Timers; a negative value logs -1 (the phase was not reached).
	// TR: time to receive the full request head (httplog).
	// Tw: time waiting in queues. Tc: time to connect to the server.
	// Tr: time for the server's response head (httplog).
	// Ta: request active time, first request byte to last response byte
	// (httplog). Tt: accept to last close (tcplog).
	TR, Tw, Tc, Tr, Ta, Tt time.Duration

	// Status is the HTTP status sent; 0 logs -1 (none was sent).
	Status int
	// Bytes is the number of bytes sent to the client, headers included.
	Bytes int64
	// State is the termination state: the first two bytes for tcplog, all
	// four for httplog. A zero byte logs '-', so the zero value is "----".
	State [4]byte

	// ActConn, FeConn, BeConn and SrvConn are the concurrent connections
	// on the process, frontend, backend and server when logging.
	ActConn, FeConn, BeConn, SrvConn int
	// Retries is the number of connection retries; Redispatched adds '+'.
	Retries      int
	Redispatched bool
	// SrvQueue and BackendQueue are the positions in the server and
	// backend queues (0 when not queued).
	SrvQueue, BackendQueue int

	// Request is the request line ("GET / HTTP/1.1", httplog); empty
	// logs <BADREQ>.
	Request []byte
	// CaptureReq and CaptureRes are the captured headers, "{a|b}" (%hr
	// and %hs); empty when the frontend captures nothing that way.
	CaptureReq, CaptureRes []byte
}

// appendOrigin appends what both layouts start with: the client, the
// accept date in brackets, the frontend, backend and server names, and a
// space.
func appendOrigin(b []byte, e *Entry) []byte {
	b = appendClient(b, e.Client)
	b = append(b, " ["...)
	b = appendDate(b, e.Date)
	b = append(b, "] "...)
	b = appendNames(b, e)
	return append(b, ' ')
}

// appendTimers appends the timers separated by '/'.
func appendTimers(b []byte, timers ...time.Duration) []byte {
	for i, t := range timers {
		if i > 0 {
			b = append(b, '/')
		}
		b = appendTimer(b, t)
	}
	return b
}

// appendHTTP appends the httplog message for e.
func appendHTTP(b []byte, e *Entry) []byte {
	b = appendOrigin(b, e)
	b = appendTimers(b, e.TR, e.Tw, e.Tc, e.Tr, e.Ta)
	b = append(b, ' ')
	if e.Status <= 0 {
		b = append(b, "-1"...)
	} else {
		b = strconv.AppendInt(b, int64(e.Status), 10)
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, e.Bytes, 10)
	b = append(b, " - - "...) // %CC %CS: no cookie capture
	b = appendState(b, e.State[:])
	b = append(b, ' ')
	b = appendCounters(b, e)
	// %hr %hs: each is emitted, with its separator, only when the
	// frontend captures something that way.
	for _, c := range [2][]byte{e.CaptureReq, e.CaptureRes} {
		if len(c) > 0 {
			b = append(b, ' ')
			b = appendEscaped(b, c)
		}
	}
	b = append(b, " \""...)
	if len(e.Request) == 0 {
		b = append(b, "<BADREQ>"...)
	} else {
		b = appendEscaped(b, e.Request)
	}
	return append(b, '"')
}

// appendTCP appends the tcplog message for e.
func appendTCP(b []byte, e *Entry) []byte {
	b = appendOrigin(b, e)
	b = appendTimers(b, e.Tw, e.Tc, e.Tt)
	b = append(b, ' ')
	b = strconv.AppendInt(b, e.Bytes, 10)
	b = append(b, ' ')
	b = appendState(b, e.State[:2])
	b = append(b, ' ')
	return appendCounters(b, e)
}

func appendClient(b []byte, c netip.AddrPort) []byte {
	if !c.Addr().IsValid() {
		return append(b, "-:-"...)
	}
	b = c.Addr().Unmap().AppendTo(b)
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(c.Port()), 10)
}

// appendNames appends "%ft %b/%s".
func appendNames(b []byte, e *Entry) []byte {
	b = appendName(b, e.Frontend)
	b = append(b, ' ')
	if e.Backend == "" {
		b = appendName(b, e.Frontend)
	} else {
		b = append(b, e.Backend...)
	}
	b = append(b, '/')
	if e.Server == "" {
		return append(b, "<NOSRV>"...)
	}
	return append(b, e.Server...)
}

func appendName(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}

func appendTimer(b []byte, d time.Duration) []byte {
	if d < 0 {
		return append(b, "-1"...)
	}
	return strconv.AppendInt(b, d.Milliseconds(), 10)
}

func appendState(b []byte, s []byte) []byte {
	for _, c := range s {
		if c == 0 {
			c = '-'
		}
		b = append(b, c)
	}
	return b
}

// appendCounters appends "%ac/%fc/%bc/%sc/%rc %sq/%bq".
func appendCounters(b []byte, e *Entry) []byte {
	b = strconv.AppendInt(b, int64(e.ActConn), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(e.FeConn), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(e.BeConn), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(e.SrvConn), 10)
	b = append(b, '/')
	if e.Redispatched {
		b = append(b, '+')
	}
	b = strconv.AppendInt(b, int64(e.Retries), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(e.SrvQueue), 10)
	b = append(b, '/')
	return strconv.AppendInt(b, int64(e.BackendQueue), 10)
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendDate appends HAProxy's date: 06/Feb/2009:12:14:14.655.
func appendDate(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = append2(b, d)
	b = append(b, '/')
	b = append(b, months[mo-1]...)
	b = append(b, '/')
	b = append2(b, y/100)
	b = append2(b, y%100)
	b = append(b, ':')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	b = append(b, '.')
	ms := t.Nanosecond() / 1e6
	return append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
}

func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10%10), byte('0'+n%10))
}

const hexDigits = "0123456789ABCDEF"

// appendEscaped writes s with HAProxy's log encoding: bytes outside
// 32..126, '#' and '"' become '#' and two hex digits.
func appendEscaped(b, s []byte) []byte {
	for _, c := range s {
		if c < 32 || c > 126 || c == '#' || c == '"' {
			b = append(b, '#', hexDigits[c>>4], hexDigits[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}
