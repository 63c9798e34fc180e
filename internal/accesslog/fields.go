package accesslog

import (
	"bytes"
	"net/netip"
	"strconv"
	"time"

	lf "baton/internal/logformat"
)

const (
	gmtDate   = "02/Jan/2006:15:04:05 +0000"
	localDate = "02/Jan/2006:15:04:05 -0700"
)

// appendText writes a string variable as HAProxy's lf_text does: quoted
// with Q, '"', '\' and ']' escaped with E, '-' when empty (unless quoted
// or M is off).
func appendText[S string | []byte](b []byte, s S, fl lf.Flag) []byte {
	q := fl&lf.Quote != 0
	if q {
		b = append(b, '"')
	}
	switch {
	case len(s) > 0 && fl&lf.Escape != 0:
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == '"' || c == '\\' || c == ']' {
				b = append(b, '\\', c)
			} else {
				b = append(b, c)
			}
		}
	case len(s) > 0:
		b = append(b, s...)
	case !q && fl&lf.Mandatory != 0:
		b = append(b, '-')
	}
	if q {
		b = append(b, '"')
	}
	return b
}

const hexDigits = "0123456789ABCDEF"

// appendEncoded writes a request field with HAProxy's log encoding:
// bytes outside 32..126, '"' and '#' become '#' and two hex digits; with
// E, '\' and ']' get a backslash. ok false writes <BADREQ>.
func appendEncoded(b, s []byte, ok bool, fl lf.Flag) []byte {
	if !ok {
		s = badReq
	}
	q := fl&lf.Quote != 0
	if q {
		b = append(b, '"')
	}
	esc := fl&lf.Escape != 0
	for _, c := range s {
		switch {
		case c < 32 || c > 126 || c == '#' || c == '"':
			b = append(b, '#', hexDigits[c>>4], hexDigits[c&15])
		case esc && (c == '\\' || c == ']'):
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	if q {
		b = append(b, '"')
	}
	return b
}

var badReq = []byte("<BADREQ>")

func appendIP(b []byte, ap netip.AddrPort, fl lf.Flag) []byte {
	if !ap.IsValid() {
		return appendText(b, "", fl)
	}
	a := ap.Addr().Unmap()
	if fl&lf.Hex != 0 {
		for _, c := range a.AsSlice() {
			b = append(b, hexDigits[c>>4], hexDigits[c&15])
		}
		return b
	}
	q := fl&lf.Quote != 0
	if q {
		b = append(b, '"')
	}
	b = a.AppendTo(b)
	if q {
		b = append(b, '"')
	}
	return b
}

func appendPort(b []byte, ap netip.AddrPort, fl lf.Flag) []byte {
	if !ap.IsValid() {
		return appendText(b, "", fl)
	}
	if fl&lf.Hex != 0 {
		return appendHex(b, uint64(ap.Port()), 4)
	}
	return strconv.AppendUint(b, uint64(ap.Port()), 10)
}

// appendHex writes n in upper-case hexadecimal, at least width digits.
func appendHex(b []byte, n uint64, width int) []byte {
	var tmp [16]byte
	i := len(tmp)
	for n > 0 || len(tmp)-i < width {
		i--
		tmp[i] = hexDigits[n&15]
		n >>= 4
	}
	return append(b, tmp[i:]...)
}

// appendCounter writes %rt, %lc and %pid: decimal, or with X at least
// four hexadecimal digits.
func appendCounter(b []byte, n uint64, fl lf.Flag) []byte {
	if fl&lf.Hex != 0 {
		return appendHex(b, n, 4)
	}
	return strconv.AppendUint(b, n, 10)
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

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendDate appends HAProxy's date, in t's location:
// 06/Feb/2009:12:14:14.655.
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
	m := t.Nanosecond() / 1e6
	return append(b, byte('0'+m/100), byte('0'+m/10%10), byte('0'+m%10))
}

func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10%10), byte('0'+n%10))
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// requestPart extracts an HTTP variable from the request line as HAProxy
// does; ok false means <BADREQ>.
func requestPart(r []byte, v lf.Var) (part []byte, ok bool) {
	if len(r) == 0 {
		return nil, false
	}
	// method, blanks, uri, blanks, version
	i := 0
	for i < len(r) && !isBlank(r[i]) {
		i++
	}
	method := r[:i]
	for i < len(r) && isBlank(r[i]) {
		i++
	}
	spaces := i > len(method)
	uStart := i
	for i < len(r) && !isBlank(r[i]) {
		i++
	}
	uri := r[uStart:i]
	for i < len(r) && isBlank(r[i]) {
		i++
	}
	version := r[i:]
	switch v {
	case lf.VarHM:
		if len(method) == len(r) {
			return nil, false // a method alone
		}
		return method, true
	case lf.VarHU:
		return uri, spaces
	case lf.VarHP:
		if q := bytes.IndexByte(uri, '?'); q >= 0 {
			uri = uri[:q]
		}
		return uri, spaces
	case lf.VarHPO:
		p := uri
		if len(p) > 0 && p[0] != '/' {
			// absolute-form: scheme://authority/path
			if s := bytes.Index(p, []byte("://")); s >= 0 {
				p = p[s+3:]
				if sl := bytes.IndexByte(p, '/'); sl >= 0 {
					p = p[sl:]
				} else {
					p = p[len(p):]
				}
			}
		}
		if q := bytes.IndexByte(p, '?'); q >= 0 {
			p = p[:q]
		}
		return p, spaces
	case lf.VarHQ:
		q := bytes.IndexByte(r, '?')
		if q < 0 {
			return r[len(r):], true
		}
		e := q
		for e < len(r) && !isBlank(r[e]) {
			e++
		}
		return r[q:e], true
	case lf.VarHV:
		if !spaces {
			return nil, false
		}
		if len(version) == 0 {
			return http09, true
		}
		return version, true
	}
	return nil, false
}

var http09 = []byte("HTTP/0.9")
