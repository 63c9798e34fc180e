package check

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file is the small sample-expression language of check rules:
// "tcp-check connect port EXPR", "set-var(...) EXPR", "status-code EXPR"
// and the %[EXPR] items of log-format strings (send-lf, on-error, hdr
// values, ...). A check runs with no client and no request, so only the
// fetches that make sense there exist:
//
//	str(S) int(N) bool(B) bin(HEX) ipv4(A) ipv6(A)   constants
//	date([OFFSET])                                   the current Unix time
//	var(SCOPE.NAME[,DEFAULT])                        a variable (proc, sess, check)
//	res.payload(OFFSET,LENGTH)                       response bytes (LENGTH 0: to the end)
//	res.len                                          response bytes received
//
// and converters hex, htonl, cut_crlf, ltrim(CHARS), rtrim(CHARS), lower,
// upper, length, bytes(OFFSET[,LENGTH]), add(N), sub(N). Anything else is
// a configuration error naming it.

// valueKind is a sample's type.
type valueKind uint8

const (
	kindStr valueKind = iota + 1
	kindBin
	kindInt
	kindBool
	kindIP
)

// Value is a sample: a string or bytes, an integer, a boolean or an IP.
type Value struct {
	kind valueKind
	b    []byte
	i    int64
}

// StrValue and IntValue make preset variables.
func StrValue(s string) Value { return Value{kind: kindStr, b: []byte(s)} }
func IntValue(n int64) Value  { return Value{kind: kindInt, i: n} }

// Bytes returns the value as text, as log-format strings print it.
func (v Value) Bytes() []byte {
	switch v.kind {
	case kindInt:
		return strconv.AppendInt(nil, v.i, 10)
	case kindBool:
		if v.i != 0 {
			return []byte("1")
		}
		return []byte("0")
	}
	return v.b
}

// Int returns the value as an integer: a string's leading decimal digits
// (as HAProxy casts), or false when there are none.
func (v Value) Int() (int64, bool) {
	switch v.kind {
	case kindInt, kindBool:
		return v.i, true
	case kindStr, kindBin:
		s := strings.TrimLeft(string(v.b), " ")
		end := 0
		if end < len(s) && (s[end] == '-' || s[end] == '+') {
			end++
		}
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		n, err := strconv.ParseInt(s[:end], 10, 64)
		return n, err == nil
	}
	return 0, false
}

// Env is what an expression sees while a check runs.
type Env struct {
	// Resp is the response buffer (res.payload, res.len).
	Resp []byte
	// Vars holds the check's variables.
	Vars *Vars
	// Now is the clock for date(); zero means time.Now.
	Now time.Time
}

// Vars are the variables of one check run: "check" and "sess" live for
// the run, "proc" for the process (shared by every check).
type Vars struct {
	run map[string]Value
}

// procVars is the "proc" scope; a mutex, because every check goroutine
// may read and write it.
var procVars = struct {
	sync.Mutex
	m map[string]Value
}{m: map[string]Value{}}

// NewVars returns empty run variables.
func NewVars() *Vars { return &Vars{run: map[string]Value{}} }

func (vs *Vars) get(name string) (Value, bool) {
	if strings.HasPrefix(name, "proc.") {
		procVars.Lock()
		defer procVars.Unlock()
		v, ok := procVars.m[name]
		return v, ok
	}
	v, ok := vs.run[name]
	return v, ok
}

// Set stores v under name ("check.port", "proc.x").
func (vs *Vars) Set(name string, v Value) {
	v.b = bytes.Clone(v.b)
	if strings.HasPrefix(name, "proc.") {
		procVars.Lock()
		procVars.m[name] = v
		procVars.Unlock()
		return
	}
	vs.run[name] = v
}

func (vs *Vars) unset(name string) {
	if strings.HasPrefix(name, "proc.") {
		procVars.Lock()
		delete(procVars.m, name)
		procVars.Unlock()
		return
	}
	delete(vs.run, name)
}

// CheckVarName validates a variable name: a scope allowed in checks
// (proc, sess, check), a dot, and letters, digits, '.', '-' or '_'.
func CheckVarName(name string) error {
	scope, rest, ok := strings.Cut(name, ".")
	if !ok || rest == "" {
		return fmt.Errorf("invalid variable name %q (expected SCOPE.NAME with scope proc, sess or check)", name)
	}
	switch scope {
	case "proc", "sess", "check":
	default:
		return fmt.Errorf("variable %q: scope %q is not available in checks (proc, sess or check)", name, scope)
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return fmt.Errorf("invalid character %q in variable name %q", c, name)
		}
	}
	return nil
}

// Expr is a compiled sample expression.
type Expr struct {
	src   string
	fetch func(*Env) (Value, bool)
	convs []func(Value) (Value, bool)
}

func (e *Expr) String() string { return e.src }

// Eval evaluates e; false means the sample could not be fetched.
func (e *Expr) Eval(env *Env) (Value, bool) {
	v, ok := e.fetch(env)
	for _, c := range e.convs {
		if !ok {
			return v, false
		}
		v, ok = c(v)
	}
	return v, ok
}

// ParseExpr compiles a sample expression.
func ParseExpr(s string) (*Expr, error) {
	parts, err := splitExpr(s)
	if err != nil {
		return nil, err
	}
	e := &Expr{src: s}
	name, args := parts[0].name, parts[0].args
	if e.fetch, err = makeFetch(name, args, parts[0].hasArgs); err != nil {
		return nil, err
	}
	for _, p := range parts[1:] {
		c, err := makeConv(p.name, p.args)
		if err != nil {
			return nil, err
		}
		e.convs = append(e.convs, c)
	}
	return e, nil
}

type exprPart struct {
	name    string
	args    []string
	hasArgs bool
}

// splitExpr cuts "f(a,b),c,d(x)" into its fetch and converters; an
// argument may be quoted with ' or " and may use backslash escapes.
func splitExpr(s string) ([]exprPart, error) {
	var parts []exprPart
	i := 0
	for {
		start := i
		for i < len(s) && s[i] != '(' && s[i] != ',' {
			i++
		}
		p := exprPart{name: s[start:i]}
		if p.name == "" {
			return nil, fmt.Errorf("invalid expression %q: missing name", s)
		}
		if i < len(s) && s[i] == '(' {
			p.hasArgs = true
			i++
			var cur strings.Builder
			var quote byte
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("invalid expression %q: missing ')'", s)
				}
				c := s[i]
				i++
				switch {
				case quote != 0 && c == quote:
					quote = 0
				case quote != 0 && c == '\\' && i < len(s):
					cur.WriteByte(s[i])
					i++
				case quote != 0:
					cur.WriteByte(c)
				case c == '\'' || c == '"':
					quote = c
				case c == '\\' && i < len(s):
					cur.WriteByte(s[i])
					i++
				case c == ',':
					p.args = append(p.args, cur.String())
					cur.Reset()
				case c == ')':
					p.args = append(p.args, cur.String())
					goto closed
				default:
					cur.WriteByte(c)
				}
			}
		closed:
		}
		parts = append(parts, p)
		if i >= len(s) {
			return parts, nil
		}
		if s[i] != ',' {
			return nil, fmt.Errorf("invalid expression %q: unexpected %q", s, s[i:])
		}
		i++
	}
}

func wantArgs(name string, args []string, min, max int) error {
	if len(args) < min || len(args) > max {
		if min == max {
			return fmt.Errorf("%s expects %d argument(s)", name, min)
		}
		return fmt.Errorf("%s expects %d to %d arguments", name, min, max)
	}
	return nil
}

func intArg(name, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: invalid number %q", name, s)
	}
	return n, nil
}

func makeFetch(name string, args []string, hasArgs bool) (func(*Env) (Value, bool), error) {
	constant := func(v Value) func(*Env) (Value, bool) {
		return func(*Env) (Value, bool) { return v, true }
	}
	switch name {
	case "str":
		if err := wantArgs(name, args, 1, 1); err != nil {
			return nil, err
		}
		return constant(Value{kind: kindStr, b: []byte(args[0])}), nil
	case "int":
		if err := wantArgs(name, args, 1, 1); err != nil {
			return nil, err
		}
		n, err := intArg(name, args[0])
		if err != nil {
			return nil, err
		}
		return constant(IntValue(n)), nil
	case "bool":
		if err := wantArgs(name, args, 1, 1); err != nil {
			return nil, err
		}
		n, err := intArg(name, args[0])
		if err != nil {
			return nil, err
		}
		return constant(Value{kind: kindBool, i: b2i(n != 0)}), nil
	case "bin":
		if err := wantArgs(name, args, 1, 1); err != nil {
			return nil, err
		}
		b, err := ParseHex(args[0])
		if err != nil {
			return nil, fmt.Errorf("bin: %v", err)
		}
		return constant(Value{kind: kindBin, b: b}), nil
	case "ipv4", "ipv6":
		if err := wantArgs(name, args, 1, 1); err != nil {
			return nil, err
		}
		a, err := netip.ParseAddr(args[0])
		if err != nil || a.Is4() != (name == "ipv4") {
			return nil, fmt.Errorf("%s: invalid address %q", name, args[0])
		}
		return constant(Value{kind: kindIP, b: []byte(a.String())}), nil
	case "date":
		if err := wantArgs(name, args, 0, 1); err != nil && hasArgs {
			return nil, err
		}
		var off int64
		if len(args) == 1 && args[0] != "" {
			n, err := intArg(name, args[0])
			if err != nil {
				return nil, err
			}
			off = n
		}
		return func(env *Env) (Value, bool) {
			now := env.Now
			if now.IsZero() {
				now = time.Now()
			}
			return IntValue(now.Unix() + off), true
		}, nil
	case "var":
		if err := wantArgs(name, args, 1, 2); err != nil {
			return nil, err
		}
		vn := args[0]
		if err := CheckVarName(vn); err != nil {
			return nil, err
		}
		def, hasDef := Value{}, len(args) == 2
		if hasDef {
			def = StrValue(args[1])
		}
		return func(env *Env) (Value, bool) {
			if env.Vars != nil {
				if v, ok := env.Vars.get(vn); ok {
					return v, true
				}
			}
			return def, hasDef
		}, nil
	case "res.payload", "req.payload":
		if name == "req.payload" {
			break
		}
		if err := wantArgs(name, args, 2, 2); err != nil {
			return nil, err
		}
		off, err1 := intArg(name, args[0])
		ln, err2 := intArg(name, args[1])
		if err1 != nil || err2 != nil || off < 0 || ln < 0 {
			return nil, fmt.Errorf("res.payload: invalid offset or length (%q, %q)", args[0], args[1])
		}
		return func(env *Env) (Value, bool) {
			b := env.Resp
			if int64(len(b)) < off || ln > 0 && int64(len(b)) < off+ln {
				return Value{}, false
			}
			b = b[off:]
			if ln > 0 {
				b = b[:ln]
			}
			return Value{kind: kindBin, b: b}, true
		}, nil
	case "res.len":
		if hasArgs {
			return nil, fmt.Errorf("res.len takes no argument")
		}
		return func(env *Env) (Value, bool) { return IntValue(int64(len(env.Resp))), true }, nil
	}
	return nil, fmt.Errorf("fetch %q is not available in health checks (supported: str, int, bool, bin, ipv4, ipv6, date, var, res.payload, res.len)", name)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func makeConv(name string, args []string) (func(Value) (Value, bool), error) {
	noArgs := func() error {
		if len(args) > 0 {
			return fmt.Errorf("converter %s takes no argument", name)
		}
		return nil
	}
	switch name {
	case "hex":
		if err := noArgs(); err != nil {
			return nil, err
		}
		return func(v Value) (Value, bool) {
			return Value{kind: kindStr, b: []byte(strings.ToUpper(hex.EncodeToString(v.Bytes())))}, true
		}, nil
	case "htonl":
		if err := noArgs(); err != nil {
			return nil, err
		}
		return func(v Value) (Value, bool) {
			n, ok := v.Int()
			if !ok {
				return Value{}, false
			}
			return Value{kind: kindBin, b: binary.BigEndian.AppendUint32(nil, uint32(n))}, true
		}, nil
	case "cut_crlf":
		if err := noArgs(); err != nil {
			return nil, err
		}
		return func(v Value) (Value, bool) {
			b := v.Bytes()
			if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
				b = b[:i]
			}
			return Value{kind: kindStr, b: b}, true
		}, nil
	case "ltrim", "rtrim":
		if err := wantArgs(name, args, 1, 1); err != nil {
			return nil, err
		}
		set := args[0]
		left := name == "ltrim"
		return func(v Value) (Value, bool) {
			b := v.Bytes()
			if left {
				b = bytes.TrimLeft(b, set)
			} else {
				b = bytes.TrimRight(b, set)
			}
			return Value{kind: kindStr, b: b}, true
		}, nil
	case "lower", "upper":
		if err := noArgs(); err != nil {
			return nil, err
		}
		up := name == "upper"
		return func(v Value) (Value, bool) {
			if up {
				return Value{kind: kindStr, b: bytes.ToUpper(v.Bytes())}, true
			}
			return Value{kind: kindStr, b: bytes.ToLower(v.Bytes())}, true
		}, nil
	case "length":
		if err := noArgs(); err != nil {
			return nil, err
		}
		return func(v Value) (Value, bool) { return IntValue(int64(len(v.Bytes()))), true }, nil
	case "bytes":
		if err := wantArgs(name, args, 1, 2); err != nil {
			return nil, err
		}
		off, err := intArg(name, args[0])
		if err != nil || off < 0 {
			return nil, fmt.Errorf("bytes: invalid offset %q", args[0])
		}
		ln := int64(-1)
		if len(args) == 2 {
			if ln, err = intArg(name, args[1]); err != nil || ln < 0 {
				return nil, fmt.Errorf("bytes: invalid length %q", args[1])
			}
		}
		return func(v Value) (Value, bool) {
			b := v.Bytes()
			if off > int64(len(b)) {
				return Value{kind: kindBin}, true
			}
			b = b[off:]
			if ln >= 0 && ln < int64(len(b)) {
				b = b[:ln]
			}
			return Value{kind: kindBin, b: b}, true
		}, nil
	case "add", "sub":
		if err := wantArgs(name, args, 1, 1); err != nil {
			return nil, err
		}
		n, err := intArg(name, args[0])
		if err != nil {
			return nil, err
		}
		if name == "sub" {
			n = -n
		}
		return func(v Value) (Value, bool) {
			i, ok := v.Int()
			return IntValue(i + n), ok
		}, nil
	}
	return nil, fmt.Errorf("converter %q is not available in health checks (supported: hex, htonl, cut_crlf, ltrim, rtrim, lower, upper, length, bytes, add, sub)", name)
}

// Format is a compiled log-format string: literal text and %[EXPR] items.
type Format struct {
	src  string
	lits [][]byte // lits[i] precedes exprs[i]; one more literal at the end
	exps []*Expr
}

func (f *Format) String() string { return f.src }

// ParseFormat compiles a log-format string of a check rule. Only literal
// text, %% and %[EXPR] are accepted: a check has no client, request or
// timers for the other log-format variables.
func ParseFormat(s string) (*Format, error) {
	f := &Format{src: s}
	var lit []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			lit = append(lit, c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			lit = append(lit, '%')
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '[' {
			j := i + 1
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] == '{' || s[j] == '}' || s[j] == '+' || s[j] == '-') {
				j++
			}
			return nil, fmt.Errorf("log-format item %q is not available in health checks (use %%[EXPR] or %%%% for a literal %%)", s[i:j])
		}
		end := matchingBracket(s, i+1)
		if end < 0 {
			return nil, fmt.Errorf("unterminated %%[ in %q", s)
		}
		e, err := ParseExpr(s[i+2 : end])
		if err != nil {
			return nil, err
		}
		f.lits = append(f.lits, lit)
		f.exps = append(f.exps, e)
		lit = nil
		i = end
	}
	f.lits = append(f.lits, lit)
	return f, nil
}

// matchingBracket returns the index of the ']' closing the '[' at open,
// skipping quoted arguments, or -1.
func matchingBracket(s string, open int) int {
	var quote byte
	for i := open + 1; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
		case c == '\'' || c == '"':
			quote = c
		case c == ']':
			return i
		}
	}
	return -1
}

// Literal reports whether the format has no expression.
func (f *Format) Literal() bool { return len(f.exps) == 0 }

// Append evaluates f onto b; an item whose sample is missing prints
// nothing, as in HAProxy.
func (f *Format) Append(b []byte, env *Env) []byte {
	for i, e := range f.exps {
		b = append(b, f.lits[i]...)
		if v, ok := e.Eval(env); ok {
			b = append(b, v.Bytes()...)
		}
	}
	return append(b, f.lits[len(f.lits)-1]...)
}

// ParseHex decodes an even-length string of hexadecimal digits.
func ParseHex(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("hexadecimal string %q has an odd length", s)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("invalid hexadecimal string %q", s)
	}
	return b, nil
}
