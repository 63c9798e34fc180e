package config

import (
	"strconv"
	"strings"

	"baton/internal/sockaddr"
)

func parseGlobalMaxConn(p *parser, l line, args []string) {
	if len(args) != 1 {
		p.errorf(l.Pos, "maxconn: expects one number")
		return
	}
	n, err := parseInt(args[0], 1, 1<<30)
	if err != nil {
		p.errorf(l.Pos, "maxconn: %v", err)
		return
	}
	p.cfg.Global.MaxConn = n
}

func parseHardStopAfter(p *parser, l line, args []string) {
	if len(args) != 1 {
		p.errorf(l.Pos, "hard-stop-after: expects one time")
		return
	}
	d, err := parseTime(args[0])
	if err != nil {
		p.errorf(l.Pos, "hard-stop-after: %v", err)
		return
	}
	p.cfg.Global.HardStopAfter = d
}

var statsSocketOptions = wordSet("mode level expose-fd user uid group gid")

// parseStatsSocket reads "stats socket ADDR [mode M] [level L]
// [expose-fd listeners] [user U|uid N] [group G|gid N]"; ADDR is a path
// or any address form of package sockaddr.
func parseStatsSocket(p *parser, l line, args []string) {
	if len(args) == 0 {
		p.errorf(l.Pos, "stats socket: missing path")
		return
	}
	a, err := sockaddr.Parse(args[0], sockaddr.Options{})
	if err != nil {
		p.errorf(l.Pos, "stats socket: %v", err)
		return
	}
	s := StatsSocket{Path: a.String(), Pos: l.Pos}
	if a.Kind == sockaddr.Unix && strings.HasPrefix(a.Host, "/") {
		s.Path = a.Host // a plain path, as most callers expect
	}
	args = args[1:]
	for len(args) > 0 {
		opt := args[0]
		if !statsSocketOptions[opt] {
			p.errorf(l.Pos, "stats socket: option %q is not supported (supported: mode, level, expose-fd listeners, user, uid, group, gid)", opt)
			return
		}
		if len(args) < 2 {
			p.errorf(l.Pos, "stats socket: %q expects a value", opt)
			return
		}
		v := args[1]
		args = args[2:]
		switch opt {
		case "mode":
			m, err := strconv.ParseUint(v, 8, 32)
			if err != nil || m > 0o777 {
				p.errorf(l.Pos, "stats socket: invalid mode %q (octal, e.g. 600)", v)
				return
			}
			s.Mode = uint32(m)
		case "level":
			if v != "user" && v != "operator" && v != "admin" {
				p.errorf(l.Pos, "stats socket: invalid level %q (user, operator or admin)", v)
				return
			}
			s.Level = v
		case "expose-fd":
			if v != "listeners" {
				p.errorf(l.Pos, "stats socket: expose-fd expects \"listeners\"")
				return
			}
			s.ExposeListeners = true
		case "user", "uid", "group", "gid":
			if _, err := parseUnixSocketOptions(&s.Owner, opt, v); err != nil {
				p.errorf(l.Pos, "stats socket: %s: %v", opt, err)
				return
			}
		}
	}
	p.cfg.Global.StatsSockets = append(p.cfg.Global.StatsSockets, s)
}

func parseStatsTimeout(p *parser, l line, args []string) {
	if len(args) != 1 {
		p.errorf(l.Pos, "stats timeout: expects one time")
		return
	}
	d, err := parseTime(args[0])
	if err != nil {
		p.errorf(l.Pos, "stats timeout: %v", err)
		return
	}
	p.cfg.Global.StatsTimeout = d
}

func parseNbThread(p *parser, l line, args []string) {
	if len(args) != 1 {
		p.errorf(l.Pos, "nbthread: expects one number")
		return
	}
	n, err := parseInt(args[0], 1, 4096)
	if err != nil {
		p.errorf(l.Pos, "nbthread: %v", err)
		return
	}
	p.cfg.Global.NbThread = n
}

func parsePidFile(p *parser, l line, args []string) {
	if len(args) != 1 || args[0] == "" {
		p.errorf(l.Pos, "pidfile: expects one path")
		return
	}
	p.cfg.Global.PidFile = args[0]
}

func parseDaemon(p *parser, l line, args []string) {
	if len(args) != 0 {
		p.errorf(l.Pos, "daemon: unexpected argument %q", args[0])
		return
	}
	p.cfg.Global.Daemon = true
	p.advisef(l.Pos, "daemon: Baton stays in the foreground; run it under a service manager")
}
