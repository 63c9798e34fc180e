package expr

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"os"
	"strconv"
	"time"
)

// Arithmetic, logic, address and date converters.

func init() {
	for _, c := range []*Conv{
		{Name: "add", Args: []ArgType{ArgIntOrVar}, MinArgs: 1, In: Int, Out: Int, Eval: arith(func(a, b int64) int64 { return satAdd(a, b) })},
		{Name: "sub", Args: []ArgType{ArgIntOrVar}, MinArgs: 1, In: Int, Out: Int, Eval: arith(func(a, b int64) int64 {
			if b == math.MinInt64 {
				if a >= 0 {
					return math.MaxInt64
				}
				return a - b
			}
			return satAdd(a, -b)
		})},
		{Name: "mul", Args: []ArgType{ArgIntOrVar}, MinArgs: 1, In: Int, Out: Int, Eval: arith(satMul)},
		{Name: "div", Args: []ArgType{ArgIntOrVar}, MinArgs: 1, In: Int, Out: Int, Eval: arith(func(a, b int64) int64 {
			if b == 0 {
				return math.MaxInt64
			}
			if a == math.MinInt64 && b == -1 {
				return math.MaxInt64
			}
			return a / b
		})},
		{Name: "mod", Args: []ArgType{ArgIntOrVar}, MinArgs: 1, In: Int, Out: Int, Eval: arith(func(a, b int64) int64 {
			if b == 0 || b == -1 {
				return 0
			}
			return a % b
		})},
		{Name: "and", Args: []ArgType{ArgIntOrVar}, MinArgs: 1, In: Int, Out: Int, Eval: arith(func(a, b int64) int64 { return a & b })},
		{Name: "or", Args: []ArgType{ArgIntOrVar}, MinArgs: 1, In: Int, Out: Int, Eval: arith(func(a, b int64) int64 { return a | b })},
		{Name: "xor", Args: []ArgType{ArgIntOrVar}, MinArgs: 1, In: Int, Out: Int, Eval: arith(func(a, b int64) int64 { return a ^ b })},
		{Name: "neg", In: Int, Out: Int, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			if s.Int == math.MinInt64 {
				s.SetInt(math.MaxInt64)
			} else {
				s.SetInt(-s.Int)
			}
			return true
		}},
		{Name: "cpl", In: Int, Out: Int, Eval: func(c *Ctx, _ []Arg, s *Sample) bool { s.SetInt(^s.Int); return true }},
		{Name: "bool", In: Int, Out: Bool, Eval: func(c *Ctx, _ []Arg, s *Sample) bool { s.SetBool(s.Int != 0); return true }},
		{Name: "not", In: Int, Out: Bool, Eval: func(c *Ctx, _ []Arg, s *Sample) bool { s.SetBool(s.Int == 0); return true }},
		{Name: "odd", In: Int, Out: Bool, Eval: func(c *Ctx, _ []Arg, s *Sample) bool { s.SetBool(s.Int&1 == 1); return true }},
		{Name: "even", In: Int, Out: Bool, Eval: func(c *Ctx, _ []Arg, s *Sample) bool { s.SetBool(s.Int&1 == 0); return true }},
		{Name: "htonl", In: Int, Out: Bin, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			start := len(c.buf)
			c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(s.Int))
			s.SetBin(c.take(start))
			return true
		}},
		{Name: "ipmask", Args: []ArgType{ArgMsk4, ArgMsk6}, MinArgs: 1, In: Addr, Out: Addr, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			if s.Type == IPv4 {
				s.IP = netip.PrefixFrom(s.IP, a[0].Bits).Masked().Addr()
				return true
			}
			if !a[1].Given {
				return false
			}
			s.IP = netip.PrefixFrom(s.IP, a[1].Bits).Masked().Addr()
			return true
		}},
		{Name: "http_date", Args: []ArgType{ArgInt, ArgStr}, In: Int, Out: Str, Check: checkTimeUnit(1), Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			n := s.Int + a[0].Int
			t := epoch(n, a[1].Str).UTC()
			start := len(c.buf)
			c.buf = t.AppendFormat(c.buf, "Mon, 02 Jan 2006 15:04:05")
			// As HAProxy: the sub-second part in the unit, unpadded.
			switch a[1].Str {
			case "ms":
				c.buf = append(c.buf, '.')
				c.buf = strconv.AppendInt(c.buf, n%1000, 10)
			case "us":
				c.buf = append(c.buf, '.')
				c.buf = strconv.AppendInt(c.buf, n%1000000, 10)
			}
			c.buf = append(c.buf, " GMT"...)
			s.SetStr(c.take(start))
			return true
		}},
		{Name: "ltime", Args: []ArgType{ArgStr, ArgInt}, MinArgs: 1, In: Int, Out: Str, Eval: timeConv(time.Local)},
		{Name: "utime", Args: []ArgType{ArgStr, ArgInt}, MinArgs: 1, In: Int, Out: Str, Eval: timeConv(time.UTC)},
		{Name: "be2dec", Args: []ArgType{ArgStr, ArgInt, ArgInt}, MinArgs: 2, In: Bin, Out: Str, Check: func(a []Arg, _ *Env) error {
			if a[1].Int < 1 || a[1].Int > 8 {
				return fmt.Errorf("chunk size %d: want 1 to 8", a[1].Int)
			}
			return nil
		}, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			b := s.Bytes
			size := int(a[1].Int)
			trunc := a[2].Given && a[2].Int != 0
			start := len(c.buf)
			for i := 0; i < len(b); i += size {
				chunk := b[i:min(i+size, len(b))]
				if len(chunk) < size && trunc {
					break
				}
				if i > 0 {
					c.buf = append(c.buf, a[0].Bytes...)
				}
				var v uint64
				for _, x := range chunk {
					v = v<<8 | uint64(x)
				}
				c.buf = strconv.AppendUint(c.buf, v, 10)
			}
			s.SetStr(c.take(start))
			return true
		}},
		{Name: "be2hex", Args: []ArgType{ArgStr, ArgInt, ArgInt}, In: Bin, Out: Str, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			const digits = "0123456789ABCDEF"
			b := s.Bytes
			size := len(b)
			if a[1].Given && a[1].Int > 0 {
				size = int(a[1].Int)
			}
			trunc := a[2].Given && a[2].Int != 0
			start := len(c.buf)
			for i := 0; i < len(b); i += max(size, 1) {
				chunk := b[i:min(i+size, len(b))]
				if len(chunk) < size && trunc {
					break
				}
				if i > 0 {
					c.buf = append(c.buf, a[0].Bytes...)
				}
				for _, x := range chunk {
					c.buf = append(c.buf, digits[x>>4], digits[x&15])
				}
			}
			s.SetStr(c.take(start))
			return true
		}},
		{Name: "debug", Args: []ArgType{ArgStr, ArgStr}, In: Any, Out: Any, Check: func(a []Arg, _ *Env) error {
			switch a[1].Str {
			case "", "buf0", "stdout", "stderr":
				return nil
			}
			return fmt.Errorf("event sink %q does not exist in Baton (stdout, stderr, or buf0 which Baton writes to stderr)", a[1].Str)
		}, Eval: debugConv},
	} {
		RegisterConv(c)
	}
}

func satAdd(a, b int64) int64 {
	r := a + b
	if a > 0 && b > 0 && r < 0 {
		return math.MaxInt64
	}
	if a < 0 && b < 0 && r >= 0 {
		return math.MinInt64
	}
	return r
}

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	r := a * b
	if r/b != a || a == -1 && b == math.MinInt64 || b == -1 && a == math.MinInt64 {
		if (a < 0) != (b < 0) {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return r
}

// arith applies op with the argument: an integer, or a variable holding
// one (a variable that is not set, or not an integer, fails).
func arith(op func(a, b int64) int64) func(*Ctx, []Arg, *Sample) bool {
	return func(c *Ctx, a []Arg, s *Sample) bool {
		n := a[0].Int
		if a[0].IsVar {
			var v Sample
			if !c.GetVar(a[0].Var, &v) || !c.Cast(&v, Int) {
				return false
			}
			n = v.Int
		}
		s.SetInt(op(s.Int, n))
		return true
	}
}

func epoch(n int64, unit string) time.Time {
	switch unit {
	case "ms":
		return time.UnixMilli(n)
	case "us":
		return time.UnixMicro(n)
	}
	return time.Unix(n, 0)
}

func timeConv(loc *time.Location) func(*Ctx, []Arg, *Sample) bool {
	return func(c *Ctx, a []Arg, s *Sample) bool {
		t := time.Unix(s.Int+a[1].Int, 0).In(loc)
		start := len(c.buf)
		c.buf = appendStrftime(c.buf, a[0].Bytes, t)
		s.SetStr(c.take(start))
		return true
	}
}

// debugConv writes the sample to standard error (or output) and passes it
// through unchanged.
func debugConv(c *Ctx, a []Arg, s *Sample) bool {
	w := os.Stderr
	if a[1].Str == "stdout" {
		w = os.Stdout
	}
	var line []byte
	line = append(line, "[debug] "...)
	line = append(line, a[0].Bytes...)
	line = append(line, ": type="...)
	line = append(line, s.Type.String()...)
	line = append(line, " <"...)
	line = AppendString(line, s)
	line = append(line, ">\n"...)
	w.Write(line)
	return true
}
