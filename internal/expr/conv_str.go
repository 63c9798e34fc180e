package expr

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"unsafe"

	"baton/internal/pattern"
)

// String and binary converters.

func init() {
	for _, c := range []*Conv{
		{Name: "lower", In: Str, Out: Str, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			start := len(c.buf)
			for _, b := range s.Bytes {
				c.buf = append(c.buf, lowerByte(b))
			}
			s.SetStr(c.take(start))
			return true
		}},
		{Name: "upper", In: Str, Out: Str, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			start := len(c.buf)
			for _, b := range s.Bytes {
				if b >= 'a' && b <= 'z' {
					b -= 'a' - 'A'
				}
				c.buf = append(c.buf, b)
			}
			s.SetStr(c.take(start))
			return true
		}},
		{Name: "length", In: Str, Out: Int, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			s.SetInt(int64(len(s.Bytes)))
			return true
		}},
		{Name: "bytes", Args: []ArgType{ArgInt, ArgInt}, MinArgs: 1, In: Bin, Out: Bin, Check: checkNonNegative, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			b := s.Bytes
			off := int(a[0].Int)
			if off >= len(b) {
				s.SetBin(b[len(b):])
				return true
			}
			b = b[off:]
			if a[1].Given && int(a[1].Int) < len(b) {
				b = b[:a[1].Int]
			}
			s.SetBin(b)
			return true
		}},
		{Name: "field", Args: []ArgType{ArgInt, ArgStr, ArgInt}, MinArgs: 2, In: Str, Out: Str, Check: checkField, Eval: fieldConv(false)},
		{Name: "word", Args: []ArgType{ArgInt, ArgStr, ArgInt}, MinArgs: 2, In: Str, Out: Str, Check: checkField, Eval: fieldConv(true)},
		{Name: "regsub", Args: []ArgType{ArgStr, ArgStr, ArgStr}, MinArgs: 2, In: Str, Out: Str, Check: checkRegsub, Eval: regsub},
		{Name: "hex", In: Bin, Out: Str, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			const digits = "0123456789ABCDEF"
			start := len(c.buf)
			for _, b := range s.Bytes {
				c.buf = append(c.buf, digits[b>>4], digits[b&15])
			}
			s.SetStr(c.take(start))
			return true
		}},
		{Name: "hex2i", In: Str, Out: Int, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			n, err := strconv.ParseInt(bstr(s.Bytes), 16, 64)
			if err != nil {
				return false
			}
			s.SetInt(n)
			return true
		}},
		{Name: "base64", In: Bin, Out: Str, Eval: b64enc(base64.StdEncoding)},
		{Name: "ub64enc", In: Bin, Out: Str, Eval: b64enc(base64.RawURLEncoding)},
		{Name: "b64dec", In: Str, Out: Bin, Eval: b64dec(base64.StdEncoding)},
		{Name: "ub64dec", In: Str, Out: Bin, Eval: b64dec(base64.RawURLEncoding)},
		{Name: "url_dec", Args: []ArgType{ArgInt}, In: Str, Out: Str, Eval: urlDec},
		{Name: "url_enc", Args: []ArgType{ArgStr}, In: Str, Out: Str, Check: func(a []Arg, _ *Env) error {
			if a[0].Given && a[0].Str != "query" {
				return fmt.Errorf("unknown encoding %q (only query)", a[0].Str)
			}
			return nil
		}, Eval: urlEnc},
		{Name: "json", Args: []ArgType{ArgStr}, In: Str, Out: Str, Check: checkJSON, Eval: jsonConv},
		{Name: "concat", Args: []ArgType{ArgStr, ArgVar, ArgStr}, In: Str, Out: Str, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			start := len(c.buf)
			c.buf = append(c.buf, s.Bytes...)
			c.buf = append(c.buf, a[0].Bytes...)
			if a[1].Given {
				var v Sample
				if c.GetVar(a[1].Var, &v) && c.Cast(&v, Str) {
					c.buf = append(c.buf, v.Bytes...)
				}
			}
			c.buf = append(c.buf, a[2].Bytes...)
			s.SetStr(c.take(start))
			return true
		}},
		{Name: "ltrim", Args: []ArgType{ArgStr}, MinArgs: 1, In: Str, Out: Str, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			b := s.Bytes
			for len(b) > 0 && bytes.IndexByte(a[0].Bytes, b[0]) >= 0 {
				b = b[1:]
			}
			s.SetStr(b)
			return true
		}},
		{Name: "rtrim", Args: []ArgType{ArgStr}, MinArgs: 1, In: Str, Out: Str, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			b := s.Bytes
			for len(b) > 0 && bytes.IndexByte(a[0].Bytes, b[len(b)-1]) >= 0 {
				b = b[:len(b)-1]
			}
			s.SetStr(b)
			return true
		}},
		{Name: "cut_crlf", In: Str, Out: Str, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			if i := bytes.IndexAny(s.Bytes, "\r\n"); i >= 0 {
				s.Bytes = s.Bytes[:i]
			}
			return true
		}},
		{Name: "host_only", In: Str, Out: Str, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			host, _ := splitHostPort(s.Bytes)
			start := len(c.buf)
			for _, b := range host {
				c.buf = append(c.buf, lowerByte(b))
			}
			s.SetStr(c.take(start))
			return true
		}},
		{Name: "port_only", In: Str, Out: Int, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			_, port := splitHostPort(s.Bytes)
			n, err := strconv.ParseInt(bstr(port), 10, 32)
			if err != nil {
				n = 0
			}
			s.SetInt(n)
			return true
		}},
		{Name: "iif", Args: []ArgType{ArgStr, ArgStr}, MinArgs: 2, In: Bool, Out: Str, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			if s.Int != 0 {
				s.SetStr(a[0].Bytes)
			} else {
				s.SetStr(a[1].Bytes)
			}
			return true
		}},
		{Name: "strcmp", Args: []ArgType{ArgVar}, MinArgs: 1, In: Str, Out: Int, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			var v Sample
			if !c.GetVar(a[0].Var, &v) || !c.Cast(&v, Str) {
				return false
			}
			l, r := s.Bytes, v.Bytes
			n := min(len(l), len(r))
			ret := int64(bytes.Compare(l[:n], r[:n]))
			if ret == 0 {
				ret = int64(len(l) - len(r))
			}
			s.SetInt(ret)
			return true
		}},
		{Name: "secure_memcmp", Args: []ArgType{ArgVar}, MinArgs: 1, In: Bin, Out: Bool, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			var v Sample
			if !c.GetVar(a[0].Var, &v) || !c.Cast(&v, Bin) {
				return false
			}
			s.SetBool(len(s.Bytes) == len(v.Bytes) && subtle.ConstantTimeCompare(s.Bytes, v.Bytes) == 1)
			return true
		}},
		{Name: "capture-req", Args: []ArgType{ArgInt}, MinArgs: 1, In: Str, Out: Str, Eval: captureConv(false)},
		{Name: "capture-res", Args: []ArgType{ArgInt}, MinArgs: 1, In: Str, Out: Str, Eval: captureConv(true)},
		{Name: "set-var", Args: []ArgType{ArgVar, ArgStr, ArgStr, ArgStr, ArgStr}, MinArgs: 1, In: Any, Out: Any, Check: checkSetVarConds, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			conds, _ := a[1].Data.([]SetVarCond)
			c.SetVarIf(a[0].Var, s, conds)
			return true
		}},
		{Name: "unset-var", Args: []ArgType{ArgVar}, MinArgs: 1, In: Any, Out: Any, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			c.UnsetVar(a[0].Var)
			return true
		}},
	} {
		RegisterConv(c)
	}
}

// bstr views b as a string without copying, for parsing calls that do
// not keep their argument.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func checkNonNegative(a []Arg, _ *Env) error {
	for _, x := range a {
		if x.Given && x.Type == ArgInt && x.Int < 0 {
			return fmt.Errorf("negative value %d", x.Int)
		}
	}
	return nil
}

func checkField(a []Arg, _ *Env) error {
	if a[0].Int == 0 {
		return fmt.Errorf("index 0 is invalid (fields count from 1, or from -1 at the end)")
	}
	if a[1].Str == "" {
		return fmt.Errorf("empty delimiter list")
	}
	if a[2].Given && a[2].Int < 0 {
		return fmt.Errorf("negative count %d", a[2].Int)
	}
	return nil
}

// fieldConv is field (every delimiter ends a field, so fields may be
// empty) or word (runs of delimiters separate non-empty words). The index
// counts from 1, or from -1 at the end; count fields are taken (0: all
// the rest), towards the end for a positive index, towards the start for
// a negative one. A missing field gives the empty string.
func fieldConv(words bool) func(*Ctx, []Arg, *Sample) bool {
	return func(c *Ctx, a []Arg, s *Sample) bool {
		b := s.Bytes
		delim := a[1].Bytes
		isDelim := func(x byte) bool { return bytes.IndexByte(delim, x) >= 0 }
		idx := a[0].Int
		count := int64(1)
		if a[2].Given {
			count = a[2].Int
		}
		// Fields as [start, end) pairs, walked from the chosen side.
		if idx > 0 {
			n, i := int64(0), 0
			for {
				if words {
					for i < len(b) && isDelim(b[i]) {
						i++
					}
					if i == len(b) {
						s.SetStr(b[len(b):])
						return true
					}
				}
				start := i
				for i < len(b) && !isDelim(b[i]) {
					i++
				}
				n++
				if n == idx {
					end := i
					for k := int64(1); count == 0 || k < count; k++ {
						if end >= len(b) {
							break
						}
						j := end + 1
						if words {
							for j < len(b) && isDelim(b[j]) {
								j++
							}
							if j == len(b) {
								break
							}
						}
						for j < len(b) && !isDelim(b[j]) {
							j++
						}
						end = j
					}
					s.SetStr(b[start:end])
					return true
				}
				if i >= len(b) {
					s.SetStr(b[len(b):])
					return true
				}
				i++
			}
		}
		n, i := int64(0), len(b)
		for {
			if words {
				for i > 0 && isDelim(b[i-1]) {
					i--
				}
				if i == 0 {
					s.SetStr(b[:0])
					return true
				}
			}
			end := i
			for i > 0 && !isDelim(b[i-1]) {
				i--
			}
			n--
			if n == idx {
				start := i
				for k := int64(1); count == 0 || k < count; k++ {
					if start == 0 {
						break
					}
					j := start - 1
					if words {
						for j > 0 && isDelim(b[j-1]) {
							j--
						}
						if j == 0 {
							break
						}
					}
					for j > 0 && !isDelim(b[j-1]) {
						j--
					}
					start = j
				}
				s.SetStr(b[start:end])
				return true
			}
			if i == 0 {
				s.SetStr(b[:0])
				return true
			}
			i--
		}
	}
}

// regsubArg is regsub's compiled regular expression and flags.
type regsubArg struct {
	re     *regexp.Regexp
	global bool
}

func checkRegsub(a []Arg, _ *Env) error {
	fold, global := false, false
	for _, f := range a[2].Str {
		switch f {
		case 'i':
			fold = true
		case 'g':
			global = true
		default:
			return fmt.Errorf("invalid regex flag %q (i, g)", f)
		}
	}
	re, err := pattern.CompileRegexp(a[0].Str, fold)
	if err != nil {
		return err
	}
	a[0].Data = &regsubArg{re: re, global: global}
	return nil
}

// regsub replaces the first (or with "g" every) match of the regular
// expression; \1 to \9 in the replacement are the groups, \xHH a byte.
// Go's regexp returns the match positions in a new slice: regsub
// allocates per call.
func regsub(c *Ctx, a []Arg, s *Sample) bool {
	ra := a[0].Data.(*regsubArg)
	n := 1
	if ra.global {
		n = -1
	}
	b := s.Bytes
	matches := ra.re.FindAllSubmatchIndex(b, n)
	if matches == nil {
		return true
	}
	start := len(c.buf)
	last := 0
	for _, m := range matches {
		c.buf = append(c.buf, b[last:m[0]]...)
		c.buf = ExpandGroups(c.buf, a[1].Bytes, b, m)
		last = m[1]
	}
	c.buf = append(c.buf, b[last:]...)
	s.SetStr(c.take(start))
	return true
}

// ExpandGroups appends repl with HAProxy's escapes: \N is group N of the
// match m (positions in src, as regexp's Submatch functions return
// them), \xHH a byte, \\ a backslash, \c the character c.
func ExpandGroups(dst, repl, src []byte, m []int) []byte {
	for i := 0; i < len(repl); i++ {
		ch := repl[i]
		if ch != '\\' || i+1 >= len(repl) {
			dst = append(dst, ch)
			continue
		}
		i++
		ch = repl[i]
		switch {
		case ch >= '0' && ch <= '9':
			g := int(ch - '0')
			if 2*g+1 < len(m) && m[2*g] >= 0 {
				dst = append(dst, src[m[2*g]:m[2*g+1]]...)
			}
		case ch == 'x' && i+2 < len(repl) && IsHex(repl[i+1]) && IsHex(repl[i+2]):
			dst = append(dst, Unhex(repl[i+1])<<4|Unhex(repl[i+2]))
			i += 2
		default:
			dst = append(dst, ch)
		}
	}
	return dst
}

// IsHex reports whether c is a hexadecimal digit.
func IsHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Unhex returns the value of the hexadecimal digit c.
func Unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func b64enc(enc *base64.Encoding) func(*Ctx, []Arg, *Sample) bool {
	return func(c *Ctx, _ []Arg, s *Sample) bool {
		start := len(c.buf)
		c.buf = enc.AppendEncode(c.buf, s.Bytes)
		s.SetStr(c.take(start))
		return true
	}
}

func b64dec(enc *base64.Encoding) func(*Ctx, []Arg, *Sample) bool {
	return func(c *Ctx, _ []Arg, s *Sample) bool {
		start := len(c.buf)
		out, err := enc.AppendDecode(c.buf, s.Bytes)
		if err != nil {
			return false
		}
		c.buf = out
		s.SetBin(c.take(start))
		return true
	}
}

// urlDec decodes %XX; '+' becomes a space after a '?' (or everywhere
// with a non-zero argument, for form data). A bad escape fails.
func urlDec(c *Ctx, a []Arg, s *Sample) bool {
	b := s.Bytes
	inQuery := a[0].Given && a[0].Int != 0
	start := len(c.buf)
	for i := 0; i < len(b); i++ {
		ch := b[i]
		switch {
		case ch == '%':
			if i+2 >= len(b) || !IsHex(b[i+1]) || !IsHex(b[i+2]) {
				c.buf = c.buf[:start]
				return false
			}
			c.buf = append(c.buf, Unhex(b[i+1])<<4|Unhex(b[i+2]))
			i += 2
		case ch == '+' && inQuery:
			c.buf = append(c.buf, ' ')
		default:
			if ch == '?' {
				inQuery = true
			}
			c.buf = append(c.buf, ch)
		}
	}
	s.SetStr(c.take(start))
	return true
}

// urlEnc percent-encodes every byte outside letters, digits and "-._~".
func urlEnc(c *Ctx, _ []Arg, s *Sample) bool {
	const digits = "0123456789ABCDEF"
	start := len(c.buf)
	for _, ch := range s.Bytes {
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.' || ch == '_' || ch == '~' {
			c.buf = append(c.buf, ch)
		} else {
			c.buf = append(c.buf, '%', digits[ch>>4], digits[ch&15])
		}
	}
	s.SetStr(c.take(start))
	return true
}

func captureConv(res bool) func(*Ctx, []Arg, *Sample) bool {
	return func(c *Ctx, a []Arg, s *Sample) bool {
		if c.Captures != nil {
			c.Captures.Store(res, int(a[0].Int), s.Bytes)
		}
		return true
	}
}

func checkSetVarConds(a []Arg, _ *Env) error {
	var words []string
	for _, x := range a[1:] {
		if x.Given {
			words = append(words, x.Str)
		}
	}
	conds, err := ParseSetVarConds(words)
	if err != nil {
		return err
	}
	a[1].Data = conds
	return nil
}

// splitHostPort splits a Host header value: "h", "h:80", "[::1]:80".
func splitHostPort(b []byte) (host, port []byte) {
	if len(b) > 0 && b[0] == '[' {
		if i := bytes.IndexByte(b, ']'); i >= 0 {
			host = b[:i+1]
			if i+1 < len(b) && b[i+1] == ':' {
				port = b[i+2:]
			}
			return host, port
		}
		return b, nil
	}
	if i := bytes.LastIndexByte(b, ':'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}
