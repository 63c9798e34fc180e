package config

import (
	"fmt"
	"strconv"
	"strings"

	"baton/internal/expr"
	"baton/internal/sticktable"
)

// Stick tables: the "stick-table" line of a proxy, the track-sc and
// sc-* rule actions, and the check that every table an expression or a
// rule names exists (package sticktable has the tables themselves).

// StickAction is what a track-sc, sc-inc-gpc or sc-set-gpt rule names
// (its key expression, or sc-set-gpt's value expression, is Rule.Expr).
type StickAction struct {
	// Counter is the sticky counter, 0 to 2.
	Counter int
	// Index is the gpc or gpt array index (sc-inc-gpc, sc-set-gpt; 0 and
	// 1 for the legacy gpc0 and gpc1 forms, 0 for gpt0).
	Index int
	// Table is the table track-sc tracks in (the proxy's own when not
	// given).
	Table string
	// Value is sc-set-gpt's integer when it has no expression.
	Value int64
}

// tableRef is a table named by a rule or an expression, checked once
// every section is read.
type tableRef struct {
	name string
	pos  Pos
}

func init() {
	proxyKeywords["stick-table"] = &proxyKeyword{sections: secF | secL | secB, parse: parseStickTable}
	for _, k := range []string{"match", "on", "store-request", "store-response"} {
		proxyKeywords["stick "+k] = &proxyKeyword{sections: secL | secB, parse: parseStickRule}
	}
}

// stickActions are the rule actions of stick tables, by rule set.
func stickActions(set string) map[string]actionFunc {
	if set == "http-after-response" {
		return nil
	}
	m := map[string]actionFunc{"sc-inc-gpc0": actSCInc, "sc-inc-gpc1": actSCInc, "sc-inc-gpc": actSCInc,
		"sc-set-gpt0": actSCSetGPT, "sc-set-gpt": actSCSetGPT}
	if set != "tcp-response content" {
		m["track-sc0"], m["track-sc1"], m["track-sc2"] = actTrack, actTrack, actTrack
	}
	return m
}

// parenActions take an argument in parentheses after their name.
func parenAction(a string) bool {
	switch a {
	case "set-var", "set-var-fmt", "unset-var", "do-resolve", "sc-inc-gpc0", "sc-inc-gpc1", "sc-inc-gpc", "sc-set-gpt0", "sc-set-gpt",
		"set-map", "del-map", "add-acl", "del-acl":
		return true
	}
	return false
}

func parseStickTable(p *parser, st *proxyState, l line, args []string, _ bool) {
	if st.p.StickTable != nil {
		p.errorf(l.Pos, "stick-table: only one stick-table per proxy (one at %s)", st.p.StickTable.Pos)
		return
	}
	spec, err := sticktable.ParseSpec(st.p.Name, args, parseTime)
	if err != nil {
		p.errorf(l.Pos, "stick-table: %v", err)
		return
	}
	if spec.Peers != "" {
		p.peersRefs = append(p.peersRefs, tableRef{name: spec.Peers, pos: l.Pos})
	}
	st.p.StickTable = &StickTable{Spec: spec, Pos: l.Pos}
}

// StickTable is a proxy's "stick-table" line.
type StickTable struct {
	sticktable.Spec
	Pos Pos
}

// tableRef records a table named on the current line ("" is the
// current proxy's) and returns its name.
func (p *parser) tableRef(name string) string {
	if name == "" && p.cur != nil {
		name = p.cur.p.Name
	}
	p.tableRefs = append(p.tableRefs, tableRef{name: name, pos: p.linePos})
	return name
}

// checkTableRefs reports the tables named but not declared.
func (p *parser) checkTableRefs() {
	p.storeServerIDs()
	p.checkUserlists()
	p.checkCaches()
	for _, st := range p.proxies {
		p.checkCookies(st)
	}
	tables := map[string]bool{}
	for _, st := range p.proxies {
		if st.p.StickTable != nil {
			tables[st.p.Name] = true
		}
	}
	for _, sp := range p.cfg.peersTables() {
		tables[sp.Name] = true
	}
	for _, r := range p.peersRefs {
		found := false
		for _, ps := range p.cfg.Peers {
			found = found || ps.Name == r.name
		}
		if !found {
			p.errorf(r.pos, "stick-table: unable to find peers section '%s'", r.name)
		}
	}
	for _, r := range p.tableRefs {
		if !tables[r.name] {
			p.errorf(r.pos, "stick-table: unable to find table '%s' (no proxy of that name declares a stick-table)", r.name)
		}
	}
}

// Tables returns the configuration's stick tables: the proxies' in file
// order, then the peers sections'.
func (c *Config) Tables() []*sticktable.Spec {
	var out []*sticktable.Spec
	for _, px := range c.Proxies {
		if px.StickTable != nil {
			out = append(out, &px.StickTable.Spec)
		}
	}
	return append(out, c.peersTables()...)
}

// actTrack parses "track-scN KEY [table NAME]".
func actTrack(rc *ruleCtx, r *Rule, args []string) string {
	n := int(rc.what[len(rc.what)-1] - '0')
	if len(args) == 0 {
		return "missing key expression"
	}
	sa := &StickAction{Counter: n}
	var msg string
	if r.Expr, msg = rc.expr(args[0]); msg != "" {
		return msg
	}
	rest := args[1:]
	if len(rest) >= 1 && rest[0] == "table" {
		if len(rest) < 2 {
			return "missing table name after 'table'"
		}
		sa.Table, rest = rest[1], rest[2:]
	}
	if len(rest) > 0 {
		return fmt.Sprintf("unexpected argument %q", rest[0])
	}
	sa.Table = rc.p.tableRef(sa.Table)
	r.Stick = sa
	return ""
}

// scArgs reads "IDX,CTR" or "CTR" in the action's parentheses.
func (rc *ruleCtx) scArgs(indexed bool) (*StickAction, string) {
	parts := strings.Split(rc.paren, ",")
	sa := &StickAction{}
	if indexed {
		if len(parts) != 2 {
			return nil, "expects an index and a sticky counter in parentheses: (IDX,SC)"
		}
		i, err := strconv.Atoi(parts[0])
		if err != nil || i < 0 || i >= 100 {
			return nil, fmt.Sprintf("invalid index %q", parts[0])
		}
		sa.Index, parts = i, parts[1:]
	}
	if len(parts) != 1 {
		return nil, "expects a sticky counter in parentheses: (SC)"
	}
	c, err := strconv.Atoi(parts[0])
	if err != nil || c < 0 || c >= sticktable.Counters {
		return nil, fmt.Sprintf("invalid sticky counter %q (0 to %d)", parts[0], sticktable.Counters-1)
	}
	sa.Counter = c
	return sa, ""
}

func actSCInc(rc *ruleCtx, r *Rule, args []string) string {
	sa, msg := rc.scArgs(r.Action == "sc-inc-gpc")
	if msg != "" {
		return msg
	}
	if r.Action == "sc-inc-gpc1" {
		sa.Index = 1
	}
	if len(args) > 0 {
		return fmt.Sprintf("unexpected argument %q", args[0])
	}
	r.Stick = sa
	return ""
}

func actSCSetGPT(rc *ruleCtx, r *Rule, args []string) string {
	sa, msg := rc.scArgs(r.Action == "sc-set-gpt")
	if msg != "" {
		return msg
	}
	if len(args) != 1 {
		return "expects an integer or a sample expression"
	}
	if v, err := strconv.ParseInt(args[0], 10, 64); err == nil {
		sa.Value = v
	} else if r.Expr, msg = rc.expr(args[0]); msg != "" {
		return msg
	}
	r.Stick = sa
	return ""
}

// stickEnv makes the expressions' table references go through the
// parser.
func (p *parser) stickEnv(env *expr.Env) { env.TableRef = p.tableRef }

// StickRule is a "stick match|on|store-request|store-response" line.
type StickRule struct {
	// Kind is "match", "on", "store-request" or "store-response".
	Kind string
	// Expr is the pattern: the key looked up or stored.
	Expr *expr.Expr
	// Table is the table (the proxy's own when not given).
	Table string
	Cond  *Condition
	Pos   Pos
}

// Match reports whether the rule looks the request up (match, on);
// StoreRequest whether it stores it (on, store-request).
func (r *StickRule) Match() bool        { return r.Kind == "match" || r.Kind == "on" }
func (r *StickRule) StoreRequest() bool { return r.Kind == "on" || r.Kind == "store-request" }

func parseStickRule(p *parser, st *proxyState, l line, args []string, _ bool) {
	kind := l.Words[1]
	what := "stick " + kind
	act, condWords := splitCond(args)
	if len(act) == 0 {
		p.errorf(l.Pos, "%s: missing pattern", what)
		return
	}
	where := expr.ServerSwitch
	if kind == "store-response" {
		where = expr.HTTPResponse
		if st.p.Mode != ModeHTTP {
			where = expr.TCPResponse
		}
	}
	r := StickRule{Kind: kind, Pos: l.Pos}
	e, err := expr.Compile(act[0], p.cfg.Expr)
	if err == nil {
		err = e.CheckWhere(st.site(where))
	}
	if err != nil {
		p.errorf(l.Pos, "%s: failed to parse sample expression <%s>: %v", what, act[0], err)
		return
	}
	r.Expr = e
	rest := act[1:]
	if len(rest) >= 2 && rest[0] == "table" {
		r.Table, rest = rest[1], rest[2:]
	}
	if len(rest) > 0 {
		p.errorf(l.Pos, "%s: unexpected argument %q", what, rest[0])
		return
	}
	r.Table = p.tableRef(r.Table)
	p.serverIDTables = append(p.serverIDTables, r.Table)
	if len(condWords) > 0 {
		c, msg := p.parseCond(st, l, condWords, st.site(where))
		if msg != "" {
			p.errorf(l.Pos, "%s: %s", what, msg)
			return
		}
		r.Cond = c
	}
	st.p.StickRules = append(st.p.StickRules, r)
}

// storeServerIDs makes the tables stick rules name store server_id, as
// HAProxy enables it when a rule refers to a table.
func (p *parser) storeServerIDs() {
	for _, name := range p.serverIDTables {
		for _, st := range p.proxies {
			if t := st.p.StickTable; t != nil && st.p.Name == name {
				if _, ok := t.Has(sticktable.DServerID); !ok {
					t.Store = append(t.Store, sticktable.Store{Type: sticktable.DServerID, N: 1})
				}
			}
		}
	}
}
