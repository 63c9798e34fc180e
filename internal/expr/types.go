package expr

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// Type is a sample's type. The zero Type (Any) is only used to declare a
// converter that accepts every type.
type Type uint8

const (
	Any  Type = iota
	Bool      // Sample.Int is 0 or 1
	Int       // Sample.Int, a signed 64-bit integer
	Addr      // declared input only: an IPv4 or an IPv6 sample
	IPv4      // Sample.IP, an IPv4 address
	IPv6      // Sample.IP, an IPv6 address
	Str       // Sample.Bytes, text
	Bin       // Sample.Bytes, arbitrary bytes
)

var typeNames = [...]string{"any", "bool", "integer", "address", "ipv4", "ipv6", "string", "binary"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "?"
}

// Sample is a typed value. Bytes may alias the request or response
// buffers, a compiled constant, a variable's storage or the Ctx scratch
// buffer: it is read-only, and valid until the Ctx starts its next
// request.
type Sample struct {
	Type  Type
	Int   int64
	IP    netip.Addr
	Bytes []byte
	// MayChange says the value (or its absence) is not final: more data
	// may arrive (TCP content inspection).
	MayChange bool
}

// SetBool, SetInt, SetStr, SetBin and SetIP store a value of that type.
func (s *Sample) SetBool(b bool) {
	s.Type, s.Int = Bool, 0
	if b {
		s.Int = 1
	}
}

func (s *Sample) SetInt(n int64) { s.Type, s.Int = Int, n }

func (s *Sample) SetStr(b []byte) { s.Type, s.Bytes = Str, b }

func (s *Sample) SetBin(b []byte) { s.Type, s.Bytes = Bin, b }

func (s *Sample) SetIP(a netip.Addr) {
	a = a.Unmap()
	s.IP = a
	if a.Is4() {
		s.Type = IPv4
	} else {
		s.Type = IPv6
	}
}

// castable reports whether a value of type from can be converted to to,
// following HAProxy 2.6's cast matrix (a bool cannot become an address
// or binary; an IPv6 address cannot become an integer; binary becomes a
// string by stopping at its first NUL byte).
func castable(from, to Type) bool {
	if to == Any || from == to {
		return true
	}
	switch from {
	case Any:
		return true
	case Bool:
		return to == Int || to == Str
	case Int:
		return true
	case IPv4, Addr:
		return to == Int || to == Addr || to == IPv4 || to == IPv6 || to == Str || to == Bin
	case IPv6:
		return to == Addr || to == IPv4 || to == Str || to == Bin
	case Str:
		return true
	case Bin:
		return to == Str
	}
	return false
}

// Cast converts s to type to in place; strings are formatted into c's
// scratch buffer. It reports false when the value cannot be converted
// (a string that is not a number, an IPv6 address without an IPv4 one
// inside, ...).
func (c *Ctx) Cast(s *Sample, to Type) bool {
	if to == Any || s.Type == to {
		return true
	}
	switch s.Type {
	case Bool:
		switch to {
		case Int:
			s.Type = Int
			return true
		case Str:
			s.SetStr(c.appendInt(s.Int))
			return true
		}
	case Int:
		switch to {
		case Bool:
			s.SetBool(s.Int != 0)
			return true
		case Addr, IPv4:
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], uint32(s.Int))
			s.SetIP(netip.AddrFrom4(b))
			return true
		case IPv6:
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], uint32(s.Int))
			s.Type, s.IP = IPv6, netip.AddrFrom16(netip.AddrFrom4(b).As16())
			return true
		case Str:
			s.SetStr(c.appendInt(s.Int))
			return true
		case Bin:
			start := len(c.buf)
			c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(s.Int))
			s.SetBin(c.take(start))
			return true
		}
	case IPv4:
		switch to {
		case Addr:
			return true
		case Int:
			b := s.IP.As4()
			s.SetInt(int64(binary.BigEndian.Uint32(b[:])))
			return true
		case IPv6:
			s.Type, s.IP = IPv6, netip.AddrFrom16(s.IP.As16())
			return true
		case Str, Bin:
			c.castAddr(s, to)
			return true
		}
	case IPv6:
		switch to {
		case Addr:
			return true
		case IPv4:
			v4 := v6to4(s.IP)
			if !v4.IsValid() {
				return false
			}
			s.Type, s.IP = IPv4, v4
			return true
		case Str, Bin:
			c.castAddr(s, to)
			return true
		}
	case Str:
		switch to {
		case Bool, Int:
			n, ok := readInt(s.Bytes)
			if !ok {
				return false
			}
			if to == Bool {
				s.SetBool(n != 0)
			} else {
				s.SetInt(n)
			}
			return true
		case Addr, IPv4, IPv6:
			a, err := netip.ParseAddr(bstr(s.Bytes))
			if err != nil || a.Zone() != "" {
				return false
			}
			if to == IPv4 && !a.Is4() || to == IPv6 && !a.Is6() {
				return false
			}
			s.Type, s.IP = IPv6, a
			if a.Is4() {
				s.Type = IPv4
			}
			return true
		case Bin:
			s.Type = Bin
			return true
		}
	case Bin:
		if to == Str {
			for i, b := range s.Bytes {
				if b == 0 {
					s.Bytes = s.Bytes[:i]
					break
				}
			}
			s.Type = Str
			return true
		}
	}
	return false
}

// castAddr writes an address as text (Str) or as its 4 or 16 network
// bytes (Bin) into the scratch buffer.
func (c *Ctx) castAddr(s *Sample, to Type) {
	start := len(c.buf)
	if to == Str {
		c.buf = s.IP.AppendTo(c.buf)
		s.SetStr(c.take(start))
		return
	}
	if s.IP.Is4() {
		b := s.IP.As4()
		c.buf = append(c.buf, b[:]...)
	} else {
		b := s.IP.As16()
		c.buf = append(c.buf, b[:]...)
	}
	s.SetBin(c.take(start))
}

// v6to4 returns the IPv4 address in a v4-mapped (::ffff:V4) or
// v4-compatible (::V4) IPv6 address, as HAProxy's v6tov4 does.
func v6to4(a netip.Addr) netip.Addr {
	if a.Is4In6() {
		return a.Unmap()
	}
	b := a.As16()
	for _, x := range b[:12] {
		if x != 0 {
			return netip.Addr{}
		}
	}
	return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
}

// readInt parses an optional sign and decimal digits at the start of b,
// as HAProxy's string to integer cast does ("12abc" is 12); an empty
// string does not convert.
func readInt(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	i := 0
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// appendInt formats n into the scratch buffer.
func (c *Ctx) appendInt(n int64) []byte {
	start := len(c.buf)
	c.buf = strconv.AppendInt(c.buf, n, 10)
	return c.take(start)
}

// AppendString appends the sample's string form to dst: what log-format
// and header values show (decimal integers, addresses in text, bytes as
// they are).
func AppendString(dst []byte, s *Sample) []byte {
	switch s.Type {
	case Bool, Int:
		return strconv.AppendInt(dst, s.Int, 10)
	case IPv4, IPv6:
		return s.IP.AppendTo(dst)
	}
	return append(dst, s.Bytes...)
}
