package cfgcond

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// Version is the HAProxy version whose configuration language Baton
// speaks; version_atleast and version_before compare against it.
const Version = "2.6.12"

// Features are the build options Baton has, in HAProxy's names: what
// feature(NAME) answers true for and "baton -vv" prints. Each is true of
// Baton's implementation, not merely of HAProxy's.
var Features = []string{
	"ACCEPT4",      // Go's listeners accept with accept4(2)
	"EPOLL",        // Go's network poller is epoll on Linux
	"LINUX_SPLICE", // mode tcp copies between sockets with splice(2)
	// HAProxy's name for its TLS support: Baton's (crypto/tls) takes the
	// same ssl keywords, so a file that keeps its ssl lines under
	// ".if feature(OPENSSL)" keeps them here too.
	"OPENSSL",
	"SYSTEMD", // sd_notify READY/RELOADING/STOPPING
	"THREAD",  // the data path runs on several OS threads (nbthread)
}

// Context is what the predicates consult. The zero value uses the process
// environment, Features and Version.
type Context struct {
	// LookupEnv answers defined(); nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// Features answers feature(); nil means the package's Features.
	Features []string
	// Version answers version_atleast/version_before; "" means Version.
	Version string
}

// Error is a condition that cannot be parsed. Col is the 1-based column in
// the condition text where the problem starts.
type Error struct {
	Col int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (column %d)", e.Msg, e.Col) }

// Eval parses and evaluates cond. An empty (or all-blank) condition is
// false. A syntax error is an *Error.
func Eval(cond string, ctx *Context) (bool, error) {
	if ctx == nil {
		ctx = &Context{}
	}
	n, err := Parse(cond)
	if err != nil {
		return false, err
	}
	return n.eval(ctx), nil
}

// Node is a parsed condition.
type Node struct {
	op   byte // 'n' number, 'p' predicate, '!' not, '&' and, '|' or, 0 empty
	num  bool // truth of a number
	pred string
	args []string
	kids []*Node
}

// Parse parses cond without evaluating it.
func Parse(cond string) (*Node, error) {
	p := &parser{s: cond}
	p.blanks()
	if p.i == len(p.s) {
		return &Node{}, nil
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	p.blanks()
	if p.i < len(p.s) {
		return nil, p.errf("unexpected character %q at the end of the condition", p.s[p.i])
	}
	return n, nil
}

// Eval evaluates a parsed condition.
func (n *Node) Eval(ctx *Context) bool {
	if ctx == nil {
		ctx = &Context{}
	}
	return n.eval(ctx)
}

func (n *Node) eval(ctx *Context) bool {
	switch n.op {
	case 'n':
		return n.num
	case '!':
		return !n.kids[0].eval(ctx)
	case '&':
		for _, k := range n.kids {
			if !k.eval(ctx) {
				return false
			}
		}
		return true
	case '|':
		for _, k := range n.kids {
			if k.eval(ctx) {
				return true
			}
		}
		return false
	case 'p':
		return predicates[n.pred].eval(ctx, n.args)
	}
	return false
}

type predicate struct {
	nargs    int  // exact number of arguments
	required bool // arguments may not be omitted
	eval     func(ctx *Context, args []string) bool
}

var predicates = map[string]predicate{
	"defined": {nargs: 1, eval: func(ctx *Context, a []string) bool {
		lookup := ctx.LookupEnv
		if lookup == nil {
			lookup = os.LookupEnv
		}
		_, ok := lookup(a[0])
		return ok && a[0] != ""
	}},
	"feature": {nargs: 1, eval: func(ctx *Context, a []string) bool {
		feats := ctx.Features
		if feats == nil {
			feats = Features
		}
		if a[0] == "" {
			// HAProxy looks for "+NAME" in its feature list: an empty
			// name matches as soon as any feature is present.
			return len(feats) > 0
		}
		return slices.Contains(feats, a[0])
	}},
	"streq":  {nargs: 2, required: true, eval: func(_ *Context, a []string) bool { return a[0] == a[1] }},
	"strneq": {nargs: 2, required: true, eval: func(_ *Context, a []string) bool { return a[0] != a[1] }},
	"version_atleast": {nargs: 1, eval: func(ctx *Context, a []string) bool {
		return CompareVersions(ctx.version(), a[0]) >= 0
	}},
	"version_before": {nargs: 1, eval: func(ctx *Context, a []string) bool {
		return CompareVersions(ctx.version(), a[0]) < 0
	}},
}

func (ctx *Context) version() string {
	if ctx.Version == "" {
		return Version
	}
	return ctx.Version
}

type parser struct {
	s string
	i int
}

func (p *parser) errf(format string, args ...any) error {
	return &Error{Col: p.i + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) blanks() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *parser) or() (*Node, error) {
	return p.chain("||", '|', p.and)
}

func (p *parser) and() (*Node, error) {
	return p.chain("&&", '&', p.term)
}

// chain parses operands separated by sep.
func (p *parser) chain(sep string, op byte, operand func() (*Node, error)) (*Node, error) {
	n, err := operand()
	if err != nil {
		return nil, err
	}
	kids := []*Node{n}
	for {
		p.blanks()
		if !strings.HasPrefix(p.s[p.i:], sep) {
			break
		}
		p.i += len(sep)
		k, err := operand()
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	if len(kids) == 1 {
		return n, nil
	}
	return &Node{op: op, kids: kids}, nil
}

func (p *parser) term() (*Node, error) {
	p.blanks()
	if p.i == len(p.s) {
		return nil, p.errf("missing operand at the end of the condition")
	}
	switch c := p.s[p.i]; {
	case c == '!':
		p.i++
		k, err := p.term()
		if err != nil {
			return nil, err
		}
		return &Node{op: '!', kids: []*Node{k}}, nil
	case c == '(':
		start := p.i
		p.i++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		p.blanks()
		if p.i == len(p.s) || p.s[p.i] != ')' {
			p.i = start
			return nil, p.errf("missing ')' closing this parenthesis")
		}
		p.i++
		return n, nil
	case c >= '0' && c <= '9' || c == '-' || c == '+':
		return p.number()
	case isNameChar(c):
		return p.predicate()
	}
	return nil, p.errf("unparsable condition %q", p.s[p.i:])
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// number reads an integer the way C's strtol with base 0 does; it is true
// when not zero.
func (p *parser) number() (*Node, error) {
	start := p.i
	if p.s[p.i] == '-' || p.s[p.i] == '+' {
		p.i++
	}
	digits := "0123456789"
	if strings.HasPrefix(p.s[p.i:], "0x") || strings.HasPrefix(p.s[p.i:], "0X") {
		if p.i+2 < len(p.s) && strings.IndexByte("0123456789abcdefABCDEF", p.s[p.i+2]) >= 0 {
			p.i += 2
			digits = "0123456789abcdefABCDEF"
		}
	} else if strings.HasPrefix(p.s[p.i:], "0") {
		digits = "01234567"
	}
	nonzero, any := false, false
	for p.i < len(p.s) && strings.IndexByte(digits, p.s[p.i]) >= 0 {
		nonzero = nonzero || p.s[p.i] != '0'
		any = true
		p.i++
	}
	if !any {
		p.i = start
		return nil, p.errf("unparsable condition %q", p.s[start:])
	}
	return &Node{op: 'n', num: nonzero}, nil
}

func (p *parser) predicate() (*Node, error) {
	start := p.i
	for p.i < len(p.s) && isNameChar(p.s[p.i]) {
		p.i++
	}
	name := p.s[start:p.i]
	pr, ok := predicates[name]
	if !ok {
		p.i = start
		return nil, p.errf("unparsable condition %q (predicates: defined, feature, streq, strneq, version_atleast, version_before)", p.s[start:])
	}
	var args []string
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		var err error
		if args, err = p.args(name, pr.nargs); err != nil {
			return nil, err
		}
	}
	if len(args) < pr.nargs && (pr.required || len(args) > 0) {
		return nil, p.errf("%s: %d argument(s) expected, got %d", name, pr.nargs, len(args))
	}
	for len(args) < pr.nargs {
		args = append(args, "")
	}
	return &Node{op: 'p', pred: name, args: args}, nil
}

// args reads a predicate's arguments after its opening parenthesis, up to
// and including the closing one.
func (p *parser) args(name string, max int) ([]string, error) {
	var args []string
	var cur strings.Builder
	var quote byte
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\\' && p.i+1 < len(p.s) && (p.s[p.i+1] == '\\' || p.s[p.i+1] == '"' || p.s[p.i+1] == '\''):
			p.i++
			cur.WriteByte(p.s[p.i])
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote = c
		case c == ',' || c == ')':
			args = append(args, cur.String())
			cur.Reset()
			if len(args) > max {
				return nil, p.errf("%s: at most %d argument(s)", name, max)
			}
			p.i++
			if c == ')' {
				if len(args) == 1 && args[0] == "" && max > 1 {
					// "streq()" has no argument at all, not one empty one.
					return nil, nil
				}
				return args, nil
			}
			continue
		default:
			cur.WriteByte(c)
		}
		p.i++
	}
	if quote != 0 {
		return nil, p.errf("%s: unmatched quote in the arguments", name)
	}
	return nil, p.errf("%s: missing ')' after the arguments", name)
}
