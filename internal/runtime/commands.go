package runtime

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"baton/internal/serverstate"
	"baton/internal/stats"
)

// command is one entry of the command table.
type command struct {
	words []string // the keywords that name it
	usage string   // help: the syntax
	help  string   // help: what it does
	level Level
	// change: the command changes server or proxy state; the master
	// sends it to every live generation (see IsChange).
	change bool
	// session: handled by Session (listed for help only).
	session bool
	run     func(x *call) string
}

// call is one command being run.
type call struct {
	t     Target
	args  []string // the words after the command's keywords
	level Level
	now   time.Time
}

const permissionDenied = "Permission denied\n"

var commands []*command

func init() {
	commands = []*command{
		{words: w("add server"), usage: "add server <bk>/<srv>", help: "create a new server", level: LevelAdmin, change: true, run: addServer},
		{words: w("clear counters"), usage: "clear counters [all]", help: "clear max statistics counters (or all counters)", level: LevelOperator, run: clearCounters},
		{words: w("del server"), usage: "del server <bk>/<srv>", help: "remove a dynamically added server", level: LevelAdmin, change: true, run: delServer},
		{words: w("disable health"), usage: "disable health", help: "disable health checks", level: LevelAdmin, change: true, run: checks(false)},
		{words: w("disable server"), usage: "disable server (DEPRECATED)", help: "disable a server for maintenance (use 'set server' instead)", level: LevelAdmin, change: true, run: admin(stats.AdminMaint)},
		{words: w("enable health"), usage: "enable health", help: "enable health checks", level: LevelAdmin, change: true, run: checks(true)},
		{words: w("enable server"), usage: "enable server  (DEPRECATED)", help: "enable a disabled server (use 'set server' instead)", level: LevelAdmin, change: true, run: admin(stats.AdminReady)},
		{words: w("get weight"), usage: "get weight <bk>/<srv>", help: "report a server's current weight", level: LevelUser, run: getWeight},
		{words: w("operator"), usage: "operator", help: "lower the level of the current CLI session to operator", level: LevelUser, session: true},
		{words: w("set maxconn frontend"), usage: "set maxconn frontend <frontend> <value>", help: "change a frontend's maxconn setting", level: LevelAdmin, change: true, run: maxconnFrontend},
		{words: w("set maxconn global"), usage: "set maxconn global <value>", help: "change the per-process maxconn setting", level: LevelAdmin, change: true, run: maxconnGlobal},
		{words: w("set maxconn server"), usage: "set maxconn server <bk>/<srv>", help: "change a server's maxconn setting", level: LevelAdmin, change: true, run: maxconnServer},
		{words: w("set server"), usage: "set server <bk>/<srv> [opts]", help: "change a server's state, weight, address or health", level: LevelAdmin, change: true, run: setServer},
		{words: w("set timeout"), usage: "set timeout [cli] <delay>", help: "change a timeout setting", level: LevelUser, session: true},
		{words: w("set weight"), usage: "set weight <bk>/<srv>  (DEPRECATED)", help: "change a server's weight (use 'set server' instead)", level: LevelAdmin, change: true, run: setWeight},
		{words: w("show backend"), usage: "show backend", help: "list backends in the current running config", level: LevelUser, run: showBackend},
		{words: w("show cli level"), usage: "show cli level", help: "display the level of the current CLI session", level: LevelUser, session: true},
		{words: w("show errors"), usage: "show errors [<px>] [request|response]", help: "report last request and/or response errors for each proxy", level: LevelOperator, run: showErrors},
		{words: w("show info"), usage: "show info [desc|json|typed|float]*", help: "report information about the running process", level: LevelUser, run: showInfo},
		{words: w("show resolvers"), usage: "show resolvers [id]", help: "dumps counters from all resolvers section and associated name servers", level: LevelUser, run: showResolvers},
		{words: w("show servers conn"), usage: "show servers conn [<backend>]", help: "dump server connections status (all or for a single backend)", level: LevelUser, run: showServersConn},
		{words: w("show servers state"), usage: "show servers state [<backend>]", help: "dump volatile server information (all or for a single backend)", level: LevelUser, run: showServersState},
		{words: w("show sess"), usage: "show sess", help: "report the list of current sessions", level: LevelOperator, run: showSess},
		{words: w("show stat"), usage: "show stat [desc|json|no-maint|typed|up]*", help: "report counters for each proxy and server", level: LevelUser, run: showStat},
		{words: w("show version"), usage: "show version", help: "show version of the current process", level: LevelUser, run: func(x *call) string { return x.t.Version() + "\n" }},
		{words: w("shutdown sessions server"), usage: "shutdown sessions server <bk>/<srv>", help: "kill sessions on a server", level: LevelAdmin, change: true, run: shutdownSessions},
		{words: w("user"), usage: "user", help: "lower the level of the current CLI session to user", level: LevelUser, session: true},
		{words: w("help"), usage: "help [<command>]", help: "list matching or all commands", level: LevelUser, run: help},
		{words: w("prompt"), usage: "prompt", help: "toggle interactive mode with prompt", level: LevelUser, session: true},
		{words: w("quit"), usage: "quit", help: "disconnect", level: LevelUser, session: true},
	}
	// The map and ACL commands (maps.go), the stick table ones
	// (tables.go) and show cache (showcache.go) join the others in
	// alphabetical order; help, prompt and quit stay last.
	extra := append(append(append([]*command(nil), patternCommands...), tableCommands...), cacheCommands...)
	n := len(commands) - 3
	rest := append([]*command(nil), commands[n:]...)
	commands = append(append(commands[:n:n], extra...), rest...)
	sort.SliceStable(commands[:n+len(extra)], func(i, j int) bool {
		return strings.Join(commands[i].words, " ") < strings.Join(commands[j].words, " ")
	})
}

func w(s string) []string { return strings.Fields(s) }

// lookup finds the command named by the first words of words: the one
// with the most keywords that all match.
func lookup(words []string) *command {
	var best *command
	for _, c := range commands {
		if len(c.words) > len(words) || (best != nil && len(c.words) <= len(best.words)) {
			continue
		}
		ok := true
		for i, kw := range c.words {
			if words[i] != kw {
				ok = false
				break
			}
		}
		if ok {
			best = c
		}
	}
	return best
}

// IsChange reports whether line is a command that changes server or
// proxy state (the master sends those to every live generation).
func IsChange(line string) bool {
	c := lookup(strings.Fields(line))
	return c != nil && c.change
}

// Execute runs one command line at level lvl against t and returns its
// output (without the empty line that ends a CLI answer).
func Execute(t Target, line string, lvl Level) string {
	words := strings.Fields(line)
	if len(words) == 0 {
		return "Unknown command. Please enter one of the following commands only:\n" + list(lvl)
	}
	c := lookup(words)
	if c == nil || c.session {
		if c != nil {
			return "" // a session command reaching a generation (master CLI @N): nothing to do here
		}
		return unknown(words, lvl)
	}
	if lvl < c.level {
		return permissionDenied
	}
	if (c.words[0] == "clear" && len(words) > 2 && words[2] == "all") && lvl < LevelAdmin {
		return permissionDenied
	}
	return c.run(&call{t: t, args: words[len(c.words):], level: lvl, now: time.Now()})
}

// helpLine formats one command for help: the syntax padded to 40
// columns, ": ", the description.
func helpLine(c *command) string {
	return fmt.Sprintf("  %-40s: %s\n", c.usage, c.help)
}

// list is every command valid at lvl, formatted for help.
func list(lvl Level) string {
	var b strings.Builder
	for _, c := range commands {
		if c.level <= lvl {
			b.WriteString(helpLine(c))
		}
	}
	return b.String()
}

func help(x *call) string {
	var b strings.Builder
	b.WriteString("The following commands are valid at this level:\n")
	for _, c := range commands {
		if c.level > x.level || (len(x.args) > 0 && c.words[0] != x.args[0] && !isAlways(c)) {
			continue
		}
		b.WriteString(helpLine(c))
	}
	return b.String()
}

// isAlways: help, prompt and quit close every list, as in HAProxy.
func isAlways(c *command) bool {
	return c.words[0] == "help" || c.words[0] == "prompt" || c.words[0] == "quit"
}

// unknown answers a command nobody knows, suggesting the nearest ones.
func unknown(words []string, lvl Level) string {
	var b strings.Builder
	b.WriteString("Unknown command, but maybe one of the following ones is a better match:\n")
	type cand struct {
		c *command
		d int
	}
	var cands []cand
	for _, c := range commands {
		if c.level > lvl || isAlways(c) {
			continue
		}
		d := 0
		for i, kw := range c.words {
			if i < len(words) {
				d += distance(words[i], kw)
			} else {
				d += len(kw)
			}
		}
		cands = append(cands, cand{c, d})
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].d < cands[j].d })
	for i := 0; i < len(cands) && i < 5; i++ {
		b.WriteString(helpLine(cands[i].c))
	}
	for _, c := range commands {
		if isAlways(c) {
			b.WriteString(helpLine(c))
		}
	}
	return b.String()
}

// distance scores how far a typed word is from a keyword: the letters
// that differ after their common prefix.
func distance(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return max(len(a), len(b)) - n
}

// --- show commands ---

// outputOptions are the format words of show info and show stat; the
// others are returned.
type outputOptions struct{ desc, typed, json bool }

func (o *outputOptions) parse(args []string) (rest []string) {
	for _, a := range args {
		switch a {
		case "desc":
			o.desc = true
		case "typed":
			o.typed = true
		case "json":
			o.json = true
		default:
			rest = append(rest, a)
		}
	}
	return rest
}

func showInfo(x *call) string {
	var b bytes.Buffer
	var o outputOptions
	o.parse(x.args)
	info := x.t.Info(x.now)
	switch {
	case o.json:
		stats.WriteInfoJSON(&b, info)
	case o.typed:
		stats.WriteInfoTyped(&b, info, o.desc)
	default:
		stats.WriteInfo(&b, info, o.desc)
	}
	return b.String()
}

func showStat(x *call) string {
	f := stats.All
	var o outputOptions
	var nums []int
	for _, a := range o.parse(x.args) {
		switch a {
		case "up":
			f.Up = true
		case "no-maint":
			f.NoMaint = true
		default:
			if n, err := strconv.Atoi(a); err == nil {
				nums = append(nums, n)
			}
		}
	}
	if len(nums) == 3 {
		f.IID, f.Types, f.SID = nums[0], nums[1], nums[2]
	}
	rows := x.t.Rows(x.now)
	var b bytes.Buffer
	switch {
	case o.json:
		stats.WriteJSON(&b, rows, f)
	case o.typed:
		stats.WriteTyped(&b, rows, f, o.desc)
	default:
		stats.WriteCSV(&b, rows, f)
	}
	return b.String()
}

func showBackend(x *call) string {
	var b strings.Builder
	b.WriteString("# name\n")
	for _, n := range x.t.BackendNames() {
		b.WriteString(n + "\n")
	}
	return b.String()
}

func showServersState(x *call) string {
	be := ""
	if len(x.args) > 0 {
		be = x.args[0]
	}
	lines, err := x.t.ServerStates(be, x.now)
	if err != nil {
		return "Can't find backend.\n"
	}
	var b bytes.Buffer
	serverstate.Write(&b, lines)
	return b.String()
}

func showServersConn(x *call) string {
	be := ""
	if len(x.args) > 0 {
		be = x.args[0]
	}
	conns, err := x.t.ServerConns(be)
	if err != nil {
		return "Can't find backend.\n"
	}
	var b strings.Builder
	b.WriteString("# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[1]\n")
	for _, c := range conns {
		fmt.Fprintf(&b, "%s/%s %d/%d %s %d - %d %d %d %d %d %d %d %d %d\n", c.Backend, c.Server, c.BackendID, c.SID,
			c.Addr, c.Port, c.PurgeDelayMS, c.Used, c.UsedMax, c.NeedEst, c.IdleCur-c.SafeIdle, c.SafeIdle, c.IdleLim, c.IdleCur, c.IdleCur)
	}
	return b.String()
}

func showSess(x *call) string {
	var b strings.Builder
	for _, s := range x.t.Sessions(x.now) {
		be, srv := s.Backend, s.Server
		if be == "" {
			be = "<NONE>"
		}
		if srv == "" {
			srv = "<none>"
		}
		exp := ""
		if s.HasExpire {
			exp = humanDuration(s.Expire)
		}
		fmt.Fprintf(&b, "%#x: proto=%s src=%s fe=%s be=%s srv=%s ts=00 epoch=0 age=%s calls=1 rate=0 cpu=0 lat=0 "+
			"rq[f=848000h,i=0,an=00h,rx=,wx=,ax=] rp[f=80000000h,i=0,an=00h,rx=,wx=,ax=] scf=[8,200000h,fd=%d] scb=[8,%dh,fd=%d] exp=%s rc=0 c_exp=\n",
			s.ID, s.Proto, s.Src, s.Frontend, be, srv, humanDuration(s.Age), s.FD, map[bool]int{true: 1, false: 0x11}[s.ServerFD < 0], s.ServerFD, exp)
	}
	return b.String()
}

// humanDuration is HAProxy's short duration: "3s", "2m", "1h", "4d".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 24*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

// --- server commands ---

// backendServer cuts the first argument, "<backend>/<server>".
func (x *call) backendServer() (be, srv string, ok bool) {
	if len(x.args) == 0 {
		return "", "", false
	}
	be, srv, ok = strings.Cut(x.args[0], "/")
	return be, srv, ok && be != "" && srv != ""
}

// server resolves "<backend>/<server>" from the first argument.
func (x *call) server() (ServerControl, string) {
	be, srv, ok := x.backendServer()
	if !ok {
		return nil, "Require 'backend/server'.\n"
	}
	s, err := x.t.Server(be, srv)
	if err != nil {
		return nil, err.Error() + "\n"
	}
	return s, ""
}

func getWeight(x *call) string {
	s, msg := x.server()
	if s == nil {
		return msg
	}
	cur, initial := s.Weights()
	return fmt.Sprintf("%d (initial %d)\n", cur, initial)
}

func setWeight(x *call) string {
	s, msg := x.server()
	if s == nil {
		return msg
	}
	if len(x.args) < 2 {
		return "Require <weight> or <weight%>.\n"
	}
	return weightChange(s, x.args[1])
}

// weightChange applies "N" or "N%" (of the configured weight), with
// HAProxy's messages.
func weightChange(s ServerControl, v string) string {
	_, initial := s.Weights()
	num, pct := strings.CutSuffix(v, "%")
	n, err := strconv.Atoi(num)
	if err != nil || num == "" {
		return "Empty weight string empty or preceded by garbage"
	}
	if pct {
		if n < 0 {
			return "Relative weight must be positive.\n"
		}
		n = initial * n / 100
		if n > 256 {
			n = 256
		}
	} else if n < 0 || n > 256 {
		return "Absolute weight can only be between 0 and 256 inclusive.\n"
	}
	if s.StaticWeights() && n != 0 && n != initial {
		return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"
	}
	s.SetWeight(n)
	return ""
}

// onServer is a command that does one thing to "<backend>/<server>".
func onServer(do func(s ServerControl)) func(*call) string {
	return func(x *call) string {
		s, msg := x.server()
		if s == nil {
			return msg
		}
		do(s)
		return ""
	}
}

func admin(state int) func(*call) string {
	return onServer(func(s ServerControl) { s.SetAdmin(state) })
}

func checks(on bool) func(*call) string {
	return onServer(func(s ServerControl) { s.SetChecks(on) })
}

const setServerUsage = "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n"

func setServer(x *call) string {
	s, msg := x.server()
	if s == nil {
		return msg
	}
	if len(x.args) < 2 {
		return setServerUsage
	}
	val := ""
	if len(x.args) > 2 {
		val = x.args[2]
	}
	switch x.args[1] {
	case "weight":
		if val == "" {
			return "Require <weight> or <weight%>.\n"
		}
		return weightChange(s, val)
	case "state":
		switch val {
		case "ready":
			s.SetAdmin(stats.AdminReady)
		case "drain":
			s.SetAdmin(stats.AdminDrain)
		case "maint":
			s.SetAdmin(stats.AdminMaint)
		default:
			return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n"
		}
		return ""
	case "health":
		switch val {
		case "up", "stopping", "down":
			s.SetHealth(val)
			return ""
		}
		return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n"
	case "addr":
		return setAddr(s, x.args[2:])
	case "agent", "agent-addr", "agent-port", "agent-send", "check-addr", "check-port", "fqdn", "ssl":
		return fmt.Sprintf("'set server <srv> %s' is a HAProxy command that Baton does not support.\n", x.args[1])
	}
	return setServerUsage
}

// setAddr is "set server B/S addr IP [port P]", answered as HAProxy does.
func setAddr(s ServerControl, args []string) string {
	const by = " by 'stats socket command'\n"
	if len(args) == 0 {
		return "set server <b>/<s> addr requires an address and optionally a port.\n"
	}
	ip := args[0]
	port := 0
	if len(args) >= 3 && args[1] == "port" {
		p, err := strconv.Atoi(args[2])
		if err != nil || p <= 0 || p > 65535 {
			return fmt.Sprintf("Invalid port '%s'%s", args[2], by)
		}
		port = p
	}
	oldIP, oldPort := splitHostPort(s.Addr())
	if err := s.SetAddr(ip, port); err != nil {
		return fmt.Sprintf("Invalid addr '%s'%s", ip, by)
	}
	var b strings.Builder
	if ip != oldIP {
		fmt.Fprintf(&b, "IP changed from '%s' to '%s'", oldIP, ip)
	} else {
		b.WriteString("no need to change the addr")
	}
	if port != 0 {
		if strconv.Itoa(port) != oldPort {
			fmt.Fprintf(&b, ", port changed from '%s' to '%d'", oldPort, port)
		} else {
			b.WriteString(", no need to change the port")
		}
	}
	return b.String() + by
}

func splitHostPort(a string) (string, string) {
	i := strings.LastIndexByte(a, ':')
	if i < 0 {
		return a, ""
	}
	return strings.Trim(a[:i], "[]"), a[i+1:]
}

func maxconnServer(x *call) string {
	s, msg := x.server()
	if s == nil {
		return msg
	}
	if len(x.args) < 2 {
		return "Require <maxconn>.\n"
	}
	n, err := strconv.Atoi(x.args[1])
	if err != nil || n < 0 {
		return "Require <maxconn>.\n"
	}
	s.SetMaxConn(n)
	return ""
}

func maxconnFrontend(x *call) string {
	if len(x.args) < 1 {
		return "A frontend name is expected.\n"
	}
	if len(x.args) < 2 {
		return "Integer value expected.\n"
	}
	n, err := strconv.Atoi(x.args[1])
	if err != nil || n < 0 {
		return "Value out of range.\n"
	}
	if err := x.t.SetFrontendMaxConn(x.args[0], n); err != nil {
		return err.Error() + "\n"
	}
	return ""
}

func maxconnGlobal(x *call) string {
	if len(x.args) < 1 {
		return "Expects an integer value.\n"
	}
	n, err := strconv.Atoi(x.args[0])
	if err != nil {
		return "Expects an integer value.\n"
	}
	if err := x.t.SetGlobalMaxConn(n); err != nil {
		return err.Error() + "\n"
	}
	return ""
}

var shutdownSessions = onServer(func(s ServerControl) { s.Shutdown() })

func addServer(x *call) string {
	be, srv, ok := x.backendServer()
	if !ok {
		return "Require 'backend/server'.\n"
	}
	if err := x.t.AddServer(be, srv, x.args[1:]); err != nil {
		return err.Error() + "\n"
	}
	return "New server registered.\n"
}

func delServer(x *call) string {
	// HAProxy ends every answer of this command without a newline.
	be, srv, ok := x.backendServer()
	if !ok {
		return "Require 'backend/server'."
	}
	if err := x.t.DelServer(be, srv); err != nil {
		return err.Error()
	}
	return "Server deleted."
}

func clearCounters(x *call) string {
	x.t.ClearCounters(len(x.args) > 0 && x.args[0] == "all")
	return ""
}

// showResolvers is "show resolvers [id]".
func showResolvers(x *call) string {
	id := ""
	if len(x.args) > 0 {
		id = x.args[0]
	}
	if r, ok := x.t.(Resolvers); ok {
		return r.ShowResolvers(id)
	}
	if id != "" {
		return "Can't find that resolvers section\n\n"
	}
	return "\n"
}
