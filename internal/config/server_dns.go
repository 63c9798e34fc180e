package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"baton/internal/sockaddr"
)

// serverDNSOptions are the server options about name resolution; each
// takes one value.
var serverDNSOptions = []string{"resolvers", "resolve-prefer", "resolve-opts", "resolve-net", "init-addr"}

// isServerDNSOption reports whether o is one of serverDNSOptions.
func isServerDNSOption(o string) bool {
	for _, k := range serverDNSOptions {
		if k == o {
			return true
		}
	}
	return false
}

// serverAddress reads a server line's address: an IP address and port
// (Addr is set), a host name and port (Host and Port; the address comes
// from init-addr once the options are read), or an SRV label, a name
// starting with '_' whose records give targets and ports at run time.
func serverAddress(s *Server, raw string) (warn string, err error) {
	if strings.HasPrefix(raw, "/") || strings.Contains(raw, "@") {
		// A socket path or a prefixed form (unix@, abns@, ipv4@, ipv6@):
		// its canonical name is the address (package sockaddr).
		a, err := sockaddr.Parse(raw, sockaddr.Options{})
		if err != nil {
			return "", err
		}
		if a.Kind == sockaddr.FD {
			return "", fmt.Errorf("address %q: a server cannot use an inherited descriptor", raw)
		}
		s.Addr = a.String()
		return "", nil
	}
	if strings.HasPrefix(raw, "_") {
		host, port := raw, ""
		if i := strings.LastIndexByte(raw, ':'); i >= 0 {
			host, port = raw[:i], raw[i+1:]
			if _, err := parseInt(port, 1, 65535); err != nil {
				return "", fmt.Errorf("address %q: invalid port %q (1..65535)", raw, port)
			}
			warn = fmt.Sprintf("the port of SRV label %q is not used: its records give the ports", host)
		}
		if err := checkHostName(host); err != nil {
			return "", fmt.Errorf("address %q: %v", raw, err)
		}
		s.Host, s.SRV = strings.ToLower(strings.TrimSuffix(host, ".")), true
		return warn, nil
	}
	host, port, err := splitHostPort(raw)
	if err != nil {
		return "", err
	}
	if host == "" || host == "*" {
		return "", fmt.Errorf("address %q: a server needs a host", raw)
	}
	s.Port, _ = strconv.Atoi(port)
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return "", fmt.Errorf("address %q: zones are not supported", raw)
		}
		s.Addr = net.JoinHostPort(a.String(), port)
		return "", nil
	}
	if err := checkHostName(host); err != nil {
		return "", fmt.Errorf("address %q: %v", raw, err)
	}
	s.Host = strings.ToLower(strings.TrimSuffix(host, "."))
	return "", nil
}

// checkHostName accepts the names a resolver can query: labels of
// letters, digits, '-' and '_', 63 bytes each, 253 in all.
func checkHostName(name string) error {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return fmt.Errorf("invalid host name %q", name)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("invalid host name %q", name)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("invalid character %q in host name %q", c, name)
			}
		}
	}
	return nil
}

// serverDNSOption applies one of serverDNSOptions with its value v.
func serverDNSOption(s *Server, o, v string) error {
	switch o {
	case "resolvers":
		if msg := checkName(v); msg != "" {
			return fmt.Errorf("resolvers %q: %s", v, msg)
		}
		s.Resolvers = v
	case "resolve-prefer":
		if v != "ipv4" && v != "ipv6" {
			return fmt.Errorf("invalid resolve-prefer %q (ipv4 or ipv6)", v)
		}
		s.ResolvePrefer = v
	case "resolve-opts":
		for _, opt := range strings.Split(v, ",") {
			switch opt {
			case "allow-dup-ip":
				s.AllowDupIP = true
			case "prevent-dup-ip":
				s.AllowDupIP = false
			case "ignore-weight":
				s.IgnoreWeight = true
			default:
				return fmt.Errorf("unknown resolve-opts %q (allow-dup-ip, prevent-dup-ip, ignore-weight)", opt)
			}
		}
	case "resolve-net":
		s.ResolveNets = nil
		for _, n := range strings.Split(v, ",") {
			pfx, err := netip.ParsePrefix(n)
			if err != nil {
				return fmt.Errorf("invalid resolve-net %q (NETWORK/BITS[,...])", n)
			}
			s.ResolveNets = append(s.ResolveNets, pfx.Masked())
		}
	case "init-addr":
		s.InitAddr = nil
		for _, m := range strings.Split(v, ",") {
			switch m {
			case "last", "libc", "none":
			default:
				a, err := netip.ParseAddr(m)
				if err != nil || a.Zone() != "" {
					return fmt.Errorf("invalid init-addr method %q (last, libc, none or an IP address)", m)
				}
				m = a.String()
			}
			s.InitAddr = append(s.InitAddr, m)
		}
	}
	return nil
}

// serverInitAddr gives a server written with a host name its starting
// address, trying its init-addr methods in order as HAProxy does:
// "last" (an address from a server state file, which Baton does not
// read: it never succeeds here; resolution state carried across reloads
// applies at run time instead), "libc" (the system resolver, now), "none"
// (no address: the server stays in maintenance until resolved), or an IP
// address. When none succeeds it is an error, except that a server with
// resolvers and the default methods starts without an address, with a
// warning. An SRV label never resolves with libc.
func (p *parser) serverInitAddr(s *Server, raw string, pos Pos) error {
	if s.Host == "" {
		return nil
	}
	methods, explicit := s.InitAddr, s.InitAddr != nil
	if !explicit {
		methods = []string{"last", "libc"}
	}
	var libcErr error
	for _, m := range methods {
		switch m {
		case "last":
		case "libc":
			if s.SRV {
				continue
			}
			addr, err := resolveServer(raw)
			if err == nil {
				s.Addr = addr
				return nil
			}
			libcErr = err
		case "none":
			return nil
		default:
			if s.SRV {
				return fmt.Errorf("init-addr %s: an SRV label has no port until its records are resolved", m)
			}
			s.Addr = net.JoinHostPort(m, strconv.Itoa(s.Port))
			return nil
		}
	}
	switch {
	case !explicit && s.Resolvers != "" && s.SRV:
		return nil
	case !explicit && s.Resolvers != "":
		p.warnf(pos, "server %q: could not resolve address %q; it starts without one, in maintenance until resolvers %s finds it", s.Name, s.Host, s.Resolvers)
		return nil
	case s.SRV && s.Resolvers == "":
		return fmt.Errorf("SRV label %q needs resolvers (server ... resolvers NAME)", s.Host)
	case s.SRV || libcErr == nil:
		return fmt.Errorf("no init-addr method resolved %q (add \"none\" to start without an address)", s.Host)
	}
	return fmt.Errorf("%v (init-addr %s; add \"none\" to start without an address)", libcErr, strings.Join(methods, ","))
}

// checkServerResolvers reports servers that name a resolvers section the
// configuration lacks, once every file is read (a section may follow the
// backends that use it).
func (p *parser) checkServerResolvers() {
	reported := map[Pos]bool{} // a server-template's servers share a line
	for _, st := range p.proxies {
		for _, s := range st.p.Servers {
			if s.Resolvers != "" && p.cfg.ResolversNamed(s.Resolvers) == nil && !reported[s.Pos] {
				reported[s.Pos] = true
				p.errorf(s.Pos, "server %q: no resolvers section named %q", s.Name, s.Resolvers)
			}
		}
	}
}
