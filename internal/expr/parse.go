package expr

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"baton/internal/pattern"
)

// Env is what compiling expressions needs from the configuration being
// read: its variables and maps, and how to read map files.
type Env struct {
	Vars *VarTable
	Maps *pattern.Store
	// ReadFile reads a file a map converter or an ACL names; nil means
	// files cannot be read.
	ReadFile func(name string) ([]byte, error)
	// Resolve turns a name as written into the file's path (HAProxy's
	// default-path), under which the map is known; nil keeps the name.
	Resolve func(name string) string
	// TableRef is told of every stick table an expression names ("" for
	// the table of the proxy the expression is written in) and returns
	// the table's name, so that the configuration can check, once every
	// section is read, that it exists. nil keeps the name as written.
	TableRef func(name string) string
	// Userlist returns the userlist section name (a *auth.Userlist,
	// checked to be declared once every section is read); nil means
	// none can be named.
	Userlist func(name string) any
	// Origin says where the expression being compiled is written, for
	// the runtime API's listing of map files; nil leaves it out.
	Origin func() (file string, line int)
}

// NewEnv returns an Env with empty variable and map tables.
func NewEnv(readFile func(string) ([]byte, error)) *Env {
	return &Env{Vars: NewVarTable(), Maps: pattern.NewStore(), ReadFile: readFile}
}

// Arg is one parsed argument.
type Arg struct {
	Type  ArgType
	Given bool // false for an optional argument left out
	Str   string
	Bytes []byte // Str as bytes
	Int   int64
	// Bits is a netmask's length.
	Bits int
	// Var is set for ArgVar, and for ArgIntOrVar naming a variable.
	Var   VarRef
	IsVar bool
	// Data is what Check prepared (a compiled map, a regular expression).
	Data any
}

// Expr is a compiled sample expression: a fetch and its converters.
type Expr struct {
	// Text is the expression as written.
	Text  string
	fetch *Fetch
	fargs []Arg
	convs []convStep
	// Out is the type of the result.
	Out Type
	// Use is what the fetch reads.
	Use Use
}

type convStep struct {
	c    *Conv
	args []Arg
}

// FetchName is the name of the expression's fetch.
func (e *Expr) FetchName() string { return e.fetch.Name }

// HasConverters reports whether converters follow the fetch.
func (e *Expr) HasConverters() bool { return len(e.convs) > 0 }

// NameRef is a proxy an argument names, to be checked once the whole
// configuration is read.
type NameRef struct {
	Kind string // "backend" or "frontend"
	// Name is the proxy; "" when the argument is omitted, which means
	// the proxy the expression is written in (it must then be one).
	Name string
	// Keyword is the fetch or converter, for messages.
	Keyword string
}

// Names lists the proxies the expression's arguments name.
func (e *Expr) Names() []NameRef {
	var out []NameRef
	add := func(kw string, args []Arg) {
		for _, a := range args {
			switch a.Type {
			case ArgBackend:
				out = append(out, NameRef{"backend", a.Str, kw})
			case ArgFrontend:
				out = append(out, NameRef{"frontend", a.Str, kw})
			}
		}
	}
	add(e.fetch.Name, e.fargs)
	for _, c := range e.convs {
		add(c.c.Name, c.args)
	}
	return out
}

// CheckWhere reports an error when the expression reads data that does
// not exist at w, in HAProxy's words.
func (e *Expr) CheckWhere(w Where) error {
	if e.fetch.eitherDir && e.Use&w.Has != 0 {
		return nil
	}
	if miss := e.Use &^ w.Has; miss != 0 {
		return fmt.Errorf("sample fetch <%s> may not be reliably used here because it needs '%s' which is not available here", e.fetch.Name, useName(miss))
	}
	return nil
}

func useName(u Use) string {
	switch {
	case u&UseReqHead != 0:
		return "HTTP request headers"
	case u&UseReqBody != 0:
		return "HTTP request body"
	case u&UseRes != 0:
		return "HTTP response"
	case u&UseReqPayload != 0:
		return "request buffer contents"
	case u&UseBackend != 0:
		return "backend"
	case u&UseServer != 0:
		return "server"
	case u&UseResLine != 0:
		return "HTTP response"
	}
	return "response buffer contents"
}

// Compile parses a whole expression, "fetch(args),conv(args),...".
func Compile(s string, env *Env) (*Expr, error) {
	e, rest, err := parseExpr(s, env, "")
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("unexpected %q after %q", rest, s[:len(s)-len(rest)])
	}
	return e, nil
}

// CompileACL parses an ACL's criterion: an ACL keyword (hdr_beg(host))
// or an expression. It returns the match method the keyword implies, or
// MethodNone when the output type decides (a keyword followed by
// converters loses its method, as in HAProxy).
func CompileACL(s string, env *Env) (*Expr, pattern.Method, error) {
	name := s[:idEnd(s)]
	kw, isKW := aclKWs[name]
	alias := ""
	if isKW {
		alias = kw.Fetch
	}
	e, rest, err := parseExpr(s, env, alias)
	if err != nil {
		return nil, 0, err
	}
	if rest != "" {
		return nil, 0, fmt.Errorf("unexpected %q after %q", rest, s[:len(s)-len(rest)])
	}
	if isKW && len(e.convs) == 0 {
		e.fetch = e.fetch.aclVariant(name)
		return e, kw.Method, nil
	}
	return e, pattern.MethodNone, nil
}

// aclVariant returns f as an ACL keyword uses it: the same fetch under
// the keyword's name, for messages.
func (f *Fetch) aclVariant(name string) *Fetch {
	if f.Name == name {
		return f
	}
	g := *f
	g.Name = name
	return &g
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '+'
}

func idEnd(s string) int {
	i := 0
	for i < len(s) && isIDChar(s[i]) {
		i++
	}
	return i
}

// parseExpr reads an expression from the start of s; alias, when set, is
// the fetch to use for the first word (an ACL keyword's fetch). It
// returns what follows the expression.
func parseExpr(s string, env *Env, alias string) (*Expr, string, error) {
	n := idEnd(s)
	if n == 0 {
		return nil, s, fmt.Errorf("missing fetch method in %q", s)
	}
	name := s[:n]
	fname := name
	if alias != "" {
		fname = alias
	}
	f, ok := fetches[fname]
	if !ok {
		return nil, s, unknownFetch(name)
	}
	e := &Expr{Text: s, fetch: f, Out: f.Out, Use: f.Use}
	args, rest, err := parseArgs(s[n:], f.Args, f.MinArgs, env)
	if err != nil {
		return nil, s, fmt.Errorf("fetch method '%s': %v", name, err)
	}
	e.fargs = args
	if f.Check != nil {
		if err := f.Check(args, env); err != nil {
			return nil, s, fmt.Errorf("invalid args in fetch method '%s': %v", name, err)
		}
	}
	prev := f.Out
	for {
		if rest == "" || rest[0] != ',' {
			break
		}
		for rest != "" && rest[0] == ',' {
			rest = rest[1:]
		}
		if rest == "" {
			break
		}
		m := idEnd(rest)
		cname := rest[:m]
		c, ok := convs[cname]
		if !ok {
			return nil, s, fmt.Errorf("unknown converter '%s'", cname)
		}
		if !castable(prev, c.In) {
			return nil, s, fmt.Errorf("converter '%s' cannot be applied (it takes %s, gets %s)", cname, c.In, prev)
		}
		cargs, r, err := parseArgs(rest[m:], c.Args, c.MinArgs, env)
		if err != nil {
			return nil, s, fmt.Errorf("invalid args in converter '%s': %v", cname, err)
		}
		if c.Check != nil {
			if err := c.Check(cargs, env); err != nil {
				return nil, s, fmt.Errorf("invalid args in converter '%s': %v", cname, err)
			}
		}
		rest = r
		e.convs = append(e.convs, convStep{c: c, args: cargs})
		prev = c.Out
	}
	e.Out = prev
	e.Text = s[:len(s)-len(rest)]
	return e, rest, nil
}

// parseArgs reads "(a,b,...)" at the start of s as HAProxy does: commas
// and ')' end an argument unless quoted with '...' or "..." (the quotes
// are removed); outside single quotes a backslash escapes a backslash,
// a blank or a quote, and \r \n \t are control characters. Missing
// optional arguments are left with Given false.
func parseArgs(s string, spec []ArgType, minArgs int, env *Env) ([]Arg, string, error) {
	args := make([]Arg, len(spec))
	for i, t := range spec {
		args[i].Type = t
	}
	if s == "" || s[0] != '(' {
		if minArgs > 0 {
			return nil, s, fmt.Errorf("missing arguments (got 0/%d), type '%s' expected", minArgs, spec[0])
		}
		return args, s, nil
	}
	in := s[1:]
	pos := 0
	var buf strings.Builder
	for pos < len(spec) {
		buf.Reset()
		sq, dq := false, false
		i := 0
	scan:
		for i < len(in) {
			c := in[i]
			switch {
			case c == '"' && !sq:
				dq = !dq
				i++
			case c == '\'' && !dq:
				sq = !sq
				i++
			case c == '\\' && !sq && i+1 < len(in):
				switch in[i+1] {
				case '\\', ' ', '"', '\'':
					buf.WriteByte(in[i+1])
					i += 2
				case 'r':
					buf.WriteByte('\r')
					i += 2
				case 'n':
					buf.WriteByte('\n')
					i += 2
				case 't':
					buf.WriteByte('\t')
					i += 2
				default:
					buf.WriteByte('\\')
					i++
				}
			case !sq && !dq && (c == ',' || c == ')'):
				break scan
			default:
				buf.WriteByte(c)
				i++
			}
		}
		in = in[i:]
		word := buf.String()
		if word == "" && spec[pos] != ArgStr {
			// An empty argument of another type is "not given": fine
			// once the mandatory ones are there.
			if pos < minArgs {
				return nil, s, fmt.Errorf("expected type '%s' at position %d, but got nothing", spec[pos], pos+1)
			}
		} else if err := setArg(&args[pos], word, env); err != nil {
			return nil, s, fmt.Errorf("failed to parse '%s' as type '%s' at position %d: %v", word, spec[pos], pos+1, err)
		}
		pos++
		if in == "" || in[0] == ')' || pos >= len(spec) {
			break
		}
		in = in[1:] // the comma
	}
	if pos < minArgs {
		return nil, s, fmt.Errorf("missing arguments (got %d/%d), type '%s' expected", pos, minArgs, spec[pos])
	}
	if in == "" || in[0] != ')' {
		if len(spec) == 0 && (in == "" || in[0] != ')') {
			return nil, s, fmt.Errorf("takes no arguments")
		}
		return nil, s, fmt.Errorf("expected ')' before '%s'", in)
	}
	return args, in[1:], nil
}

func setArg(a *Arg, word string, env *Env) error {
	a.Given = true
	a.Str, a.Bytes = word, []byte(word)
	switch a.Type {
	case ArgInt:
		n, err := strconv.ParseInt(word, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer")
		}
		a.Int = n
	case ArgBackend, ArgFrontend:
		if word == "" {
			return fmt.Errorf("empty name")
		}
	case ArgMsk4:
		if n, err := strconv.Atoi(word); err == nil {
			if n < 0 || n > 32 {
				return fmt.Errorf("mask length out of 0..32")
			}
			a.Bits = n
			return nil
		}
		p, err := pattern.ParsePrefix("0.0.0.0/"+word, true, nil)
		if err != nil {
			return err
		}
		a.Bits = p.Bits()
	case ArgMsk6:
		if n, err := strconv.Atoi(word); err == nil {
			if n < 0 || n > 128 {
				return fmt.Errorf("mask length out of 0..128")
			}
			a.Bits = n
			return nil
		}
		m, err := netip.ParseAddr(word)
		if err != nil || !m.Is6() {
			return fmt.Errorf("not an IPv6 mask")
		}
		b := m.As16()
		bits, seenZero := 0, false
		for _, x := range b {
			for k := 7; k >= 0; k-- {
				if x&(1<<k) != 0 {
					if seenZero {
						return fmt.Errorf("mask is not contiguous")
					}
					bits++
				} else {
					seenZero = true
				}
			}
		}
		a.Bits = bits
	case ArgVar:
		r, err := env.declare(word)
		if err != nil {
			return err
		}
		a.Var, a.IsVar = r, true
	case ArgIntOrVar:
		if n, err := strconv.ParseInt(word, 10, 64); err == nil {
			a.Int = n
			return nil
		}
		r, err := env.declare(word)
		if err != nil {
			return fmt.Errorf("neither an integer nor a variable name: %v", err)
		}
		a.Var, a.IsVar = r, true
	case ArgTime:
		d, err := ParseTime(word)
		if err != nil {
			return err
		}
		a.Int = d.Milliseconds()
	}
	return nil
}

func (env *Env) declare(name string) (VarRef, error) {
	if env == nil || env.Vars == nil {
		return VarRef{}, fmt.Errorf("variables are not available here")
	}
	return env.Vars.Declare(name)
}

// ParseTime reads a HAProxy time: digits with an optional unit (us, ms,
// s, m, h, d); milliseconds when there is none.
func ParseTime(s string) (time.Duration, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("invalid time %q", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid time %q", s)
	}
	unit := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[s[i:]]
	if unit == 0 {
		return 0, fmt.Errorf("invalid time %q: unknown unit %q", s, s[i:])
	}
	if n > int64(1<<31-1)*int64(time.Millisecond)/int64(unit) {
		return 0, fmt.Errorf("time %q is too large", s)
	}
	return time.Duration(n) * unit, nil
}

// Eval evaluates e as a sample (its single value): the last header
// occurrence, the last cookie, and so on.
func (e *Expr) Eval(c *Ctx, out *Sample) bool {
	f := c.enter()
	f.it = Iter{}
	ok := e.next(c, &f.it, &f.s)
	*out = f.s
	c.leave(f)
	return ok
}

// Next evaluates e for an ACL (with it.Iterate set) or a sample: a fetch
// with several values sets it.More, and the caller calls Next again with
// the same it for the following one. On false, out.MayChange says the
// value may exist once more data comes.
func (e *Expr) Next(c *Ctx, it *Iter, out *Sample) bool {
	f := c.enter()
	f.it = *it
	ok := e.next(c, &f.it, &f.s)
	*it, *out = f.it, f.s
	c.leave(f)
	return ok
}

// next evaluates with it and out in a Ctx frame: fetches and converters
// are called through function values, which would make a caller's
// locals escape to the heap.
func (e *Expr) next(c *Ctx, it *Iter, out *Sample) bool {
	*out = Sample{}
	it.More = false
	if !e.fetch.Eval(c, e.fargs, it, out) {
		return false
	}
	mc := out.MayChange
	for i := range e.convs {
		st := &e.convs[i]
		if !c.Cast(out, st.c.In) {
			out.MayChange = mc
			return false
		}
		if st.c.OwnsMayChange {
			out.MayChange = false
		}
		ok := st.c.Eval(c, st.args, out)
		if st.c.OwnsMayChange {
			mc = out.MayChange
		}
		if !ok {
			out.MayChange = mc
			return false
		}
	}
	out.MayChange = mc
	return true
}

// EvalAs evaluates e and casts the result to t.
func (e *Expr) EvalAs(c *Ctx, t Type, out *Sample) bool {
	return e.Eval(c, out) && c.Cast(out, t)
}

// AppendString evaluates e and appends its string form to dst (nothing
// when it has no value): what "%[expr]" writes.
func (e *Expr) AppendString(dst []byte, c *Ctx) []byte {
	f := c.enter()
	defer c.leave(f)
	f.it = Iter{}
	if !e.next(c, &f.it, &f.s) || !c.Cast(&f.s, Str) {
		return dst
	}
	return append(dst, f.s.Bytes...)
}
