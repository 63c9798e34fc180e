package config

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// serverOpt is one server (and default-server) option: how many values
// it takes (-1: it takes what it needs and says how many) and what it
// sets. serverOnly options ("id") are refused on default-server.
type serverOpt struct {
	n          int
	serverOnly bool
	set        func(p *parser, s *Server, v []string, l line) (int, error)
}

// serverOpts are the server options Baton supports; serverOptionNames
// lists them for suggestions.
var serverOpts map[string]serverOpt

// flagOpt is an option without a value.
func flagOpt(set func(s *Server)) serverOpt {
	return serverOpt{set: func(_ *parser, s *Server, _ []string, _ line) (int, error) { set(s); return 0, nil }}
}

// valOpt is an option with one value.
func valOpt(set func(s *Server, v string) error) serverOpt {
	return serverOpt{n: 1, set: func(_ *parser, s *Server, v []string, _ line) (int, error) { return 1, set(s, v[0]) }}
}

func intOpt(name string, lo, hi int, set func(s *Server, n int)) serverOpt {
	return valOpt(func(s *Server, v string) error {
		n, err := parseInt(v, lo, hi)
		if err != nil {
			return fmt.Errorf("invalid %s %q (%d..%d)", name, v, lo, hi)
		}
		set(s, n)
		return nil
	})
}

// timeOpt reads a time above 0 (HAProxy refuses 0 for the check
// intervals).
func timeOpt(name string, zeroOK bool, set func(s *Server, d time.Duration)) serverOpt {
	return valOpt(func(s *Server, v string) error {
		d, err := parseTime(v)
		if err != nil || d == 0 && !zeroOK {
			return fmt.Errorf("invalid %s %q (a time above 0)", name, v)
		}
		set(s, d)
		return nil
	})
}

func init() {
	serverOpts = map[string]serverOpt{
		"backup":           flagOpt(func(s *Server) { s.Backup = true }),
		"no-backup":        flagOpt(func(s *Server) { s.Backup = false }),
		"disabled":         flagOpt(func(s *Server) { s.Disabled = true }),
		"enabled":          flagOpt(func(s *Server) { s.Disabled = false }),
		"check":            flagOpt(func(s *Server) { s.Check = true }),
		"no-check":         flagOpt(func(s *Server) { s.Check = false }),
		"check-send-proxy": flagOpt(func(s *Server) { s.CheckSendProxy = true }),
		"check-via-socks4": flagOpt(func(s *Server) { s.CheckViaSocks4 = true }),
		"socks4": valOpt(func(s *Server, v string) error {
			a, port, err := parseHostAddr(v)
			if err != nil {
				return fmt.Errorf("socks4: %v", err)
			}
			if port == 0 {
				return fmt.Errorf("socks4: missing port number: %q", v)
			}
			s.Socks4 = netip.AddrPortFrom(a, uint16(port))
			return nil
		}),
		"agent-check":       flagOpt(func(s *Server) { s.Agent = true }),
		"no-agent-check":    flagOpt(func(s *Server) { s.Agent = false }),
		"send-proxy":        flagOpt(func(s *Server) { s.SendProxy = max(s.SendProxy, 1) }),
		"send-proxy-v2":     flagOpt(func(s *Server) { s.SendProxy = 2 }),
		"send-proxy-v2-ssl": flagOpt(func(s *Server) { s.SendProxy, s.ProxyV2Options = 2, s.ProxyV2Options|PPv2SSL }),
		"send-proxy-v2-ssl-cn": flagOpt(func(s *Server) {
			s.SendProxy, s.ProxyV2Options = 2, s.ProxyV2Options|PPv2SSL|PPv2CertCN
		}),
		"no-send-proxy": flagOpt(func(s *Server) {
			if s.SendProxy == 1 {
				s.SendProxy = 0
			}
		}),
		"no-send-proxy-v2": flagOpt(func(s *Server) {
			if s.SendProxy == 2 {
				s.SendProxy = 0
			}
		}),
		"no-send-proxy-v2-ssl":    flagOpt(func(s *Server) { s.ProxyV2Options &^= PPv2SSL | PPv2CertCN }),
		"no-send-proxy-v2-ssl-cn": flagOpt(func(s *Server) { s.ProxyV2Options &^= PPv2CertCN }),
		"tfo":                     {set: setTFO},
		"proto":                   valOpt(setServerProto),
		"no-tfo":                  flagOpt(func(s *Server) { s.TFO = false }),

		"weight":      intOpt("weight", 0, 256, func(s *Server, n int) { s.Weight = n }),
		"maxconn":     intOpt("maxconn", 0, 1<<30, func(s *Server, n int) { s.MaxConn = n }),
		"minconn":     intOpt("minconn", 0, 1<<30, func(s *Server, n int) { s.MinConn = n }),
		"maxqueue":    {n: 1, set: setMaxQueue},
		"rise":        intOpt("rise", 1, 1000, func(s *Server, n int) { s.Rise = n }),
		"fall":        intOpt("fall", 1, 1000, func(s *Server, n int) { s.Fall = n }),
		"error-limit": intOpt("error-limit", 1, 1<<30, func(s *Server, n int) { s.ErrorLimit = n }),
		"port":        intOpt("port", 1, 65535, func(s *Server, n int) { s.CheckPort = n }),
		"agent-port":  intOpt("agent-port", 1, 65535, func(s *Server, n int) { s.AgentPort = n }),
		"id":          {n: 1, serverOnly: true, set: setServerID},
		// cookie names the server in persistence cookies (persist_cookie.go).
		"cookie": valOpt(serverCookie),

		"inter":       timeOpt("inter", false, func(s *Server, d time.Duration) { s.Inter = d }),
		"fastinter":   timeOpt("fastinter", false, func(s *Server, d time.Duration) { s.FastInter = d }),
		"downinter":   timeOpt("downinter", false, func(s *Server, d time.Duration) { s.DownInter = d }),
		"agent-inter": timeOpt("agent-inter", false, func(s *Server, d time.Duration) { s.AgentInter = d }),
		"slowstart":   timeOpt("slowstart", true, func(s *Server, d time.Duration) { s.SlowStart = d }),

		"addr": valOpt(func(s *Server, v string) error {
			a, port, err := parseHostAddr(v)
			if err != nil {
				return fmt.Errorf("addr: %v", err)
			}
			s.CheckAddr, s.CheckAddrPort = a, port
			return nil
		}),
		"agent-addr": valOpt(func(s *Server, v string) error {
			a, _, err := parseHostAddr(v)
			if err != nil {
				return fmt.Errorf("agent-addr: parsing agent-addr failed, check if %q is a correct address", v)
			}
			s.AgentAddr = a
			return nil
		}),
		"agent-send": valOpt(func(s *Server, v string) error { s.AgentSend = v; return nil }),
		"on-marked-down": valOpt(func(s *Server, v string) error {
			if v != "shutdown-sessions" {
				return fmt.Errorf("on-marked-down expects 'shutdown-sessions' but got %q", v)
			}
			s.OnMarkedDown = v
			return nil
		}),
		"on-marked-up": valOpt(func(s *Server, v string) error {
			if v != "shutdown-backup-sessions" {
				return fmt.Errorf("on-marked-up expects 'shutdown-backup-sessions' but got %q", v)
			}
			s.OnMarkedUp = v
			return nil
		}),
		"observe": valOpt(func(s *Server, v string) error {
			if v != "layer4" && v != "layer7" {
				return fmt.Errorf("observe expects 'layer4' or 'layer7' but got %q", v)
			}
			s.Observe = v
			return nil
		}),
		"on-error": valOpt(func(s *Server, v string) error {
			switch v {
			case "fastinter", "fail-check", "sudden-death", "mark-down":
				s.OnError = v
				return nil
			}
			return fmt.Errorf("on-error expects 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got %q", v)
		}),
		"proxy-v2-options": {n: 1, set: setPPv2Options},
		// The idle connection pool (server_pool.go).
		"pool-max-conn":    {n: 1, set: setPoolMaxConn},
		"pool-purge-delay": {n: 1, set: setPoolPurgeDelay},
		"pool-low-conn":    {n: 1, set: setPoolLowConn},
		"source":           {n: -1, set: setServerSource},
	}
	for k := range serverOpts {
		serverOptions = append(serverOptions, k)
	}
	serverOptions = append(serverOptions, serverDNSOptions...)
	sort.Strings(serverOptions)
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func setTFO(p *parser, s *Server, _ []string, l line) (int, error) {
	s.TFO = true
	p.advisef(l.Pos, "%s: tfo: a connection failing after its first data is not retried (Baton retries only connection failures)", serverWho(s))
	return 0, nil
}

func setMaxQueue(p *parser, s *Server, v []string, l line) (int, error) {
	n, err := parseInt(v[0], 0, 1<<30)
	if err != nil {
		return 1, fmt.Errorf("invalid maxqueue %q", v[0])
	}
	s.MaxQueue = n
	if n > 0 {
		p.advisef(l.Pos, "%s: maxqueue %d: no effect; Baton never queues requests for one server (they wait in the backend's queue for any server), so a server queue never fills", serverWho(s), n)
	}
	return 1, nil
}

func setServerID(p *parser, s *Server, v []string, l line) (int, error) {
	n, err := parseInt(v[0], 1, 1<<30)
	if err != nil {
		return 1, fmt.Errorf("id: invalid id %q (a positive number)", v[0])
	}
	s.ID = n
	return 1, nil
}

// setServerSource reads "source ADDR[:PORT] [usesrc ADDR[:PORT]|client|clientip] [interface NAME]".
func setServerSource(p *parser, s *Server, v []string, l line) (int, error) {
	src, n, err := parseSource(v)
	if err != nil {
		return n, err
	}
	src.Pos = l.Pos
	s.Source = src
	return n, nil
}

// parseSource reads the words of a "source" setting and says how many it
// used.
func parseSource(v []string) (*SourceAddr, int, error) {
	if len(v) == 0 {
		return nil, 0, fmt.Errorf("source expects an address")
	}
	src := &SourceAddr{}
	host, port := v[0], ""
	if h, pt, err := net.SplitHostPort(v[0]); err == nil {
		host, port = h, pt
	}
	if strings.Contains(host, "@") {
		return nil, 1, fmt.Errorf("source %q: address prefixes are not supported", v[0])
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return nil, 1, fmt.Errorf("source: %q is not an IP address", host)
	}
	src.Addr = a.Unmap()
	if port != "" {
		if strings.Contains(port, "-") {
			return nil, 1, fmt.Errorf("source %q: port ranges are not supported", v[0])
		}
		if src.Port, err = parseInt(port, 0, 65535); err != nil {
			return nil, 1, fmt.Errorf("source %q: invalid port", v[0])
		}
	}
	n := 1
	for n < len(v) {
		switch v[n] {
		case "usesrc":
			if n+1 >= len(v) {
				return nil, n, fmt.Errorf("source: usesrc expects client, clientip or an address")
			}
			w := v[n+1]
			switch {
			case w == "client" || w == "clientip":
				src.UseSrc = w
			case strings.HasPrefix(w, "hdr_ip("):
				return nil, n, fmt.Errorf("source: usesrc hdr_ip() is not supported")
			default:
				ap, err := netip.ParseAddrPort(w)
				if err != nil {
					a, err2 := netip.ParseAddr(w)
					if err2 != nil {
						return nil, n, fmt.Errorf("source: usesrc: %q is not an address", w)
					}
					ap = netip.AddrPortFrom(a, 0)
				}
				src.UseSrc, src.UseSrcAddr = "addr", ap
			}
			n += 2
		case "interface":
			if n+1 >= len(v) {
				return nil, n, fmt.Errorf("source: interface expects a name")
			}
			src.Interface = v[n+1]
			n += 2
		default:
			return src, n, nil
		}
	}
	return src, n, nil
}

// parseHostAddr reads an IP address or a host name (resolved now) with
// an optional port.
func parseHostAddr(v string) (netip.Addr, int, error) {
	host, port := v, 0
	if h, pt, err := net.SplitHostPort(v); err == nil {
		host = h
		n, err := strconv.Atoi(pt)
		if err != nil || n < 0 || n > 65535 {
			return netip.Addr{}, 0, fmt.Errorf("invalid port in %q", v)
		}
		port = n
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return a.Unmap(), port, nil
	}
	addrs, err := lookupHost(host)
	if err != nil || len(addrs) == 0 {
		return netip.Addr{}, 0, fmt.Errorf("cannot resolve %q", host)
	}
	pick := addrs[0]
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
			pick = a
			break
		}
	}
	a, err := netip.ParseAddr(pick)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("cannot resolve %q", host)
	}
	return a.Unmap(), port, nil
}

// serverWho names a server line in messages; a default-server line has
// no name.
func serverWho(s *Server) string {
	if s.Name == "" {
		return "default-server"
	}
	return fmt.Sprintf("server %q", s.Name)
}

// applyServerOptions applies the option words of a server or default-server
// line to s. It reports false after an error (already reported).
func (p *parser) applyServerOptions(s *Server, l line, opts []string, isDefault bool) bool {
	who := serverWho(s)
	if isDefault {
		who = "default-server"
	}
	errf := func(format string, a ...any) bool {
		p.errorf(l.Pos, "%s: %s", who, fmt.Sprintf(format, a...))
		return false
	}
	for len(opts) > 0 {
		o := opts[0]
		opts = opts[1:]
		so, ok := serverOpts[o]
		if !ok && isServerDNSOption(o) {
			if len(opts) == 0 || opts[0] == "" {
				return errf("%s expects a value", o)
			}
			if err := serverDNSOption(s, o, opts[0]); err != nil {
				return errf("%v", err)
			}
			opts = opts[1:]
			continue
		}
		if !ok {
			before := len(p.errs)
			if n, tls := serverTLSOption(s, o, opts, func(f string, a ...any) { errf(f, a...) }, func(m string) { p.advisef(l.Pos, "%s: %s", who, m) }); tls {
				if len(p.errs) > before {
					return false
				}
				opts = opts[n:]
				continue
			}
			msg := fmt.Sprintf("option %q is not supported", o)
			if sg := suggest(o, serverOptions); sg != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sg)
			}
			return errf("%s", msg)
		}
		if so.serverOnly && isDefault {
			return errf("option %q is not accepted on default-server lines", o)
		}
		if so.n > 0 && (len(opts) < so.n || opts[0] == "") {
			return errf("%s expects a value", o)
		}
		n, err := so.set(p, s, opts, l)
		if err != nil {
			return errf("%v", err)
		}
		opts = opts[n:]
	}
	return true
}

// newServerFrom starts a server line from the section's default-server
// settings (or Baton's defaults).
func newServerFrom(st *proxyState) *Server {
	if st.defServer != nil {
		s := *st.defServer
		if s.Source != nil {
			src := *s.Source
			s.Source = &src
		}
		if s.TLS != nil {
			t := *s.TLS
			s.TLS = &t
		}
		return &s
	}
	return &Server{Weight: 1, Inter: defaultInter, Rise: 2, Fall: 3}
}

func parseDefaultServer(p *parser, st *proxyState, l line, args []string, _ bool) {
	if st.defServer == nil {
		st.defServer = newServerFrom(st)
	}
	// Work on a copy: a line with an error changes nothing.
	d := *st.defServer
	if p.applyServerOptions(&d, l, args, true) {
		*st.defServer = d
	}
}

func setPPv2Options(p *parser, s *Server, v []string, l line) (int, error) {
	for _, o := range strings.Split(v[0], ",") {
		i := indexOf(PPv2OptionNames, o)
		if i < 0 {
			return 1, fmt.Errorf("proxy-v2-options: %q: proxy v2 option not implemented (%s)", o, strings.Join(PPv2OptionNames, ", "))
		}
		s.ProxyV2Options |= 1 << i
		if o == "cert-sig" || o == "cert-key" {
			p.warnf(l.Pos, "%s: proxy-v2-options %s: sends only the SSL TLV (Baton's connection facts do not keep the certificate it presented)", serverWho(s), o)
		}
	}
	return 1, nil
}
