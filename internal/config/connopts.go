package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Connection options of proxies: TCP keep-alive, linger, the HTTP
// options that change how a request travels, X-Forwarded-For and
// X-Original-To, connection reuse, source addresses, fullconn, and the
// PROXY protocol expectation of tcp-request connection.

// connFlagOptions are "option" flags with no argument, and where each is
// allowed.
var connFlagOptions = []struct {
	name     string
	sections section
}{
	{"clitcpka", secD | secF | secL},
	{"srvtcpka", secD | secL | secB},
	{"tcpka", secAll},
	{"abortonclose", secD | secL | secB},
	{"http-buffer-request", secAll},
	{"http-ignore-probes", secD | secF | secL},
	{"nolinger", secAll},
	{"independent-streams", secAll},
	{"http-pretend-keepalive", secD | secL | secB},
	{"prefer-last-server", secD | secL | secB},
	{"http-no-delay", secAll},
	{"tcp-smart-accept", secD | secF | secL},
	{"tcp-smart-connect", secD | secL | secB},
	{"splice-auto", secAll},
	{"splice-request", secAll},
	{"splice-response", secAll},
	{"socket-stats", secD | secF | secL},
}

// noopOptions explain why an option changes nothing in Baton.
var noopOptions = map[string]string{
	"http-no-delay":     "Baton sends every write at once (TCP_NODELAY is set on all its sockets)",
	"tcp-smart-accept":  "an ACK-saving optimisation that changes nothing a client sees; Baton does not delay ACKs",
	"tcp-smart-connect": "an ACK-saving optimisation that changes nothing a server sees; Baton does not delay ACKs",
	"splice-auto":       "Baton splices TCP-mode and tunnel data anyway (splice(2) between sockets)",
	"splice-request":    "Baton splices TCP-mode and tunnel data anyway (splice(2) between sockets)",
	"splice-response":   "Baton splices TCP-mode and tunnel data anyway (splice(2) between sockets)",
	"abortonclose":      "Baton always abandons a request whose client has gone while it waits for the server's response",
}

func parseConnFlagOption(p *parser, st *proxyState, l line, args []string, neg bool) {
	opt := l.Words[1+b2i(neg)]
	if len(args) > 0 {
		p.errorf(l.Pos, "option %s: unexpected argument %q", opt, args[0])
		return
	}
	on := !neg
	c := &st.p.ConnOptions
	switch opt {
	case "clitcpka":
		c.CliTCPKA = on
	case "srvtcpka":
		c.SrvTCPKA = on
	case "tcpka":
		c.CliTCPKA, c.SrvTCPKA = on, on
	case "abortonclose":
		c.AbortOnClose = on
	case "http-buffer-request":
		c.HTTPBufferRequest = on
	case "http-ignore-probes":
		c.HTTPIgnoreProbes = on
	case "nolinger":
		c.NoLinger = on
	case "independent-streams":
		c.IndependentStreams = on
	case "http-pretend-keepalive":
		c.HTTPPretendKeepAlive = on
	case "prefer-last-server":
		c.PreferLastServer = on
	case "http-no-delay":
		c.HTTPNoDelay = on
	case "socket-stats":
		c.SocketStats = on
	}
	if why := noopOptions[opt]; why != "" && on {
		p.advisef(l.Pos, "option %s: no effect: %s", opt, why)
	}
}

// parseTCPKAParam reads clitcpka-idle|intvl|cnt and the srvtcpka twins;
// the times default to seconds, as in HAProxy.
func parseTCPKAParam(p *parser, st *proxyState, l line, args []string, _ bool) {
	kw := l.Words[0]
	if len(args) != 1 {
		p.errorf(l.Pos, "%s: expects one value", kw)
		return
	}
	c := &st.p.ConnOptions
	if strings.HasSuffix(kw, "-cnt") {
		n, err := parseInt(args[0], 1, 1<<20)
		if err != nil {
			p.errorf(l.Pos, "%s: %v", kw, err)
			return
		}
		if strings.HasPrefix(kw, "cli") {
			c.CliTCPKACnt = n
		} else {
			c.SrvTCPKACnt = n
		}
		return
	}
	v := args[0]
	if v != "" && v[len(v)-1] >= '0' && v[len(v)-1] <= '9' {
		v += "s"
	}
	d, err := parseTime(v)
	if err != nil || d < time.Second {
		p.errorf(l.Pos, "%s: invalid time %q (at least 1s; a bare number is in seconds)", kw, args[0])
		return
	}
	switch kw {
	case "clitcpka-idle":
		c.CliTCPKAIdle = d
	case "clitcpka-intvl":
		c.CliTCPKAIntvl = d
	case "srvtcpka-idle":
		c.SrvTCPKAIdle = d
	case "srvtcpka-intvl":
		c.SrvTCPKAIntvl = d
	}
}

// parseHeaderOption reads "option forwardfor [except NET] [header NAME]
// [if-none]" and "option originalto [except NET] [header NAME]".
func parseHeaderOption(p *parser, st *proxyState, l line, args []string, _ bool) {
	opt := l.Words[1]
	var except netip.Prefix
	header, ifNone := "", false
	for i := 0; i < len(args); i++ {
		switch w := args[i]; {
		case w == "except" && i+1 < len(args):
			pf, err := parsePrefix(args[i+1])
			if err != nil {
				p.errorf(l.Pos, "option %s: except: %v", opt, err)
				return
			}
			except = pf
			i++
		case w == "header" && i+1 < len(args):
			if !isToken(args[i+1]) {
				p.errorf(l.Pos, "option %s: invalid header name %q", opt, args[i+1])
				return
			}
			header = args[i+1]
			i++
		case w == "if-none" && opt == "forwardfor":
			ifNone = true
		default:
			p.errorf(l.Pos, "option %s: unexpected argument %q (expected except NETWORK, header NAME%s)", opt, w, map[bool]string{true: " or if-none", false: ""}[opt == "forwardfor"])
			return
		}
	}
	c := &st.p.ConnOptions
	if opt == "forwardfor" {
		st.p.ForwardFor = true
		c.ForwardForExcept, c.ForwardForHeader, c.ForwardForIfNone = except, header, ifNone
		return
	}
	c.OriginalTo, c.OriginalToExcept, c.OriginalToHeader = true, except, header
}

// parsePrefix reads an IP address or a network (a bare address is a /32
// or /128).
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pf, err := netip.ParsePrefix(s)
		if err != nil {
			// HAProxy also accepts a dotted netmask: 10.0.0.0/255.0.0.0.
			addr, mask, _ := strings.Cut(s, "/")
			a, err1 := netip.ParseAddr(addr)
			m, err2 := netip.ParseAddr(mask)
			if err1 != nil || err2 != nil || !a.Is4() || !m.Is4() {
				return netip.Prefix{}, fmt.Errorf("invalid network %q", s)
			}
			bits := 0
			for _, b := range m.As4() {
				for ; b&0x80 != 0; b <<= 1 {
					bits++
				}
			}
			return netip.PrefixFrom(a, bits).Masked(), nil
		}
		return pf.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid network %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func parseHTTPReuse(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "http-reuse: expects never, safe, aggressive or always")
		return
	}
	switch args[0] {
	case "never", "safe", "aggressive", "always":
		st.p.HTTPReuse = args[0]
	default:
		p.errorf(l.Pos, "http-reuse: unknown strategy %q (never, safe, aggressive or always)", args[0])
	}
}

func parseFullConn(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "fullconn: expects one number")
		return
	}
	n, err := parseInt(args[0], 0, 1<<30)
	if err != nil {
		p.errorf(l.Pos, "fullconn: %v", err)
		return
	}
	st.p.FullConn = n
}

func parseProxySource(p *parser, st *proxyState, l line, args []string, _ bool) {
	src, n, err := parseSource(args)
	if err == nil && n < len(args) {
		err = fmt.Errorf("unexpected argument %q", args[n])
	}
	if err != nil {
		p.errorf(l.Pos, "%v", err)
		return
	}
	src.Pos = l.Pos
	st.p.Source = src
}

// actExpectProxy reads "expect-proxy layer4", a tcp-request connection
// action: the connection must then start with a PROXY header (as on an
// accept-proxy bind), read once the connection rules are done.
func actExpectProxy(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 || args[0] != "layer4" {
		return "expects 'layer4'"
	}
	return ""
}
