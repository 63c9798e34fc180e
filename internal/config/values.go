package config

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// maxTimer is HAProxy's largest timer: timers are kept in milliseconds in
// a signed 32-bit value.
const maxTimer = time.Duration(math.MaxInt32) * time.Millisecond

var timeUnits = []struct {
	suffix string
	unit   time.Duration
}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}

// parseTime reads a HAProxy time: digits followed by us, ms, s, m, h or d;
// a bare number is in milliseconds.
func parseTime(s string) (time.Duration, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("invalid time %q (expected a number with an optional unit us, ms, s, m, h, d)", s)
	}
	n, err := strconv.ParseUint(s[:i], 10, 64)
	unit := time.Millisecond
	if suffix := s[i:]; suffix != "" {
		unit = 0
		for _, u := range timeUnits {
			if u.suffix == suffix {
				unit = u.unit
			}
		}
		if unit == 0 {
			return 0, fmt.Errorf("invalid time %q: unknown unit %q (use us, ms, s, m, h or d)", s, suffix)
		}
	}
	if err != nil || n > uint64(maxTimer/unit) {
		return 0, fmt.Errorf("time %q is too large (at most %s)", s, maxTimer)
	}
	return time.Duration(n) * unit, nil
}

// parseInt reads a decimal integer within [lo, hi].
func parseInt(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range %d..%d", n, lo, hi)
	}
	return n, nil
}

// splitHostPort splits "host:port" (IPv6 in brackets) and checks the port.
func splitHostPort(s string) (host, port string, err error) {
	if strings.Contains(s, "@") {
		return "", "", fmt.Errorf("address %q: address prefixes (ipv4@, unix@, ...) are not supported", s)
	}
	if strings.Contains(s, ",") {
		return "", "", fmt.Errorf("address %q: address lists are not supported; use one line per address", s)
	}
	host, port, err = net.SplitHostPort(s)
	if err != nil {
		return "", "", fmt.Errorf("invalid address %q (expected HOST:PORT)", s)
	}
	if strings.Contains(port, "-") {
		return "", "", fmt.Errorf("address %q: port ranges are not supported", s)
	}
	if _, err := parseInt(port, 1, 65535); err != nil {
		return "", "", fmt.Errorf("address %q: invalid port %q (1..65535)", s, port)
	}
	return host, port, nil
}

// lookupHost resolves server names; a variable so tests and fuzzing never
// touch the network.
var lookupHost = net.LookupHost

// resolveServer returns "ip:port" for a server address, resolving a host
// name once, at parse time (the first IPv4 address is preferred).
func resolveServer(s string) (string, error) {
	host, port, err := splitHostPort(s)
	if err != nil {
		return "", err
	}
	if host == "" || host == "*" {
		return "", fmt.Errorf("address %q: a server needs a host", s)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return "", fmt.Errorf("address %q: zones are not supported", s)
		}
		return net.JoinHostPort(a.String(), port), nil
	}
	addrs, err := lookupHost(host)
	if err != nil || len(addrs) == 0 {
		return "", fmt.Errorf("cannot resolve %q: %v", host, err)
	}
	pick := addrs[0]
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
			pick = a
			break
		}
	}
	return net.JoinHostPort(pick, port), nil
}
