package config

import (
	"fmt"
	"os/user"
	"strconv"
	"strings"
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

var logFormats = wordSet("local rfc3164 rfc5424 priority short timed iso raw")
var logFacilities = wordSet("kern user mail daemon auth syslog lpr news uucp cron auth2 ftp ntp audit alert cron2 local0 local1 local2 local3 local4 local5 local6 local7")
var logLevels = wordSet("emerg alert crit err warning notice info debug")

// parseGlobalLog reads "log TARGET [format F] FACILITY [MAX [MIN]]".
func parseGlobalLog(p *parser, l line, args []string) {
	if len(args) == 0 {
		p.errorf(l.Pos, "log: missing target (stdout or stderr)")
		return
	}
	t := LogTarget{Target: args[0], Pos: l.Pos}
	if t.Target != "stdout" && t.Target != "stderr" {
		p.errorf(l.Pos, "log: target %q is not supported; Baton logs to stdout or stderr", t.Target)
		return
	}
	args = args[1:]
	for len(args) > 0 {
		switch args[0] {
		case "format":
			if len(args) < 2 || !logFormats[args[1]] {
				p.errorf(l.Pos, "log: format expects one of local, rfc3164, rfc5424, priority, short, timed, iso, raw")
				return
			}
			t.Format, args = args[1], args[2:]
			continue
		case "len", "sample", "profile":
			p.errorf(l.Pos, "log: option %q is a HAProxy keyword that Baton does not support", args[0])
			return
		}
		break
	}
	if len(args) == 0 {
		p.errorf(l.Pos, "log: missing facility (e.g. local0)")
		return
	}
	if !logFacilities[args[0]] {
		p.errorf(l.Pos, "log: unknown facility %q", args[0])
		return
	}
	t.Facility, args = args[0], args[1:]
	if len(args) > 0 {
		if !logLevels[args[0]] {
			p.errorf(l.Pos, "log: unknown level %q", args[0])
			return
		}
		t.MaxLevel, args = args[0], args[1:]
	}
	if len(args) > 0 {
		if !logLevels[args[0]] {
			p.errorf(l.Pos, "log: unknown level %q", args[0])
			return
		}
		t.MinLevel, args = args[0], args[1:]
	}
	if len(args) > 0 {
		p.errorf(l.Pos, "log: unexpected argument %q", args[0])
		return
	}
	p.cfg.Global.Logs = append(p.cfg.Global.Logs, t)
}

// parseStatsSocket reads "stats socket ADDR [mode M] [level L]
// [expose-fd listeners] [user U] [group G] [uid N] [gid N]", where ADDR is
// a UNIX socket path ("unix@PATH" too) or a TCP address ("ipv4@IP:PORT",
// "ipv6@[IP]:PORT", or IP:PORT).
func parseStatsSocket(p *parser, l line, args []string) {
	if len(args) == 0 {
		p.errorf(l.Pos, "stats socket: missing path")
		return
	}
	s := StatsSocket{Pos: l.Pos, UID: -1, GID: -1}
	if !statsSocketAddr(p, l, args[0], &s) {
		return
	}
	args = args[1:]
	for len(args) > 0 {
		opt := args[0]
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
		case "user", "group", "uid", "gid":
			id, err := lookupID(opt, v)
			if err != nil {
				p.errorf(l.Pos, "stats socket: %s %q: %v", opt, v, err)
				return
			}
			if opt == "user" || opt == "uid" {
				s.UID = id
			} else {
				s.GID = id
			}
		default:
			p.errorf(l.Pos, "stats socket: option %q is not supported (supported: mode, level, expose-fd listeners, user, group, uid, gid)", opt)
			return
		}
	}
	p.cfg.Global.StatsSockets = append(p.cfg.Global.StatsSockets, s)
}

// statsSocketAddr reads the address of a stats socket into s.
func statsSocketAddr(p *parser, l line, a string, s *StatsSocket) bool {
	if prefix, rest, ok := strings.Cut(a, "@"); ok {
		switch prefix {
		case "unix":
			s.Path = rest
			return rest != "" || p.fail(l.Pos, "stats socket: unix@ needs a path")
		case "ipv4", "ipv6":
			a = rest
		default:
			p.errorf(l.Pos, "stats socket: %q: address family %q is not supported (unix@, ipv4@, ipv6@)", a, prefix)
			return false
		}
	} else if strings.HasPrefix(a, "/") || !strings.Contains(a, ":") {
		s.Path = a
		return true
	}
	addr, err := normalizeBind(a)
	if err != nil || strings.HasSuffix(addr, ":0") {
		p.errorf(l.Pos, "stats socket: invalid address %q", a)
		return false
	}
	s.Addr = addr
	return true
}

// fail reports an error and returns false.
func (p *parser) fail(pos Pos, msg string) bool {
	p.errorf(pos, "%s", msg)
	return false
}

// lookupID resolves a user or group name (or a number) to its id.
func lookupID(kind, v string) (int, error) {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return n, nil
	}
	if kind == "uid" || kind == "gid" {
		return 0, fmt.Errorf("not a number")
	}
	var id string
	if kind == "user" {
		u, err := user.Lookup(v)
		if err != nil {
			return 0, fmt.Errorf("no such user")
		}
		id = u.Uid
	} else {
		g, err := user.LookupGroup(v)
		if err != nil {
			return 0, fmt.Errorf("no such group")
		}
		id = g.Gid
	}
	return strconv.Atoi(id)
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
	p.warnf(l.Pos, "daemon: Baton stays in the foreground; run it under a service manager")
}
