package pattern

import (
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Method is a pattern matching method ("-m NAME").
type Method uint8

const (
	MethodNone Method = iota
	Found             // the sample exists
	Bool              // the sample is true (non-zero)
	Int               // integer values and ranges
	IP                // addresses and networks
	Bin               // hex blocks, exact
	Len               // the sample's length against integers
	Str               // exact string
	Sub               // substring
	Reg               // regular expression
	Beg               // prefix
	End               // suffix
	Dir               // a slash-delimited part
	Dom               // a dot-delimited part
)

var methodNames = [...]string{"", "found", "bool", "int", "ip", "bin", "len", "str", "sub", "reg", "beg", "end", "dir", "dom"}

func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return "?"
}

// ParseMethod reads a "-m" argument.
func ParseMethod(s string) (Method, bool) {
	for i, n := range methodNames {
		if i > 0 && n == s {
			return Method(i), true
		}
	}
	return MethodNone, false
}

// TakesPatterns reports whether the method compares with patterns (found
// and bool do not).
func (m Method) TakesPatterns() bool { return m != Found && m != Bool }

// Stringy reports whether the method compares bytes with string patterns.
func (m Method) Stringy() bool {
	switch m {
	case Str, Sub, Reg, Beg, End, Dir, Dom:
		return true
	}
	return false
}

// ValueType is the type a map converts its values to.
type ValueType uint8

const (
	ValueNone ValueType = iota // an ACL: no values
	ValueStr
	ValueInt
	ValueIP
)

// Options say how a Ref's keys are compiled.
type Options struct {
	Method Method
	// Fold makes string comparisons ignore ASCII case ("-i").
	Fold bool
	// NoDNS forbids resolving host names in IP patterns ("-n").
	NoDNS bool
	// Value is the type of a map's values; ValueNone for an ACL.
	Value ValueType
}

// Value is a map entry's value, converted to the map's output type.
type Value struct {
	Str []byte
	Int int64
	IP  netip.Addr
}

type intRange struct{ lo, hi int64 }

// List is a compiled, immutable set of patterns. Index i of every slice
// is the i-th entry of the Ref it was compiled from (entries that do not
// apply to the method are absent from the method's slice, but their value
// is kept in values for the index the matchers return).
type List struct {
	opt    Options
	n      int
	strs   [][]byte // Str (folded), Sub, Beg, End, Dir, Dom, Bin
	exact  map[string]int
	ints   []intRange
	nets   []netip.Prefix
	netIdx []int // nets sorted longest prefix first; netIdx[i] is its entry
	regs   []*regexp.Regexp
	values []Value
}

// Len is the number of patterns.
func (l *List) Len() int { return l.n }

// Value returns the value of entry i (from a Match result).
func (l *List) Value(i int) *Value { return &l.values[i] }

// compile builds a List from entries; the error names the entry's key.
func compile(entries []Entry, opt Options, resolve func(string) (netip.Addr, error)) (*List, error) {
	l := &List{opt: opt, n: len(entries)}
	if opt.Value != ValueNone {
		l.values = make([]Value, len(entries))
	}
	for i, e := range entries {
		if opt.Value != ValueNone {
			v, err := parseValue(e.Value, opt.Value)
			if err != nil {
				return nil, err
			}
			l.values[i] = v
		}
		switch opt.Method {
		case Found, Bool:
		case Int, Len:
			r, err := parseIntPattern(e.Key)
			if err != nil {
				return nil, err
			}
			l.ints = append(l.ints, r)
		case IP:
			p, err := ParsePrefix(e.Key, opt.NoDNS, resolve)
			if err != nil {
				return nil, err
			}
			l.nets = append(l.nets, p)
		case Reg:
			re, err := CompileRegexp(e.Key, opt.Fold)
			if err != nil {
				return nil, err
			}
			l.regs = append(l.regs, re)
		case Bin:
			b, err := hex.DecodeString(e.Key)
			if err != nil {
				return nil, fmt.Errorf("%q is not an even number of hex digits", e.Key)
			}
			l.strs = append(l.strs, b)
		case Str:
			k := e.Key
			if opt.Fold {
				k = strings.ToLower(k)
			}
			if l.exact == nil {
				l.exact = make(map[string]int, len(entries))
			}
			if _, dup := l.exact[k]; !dup {
				l.exact[k] = i
			}
			l.strs = append(l.strs, []byte(k))
		default: // Sub, Beg, End, Dir, Dom
			k := e.Key
			if opt.Fold {
				k = strings.ToLower(k)
			}
			l.strs = append(l.strs, []byte(k))
		}
	}
	if opt.Method == IP {
		l.netIdx = make([]int, len(l.nets))
		for i := range l.netIdx {
			l.netIdx[i] = i
		}
		sort.SliceStable(l.netIdx, func(a, b int) bool { return l.nets[l.netIdx[a]].Bits() > l.nets[l.netIdx[b]].Bits() })
	}
	return l, nil
}

func parseValue(s string, t ValueType) (Value, error) {
	switch t {
	case ValueInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("unable to parse '%s'", s)
		}
		return Value{Int: n}, nil
	case ValueIP:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return Value{}, fmt.Errorf("unable to parse '%s'", s)
		}
		return Value{IP: a.Unmap()}, nil
	}
	return Value{Str: []byte(s)}, nil
}

// IntOperators rewrites the operators of an ACL line's integer values
// ("gt 5" is "6:", "le 3" is ":3"): an operator applies to every value
// after it, as in HAProxy.
func IntOperators(values []string) ([]string, error) {
	out := make([]string, 0, len(values))
	op := ""
	for _, v := range values {
		switch v {
		case "eq", "ge", "gt", "le", "lt":
			op = v
			continue
		}
		if op == "" || op == "eq" {
			out = append(out, v)
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q after %q is not an integer", v, op)
		}
		switch op {
		case "ge":
			out = append(out, strconv.FormatInt(n, 10)+":")
		case "gt":
			if n == math.MaxInt64 {
				return nil, fmt.Errorf("nothing is greater than %d", n)
			}
			out = append(out, strconv.FormatInt(n+1, 10)+":")
		case "le":
			out = append(out, ":"+strconv.FormatInt(n, 10))
		case "lt":
			if n == math.MinInt64 {
				return nil, fmt.Errorf("nothing is less than %d", n)
			}
			out = append(out, ":"+strconv.FormatInt(n-1, 10))
		}
	}
	if op != "" && (len(out) == 0 || len(values) > 0 && values[len(values)-1] == op) {
		return nil, fmt.Errorf("operator %q needs a value", op)
	}
	return out, nil
}

// parseIntPattern reads "N", "LO:HI", ":HI" or "LO:".
func parseIntPattern(s string) (intRange, error) {
	num := func(v string) (int64, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer or a range LO:HI", s)
		}
		return n, nil
	}
	lo, hi, isRange := strings.Cut(s, ":")
	if !isRange {
		n, err := num(s)
		return intRange{n, n}, err
	}
	r := intRange{math.MinInt64, math.MaxInt64}
	var err error
	if lo == "" && hi == "" {
		return r, fmt.Errorf("%q is not an integer or a range LO:HI", s)
	}
	if lo != "" {
		if r.lo, err = num(lo); err != nil {
			return r, err
		}
	}
	if hi != "" {
		if r.hi, err = num(hi); err != nil {
			return r, err
		}
	}
	return r, nil
}

// CompileRegexp compiles an ACL or converter regular expression with Go's
// RE2, saying so when the syntax is one RE2 lacks.
func CompileRegexp(expr string, fold bool) (*regexp.Regexp, error) {
	src := expr
	if fold {
		src = "(?i)" + expr
	}
	re, err := regexp.Compile(src)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "invalid escape sequence") && hasBackref(expr):
			return nil, fmt.Errorf("regular expression %q uses a backreference, which Go's RE2 engine does not support", expr)
		case strings.Contains(msg, "invalid or unsupported Perl syntax"):
			return nil, fmt.Errorf("regular expression %q uses lookaround or another construct Go's RE2 engine does not support: %v", expr, err)
		}
		return nil, fmt.Errorf("invalid regular expression %q (Go RE2 syntax): %v", expr, err)
	}
	return re, nil
}

func hasBackref(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\\' {
			if s[i+1] >= '1' && s[i+1] <= '9' {
				return true
			}
			i++
		}
	}
	return false
}

// ParsePrefix reads an IP pattern: an IPv4 or IPv6 address, with an
// optional "/BITS" or (IPv4) "/NETMASK"; IPv4 may be abbreviated as
// HAProxy allows ("10.12" is 10.0.0.12). A host name is resolved through
// resolve unless noDNS; nil resolve refuses host names.
func ParsePrefix(s string, noDNS bool, resolve func(string) (netip.Addr, error)) (netip.Prefix, error) {
	addr, mask, hasMask := strings.Cut(s, "/")
	a, ok := parseAddr(addr)
	if ok && hasMask {
		// "::ffff:0:0/96" is an IPv6 network: keep it so.
		if full, err := netip.ParseAddr(addr); err == nil && full.Is4In6() {
			a = full
		}
	}
	if !ok {
		if strings.Contains(addr, ":") || noDNS || resolve == nil {
			return netip.Prefix{}, fmt.Errorf("'%s' is not a valid IPv4 or IPv6 address", s)
		}
		r, err := resolve(addr)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address and does not resolve: %v", addr, err)
		}
		a = r.Unmap()
	}
	if !hasMask {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	if a.Is4() && strings.Contains(mask, ".") {
		m, err := netip.ParseAddr(mask)
		if err != nil || !m.Is4() {
			return netip.Prefix{}, fmt.Errorf("%q: bad netmask %q", s, mask)
		}
		bits, ok := maskBits(m.As4())
		if !ok {
			return netip.Prefix{}, fmt.Errorf("%q: netmask %q is not contiguous", s, mask)
		}
		return netip.PrefixFrom(a, bits).Masked(), nil
	}
	bits, err := strconv.Atoi(mask)
	if err != nil || bits < 0 || bits > a.BitLen() {
		return netip.Prefix{}, fmt.Errorf("%q: bad prefix length %q", s, mask)
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

// parseAddr reads an address, allowing HAProxy's abbreviated IPv4: the
// last number is the last octet and missing middle octets are zero.
func parseAddr(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.Addr{}, false
		}
		return a.Unmap(), true
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil || p == "" || len(p) > 3 {
			return netip.Addr{}, false
		}
		if i == len(parts)-1 {
			b[3] = byte(n)
		} else {
			b[i] = byte(n)
		}
	}
	return netip.AddrFrom4(b), true
}

func maskBits(m [4]byte) (int, bool) {
	v := uint32(m[0])<<24 | uint32(m[1])<<16 | uint32(m[2])<<8 | uint32(m[3])
	n := 0
	for n < 32 && v&(1<<(31-n)) != 0 {
		n++
	}
	if n < 32 && v<<n != 0 {
		return 0, false
	}
	return n, true
}
