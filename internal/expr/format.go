package expr

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Format is a compiled log-format string, as header values, redirect
// targets, lf-string bodies and unique-id-format use them: literal text,
// "%%", sample expressions "%[expr]" and the log variables that make
// sense while a request is processed (%ci, %cp, %fi, %fp, %f, %ft, %b,
// %s, %H, %HM, %HU, %HP, %HPO, %HQ, %HV, %ID, %ST, %Ts, %ms, %pid, %rt,
// %r, %hr, %hs). Flags in braces apply to the next item ("%{+Q}ci"), or
// with "o" to every later one ("%{+X}o"): Q quotes strings, X writes
// numbers and addresses in hexadecimal, E escapes quotes and backslashes
// (as in HAProxy 2.6, "%[...]" samples are written as they are).
//
// Evaluation appends to a caller's buffer and allocates nothing once the
// Ctx scratch buffer has grown (timestamps and counters are formatted
// with strconv's Append functions).
type Format struct {
	// Text is the format as written.
	Text  string
	segs  []fmtSeg
	use   Use
	lit   []byte
	isLit bool
	// smpFlags apply to the samples: flagHTTP for a format that builds
	// HTTP header values, lines or bodies (CompileHTTPFormat).
	smpFlags fmtFlags
}

type fmtFlags uint8

const (
	flagQuote fmtFlags = 1 << iota
	flagHex
	flagEscape
	// flagHTTP percent-encodes the control characters HTTP forbids in a
	// field value (0x00-0x08, 0x0a-0x1f, 0x7f), as HAProxy does for the
	// samples of HTTP actions' formats: a sample cannot inject a line.
	flagHTTP
)

type fmtSeg struct {
	lit   []byte
	expr  *Expr
	v     logVar
	flags fmtFlags
}

// logVar writes a log variable's value.
type logVar func(c *Ctx, dst []byte, fl fmtFlags) []byte

// Literal returns the text of a format without any variable.
func (f *Format) Literal() ([]byte, bool) { return f.lit, f.isLit }

// CheckWhere reports an error when the format reads data that does not
// exist at w.
func (f *Format) CheckWhere(w Where) error {
	for _, s := range f.segs {
		if s.expr != nil {
			if err := s.expr.CheckWhere(w); err != nil {
				return err
			}
		}
	}
	return nil
}

// Names lists the proxies the format's expressions name.
func (f *Format) Names() []NameRef {
	var out []NameRef
	for _, s := range f.segs {
		if s.expr != nil {
			out = append(out, s.expr.Names()...)
		}
	}
	return out
}

// CompileHTTPFormat parses a log-format string that HTTP actions write
// into a message (set-header, return, redirect, set-path, unique-id...):
// as in HAProxy, control characters in its samples are percent-encoded.
func CompileHTTPFormat(s string, env *Env) (*Format, error) {
	f, err := CompileFormat(s, env)
	if err == nil {
		f.smpFlags = flagHTTP
	}
	return f, err
}

// CompileFormat parses a log-format string.
func CompileFormat(s string, env *Env) (*Format, error) {
	f := &Format{Text: s}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			f.segs = append(f.segs, fmtSeg{lit: lit})
			lit = nil
		}
	}
	var defFlags fmtFlags
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch != '%' {
			lit = append(lit, ch)
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("'%%' at the end of %q (write %%%% for a percent sign)", s)
		}
		i++
		if s[i] == '%' {
			lit = append(lit, '%')
			continue
		}
		flags := defFlags
		braced := false
		if s[i] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("missing '}' after '%%{' in %q", s)
			}
			var err error
			flags, err = parseFlags(s[i+1:i+end], flags)
			if err != nil {
				return nil, err
			}
			i += end + 1
			braced = true
			if i >= len(s) {
				return nil, fmt.Errorf("flags without a variable at the end of %q", s)
			}
		}
		if s[i] == '[' {
			end := closingBracket(s, i+1)
			if end < 0 {
				return nil, fmt.Errorf("missing ']' after '%%[' in %q", s)
			}
			e, err := Compile(s[i+1:end], env)
			if err != nil {
				return nil, fmt.Errorf("failed to parse sample expression <%s>: %v", s[i+1:end], err)
			}
			flush()
			f.segs = append(f.segs, fmtSeg{expr: e, flags: flags})
			f.use |= e.Use
			i = end
			continue
		}
		j := i
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
			j++
		}
		name := s[i:j]
		if name == "" {
			return nil, fmt.Errorf("unexpected %q after '%%' in %q (write %%%% for a percent sign)", s[i], s)
		}
		if name == "o" && braced {
			defFlags = flags
			i = j - 1
			continue
		}
		logVarsOnce.Do(initLogVars)
		v, ok := logVars[name]
		if !ok {
			return nil, fmt.Errorf("log-format variable %%%s is not available in Baton's rule values (see doc/configuration.md)", name)
		}
		flush()
		f.segs = append(f.segs, fmtSeg{v: v, flags: flags})
		i = j - 1
	}
	flush()
	switch {
	case len(f.segs) == 0:
		f.isLit, f.lit = true, []byte{}
	case len(f.segs) == 1 && f.segs[0].lit != nil:
		f.isLit, f.lit = true, f.segs[0].lit
	}
	return f, nil
}

// closingBracket finds the ']' that ends "%[" at s[from:], skipping
// quoted parts of the expression.
func closingBracket(s string, from int) int {
	sq, dq := false, false
	for i := from; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && !sq:
			i++
		case c == '\'' && !dq:
			sq = !sq
		case c == '"' && !sq:
			dq = !dq
		case c == ']' && !sq && !dq:
			return i
		}
	}
	return -1
}

func parseFlags(s string, cur fmtFlags) (fmtFlags, error) {
	for _, f := range strings.Split(s, ",") {
		if len(f) < 2 || f[0] != '+' && f[0] != '-' {
			return cur, fmt.Errorf("invalid log-format flag %q (+Q, +X, +E, ...)", f)
		}
		var bit fmtFlags
		switch f[1:] {
		case "Q":
			bit = flagQuote
		case "X":
			bit = flagHex
		case "E":
			bit = flagEscape
		case "M":
			continue // "-" for empty values: not used in rule values
		default:
			return cur, fmt.Errorf("unknown log-format flag %q (Q, X, E, M)", f[1:])
		}
		if f[0] == '+' {
			cur |= bit
		} else {
			cur &^= bit
		}
	}
	return cur, nil
}

// Append evaluates f and appends the result to dst, allocating nothing
// once dst has grown: what a log line writer calls with its own buffer.
// dst must not be c's scratch (Scratch): the fetches append there while
// f is built. AppendScratch keeps the value in c instead.
func (f *Format) Append(dst []byte, c *Ctx) []byte {
	if f.isLit {
		return append(dst, f.lit...)
	}
	for i := range f.segs {
		s := &f.segs[i]
		switch {
		case s.lit != nil:
			dst = append(dst, s.lit...)
		case s.expr != nil:
			// HAProxy 2.6 writes samples as they are: the Q and X flags
			// apply to the log variables only.
			var smp Sample
			if !s.expr.Eval(c, &smp) {
				continue
			}
			dst = appendSample(dst, c, &smp, f.smpFlags)
		default:
			dst = s.v(c, dst, s.flags)
		}
	}
	return dst
}

// AppendScratch evaluates f into c's output buffer and returns the
// value, which stays valid until c.BeginRequest.
func (f *Format) AppendScratch(c *Ctx) []byte {
	if f.isLit {
		return f.lit
	}
	start := len(c.out)
	c.out = f.Append(c.out, c)
	return c.out[start:len(c.out):len(c.out)]
}

func appendSample(dst []byte, c *Ctx, s *Sample, fl fmtFlags) []byte {
	switch s.Type {
	case Bool, Int:
		if fl&flagHex != 0 {
			return appendHex(dst, uint64(s.Int), 0)
		}
		return strconv.AppendInt(dst, s.Int, 10)
	case IPv4, IPv6:
		return appendAddr(dst, s, fl)
	}
	if !c.Cast(s, Str) {
		return dst
	}
	return appendText(dst, s.Bytes, fl)
}

const upperHexDigits = "0123456789ABCDEF"

func appendText(dst, b []byte, fl fmtFlags) []byte {
	if fl&flagQuote != 0 {
		dst = append(dst, '"')
	}
	switch {
	case fl&flagHTTP != 0:
		for _, ch := range b {
			if ch < 0x20 && ch != '\t' || ch == 0x7f {
				dst = append(dst, '%', upperHexDigits[ch>>4], upperHexDigits[ch&15])
				continue
			}
			dst = append(dst, ch)
		}
	case fl&flagEscape != 0:
		for _, ch := range b {
			if ch == '"' || ch == '\\' || ch == ']' {
				dst = append(dst, '\\')
			}
			dst = append(dst, ch)
		}
	default:
		dst = append(dst, b...)
	}
	if fl&flagQuote != 0 {
		dst = append(dst, '"')
	}
	return dst
}

func appendHex(dst []byte, v uint64, width int) []byte {
	const digits = "0123456789ABCDEF"
	var tmp [16]byte
	n := 0
	for v != 0 || n == 0 {
		tmp[15-n] = digits[v&15]
		v >>= 4
		n++
	}
	for ; n < width; n++ {
		tmp[15-n] = '0'
	}
	return append(dst, tmp[16-n:]...)
}

func appendAddr(dst []byte, s *Sample, fl fmtFlags) []byte {
	if fl&flagHex != 0 && s.IP.Is4() {
		b := s.IP.As4()
		for _, x := range b {
			dst = appendHex(dst, uint64(x), 2)
		}
		return dst
	}
	if fl&flagQuote != 0 {
		dst = append(dst, '"')
		dst = s.IP.AppendTo(dst)
		return append(dst, '"')
	}
	return s.IP.AppendTo(dst)
}

// varFetch writes the value of a fetch as a log variable does.
func varFetch(name string) logVar {
	e, err := Compile(name, nil)
	if err != nil {
		panic("expr: log variable fetch " + name + ": " + err.Error())
	}
	return func(c *Ctx, dst []byte, fl fmtFlags) []byte {
		var s Sample
		if !e.Eval(c, &s) {
			return dst
		}
		return appendSample(dst, c, &s, fl)
	}
}

func varPort(src bool) logVar {
	return func(c *Ctx, dst []byte, fl fmtFlags) []byte {
		ap := c.Dst
		if src {
			ap = c.Src
		}
		if !ap.IsValid() {
			return dst
		}
		if fl&flagHex != 0 {
			return appendHex(dst, uint64(ap.Port()), 4)
		}
		return strconv.AppendUint(dst, uint64(ap.Port()), 10)
	}
}

func varText(get func(c *Ctx) []byte) logVar {
	return func(c *Ctx, dst []byte, fl fmtFlags) []byte {
		return appendText(dst, get(c), fl)
	}
}

// AppendCaptures writes capture slots as the log line's %hr and %hs do:
// "{a|b}" (nothing when there is no slot).
func AppendCaptures(dst []byte, caps []Capture) []byte {
	if len(caps) == 0 {
		return dst
	}
	dst = append(dst, '{')
	for i := range caps {
		if i > 0 {
			dst = append(dst, '|')
		}
		if caps[i].Set {
			dst = append(dst, caps[i].Value...)
		}
	}
	return append(dst, '}')
}

var (
	logVars     map[string]logVar
	logVarsOnce sync.Once
)

// initLogVars builds the variable table once the fetches it uses are
// registered.
func initLogVars() {
	nosrv := []byte("<NOSRV>")
	logVars = map[string]logVar{
		"ci":  varFetch("src"),
		"cp":  varPort(true),
		"fi":  varFetch("dst"),
		"fp":  varPort(false),
		"f":   varFetch("fe_name"),
		"ft":  varFetch("fe_name"),
		"b":   varFetch("be_name"),
		"H":   varFetch("hostname"),
		"HM":  varFetch("capture.req.method"),
		"HV":  varFetch("capture.req.ver"),
		"ID":  varFetch("unique-id"),
		"pid": varFetch("pid"),
		"ST":  varFetch("status"),
		"Ts": func(c *Ctx, dst []byte, fl fmtFlags) []byte {
			n := c.now().Unix()
			if fl&flagHex != 0 {
				return appendHex(dst, uint64(n), 8)
			}
			return strconv.AppendInt(dst, n, 10)
		},
		"ms": func(c *Ctx, dst []byte, fl fmtFlags) []byte {
			ms := c.now().Nanosecond() / 1e6
			if fl&flagHex != 0 {
				return appendHex(dst, uint64(ms), 2)
			}
			if ms < 100 {
				dst = append(dst, '0')
			}
			if ms < 10 {
				dst = append(dst, '0')
			}
			return strconv.AppendInt(dst, int64(ms), 10)
		},
		"rt": func(c *Ctx, dst []byte, fl fmtFlags) []byte {
			if fl&flagHex != 0 {
				return appendHex(dst, c.RequestID(), 4)
			}
			return strconv.AppendUint(dst, c.RequestID(), 10)
		},
		"s": func(c *Ctx, dst []byte, fl fmtFlags) []byte {
			if c.Server == "" {
				return appendText(dst, nosrv, fl)
			}
			return appendText(dst, unsafe.Slice(unsafe.StringData(c.Server), len(c.Server)), fl)
		},
		"HU": varText(func(c *Ctx) []byte {
			if c.Req == nil {
				return nil
			}
			return c.Req.Target
		}),
		"HP": varText(func(c *Ctx) []byte {
			if c.Req == nil {
				return nil
			}
			t := c.Req.Target
			if i := strings.IndexByte(bstr(t), '?'); i >= 0 {
				return t[:i]
			}
			return t
		}),
		"HPO": varText(func(c *Ctx) []byte {
			if c.Req == nil {
				return nil
			}
			return c.Req.Path()
		}),
		"HQ": varText(func(c *Ctx) []byte {
			if c.Req == nil {
				return nil
			}
			t := c.Req.Target
			if i := strings.IndexByte(bstr(t), '?'); i >= 0 {
				return t[i:]
			}
			return nil
		}),
		"r": func(c *Ctx, dst []byte, fl fmtFlags) []byte {
			if c.Req == nil {
				return dst
			}
			if fl&flagQuote != 0 {
				dst = append(dst, '"')
			}
			dst = AppendRequestLine(dst, c.Req, c.HTTP2, c.TLS != nil)
			if fl&flagQuote != 0 {
				dst = append(dst, '"')
			}
			return dst
		},
		"hr": func(c *Ctx, dst []byte, _ fmtFlags) []byte {
			if c.Captures == nil {
				return dst
			}
			return AppendCaptures(dst, c.Captures.Req)
		},
		"hs": func(c *Ctx, dst []byte, _ fmtFlags) []byte {
			if c.Captures == nil {
				return dst
			}
			return AppendCaptures(dst, c.Captures.Res)
		},
	}
}
