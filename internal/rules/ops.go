package rules

import (
	"baton/internal/config"
	"baton/internal/expr"
)

// opsConds are a proxy's conditions of the monitor and the statistics
// page: "monitor fail", "stats admin" and "stats http-request".
type opsConds struct {
	monitorFail []*cond
	statsAdmin  *cond
	hasAdmin    bool
	statsRules  []statsRule
}

type statsRule struct {
	action, realm string
	cond          *cond
}

func (c *compiler) compileOps(p *config.Proxy, o *opsConds) {
	for _, mf := range p.MonitorFail {
		o.monitorFail = append(o.monitorFail, c.cond(mf, expr.HTTPRequest))
	}
	if p.Stats == nil {
		return
	}
	if p.Stats.Admin != nil {
		o.statsAdmin, o.hasAdmin = c.cond(p.Stats.Admin, expr.HTTPRequest), true
	}
	for _, r := range p.Stats.Rules {
		o.statsRules = append(o.statsRules, statsRule{action: r.Action, realm: r.Realm, cond: c.cond(r.Cond, expr.HTTPRequest)})
	}
}

// MonitorFails reports whether a "monitor fail" condition holds for in.
func (s *Set) MonitorFails(in *Input) bool {
	for _, c := range s.ops.monitorFail {
		if c.holds(in) {
			return true
		}
	}
	return false
}

// StatsAdmin reports whether "stats admin" grants in the page's admin
// actions.
func (s *Set) StatsAdmin(in *Input) bool {
	return s.ops.hasAdmin && s.ops.statsAdmin.holds(in)
}

// StatsAccess returns the action of the first "stats http-request" rule
// whose condition holds ("allow", "deny" or "auth", with auth's realm),
// or "" when none does.
func (s *Set) StatsAccess(in *Input) (action, realm string) {
	for _, r := range s.ops.statsRules {
		if r.cond.holds(in) {
			return r.action, r.realm
		}
	}
	return "", ""
}
