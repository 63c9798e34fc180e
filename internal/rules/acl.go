package rules

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"baton/internal/config"
	"baton/internal/logformat"
)

// fetch is what an ACL reads from the request.
type fetch uint8

const (
	fetchPath fetch = iota + 1
	fetchHdr
	fetchMethod
	fetchSrc
	fetchConst // predefined TRUE / FALSE
	fetchPPAuthority
	fetchPPUniqueID
	fetchRcvdProxy // a boolean: matches when a PROXY header was received
)

// method is how a fetched value is compared with the ACL's values.
type method uint8

const (
	matchExact method = iota + 1
	matchBeg
	matchEnd
	matchSub
	matchReg
)

// matcher is one compiled ACL line: fetch + match + values.
type matcher struct {
	fetch  fetch
	method method
	// hdr is the lowercased header name for fetchHdr.
	hdr string
	// fold compares values case-insensitively; values are then lowercased.
	fold     bool
	values   [][]byte
	regs     []*regexp.Regexp
	prefixes []netip.Prefix
	constant bool
	// tls is set for the TLS fetches (tls.go), ints for integer ones.
	tls  tlsFetch
	ints []intRange
}

// acl is a named ACL (or an anonymous one): its lines OR together.
type acl struct {
	name  string
	lines []*matcher
}

// fetchTable maps ACL keywords to a fetch and a match method.
var fetchTable = map[string]struct {
	f fetch
	m method
}{
	"path":     {fetchPath, matchExact},
	"path_beg": {fetchPath, matchBeg},
	"path_end": {fetchPath, matchEnd},
	"path_sub": {fetchPath, matchSub},
	"path_reg": {fetchPath, matchReg},
	"hdr":      {fetchHdr, matchExact},
	"req.hdr":  {fetchHdr, matchExact},
	"hdr_beg":  {fetchHdr, matchBeg},
	"hdr_end":  {fetchHdr, matchEnd},
	"hdr_sub":  {fetchHdr, matchSub},
	"hdr_reg":  {fetchHdr, matchReg},
	"method":   {fetchMethod, matchExact},
	"src":      {fetchSrc, matchExact},

	"fc_pp_authority": {fetchPPAuthority, matchExact},
	"fc_pp_unique_id": {fetchPPUniqueID, matchExact},
	"fc_rcvd_proxy":   {fetchRcvdProxy, matchExact},
}

func compileMatcher(a *config.ACL) (*matcher, error) {
	where := a.Pos.String()
	desc := a.Fetch
	if a.Name != "" {
		desc = "acl " + a.Name + " " + a.Fetch
	}
	if m, ok, err := compileTLSMatcher(a, where, desc); ok {
		return m, err
	}
	fm, ok := fetchTable[a.Fetch]
	if !ok {
		return nil, fmt.Errorf("%s: %s: unsupported ACL fetch %q (supported: path, path_beg, path_end, path_sub, path_reg, hdr, hdr_beg, hdr_end, hdr_sub, hdr_reg, method, src, fc_pp_authority, fc_pp_unique_id, fc_rcvd_proxy, and the ssl_* and req.ssl_* fetches)", where, desc, a.Fetch)
	}
	m := &matcher{fetch: fm.f, method: fm.m, fold: a.IgnoreCase && fm.f != fetchSrc}
	if fm.f == fetchHdr {
		if a.FetchArg == "" {
			return nil, fmt.Errorf("%s: %s: a header name is required, e.g. %s(host)", where, desc, a.Fetch)
		}
		if strings.Contains(a.FetchArg, ",") {
			return nil, fmt.Errorf("%s: %s(%s): header occurrence arguments are not supported", where, desc, a.FetchArg)
		}
		m.hdr = strings.ToLower(a.FetchArg)
	} else if a.FetchArg != "" {
		return nil, fmt.Errorf("%s: %s: takes no argument, got (%s)", where, desc, a.FetchArg)
	}
	if fm.f == fetchRcvdProxy {
		// A boolean fetch: the ACL is true when it is. HAProxy would
		// match values against 0/1; nobody writes that.
		if len(a.Values) > 0 {
			return nil, fmt.Errorf("%s: %s: a boolean fetch takes no value to match", where, desc)
		}
		return m, nil
	}
	if len(a.Values) == 0 {
		return nil, fmt.Errorf("%s: %s: no value to match", where, desc)
	}
	for _, v := range a.Values {
		switch {
		case fm.f == fetchSrc:
			p, err := parsePrefix(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %v", where, desc, err)
			}
			m.prefixes = append(m.prefixes, p)
		case fm.m == matchReg:
			expr := v
			if m.fold {
				expr = "(?i)" + v
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: bad regular expression %q: %v", where, desc, v, err)
			}
			m.regs = append(m.regs, re)
		default:
			if m.fold {
				v = strings.ToLower(v)
			}
			m.values = append(m.values, []byte(v))
		}
	}
	return m, nil
}

// parsePrefix reads an IP, a CIDR ("10.0.0.0/8", "2001:db8::/32") or
// HAProxy's address/netmask form ("10.0.0.0/255.0.0.0").
func parsePrefix(s string) (netip.Prefix, error) {
	addr, mask, hasMask := strings.Cut(s, "/")
	if !hasMask {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("bad address %q: want an IP or CIDR", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	if strings.Contains(mask, ".") {
		a, err := netip.ParseAddr(addr)
		m, err2 := netip.ParseAddr(mask)
		if err != nil || err2 != nil || !a.Is4() || !m.Is4() {
			return netip.Prefix{}, fmt.Errorf("bad address/netmask %q", s)
		}
		bits, ok := maskBits(m.As4())
		if !ok {
			return netip.Prefix{}, fmt.Errorf("bad netmask in %q: not contiguous", s)
		}
		return netip.PrefixFrom(a, bits).Masked(), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad CIDR %q: %v", s, err)
	}
	if p.Addr().Is4In6() {
		// "::ffff:10.0.0.0/104" means the IPv4 network; addresses are
		// unmapped before matching.
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("bad CIDR %q: IPv4-mapped prefix shorter than /96", s)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
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

// predefined are HAProxy's built-in ACLs Baton supports; a proxy's own
// ACL of the same name takes precedence.
var predefined = map[string]*config.ACL{
	"METH_GET":     {Fetch: "method", Values: []string{"GET", "HEAD"}},
	"METH_POST":    {Fetch: "method", Values: []string{"POST"}},
	"METH_PUT":     {Fetch: "method", Values: []string{"PUT"}},
	"METH_DELETE":  {Fetch: "method", Values: []string{"DELETE"}},
	"METH_HEAD":    {Fetch: "method", Values: []string{"HEAD"}},
	"METH_OPTIONS": {Fetch: "method", Values: []string{"OPTIONS"}},
	"METH_CONNECT": {Fetch: "method", Values: []string{"CONNECT"}},
	"METH_TRACE":   {Fetch: "method", Values: []string{"TRACE"}},
}

// match reports whether the line matches the request.
func (m *matcher) match(in *Input) bool {
	if m.tls != 0 {
		return m.matchTLS(in, true) == triPass
	}
	switch m.fetch {
	case fetchConst:
		return m.constant
	case fetchRcvdProxy:
		return in.PP != nil
	case fetchPPAuthority, fetchPPUniqueID:
		k := logformat.PPAuthority
		if m.fetch == fetchPPUniqueID {
			k = logformat.PPUniqueID
		}
		v := ppFetch(in, k)
		return v != nil && m.matchValue(v)
	case fetchSrc:
		a := in.Src.Unmap()
		for _, p := range m.prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	r := in.Req
	if r == nil {
		return false
	}
	switch m.fetch {
	case fetchPath:
		p := r.Path()
		if p == nil {
			return false
		}
		return m.matchValue(p)
	case fetchMethod:
		return m.matchValue(r.Method)
	case fetchHdr:
		for i := range r.Headers {
			h := &r.Headers[i]
			if !equalFoldLower(h.Name, m.hdr) {
				continue
			}
			v := h.Value
			for {
				elem, rest, more := nextElement(v)
				if m.matchValue(elem) {
					return true
				}
				if !more {
					break
				}
				v = rest
			}
		}
	}
	return false
}

// nextElement splits off the first comma-separated element of a header
// value, trimmed of blanks.
func nextElement(v []byte) (elem, rest []byte, more bool) {
	i := 0
	for i < len(v) && v[i] != ',' {
		i++
	}
	elem = trimBlanks(v[:i])
	if i < len(v) {
		return elem, v[i+1:], true
	}
	return elem, nil, false
}

func trimBlanks(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func (m *matcher) matchValue(b []byte) bool {
	if m.method == matchReg {
		for _, re := range m.regs {
			if re.Match(b) {
				return true
			}
		}
		return false
	}
	for _, v := range m.values {
		if compare(m.method, m.fold, b, v) {
			return true
		}
	}
	return false
}

func compare(meth method, fold bool, b, v []byte) bool {
	switch meth {
	case matchExact:
		return len(b) == len(v) && eq(fold, b, v)
	case matchBeg:
		return len(b) >= len(v) && eq(fold, b[:len(v)], v)
	case matchEnd:
		return len(b) >= len(v) && eq(fold, b[len(b)-len(v):], v)
	case matchSub:
		for i := 0; i+len(v) <= len(b); i++ {
			if eq(fold, b[i:i+len(v)], v) {
				return true
			}
		}
	}
	return false
}

// eq compares equal-length b and v; with fold, v is already lower case.
func eq(fold bool, b, v []byte) bool {
	if !fold {
		return string(b) == string(v)
	}
	for i := range b {
		if lower(b[i]) != v[i] {
			return false
		}
	}
	return true
}

// equalFoldLower compares b with the lower-case s ignoring ASCII case.
func equalFoldLower(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
