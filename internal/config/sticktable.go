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
	case "set-var", "set-var-fmt", "unset-var", "sc-inc-gpc0", "sc-inc-gpc1", "sc-inc-gpc", "sc-set-gpt0", "sc-set-gpt":
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
		p.errorf(l.Pos, "stick-table: peers %q: replicating tables to peers is not supported yet (Baton carries tables across reloads by itself: remove 'peers')", spec.Peers)
		return
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
	tables := map[string]bool{}
	for _, st := range p.proxies {
		if st.p.StickTable != nil {
			tables[st.p.Name] = true
		}
	}
	for _, r := range p.tableRefs {
		if !tables[r.name] {
			p.errorf(r.pos, "stick-table: unable to find table '%s' (no proxy of that name declares a stick-table)", r.name)
		}
	}
}

// Tables returns the configuration's stick tables, in file order.
func (c *Config) Tables() []*sticktable.Spec {
	var out []*sticktable.Spec
	for _, px := range c.Proxies {
		if px.StickTable != nil {
			out = append(out, &px.StickTable.Spec)
		}
	}
	return out
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
