package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"baton/internal/config"
)

// TLS fetches: the client connection's TLS facts (ssl_fc*, ssl_c_*,
// Input.TLS, set by the proxy after the handshake) and, for passthrough,
// the raw ClientHello (req.ssl_*, Input.Hello).

// tlsFetch names one TLS fetch.
type tlsFetch uint8

const (
	tlsFC       tlsFetch = iota + 1 // ssl_fc: bool
	tlsCUsed                        // ssl_c_used, ssl_fc_has_crt: bool
	tlsHasSNI                       // ssl_fc_has_sni: bool
	tlsResumed                      // ssl_fc_is_resumed: bool
	tlsSNI                          // ssl_fc_sni: string
	tlsProtocol                     // ssl_fc_protocol
	tlsCipher                       // ssl_fc_cipher
	tlsALPN                         // ssl_fc_alpn
	tlsSDN                          // ssl_c_s_dn
	tlsIDN                          // ssl_c_i_dn
	tlsVerify                       // ssl_c_verify: int
	helloType                       // req.ssl_hello_type: int
	helloSNI                        // req.ssl_sni: string
)

// tlsFetches maps the ACL keywords to a fetch and a match method.
var tlsFetches = map[string]struct {
	f tlsFetch
	m method
}{
	"ssl_fc": {tlsFC, 0}, "ssl_c_used": {tlsCUsed, 0}, "ssl_fc_has_crt": {tlsCUsed, 0},
	"ssl_fc_has_sni": {tlsHasSNI, 0}, "ssl_fc_is_resumed": {tlsResumed, 0},
	"ssl_fc_sni": {tlsSNI, matchExact}, "ssl_fc_sni_end": {tlsSNI, matchEnd}, "ssl_fc_sni_reg": {tlsSNI, matchReg},
	"ssl_fc_protocol": {tlsProtocol, matchExact}, "ssl_fc_cipher": {tlsCipher, matchExact},
	"ssl_fc_alpn": {tlsALPN, matchExact}, "ssl_c_s_dn": {tlsSDN, matchExact}, "ssl_c_i_dn": {tlsIDN, matchExact},
	"ssl_c_verify":       {tlsVerify, matchInt},
	"req_ssl_hello_type": {helloType, matchInt}, "req.ssl_hello_type": {helloType, matchInt},
	"req_ssl_sni": {helloSNI, matchExact}, "req.ssl_sni": {helloSNI, matchExact},
}

// matchInt compares an integer with values or ranges.
const matchInt method = 100

// intRange is one integer ACL value (lo == hi for a single number).
type intRange struct{ lo, hi int64 }

// compileTLSMatcher compiles an ACL line on a TLS fetch; ok is false for
// another fetch.
func compileTLSMatcher(a *config.ACL, where, desc string) (m *matcher, ok bool, err error) {
	fm, ok := tlsFetches[a.Fetch]
	if !ok {
		return nil, false, nil
	}
	m = &matcher{tls: fm.f, method: fm.m, fold: a.IgnoreCase}
	if a.FetchArg != "" {
		return nil, true, fmt.Errorf("%s: %s: takes no argument, got (%s)", where, desc, a.FetchArg)
	}
	if fm.m == 0 {
		if len(a.Values) > 0 {
			return nil, true, fmt.Errorf("%s: %s: a boolean fetch takes no value", where, desc)
		}
		return m, true, nil
	}
	if len(a.Values) == 0 {
		return nil, true, fmt.Errorf("%s: %s: no value to match", where, desc)
	}
	for _, v := range a.Values {
		switch fm.m {
		case matchInt:
			lo, hi, ok := config.ParseIntRange(v)
			if !ok {
				return nil, true, fmt.Errorf("%s: %s: invalid integer %q", where, desc, v)
			}
			m.ints = append(m.ints, intRange{lo, hi})
		case matchReg:
			expr := v
			if m.fold {
				expr = "(?i)" + v
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, true, fmt.Errorf("%s: %s: bad regular expression %q: %v", where, desc, v, err)
			}
			m.regs = append(m.regs, re)
		default:
			if m.fold {
				v = strings.ToLower(v)
			}
			m.values = append(m.values, []byte(v))
		}
	}
	return m, true, nil
}

// tri is a condition's outcome while data may still arrive: HAProxy's
// ACL_TEST_PASS, FAIL and MISS (not decidable yet).
type tri uint8

const (
	triFail tri = iota
	triPass
	triMiss
)

// matchTLS evaluates a TLS fetch. A req.ssl_* fetch on a hello still
// incomplete is triMiss unless final (no more data will come).
func (m *matcher) matchTLS(in *Input, final bool) tri {
	f := in.TLS
	switch m.tls {
	case helloType, helloSNI:
		h := in.Hello
		if h == nil {
			if in.HelloPending && !final {
				return triMiss
			}
			return triFail
		}
		if m.tls == helloType {
			return boolTri(m.matchInt(int64(h.Type)))
		}
		if h.Type != 1 || h.SNI == nil {
			return triFail
		}
		return boolTri(m.matchValue(h.SNI))
	}
	if f == nil {
		if m.tls == tlsVerify {
			// ssl_c_verify is 0 on a plain connection, as in HAProxy.
			return boolTri(m.matchInt(0))
		}
		return triFail
	}
	var v []byte
	switch m.tls {
	case tlsFC:
		return triPass
	case tlsCUsed:
		return boolTri(f.ClientCert)
	case tlsHasSNI:
		return boolTri(len(f.SNI) > 0)
	case tlsResumed:
		return boolTri(f.Resumed)
	case tlsVerify:
		return boolTri(m.matchInt(int64(f.Verify)))
	case tlsSNI:
		v = f.SNI
	case tlsProtocol:
		v = f.Protocol
	case tlsCipher:
		v = f.Cipher
	case tlsALPN:
		v = f.ALPN
	case tlsSDN:
		v = f.SubjectDN
	case tlsIDN:
		v = f.IssuerDN
	}
	if len(v) == 0 {
		return triFail // the sample does not exist
	}
	return boolTri(m.matchValue(v))
}

// appendTLS appends a TLS fetch's value as a log-format expression
// shows it: text, or "1"/"0" for booleans, or the verify result.
func appendTLS(dst []byte, f tlsFetch, in *Input) []byte {
	t := in.TLS
	boolean := func(b bool) []byte {
		if b {
			return append(dst, '1')
		}
		return append(dst, '0')
	}
	switch f {
	case tlsFC:
		return boolean(t != nil)
	case tlsVerify:
		if t == nil {
			return append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(t.Verify), 10)
	}
	if t == nil {
		if f == tlsCUsed || f == tlsHasSNI || f == tlsResumed {
			return append(dst, '0')
		}
		return dst
	}
	switch f {
	case tlsCUsed:
		return boolean(t.ClientCert)
	case tlsHasSNI:
		return boolean(len(t.SNI) > 0)
	case tlsResumed:
		return boolean(t.Resumed)
	case tlsSNI:
		return append(dst, t.SNI...)
	case tlsProtocol:
		return append(dst, t.Protocol...)
	case tlsCipher:
		return append(dst, t.Cipher...)
	case tlsALPN:
		return append(dst, t.ALPN...)
	case tlsSDN:
		return append(dst, t.SubjectDN...)
	case tlsIDN:
		return append(dst, t.IssuerDN...)
	}
	return dst
}

func (m *matcher) matchInt(n int64) bool {
	for _, r := range m.ints {
		if n >= r.lo && n <= r.hi {
			return true
		}
	}
	return false
}

func boolTri(b bool) tri {
	if b {
		return triPass
	}
	return triFail
}

// eval3 evaluates a condition in three states: an AND fails on any
// failing term, else misses on any missing one; an OR passes on any
// passing alternative, else misses on any missing one; "!" and "unless"
// keep a miss a miss.
func (c *cond) eval3(in *Input, final bool) tri {
	if c == nil {
		return triPass
	}
	res := triFail
	for _, and := range c.or {
		r := triPass
		for _, t := range and {
			v := t.acl.match3(in, final)
			if t.negate {
				v = not3(v)
			}
			if v == triFail {
				r = triFail
				break
			}
			if v == triMiss {
				r = triMiss
			}
		}
		if r == triPass {
			res = triPass
			break
		}
		if r == triMiss {
			res = triMiss
		}
	}
	if c.unless {
		res = not3(res)
	}
	return res
}

func not3(v tri) tri {
	switch v {
	case triPass:
		return triFail
	case triFail:
		return triPass
	}
	return triMiss
}

func (a *acl) match3(in *Input, final bool) tri {
	res := triFail
	for _, m := range a.lines {
		var v tri
		if m.tls != 0 {
			v = m.matchTLS(in, final)
		} else {
			v = boolTri(m.match(in))
		}
		if v == triPass {
			return triPass
		}
		if v == triMiss {
			res = triMiss
		}
	}
	return res
}

// ContentVerdict is what tcp-request content rules decided.
type ContentVerdict uint8

const (
	// ContentWait: a rule needs more data (an incomplete ClientHello)
	// and the inspection may go on.
	ContentWait ContentVerdict = iota
	ContentAccept
	ContentReject
)

type contentRule struct {
	reject bool
	cond   *cond
}

// HasContentRules reports whether the proxy has tcp-request content rules:
// the proxy then inspects the client's first bytes before routing.
func (s *Set) HasContentRules() bool { return len(s.content) > 0 }

// Content runs the tcp-request content rules in order on what the client
// sent so far (in.Hello, in.HelloPending). The first rule whose condition
// holds decides; a condition that cannot be decided yet stops the walk
// (ContentWait) unless final, when missing data counts as no match. When
// no rule matches, the connection is accepted (HAProxy's default).
func (s *Set) Content(in *Input, final bool) ContentVerdict {
	for i := range s.content {
		r := &s.content[i]
		switch r.cond.eval3(in, final) {
		case triMiss:
			return ContentWait
		case triPass:
			if r.reject {
				return ContentReject
			}
			return ContentAccept
		}
	}
	return ContentAccept
}

// compileContent compiles p's tcp-request content rules into s.
func (c *compiler) compileContent(s *Set) error {
	for _, r := range c.p.ContentRules {
		cd, err := c.cond(r.Cond)
		if err != nil {
			return err
		}
		s.content = append(s.content, contentRule{reject: r.Action == "reject", cond: cd})
	}
	return nil
}
