package config

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"
)

// Resolvers is a "resolvers" section: the name servers that resolve
// servers' host names at run time, and how often and how patiently. A
// section starts with HAProxy's defaults (DefaultResolvers).
type Resolvers struct {
	Name string
	Pos  Pos
	// Nameservers are queried all at once, in this order; the first
	// valid answer wins.
	Nameservers []Nameserver
	// ResolveRetries is how many times a query is sent before the
	// resolution fails ("resolve_retries", 3).
	ResolveRetries int
	// TimeoutResolve is the interval between two resolutions of a name
	// ("timeout resolve", 1s); 0 means 1s.
	TimeoutResolve time.Duration
	// TimeoutRetry is how long a query waits for an answer before it is
	// sent again ("timeout retry", 1s); 0 means 1s.
	TimeoutRetry time.Duration
	// Hold are the hold periods ("hold STATUS PERIOD").
	Hold Holds
	// AcceptedPayloadSize is the largest UDP answer announced and
	// accepted ("accepted_payload_size", 512..65535; 512).
	AcceptedPayloadSize int

	// holdValidAt is where "hold valid" was set (zero: it was not), for
	// the warning when no do-resolve uses the section.
	holdValidAt Pos
}

// Holds are the hold periods of a resolvers section. An error answer
// (NX, Other, Refused, Timeout) takes a server out only when no valid
// answer came within its period; Valid is how long do-resolve actions
// use a valid answer before resolving again (servers resolve every
// timeout resolve regardless); Obsolete is how long an address or SRV
// record missing from the answers is still used.
type Holds struct {
	Valid, NX, Other, Refused, Timeout, Obsolete time.Duration
}

// Nameserver is one name server of a resolvers section.
type Nameserver struct {
	// Name is the "nameserver" line's name, or the address for one read
	// from /etc/resolv.conf (as HAProxy names them).
	Name string
	// Addr is the UDP address, "ip:port".
	Addr string
	Pos  Pos
}

// DefaultResolvers holds HAProxy's defaults, which every resolvers
// section starts with.
var DefaultResolvers = Resolvers{
	ResolveRetries: 3,
	TimeoutResolve: time.Second,
	TimeoutRetry:   time.Second,
	Hold: Holds{Valid: 10 * time.Second, NX: 30 * time.Second, Other: 30 * time.Second,
		Refused: 30 * time.Second, Timeout: 30 * time.Second},
	AcceptedPayloadSize: 512,
}

// ResolversNamed returns the resolvers section called name, or nil.
func (c *Config) ResolversNamed(name string) *Resolvers {
	for _, r := range c.Resolvers {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// ResolvConf is the file "parse-resolv-conf" reads; a variable for tests.
var ResolvConf = "/etc/resolv.conf"

// resolversKeywords are the keywords of a resolvers section, for
// Keywords, suggestions and the parser.
var resolversKeywords = map[string]func(p *parser, r *Resolvers, l line, args []string){
	"nameserver":            parseNameserver,
	"parse-resolv-conf":     parseResolvConf,
	"resolve_retries":       parseResolveRetries,
	"accepted_payload_size": parsePayloadSize,
	"timeout resolve":       parseResolversTimeout,
	"timeout retry":         parseResolversTimeout,
	"hold nx":               parseHold,
	"hold other":            parseHold,
	"hold refused":          parseHold,
	"hold timeout":          parseHold,
	"hold valid":            parseHold,
	"hold obsolete":         parseHold,
}

// startResolvers opens a resolvers section.
func (p *parser) startResolvers(l line) {
	args := l.Words[1:]
	r := new(Resolvers)
	*r = DefaultResolvers
	r.Pos = l.Pos
	p.curResolvers = r
	p.nameserverLines = 0
	if len(args) == 0 {
		p.errorf(l.Pos, "resolvers: missing name")
		return
	}
	r.Name = args[0]
	if len(args) > 1 {
		p.errorf(l.Pos, "resolvers %q: unexpected argument %q", r.Name, args[1])
	}
	if msg := checkName(r.Name); msg != "" {
		p.errorf(l.Pos, "resolvers %q: %s", r.Name, msg)
	}
	if prev := p.cfg.ResolversNamed(r.Name); prev != nil {
		p.errorf(l.Pos, "resolvers %q: already declared at %s", r.Name, prev.Pos)
		return
	}
	p.cfg.Resolvers = append(p.cfg.Resolvers, r)
}

func (p *parser) resolversLine(l line) {
	r := p.curResolvers
	w := l.Words
	if len(w) >= 2 {
		if f := resolversKeywords[w[0]+" "+w[1]]; f != nil {
			f(p, r, l, w[2:])
			return
		}
	}
	if f := resolversKeywords[w[0]]; f != nil && w[0] != "timeout" && w[0] != "hold" {
		f(p, r, l, w[1:])
		return
	}
	switch w[0] {
	case "timeout", "hold":
		var subs []string
		for k := range resolversKeywords {
			if first, rest, _ := strings.Cut(k, " "); first == w[0] && rest != "" {
				subs = append(subs, rest)
			}
		}
		sort.Strings(subs)
		if len(w) < 2 {
			p.errorf(l.Pos, "%s: missing argument, one of: %s", w[0], strings.Join(subs, ", "))
		} else {
			p.errorf(l.Pos, "unknown %s %q in resolvers section (supported: %s)", w[0], w[1], strings.Join(subs, ", "))
		}
		return
	case "resolution_pool_size":
		p.errorf(l.Pos, "%q is a HAProxy keyword that Baton does not support", w[0])
		return
	}
	var firsts []string
	for k := range resolversKeywords {
		first, _, _ := strings.Cut(k, " ")
		firsts = append(firsts, first)
	}
	for k := range sectionKinds {
		firsts = append(firsts, k)
	}
	sort.Strings(firsts)
	msg := fmt.Sprintf("unknown keyword %q in resolvers section", w[0])
	if s := suggest(w[0], firsts); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	p.errorf(l.Pos, "%s", msg)
}

// finishResolvers checks a resolvers section when it ends.
func (p *parser) finishResolvers(r *Resolvers) {
	if r.Name != "" && len(r.Nameservers) == 0 && p.nameserverLines == 0 {
		p.errorf(r.Pos, "resolvers %q: no nameserver (add \"nameserver NAME ADDR:PORT\" or \"parse-resolv-conf\")", r.Name)
	}
}

// addNameserver appends ns unless its name is taken.
func (p *parser) addNameserver(r *Resolvers, ns Nameserver) bool {
	for _, o := range r.Nameservers {
		if o.Name == ns.Name {
			return false
		}
	}
	r.Nameservers = append(r.Nameservers, ns)
	return true
}

func parseNameserver(p *parser, r *Resolvers, l line, args []string) {
	p.nameserverLines++
	if len(args) != 2 {
		p.errorf(l.Pos, "nameserver: expects a name and an address (nameserver NAME ADDR:PORT)")
		return
	}
	name := args[0]
	if msg := checkName(name); msg != "" {
		p.errorf(l.Pos, "nameserver %q: %s", name, msg)
		return
	}
	addr := args[1]
	if pre, rest, ok := strings.Cut(addr, "@"); ok {
		switch pre {
		case "udp", "udp4", "udp6", "ipv4", "ipv6":
			addr = rest
		case "tcp", "tcp4", "tcp6":
			p.errorf(l.Pos, "nameserver %s: TCP name servers (%s@) are not supported; Baton queries name servers over UDP", name, pre)
			return
		default:
			p.errorf(l.Pos, "nameserver %s: address prefix %q is not supported (udp@, ipv4@, ipv6@)", name, pre+"@")
			return
		}
	}
	resolved, err := resolveServer(addr)
	if err != nil {
		p.errorf(l.Pos, "nameserver %s: %v", name, err)
		return
	}
	if !p.addNameserver(r, Nameserver{Name: name, Addr: resolved, Pos: l.Pos}) {
		p.errorf(l.Pos, "nameserver %s: name already used in resolvers %q", name, r.Name)
	}
}

// parseResolvConf adds every "nameserver" of /etc/resolv.conf, on port
// 53, named after its address, in the file's order.
func parseResolvConf(p *parser, r *Resolvers, l line, args []string) {
	p.nameserverLines++
	if len(args) > 0 {
		p.errorf(l.Pos, "parse-resolv-conf: unexpected argument %q", args[0])
		return
	}
	data, err := os.ReadFile(ResolvConf)
	if err != nil {
		p.errorf(l.Pos, "parse-resolv-conf: %v", err)
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil || a.Zone() != "" {
			p.warnf(l.Pos, "parse-resolv-conf: %s:%d: address %q is not an IP address; skipped", ResolvConf, n, f[1])
			continue
		}
		ns := Nameserver{Name: f[1], Addr: net.JoinHostPort(a.String(), "53"), Pos: l.Pos}
		if !p.addNameserver(r, ns) {
			p.warnf(l.Pos, "parse-resolv-conf: %s:%d: nameserver %s is already in resolvers %q; skipped", ResolvConf, n, f[1], r.Name)
		}
	}
}

func parseResolveRetries(p *parser, r *Resolvers, l line, args []string) {
	if n, ok := oneNumber(p, l, args, 1, 1000); ok {
		r.ResolveRetries = n
	}
}

func parsePayloadSize(p *parser, r *Resolvers, l line, args []string) {
	if n, ok := oneNumber(p, l, args, 512, 65535); ok {
		r.AcceptedPayloadSize = n
	}
}

// oneNumber reads the single number argument of the keyword on l.
func oneNumber(p *parser, l line, args []string, lo, hi int) (int, bool) {
	kw := l.Words[0]
	if len(args) != 1 {
		p.errorf(l.Pos, "%s: expects one number", kw)
		return 0, false
	}
	n, err := parseInt(args[0], lo, hi)
	if err != nil {
		p.errorf(l.Pos, "%s: %v", kw, err)
		return 0, false
	}
	return n, true
}

func parseResolversTimeout(p *parser, r *Resolvers, l line, args []string) {
	name := l.Words[1]
	if len(args) != 1 {
		p.errorf(l.Pos, "timeout %s: expects one time", name)
		return
	}
	d, err := parseTime(args[0])
	if err == nil && d == 0 {
		err = fmt.Errorf("must be above 0")
	}
	if err != nil {
		p.errorf(l.Pos, "timeout %s: %v", name, err)
		return
	}
	if name == "resolve" {
		r.TimeoutResolve = d
	} else {
		r.TimeoutRetry = d
	}
}

func parseHold(p *parser, r *Resolvers, l line, args []string) {
	name := l.Words[1]
	if len(args) != 1 {
		p.errorf(l.Pos, "hold %s: expects one time", name)
		return
	}
	d, err := parseTime(args[0])
	if err != nil {
		p.errorf(l.Pos, "hold %s: %v", name, err)
		return
	}
	if name == "valid" {
		r.holdValidAt = l.Pos
	}
	h := &r.Hold
	*map[string]*time.Duration{"valid": &h.Valid, "nx": &h.NX, "other": &h.Other,
		"refused": &h.Refused, "timeout": &h.Timeout, "obsolete": &h.Obsolete}[name] = d
}

// checkDoResolve reports do-resolve actions naming a resolvers section
// the configuration lacks, once every section is read, and warns about a
// "hold valid" that no do-resolve action uses.
func (p *parser) checkDoResolve() {
	used := map[string]bool{}
	for _, st := range p.proxies {
		for _, rules := range [][]Rule{st.p.RequestRules, st.p.TCPContentRules} {
			for _, r := range rules {
				if r.DoResolve == nil {
					continue
				}
				used[r.DoResolve.Resolvers] = true
				if p.cfg.ResolversNamed(r.DoResolve.Resolvers) == nil {
					p.errorf(r.Pos, "do-resolve: no resolvers section named %q", r.DoResolve.Resolvers)
				}
			}
		}
	}
	for _, r := range p.cfg.Resolvers {
		if r.holdValidAt.Line > 0 && !used[r.Name] {
			p.warnf(r.holdValidAt, "hold valid: no effect: only do-resolve actions use it, and none uses resolvers %s (servers resolve every timeout resolve)", r.Name)
		}
	}
}
