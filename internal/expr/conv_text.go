package expr

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// json escaping and strftime formatting.

// jsonMode is json's <input-code>.
type jsonMode uint8

const (
	jsonASCII jsonMode = iota
	jsonUTF8
	jsonUTF8S
	jsonUTF8P
	jsonUTF8PS
)

var jsonModes = map[string]jsonMode{"": jsonASCII, "ascii": jsonASCII, "utf8": jsonUTF8, "utf8s": jsonUTF8S, "utf8p": jsonUTF8P, "utf8ps": jsonUTF8PS}

func checkJSON(a []Arg, _ *Env) error {
	m, ok := jsonModes[a[0].Str]
	if !ok {
		return fmt.Errorf("unknown input code %q (ascii, utf8, utf8s, utf8p, utf8ps)", a[0].Str)
	}
	a[0].Int = int64(m)
	return nil
}

// jsonConv escapes a string for a JSON string literal: '"', '\' and '/'
// are backslashed, control characters become \b \f \n \r \t or \uXXXX,
// and other non-ASCII characters \uXXXX. In ascii mode each byte is a
// character; the utf8 modes decode UTF-8 and fail (or with "s" drop the
// character) on a bad sequence or one beyond U+FFFF.
func jsonConv(c *Ctx, a []Arg, s *Sample) bool {
	mode := jsonMode(a[0].Int)
	b := s.Bytes
	start := len(c.buf)
	const hexd = "0123456789abcdef"
	u := func(r rune) {
		c.buf = append(c.buf, '\\', 'u', hexd[r>>12&15], hexd[r>>8&15], hexd[r>>4&15], hexd[r&15])
	}
	for i := 0; i < len(b); {
		ch := b[i]
		if ch < 0x80 || mode == jsonASCII {
			i++
			switch {
			case ch == '"':
				c.buf = append(c.buf, '\\', '"')
			case ch == '\\':
				c.buf = append(c.buf, '\\', '\\')
			case ch == '/':
				c.buf = append(c.buf, '\\', '/')
			case ch == '\b':
				c.buf = append(c.buf, '\\', 'b')
			case ch == '\f':
				c.buf = append(c.buf, '\\', 'f')
			case ch == '\r':
				c.buf = append(c.buf, '\\', 'r')
			case ch == '\n':
				c.buf = append(c.buf, '\\', 'n')
			case ch == '\t':
				c.buf = append(c.buf, '\\', 't')
			case ch < 0x20 || ch >= 0x7f:
				u(rune(ch))
			default:
				c.buf = append(c.buf, ch)
			}
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		bad := r == utf8.RuneError && size <= 1 || r > 0xffff
		if bad && (mode == jsonUTF8P || mode == jsonUTF8PS) && size <= 1 {
			// "p" accepts overlong forms: decode them by hand.
			if r2, n2, ok := decodeOverlong(b[i:]); ok {
				r, size, bad = r2, n2, r2 > 0xffff
			}
		}
		if bad {
			if mode == jsonUTF8S || mode == jsonUTF8PS {
				i += max(size, 1)
				continue
			}
			c.buf = c.buf[:start]
			return false
		}
		u(r)
		i += size
	}
	s.SetStr(c.take(start))
	return true
}

// decodeOverlong decodes a 2 to 4 byte UTF-8 sequence without checking
// for overlong encodings.
func decodeOverlong(b []byte) (rune, int, bool) {
	n := 0
	switch {
	case b[0]&0xe0 == 0xc0:
		n = 2
	case b[0]&0xf0 == 0xe0:
		n = 3
	case b[0]&0xf8 == 0xf0:
		n = 4
	default:
		return 0, 0, false
	}
	if len(b) < n {
		return 0, 0, false
	}
	r := rune(b[0] & (0x7f >> n))
	for k := 1; k < n; k++ {
		if b[k]&0xc0 != 0x80 {
			return 0, 0, false
		}
		r = r<<6 | rune(b[k]&0x3f)
	}
	return r, n, true
}

var (
	shortDays   = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	longDays    = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	shortMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	longMonths  = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// appendStrftime formats t like C's strftime in the C locale. Unknown
// directives are written as they are.
func appendStrftime(dst, format []byte, t time.Time) []byte {
	pad := func(dst []byte, n, width int, fill byte) []byte {
		var tmp [20]byte
		s := strconv.AppendInt(tmp[:0], int64(n), 10)
		for i := len(s); i < width; i++ {
			dst = append(dst, fill)
		}
		return append(dst, s...)
	}
	for i := 0; i < len(format); i++ {
		ch := format[i]
		if ch != '%' || i+1 >= len(format) {
			dst = append(dst, ch)
			continue
		}
		i++
		switch format[i] {
		case 'a':
			dst = append(dst, shortDays[t.Weekday()]...)
		case 'A':
			dst = append(dst, longDays[t.Weekday()]...)
		case 'b', 'h':
			dst = append(dst, shortMonths[t.Month()-1]...)
		case 'B':
			dst = append(dst, longMonths[t.Month()-1]...)
		case 'c':
			dst = appendStrftime(dst, []byte("%a %b %e %H:%M:%S %Y"), t)
		case 'C':
			dst = pad(dst, t.Year()/100, 2, '0')
		case 'd':
			dst = pad(dst, t.Day(), 2, '0')
		case 'D', 'x':
			dst = appendStrftime(dst, []byte("%m/%d/%y"), t)
		case 'e':
			dst = pad(dst, t.Day(), 2, ' ')
		case 'F':
			dst = appendStrftime(dst, []byte("%Y-%m-%d"), t)
		case 'G':
			y, _ := t.ISOWeek()
			dst = strconv.AppendInt(dst, int64(y), 10)
		case 'g':
			y, _ := t.ISOWeek()
			dst = pad(dst, y%100, 2, '0')
		case 'H':
			dst = pad(dst, t.Hour(), 2, '0')
		case 'I':
			dst = pad(dst, (t.Hour()+11)%12+1, 2, '0')
		case 'j':
			dst = pad(dst, t.YearDay(), 3, '0')
		case 'k':
			dst = pad(dst, t.Hour(), 2, ' ')
		case 'l':
			dst = pad(dst, (t.Hour()+11)%12+1, 2, ' ')
		case 'm':
			dst = pad(dst, int(t.Month()), 2, '0')
		case 'M':
			dst = pad(dst, t.Minute(), 2, '0')
		case 'n':
			dst = append(dst, '\n')
		case 'p':
			if t.Hour() < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'r':
			dst = appendStrftime(dst, []byte("%I:%M:%S %p"), t)
		case 'R':
			dst = appendStrftime(dst, []byte("%H:%M"), t)
		case 's':
			dst = strconv.AppendInt(dst, t.Unix(), 10)
		case 'S':
			dst = pad(dst, t.Second(), 2, '0')
		case 't':
			dst = append(dst, '\t')
		case 'T', 'X':
			dst = appendStrftime(dst, []byte("%H:%M:%S"), t)
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			dst = strconv.AppendInt(dst, int64(wd), 10)
		case 'U':
			dst = pad(dst, (t.YearDay()+6-int(t.Weekday()))/7, 2, '0')
		case 'V':
			_, w := t.ISOWeek()
			dst = pad(dst, w, 2, '0')
		case 'w':
			dst = strconv.AppendInt(dst, int64(t.Weekday()), 10)
		case 'W':
			dst = pad(dst, (t.YearDay()+6-(int(t.Weekday())+6)%7)/7, 2, '0')
		case 'y':
			dst = pad(dst, t.Year()%100, 2, '0')
		case 'Y':
			dst = strconv.AppendInt(dst, int64(t.Year()), 10)
		case 'z':
			dst = t.AppendFormat(dst, "-0700")
		case 'Z':
			dst = t.AppendFormat(dst, "MST")
		case '%':
			dst = append(dst, '%')
		default:
			dst = append(dst, '%', format[i])
		}
	}
	return dst
}
