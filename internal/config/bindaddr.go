package config

import (
	"baton/internal/sockaddr"
)

// unixBindOptions are the bind options that set a UNIX socket file's
// owner and permissions; "unix-bind" gives their defaults.
var unixBindOptions = wordSet("mode user uid group gid")

// bindAddresses reads bind's address argument (a list, port ranges, the
// ipv4@/ipv6@/unix@/abns@/fd@ forms) into one Bind per socket and takes
// the UNIX socket options out of args; it returns the other options.
func (p *parser) bindAddresses(l line, raw string, args []string) (binds []Bind, rest []string, ok bool) {
	ub := p.cfg.Global.Process.UnixBind
	addrs, err := sockaddr.ParseList(raw, sockaddr.Options{Ranges: true, UnixPrefix: ub.Prefix})
	if err != nil {
		p.errorf(l.Pos, "bind: %v", err)
		return nil, nil, false
	}
	unix := ub
	unix.Prefix = ""
	var set []string
	for i := 0; i < len(args); i++ {
		if !unixBindOptions[args[i]] {
			rest = append(rest, args[i])
			continue
		}
		if i+1 >= len(args) {
			p.errorf(l.Pos, "bind %s: %s expects a value", raw, args[i])
			return nil, nil, false
		}
		if _, err := parseUnixSocketOptions(&unix, args[i], args[i+1]); err != nil {
			p.errorf(l.Pos, "bind %s: %s: %v", raw, args[i], err)
			return nil, nil, false
		}
		set = append(set, args[i])
		i++
	}
	for _, a := range addrs {
		b := Bind{Addr: a.String(), Pos: l.Pos}
		if a.IsUnix() {
			u := unix
			b.Unix = &u
		} else if len(set) > 0 {
			p.advisef(l.Pos, "bind %s: %s apply to UNIX sockets only; ignored for %s", raw, set, a)
		}
		binds = append(binds, b)
	}
	return binds, rest, true
}
