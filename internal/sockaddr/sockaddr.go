package sockaddr

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Kind is the family of a socket address.
type Kind uint8

const (
	TCP  Kind = iota + 1 // IPv4 or IPv6, as the host says (dual-stack when empty)
	TCP4                 // ipv4@
	TCP6                 // ipv6@
	Unix                 // a UNIX socket file
	ABNS                 // a UNIX socket in the abstract namespace
	FD                   // an inherited, already bound descriptor
)

// Addr is one resolved socket address.
type Addr struct {
	Kind Kind
	// Host is the IP address (TCP kinds; "" means every address), the
	// socket file's path (Unix) or the abstract name (ABNS).
	Host string
	Port int // TCP kinds
	FD   int // FD
}

// String returns the canonical name (see the package documentation).
func (a Addr) String() string {
	hp := func() string {
		if a.Host == "" {
			return ":" + strconv.Itoa(a.Port)
		}
		return net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
	}
	switch a.Kind {
	case TCP4:
		return "ipv4@" + hp()
	case TCP6:
		return "ipv6@" + hp()
	case Unix:
		return "unix@" + a.Host
	case ABNS:
		return "abns@" + a.Host
	case FD:
		return "fd@" + strconv.Itoa(a.FD)
	}
	return hp()
}

// Network and Address are the arguments for net.Listen or net.Dial (FD
// has none: the socket exists already).
func (a Addr) Network() string {
	switch a.Kind {
	case TCP4:
		return "tcp4"
	case TCP6:
		return "tcp6"
	case Unix, ABNS:
		return "unix"
	case FD:
		return ""
	}
	return "tcp"
}

func (a Addr) Address() string {
	switch a.Kind {
	case Unix:
		return a.Host
	case ABNS:
		// Go's notation for the abstract namespace is a leading '@'.
		// HAProxy pads the name with NULs to the whole sun_path, and
		// that padded name is the address: keep to it, so that both
		// reach each other's sockets.
		return "@" + a.Host + strings.Repeat("\x00", sunPathLen-1-len(a.Host))
	case FD:
		return ""
	}
	s := a.String()
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// IsUnix reports whether the address is a UNIX socket (file or abstract).
func (a Addr) IsUnix() bool { return a.Kind == Unix || a.Kind == ABNS }

// LookupHost resolves host names in addresses; a variable so tests never
// touch the network.
var LookupHost = net.LookupHost

// unsupported are HAProxy's prefixes Baton's stream listeners cannot use.
var unsupported = map[string]string{
	"udp":      "a UDP address",
	"udp4":     "a UDP address",
	"udp6":     "a UDP address",
	"quic4":    "a QUIC address (Baton has no HTTP/3)",
	"quic6":    "a QUIC address (Baton has no HTTP/3)",
	"uxdg":     "a UNIX datagram address",
	"sockpair": "a socketpair address (sockpair@), which Baton does not support",
}

// Options say which forms a caller accepts.
type Options struct {
	// Ranges allows a port range LOW-HIGH (bind).
	Ranges bool
	// UnixPrefix is prepended to UNIX socket paths ("unix-bind prefix").
	UnixPrefix string
	// AnyPort allows port 0, a port the kernel picks (tests; never in a
	// configuration).
	AnyPort bool
}

// ParseList reads a comma-separated list of addresses, each possibly with
// a port range when opt.Ranges is set, and returns one Addr per socket.
func ParseList(s string, opt Options) ([]Addr, error) {
	var out []Addr
	for _, part := range strings.Split(s, ",") {
		addrs, err := parse(part, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, addrs...)
	}
	return out, nil
}

// Parse reads one address without ranges.
func Parse(s string, opt Options) (Addr, error) {
	opt.Ranges = false
	addrs, err := parse(s, opt)
	if err != nil {
		return Addr{}, err
	}
	return addrs[0], nil
}

// maxRange bounds how many listeners a port range may open.
const maxRange = 1024

// sunPathLen is the size of a UNIX socket address's path on Linux.
const sunPathLen = 108

func parse(s string, opt Options) ([]Addr, error) {
	if s == "" {
		return nil, fmt.Errorf("empty address")
	}
	prefix, rest, hasPrefix := strings.Cut(s, "@")
	if !hasPrefix || strings.ContainsAny(prefix, "/:[") {
		prefix, rest = "", s
	}
	kind := TCP
	switch prefix {
	case "":
		if strings.HasPrefix(rest, "/") {
			kind = Unix
		}
	case "ipv4":
		kind = TCP4
	case "ipv6":
		kind = TCP6
	case "unix", "uxst":
		kind = Unix
	case "abns":
		if rest == "" {
			return nil, fmt.Errorf("address %q: abns@ needs a name", s)
		}
		if len(rest) >= sunPathLen {
			return nil, fmt.Errorf("address %q: the name is longer than %d bytes", s, sunPathLen-2)
		}
		return []Addr{{Kind: ABNS, Host: rest}}, nil
	case "fd":
		n, err := strconv.ParseUint(rest, 10, 31)
		if err != nil {
			return nil, fmt.Errorf("address %q: fd@ needs a descriptor number", s)
		}
		return []Addr{{Kind: FD, FD: int(n)}}, nil
	default:
		if what, ok := unsupported[prefix]; ok {
			return nil, fmt.Errorf("address %q is %s; Baton listens on stream sockets only", s, what)
		}
		return nil, fmt.Errorf("address %q: unknown prefix %q (ipv4@, ipv6@, unix@, abns@, fd@)", s, prefix+"@")
	}
	if kind == Unix {
		if rest == "" {
			return nil, fmt.Errorf("address %q: empty socket path", s)
		}
		// HAProxy puts the prefix and the path together as they are:
		// "unix-bind prefix /run/x" and "bind a.sock" make "/run/xa.sock".
		rest = opt.UnixPrefix + rest
		return []Addr{{Kind: Unix, Host: rest}}, nil
	}
	host, ports, err := splitHostPorts(rest)
	if err != nil {
		return nil, fmt.Errorf("address %q: %v", s, err)
	}
	lo, hi, err := portRange(ports, opt.Ranges, opt.AnyPort)
	if err != nil {
		return nil, fmt.Errorf("address %q: %v", s, err)
	}
	ip, err := resolveHost(host, kind)
	if err != nil {
		return nil, fmt.Errorf("address %q: %v", s, err)
	}
	out := make([]Addr, 0, hi-lo+1)
	for p := lo; p <= hi; p++ {
		out = append(out, Addr{Kind: kind, Host: ip, Port: p})
	}
	return out, nil
}

// splitHostPorts cuts "HOST:PORTS": IPv6 in brackets, or the port after
// the last colon (HAProxy's ":::80").
func splitHostPorts(s string) (host, ports string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || end+1 >= len(s) || s[end+1] != ':' {
			return "", "", fmt.Errorf("expected [IPv6]:PORT")
		}
		return s[1:end], s[end+2:], nil
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", fmt.Errorf("missing port (expected HOST:PORT)")
	}
	return s[:i], s[i+1:], nil
}

func portRange(s string, ranges, anyPort bool) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if isRange && !ranges {
		return 0, 0, fmt.Errorf("port ranges are not allowed here")
	}
	if anyPort && a == "0" && !isRange {
		return 0, 0, nil
	}
	if lo, err = port(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = port(b); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("port range %s ends before it starts", s)
		}
		if hi-lo >= maxRange {
			return 0, 0, fmt.Errorf("port range %s opens more than %d listeners", s, maxRange)
		}
	}
	return lo, hi, nil
}

func port(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") || n < 1 || n > 65535 {
		return 0, fmt.Errorf("invalid port %q (1..65535)", s)
	}
	return n, nil
}

// resolveHost returns the IP for host ("" for every address), resolving
// a name once, preferring the family the kind asks for.
func resolveHost(host string, kind Kind) (string, error) {
	if host == "" || host == "*" {
		switch kind {
		case TCP4:
			return "0.0.0.0", nil
		case TCP6:
			return "::", nil
		}
		return "", nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return "", fmt.Errorf("zones are not supported")
		}
		return checkFamily(a, kind)
	}
	addrs, err := LookupHost(host)
	if err != nil || len(addrs) == 0 {
		return "", fmt.Errorf("cannot resolve %q", host)
	}
	var firstErr error
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		if kind == TCP && !a.Is4() {
			continue // prefer IPv4, as HAProxy does
		}
		if ip, err := checkFamily(a, kind); err == nil {
			return ip, nil
		} else if firstErr == nil {
			firstErr = err
		}
	}
	if a, err := netip.ParseAddr(addrs[0]); err == nil && kind == TCP {
		return a.Unmap().String(), nil
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("cannot resolve %q", host)
	}
	return "", firstErr
}

func checkFamily(a netip.Addr, kind Kind) (string, error) {
	a = a.Unmap()
	switch {
	case kind == TCP4 && !a.Is4():
		return "", fmt.Errorf("ipv4@ with an IPv6 address")
	case kind == TCP6 && a.Is4():
		return "", fmt.Errorf("ipv6@ with an IPv4 address")
	}
	return a.String(), nil
}

// DialArgs returns the network and address to dial a server at name, a
// "host:port" or a canonical name of Parse ("unix@PATH", "abns@NAME",
// "ipv4@...", "ipv6@..."). A plain "host:port" costs nothing to split.
func DialArgs(name string) (network, address string) {
	if !strings.HasPrefix(name, "/") && !strings.Contains(name, "@") {
		return "tcp", name
	}
	a, err := Parse(name, Options{})
	if err != nil || a.Kind == FD {
		return "tcp", name // let the dial report it
	}
	return a.Network(), a.Address()
}
