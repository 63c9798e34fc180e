package config

import (
	"fmt"
	"strconv"
	"strings"
)

// maxTemplateServers bounds one server-template line.
const maxTemplateServers = 10000

// parseServerTemplate reads "server-template PREFIX NUM|LOW-HIGH
// FQDN[:PORT] [params]": servers PREFIX<LOW>..PREFIX<HIGH> (1..NUM),
// each a "server" line with the same address and parameters. With
// resolvers they are the slots the run-time answers fill; an FQDN
// starting with '_' is an SRV label. The address and parameters are
// read once, for the first server, so one mistake is reported once.
func parseServerTemplate(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) < 3 {
		p.errorf(l.Pos, "server-template: expects a prefix, a number or range, and an address (server-template PREFIX NUM|LOW-HIGH FQDN[:PORT] [params])")
		return
	}
	prefix := args[0]
	lo, hi, err := templateRange(args[1])
	if err != nil {
		p.errorf(l.Pos, "server-template %s: %v", prefix, err)
		return
	}
	if msg := checkName(prefix + strconv.Itoa(hi)); msg != "" {
		p.errorf(l.Pos, "server-template %s: %s", prefix, msg)
		return
	}
	n := len(st.p.Servers)
	errs := len(p.errs)
	parseServer(p, st, l, append([]string{prefix + strconv.Itoa(lo)}, args[2:]...), false)
	if len(p.errs) > errs || len(st.p.Servers) == n {
		return
	}
	first := st.p.Servers[n]
	first.Template = prefix
	for i := lo + 1; i <= hi; i++ {
		s := *first
		s.Name = prefix + strconv.Itoa(i)
		s.InitAddr = append([]string(nil), first.InitAddr...)
		s.ResolveNets = append(s.ResolveNets[:0:0], first.ResolveNets...)
		if first.TLS != nil {
			// Each server its own TLS side (and session cache).
			t := *first.TLS
			t.Name = s.Name
			s.TLS = &t
		}
		if prev, ok := st.servers[s.Name]; ok {
			p.errorf(l.Pos, "server-template %s: server name %q already declared at %s", prefix, s.Name, prev.Pos)
			return
		}
		st.servers[s.Name] = &s
		st.p.Servers = append(st.p.Servers, &s)
	}
}

// templateRange reads NUM (1..NUM) or LOW-HIGH.
func templateRange(s string) (lo, hi int, err error) {
	bad := fmt.Errorf("invalid number or range %q (N for 1..N, or LOW-HIGH)", s)
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = parseInt(a, 0, 1<<30); err != nil {
		return 0, 0, bad
	}
	if !isRange {
		lo, hi = 1, lo
	} else if hi, err = parseInt(b, 0, 1<<30); err != nil {
		return 0, 0, bad
	}
	if lo < 1 || hi < lo {
		return 0, 0, bad
	}
	if hi-lo+1 > maxTemplateServers {
		return 0, 0, fmt.Errorf("%d servers is more than %d", hi-lo+1, maxTemplateServers)
	}
	return lo, hi, nil
}
