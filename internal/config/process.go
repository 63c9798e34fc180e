package config

import (
	"fmt"
	"os/user"
	"strconv"
	"strings"
)

// Process holds the global settings about the worker processes themselves:
// their identity, root directory and limits. The master keeps its own
// privileges (it binds new addresses at reload); each worker applies
// these once it holds its sockets (package procenv).
type Process struct {
	// Chroot is the directory a worker chroots into; "" means none.
	Chroot string
	// UID and GID are the ids a worker switches to ("uid"/"user",
	// "gid"/"group"); they apply only when HasUID/HasGID is set.
	UID, GID       int
	HasUID, HasGID bool
	// UIDPos and GIDPos are where the ids were set, for messages.
	UIDPos, GIDPos Pos
	// UlimitN is the RLIMIT_NOFILE a worker sets ("ulimit-n"); 0 means
	// computed from maxconn (raised only when too low), as HAProxy does.
	UlimitN int
	// NoStrictLimits is "no strict-limits": failing to set a limit is a
	// warning. By default (HAProxy 2.6's) it stops the worker.
	NoStrictLimits bool
	// ExitOnFailure is "master-worker" without "no-exit-on-failure":
	// HAProxy's master exits when a worker crashes. Baton restarts the
	// worker instead (a warning says so); false means no such request.
	ExitOnFailure bool
	// UnixBind holds the "unix-bind" defaults of UNIX listening sockets.
	UnixBind UnixSocketOptions
}

// UnixSocketOptions are the settings of a UNIX socket file a listener
// creates: where, who owns it and its permissions.
type UnixSocketOptions struct {
	// Prefix is prepended to relative bind paths ("unix-bind prefix").
	Prefix string
	// Mode is the permission bits; 0 means the umask's default.
	Mode uint32
	// UID and GID own the file when HasUID/HasGID; otherwise the
	// master's ids are kept.
	UID, GID       int
	HasUID, HasGID bool
}

// lookupUser and lookupGroup resolve names; variables for tests.
var (
	lookupUser  = user.Lookup
	lookupGroup = user.LookupGroup
)

// userID resolves a user name to its uid.
func userID(name string) (int, error) {
	u, err := lookupUser(name)
	if err != nil {
		return 0, fmt.Errorf("unknown user %q", name)
	}
	return strconv.Atoi(u.Uid)
}

// groupID resolves a group name to its gid.
func groupID(name string) (int, error) {
	g, err := lookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("unknown group %q", name)
	}
	return strconv.Atoi(g.Gid)
}

// resolveID reads the value of a "user", "group", "uid" or "gid" setting.
func resolveID(kind, value string) (int, error) {
	switch kind {
	case "user":
		return userID(value)
	case "group":
		return groupID(value)
	}
	return numericID(value)
}

// numericID reads a uid or gid.
func numericID(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid id %q (a number; use user/group for names)", s)
	}
	return int(n), nil
}

// parseIdentity handles "user", "uid", "group" and "gid".
func parseIdentity(p *parser, l line, args []string) {
	kw := l.Words[0]
	if len(args) != 1 {
		p.errorf(l.Pos, "%s: expects one argument", kw)
		return
	}
	id, err := resolveID(kw, args[0])
	if err != nil {
		p.errorf(l.Pos, "%s: %v", kw, err)
		return
	}
	pr := &p.cfg.Global.Process
	set, at, val, what := &pr.HasUID, &pr.UIDPos, &pr.UID, "user/uid"
	if kw == "group" || kw == "gid" {
		set, at, val, what = &pr.HasGID, &pr.GIDPos, &pr.GID, "group/gid"
	}
	if *set {
		p.warnf(l.Pos, "%s: %s already set at %s; this line replaces it", kw, what, *at)
	}
	*set, *at, *val = true, l.Pos, id
}

func parseChroot(p *parser, l line, args []string) {
	if len(args) != 1 || args[0] == "" {
		p.errorf(l.Pos, "chroot: expects a directory")
		return
	}
	p.cfg.Global.Process.Chroot = args[0]
}

func parseUlimitN(p *parser, l line, args []string) {
	if len(args) != 1 {
		p.errorf(l.Pos, "ulimit-n: expects one number")
		return
	}
	n, err := parseInt(args[0], 0, 1<<30)
	if err != nil {
		p.errorf(l.Pos, "ulimit-n: %v", err)
		return
	}
	p.cfg.Global.Process.UlimitN = n
}

// parseFlag handles the global keywords without arguments that may take
// the "no" prefix.
func parseGlobalFlag(p *parser, l line, args []string) {
	kw, neg := l.Words[0], false
	if kw == "no" {
		kw, neg = l.Words[1], true
	}
	if len(args) > 0 {
		p.errorf(l.Pos, "%s: unexpected argument %q", kw, args[0])
		return
	}
	switch kw {
	case "strict-limits":
		p.cfg.Global.Process.NoStrictLimits = neg
	case "zero-warning":
		p.cfg.Global.ZeroWarning = true
	case "insecure-fork-wanted":
		// Allows external checks (option external-check) to run programs.
		p.cfg.Global.InsecureForkWanted = !neg
	}
}

func parseMasterWorker(p *parser, l line, args []string) {
	switch {
	case len(args) == 0:
		p.cfg.Global.Process.ExitOnFailure = true
		p.advisef(l.Pos, "master-worker: Baton always runs a master; a worker that crashes is restarted rather than stopping the master (as with no-exit-on-failure)")
	case len(args) == 1 && args[0] == "no-exit-on-failure":
	default:
		p.errorf(l.Pos, "master-worker: unexpected argument %q (only no-exit-on-failure)", args[0])
	}
}

// parseCPUMap checks "cpu-map [auto:]SET[/SET] CPUSET..." and warns that
// it changes nothing.
func parseCPUMap(p *parser, l line, args []string) {
	if len(args) < 2 {
		p.errorf(l.Pos, "cpu-map: expects [auto:]GROUP[/THREADS] and at least one CPU set")
		return
	}
	sets := strings.TrimPrefix(args[0], "auto:")
	group, threads, hasThreads := strings.Cut(sets, "/")
	if !validIDSet(group, true) || hasThreads && !validIDSet(threads, true) {
		p.errorf(l.Pos, "cpu-map: %q is not a valid set (all, odd, even, N or N-M)", args[0])
		return
	}
	for _, c := range args[1:] {
		for _, part := range strings.Split(c, ",") {
			if !validIDSet(part, false) {
				p.errorf(l.Pos, "cpu-map: %q is not a valid CPU set (N or N-M)", c)
				return
			}
		}
	}
	p.advisef(l.Pos, "cpu-map: ignored; Go's scheduler moves goroutines between threads, so threads are not pinned to CPUs (use taskset or cgroups for the whole process)")
}

// validIDSet reports whether s is "N", "N-M" or "N-" (and, when words is
// set, "all", "odd" or "even").
func validIDSet(s string, words bool) bool {
	if words && (s == "all" || s == "odd" || s == "even") {
		return true
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if _, err := strconv.ParseUint(lo, 10, 16); err != nil {
		return false
	}
	if isRange && hi != "" {
		if _, err := strconv.ParseUint(hi, 10, 16); err != nil {
			return false
		}
	}
	return true
}

// parseUnixSocketOptions reads "prefix", "mode", "user", "uid", "group"
// and "gid" pairs into o; allowed says which of them the keyword takes.
// It returns what it did not recognise, or an error.
func parseUnixSocketOptions(o *UnixSocketOptions, name, value string) (known bool, err error) {
	switch name {
	case "prefix":
		o.Prefix = value
	case "mode":
		m, perr := strconv.ParseUint(value, 8, 32)
		if perr != nil || m > 0o7777 {
			return true, fmt.Errorf("invalid mode %q (octal, e.g. 660)", value)
		}
		o.Mode = uint32(m)
	case "user", "uid":
		o.UID, err = resolveID(name, value)
		o.HasUID = err == nil
	case "group", "gid":
		o.GID, err = resolveID(name, value)
		o.HasGID = err == nil
	default:
		return false, nil
	}
	return true, err
}

func parseUnixBind(p *parser, l line, args []string) {
	o := &p.cfg.Global.Process.UnixBind
	for len(args) > 0 {
		if len(args) < 2 {
			p.errorf(l.Pos, "unix-bind: %q expects a value", args[0])
			return
		}
		known, err := parseUnixSocketOptions(o, args[0], args[1])
		if !known {
			p.errorf(l.Pos, "unix-bind: unknown option %q (prefix, mode, user, uid, group, gid)", args[0])
			return
		}
		if err != nil {
			p.errorf(l.Pos, "unix-bind: %s: %v", args[0], err)
			return
		}
		args = args[2:]
	}
}
