package pattern

import (
	"bytes"
	"net/netip"
)

// MatchBytes compares a string or binary sample with the list (methods
// str, sub, reg, beg, end, dir, dom, bin and len) and returns the index
// of the matching entry, or -1: the first one, except for case-sensitive
// prefixes, where the longest one wins. scratch holds the case-folded sample
// for case-insensitive exact lookups; it is grown as needed and may be
// reused across calls.
func (l *List) MatchBytes(b []byte, scratch *[]byte) int {
	fold := l.opt.Fold
	switch l.opt.Method {
	case Len:
		return l.MatchInt(int64(len(b)))
	case Str:
		if l.exact == nil {
			return -1
		}
		if fold {
			s := (*scratch)[:0]
			for _, c := range b {
				s = append(s, lower(c))
			}
			*scratch = s
			b = s
		}
		if i, ok := l.exact[string(b)]; ok {
			return i
		}
		return -1
	case Bin:
		for i, p := range l.strs {
			if bytes.Equal(b, p) {
				return i
			}
		}
		return -1
	case Reg:
		for i, re := range l.regs {
			if re.Match(b) {
				return i
			}
		}
		return -1
	case Sub:
		for i, p := range l.strs {
			if indexFold(b, p, fold) >= 0 {
				return i
			}
		}
	case Beg:
		// Case-sensitive prefixes are a prefix tree in HAProxy: the
		// longest matching one wins. With -i they are a list: the first.
		best := -1
		for i, p := range l.strs {
			if len(b) >= len(p) && eq(b[:len(p)], p, fold) {
				if fold {
					return i
				}
				if best < 0 || len(p) > len(l.strs[best]) {
					best = i
				}
			}
		}
		return best
	case End:
		for i, p := range l.strs {
			if len(b) >= len(p) && eq(b[len(b)-len(p):], p, fold) {
				return i
			}
		}
	case Dir:
		for i, p := range l.strs {
			if matchWord(b, p, fold, isSlash) {
				return i
			}
		}
	case Dom:
		for i, p := range l.strs {
			if matchWord(b, p, fold, isDomDelim) {
				return i
			}
		}
	}
	return -1
}

// MatchInt compares an integer sample (methods int and len, and bool
// samples as 0 or 1) with the list.
func (l *List) MatchInt(n int64) int {
	for i, r := range l.ints {
		if n >= r.lo && n <= r.hi {
			return i
		}
	}
	return -1
}

// MatchIP compares an address with the list's networks, most specific
// first. An IPv6 sample matches IPv4 networks through its ::ffff:V4,
// ::V4 or 2002:V4:: forms; an IPv4 sample matches IPv6 networks as
// ::ffff:V4.
func (l *List) MatchIP(a netip.Addr) int {
	a = a.WithZone("")
	var v4 netip.Addr
	if a.Is4() {
		v4 = a
	} else if a.Is6() {
		v4 = embeddedV4(a)
	}
	for _, i := range l.netIdx {
		p := l.nets[i]
		switch {
		case p.Addr().Is4():
			if v4.IsValid() && p.Contains(v4) {
				return i
			}
		case a.Is4():
			if p.Contains(netip.AddrFrom16(a.As16())) {
				return i
			}
		default:
			if p.Contains(a) {
				return i
			}
		}
	}
	return -1
}

// embeddedV4 returns the IPv4 address inside ::ffff:V4, ::V4 or
// 2002:V4::, or the zero Addr.
func embeddedV4(a netip.Addr) netip.Addr {
	b := a.As16()
	if a.Is4In6() {
		return a.Unmap()
	}
	zero := func(s []byte) bool {
		for _, c := range s {
			if c != 0 {
				return false
			}
		}
		return true
	}
	if zero(b[:12]) {
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if b[0] == 0x20 && b[1] == 0x02 && zero(b[6:]) {
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
	}
	return netip.Addr{}
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// eq compares equal-length a and p; with fold, p is lower case.
func eq(a, p []byte, fold bool) bool {
	if !fold {
		return string(a) == string(p)
	}
	for i := range a {
		if lower(a[i]) != p[i] {
			return false
		}
	}
	return true
}

func indexFold(b, p []byte, fold bool) int {
	if !fold {
		return bytes.Index(b, p)
	}
	for i := 0; i+len(p) <= len(b); i++ {
		if eq(b[i:i+len(p)], p, true) {
			return i
		}
	}
	return -1
}

func isSlash(c byte) bool { return c == '/' }

func isDomDelim(c byte) bool { return c == '/' || c == '.' || c == ':' || c == '?' }

// matchWord reports whether p (without its leading and trailing
// delimiters) appears in b between delimiters or the ends of b: HAProxy's
// dir and dom matches.
func matchWord(b, p []byte, fold bool, delim func(byte) bool) bool {
	for len(p) > 0 && delim(p[0]) {
		p = p[1:]
	}
	for len(p) > 0 && delim(p[len(p)-1]) {
		p = p[:len(p)-1]
	}
	if len(p) == 0 || len(p) > len(b) {
		return false
	}
	start := true
	for i := 0; i+len(p) <= len(b); i++ {
		if delim(b[i]) {
			start = true
			continue
		}
		if !start {
			continue
		}
		start = false
		if eq(b[i:i+len(p)], p, fold) && (i+len(p) == len(b) || delim(b[i+len(p)])) {
			return true
		}
	}
	return false
}
