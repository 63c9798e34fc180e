package rules

import "baton/internal/config"

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

func (c *compiler) compileOps(p *config.Proxy, o *opsConds) error {
	for _, mf := range p.MonitorFail {
		cd, err := c.cond(mf)
		if err != nil {
			return err
		}
		o.monitorFail = append(o.monitorFail, cd)
	}
	if p.Stats == nil {
		return nil
	}
	if p.Stats.Admin != nil {
		cd, err := c.cond(p.Stats.Admin)
		if err != nil {
			return err
		}
		o.statsAdmin, o.hasAdmin = cd, true
	}
	for _, r := range p.Stats.Rules {
		cd, err := c.cond(r.Cond)
		if err != nil {
			return err
		}
		o.statsRules = append(o.statsRules, statsRule{action: r.Action, realm: r.Realm, cond: cd})
	}
	return nil
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
