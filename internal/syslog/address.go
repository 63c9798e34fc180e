package syslog

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Network is the kind of destination an Address names.
type Network uint8

const (
	// FD is one of the process's standard descriptors: 1 (stdout) or 2
	// (stderr).
	FD Network = iota + 1
	// Unixgram is a unix datagram socket, e.g. /dev/log.
	Unixgram
	// UDP is a syslog server over UDP.
	UDP
)

// DefaultPort is the syslog port used when an address names none.
const DefaultPort = 514

// Address is where a target's lines go.
type Address struct {
	Network Network
	// FD is 1 or 2 for Network FD.
	FD int
	// Path is the socket path for Unixgram; an abstract socket
	// ("abns@name") is "@name".
	Path string
	// UDP is the server for Network UDP.
	UDP netip.AddrPort
}

func (a Address) String() string {
	switch a.Network {
	case FD:
		if a.FD == 1 {
			return "stdout"
		}
		return "stderr"
	case Unixgram:
		return a.Path
	case UDP:
		return a.UDP.String()
	}
	return "?"
}

// Resolve looks a host name up for ParseAddress; network is "ip", "ip4"
// or "ip6". Tests may replace it.
var Resolve = func(host, network string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

// ParseAddress parses a "log" target address as HAProxy does:
//
//	stdout, stderr, fd@1, fd@2          the process's descriptors
//	/path, unix@path, uxdg@path         a unix datagram socket
//	abns@name                           an abstract unix datagram socket
//	HOST[:PORT], udp@, udp4@, udp6@,    a UDP syslog server (port 514 by
//	ipv4@, ipv6@ + HOST[:PORT]          default); IPv6 as [ADDR]:PORT or
//	                                    ADDR:PORT (the last colon splits)
//
// Host names are resolved now, as HAProxy resolves them when it reads
// its configuration. Stream transports (tcp@, ring@, ...) are rejected.
func ParseAddress(s string) (Address, error) {
	switch s {
	case "":
		return Address{}, fmt.Errorf("missing address")
	case "stdout":
		return Address{Network: FD, FD: 1}, nil
	case "stderr":
		return Address{Network: FD, FD: 2}, nil
	}
	if strings.HasPrefix(s, "/") {
		return Address{Network: Unixgram, Path: s}, nil
	}
	family := "ip"
	if prefix, rest, ok := strings.Cut(s, "@"); ok {
		switch prefix {
		case "fd":
			n, err := strconv.Atoi(rest)
			if err != nil {
				return Address{}, fmt.Errorf("file descriptor %q is not a valid integer in %q", rest, s)
			}
			if n != 1 && n != 2 {
				return Address{}, fmt.Errorf("%q: a Baton worker inherits only fd@1 (stdout) and fd@2 (stderr) for logs", s)
			}
			return Address{Network: FD, FD: n}, nil
		case "unix", "uxdg":
			if rest == "" {
				return Address{}, fmt.Errorf("%q: missing socket path", s)
			}
			return Address{Network: Unixgram, Path: rest}, nil
		case "abns":
			if rest == "" {
				return Address{}, fmt.Errorf("%q: missing socket name", s)
			}
			return Address{Network: Unixgram, Path: "@" + rest}, nil
		case "udp":
		case "udp4", "ipv4":
			family = "ip4"
		case "udp6", "ipv6":
			family = "ip6"
		case "tcp", "tcp4", "tcp6", "uxst", "ring", "sockpair", "quic4", "quic6", "rhttp":
			return Address{}, fmt.Errorf("%q: %s@ is a HAProxy log transport that Baton does not support (it sends logs over UDP, unix datagram sockets, stdout and stderr)", s, prefix)
		default:
			return Address{}, fmt.Errorf("%q: unknown address family %q", s, prefix+"@")
		}
		s = rest
	} else if strings.Contains(s, "/") {
		return Address{}, fmt.Errorf("invalid address %q (a unix socket path must be absolute)", s)
	}
	ap, err := parseHostPort(s, family)
	if err != nil {
		return Address{}, err
	}
	return Address{Network: UDP, UDP: ap}, nil
}

// parseHostPort parses HOST[:PORT] with HAProxy's rules: [v6]:port, or
// the last colon separating the port; an empty or zero port is 514.
func parseHostPort(s, family string) (netip.AddrPort, error) {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.AddrPort{}, fmt.Errorf("invalid address %q: missing ']'", s)
		}
		host, port = s[1:end], s[end+1:]
		if port != "" {
			if port[0] != ':' {
				return netip.AddrPort{}, fmt.Errorf("invalid address %q", s)
			}
			port = port[1:]
		}
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
	}
	p := DefaultPort
	if port != "" {
		if strings.Contains(port, "-") {
			return netip.AddrPort{}, fmt.Errorf("port range not permitted here in %q", s)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return netip.AddrPort{}, fmt.Errorf("invalid port %q", port)
		}
		if n > 0 {
			p = n
		}
	}
	if host == "" {
		return netip.AddrPort{}, fmt.Errorf("invalid address %q: missing host", s)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		if strings.ContainsAny(host, ":%") {
			return netip.AddrPort{}, fmt.Errorf("invalid address %q", s)
		}
		addrs, lerr := Resolve(host, family)
		if lerr != nil || len(addrs) == 0 {
			return netip.AddrPort{}, fmt.Errorf("cannot resolve %q", host)
		}
		addr = addrs[0]
		for _, a := range addrs {
			if a.Unmap().Is4() {
				addr = a // IPv4 first when both exist, as most resolvers order them
				break
			}
		}
	}
	addr = addr.Unmap()
	if family == "ip4" && !addr.Is4() || family == "ip6" && !addr.Is6() {
		return netip.AddrPort{}, fmt.Errorf("invalid address %q: not an %s address", s, map[string]string{"ip4": "IPv4", "ip6": "IPv6"}[family])
	}
	return netip.AddrPortFrom(addr, uint16(p)), nil
}
