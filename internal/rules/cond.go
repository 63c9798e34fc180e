package rules

import (
	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/pattern"
)

// line is one compiled ACL line: a criterion, a match method and the
// pattern lists it is matched against.
type line struct {
	e      *expr.Expr
	method pattern.Method
	lists  []*pattern.Matcher
}

// tri is a condition's outcome while data may still arrive: HAProxy's
// ACL_TEST_PASS, FAIL and MISS (not decidable yet).
type tri uint8

const (
	triFail tri = iota
	triPass
	triMiss
)

func boolTri(b bool) tri {
	if b {
		return triPass
	}
	return triFail
}

func not3(v tri) tri {
	switch v {
	case triPass:
		return triFail
	case triFail:
		return triPass
	}
	return triMiss
}

// match evaluates the line: every value of the criterion (an ACL walks
// them all) against every list. A value that may still change (TCP
// content not final) makes a non-match a miss.
func (l *line) match(in *Input, final bool) tri {
	it := expr.Iter{Iterate: true}
	res := triFail
	for {
		var s expr.Sample
		if !l.e.Next(&in.Ctx, &it, &s) {
			if s.MayChange && !final {
				res = triMiss
			}
			return res
		}
		if l.matchSample(in, &s) {
			return triPass
		}
		if s.MayChange && !final {
			res = triMiss
		}
		if !it.More {
			return res
		}
	}
}

// matchSample casts the value to what the method compares and looks it
// up; a value that cannot be cast does not match.
func (l *line) matchSample(in *Input, s *expr.Sample) bool {
	c := &in.Ctx
	switch l.method {
	case pattern.Found:
		return true
	case pattern.Bool:
		return c.Cast(s, expr.Int) && s.Int != 0
	case pattern.Int:
		if !c.Cast(s, expr.Int) {
			return false
		}
		for _, m := range l.lists {
			if m.List().MatchInt(s.Int) >= 0 {
				return true
			}
		}
	case pattern.IP:
		if !c.Cast(s, expr.Addr) {
			return false
		}
		for _, m := range l.lists {
			if m.List().MatchIP(s.IP) >= 0 {
				return true
			}
		}
	default:
		to := expr.Str
		if l.method == pattern.Bin {
			to = expr.Bin
		}
		if !c.Cast(s, to) {
			return false
		}
		for _, m := range l.lists {
			if m.List().MatchBytes(s.Bytes, &in.fold) >= 0 {
				return true
			}
		}
	}
	return false
}

// term is one term of a condition: the lines of an ACL usable where the
// condition is (a line reading data that never exists there cannot
// match, as in HAProxy), possibly negated.
type term struct {
	negate bool
	lines  []*line
}

func (t *term) eval(in *Input, final bool) tri {
	res := triFail
	for _, l := range t.lines {
		v := l.match(in, final)
		if v == triPass {
			res = triPass
			break
		}
		if v == triMiss {
			res = triMiss
		}
	}
	if t.negate {
		return not3(res)
	}
	return res
}

// cond is a compiled condition: an OR of AND-ed terms.
type cond struct {
	unless bool
	or     [][]term
}

// eval3 evaluates the condition in three states: an AND fails on any
// failing term, else misses on any missing one; an OR passes on any
// passing alternative, else misses on any missing one; "!" and "unless"
// keep a miss a miss.
func (c *cond) eval3(in *Input, final bool) tri {
	if c == nil {
		return triPass
	}
	res := triFail
	for _, and := range c.or {
		r := triPass
		for i := range and {
			v := and[i].eval(in, final)
			if v == triFail {
				r = triFail
				break
			}
			if v == triMiss {
				r = triMiss
			}
		}
		if r == triPass {
			res = triPass
			break
		}
		if r == triMiss {
			res = triMiss
		}
	}
	if c.unless {
		res = not3(res)
	}
	return res
}

// holds evaluates the condition with the data final.
func (c *cond) holds(in *Input) bool { return c.eval3(in, true) == triPass }

// compiler caches compiled ACL lines so every reference shares them.
type compiler struct {
	lines map[*config.ACL]*line
}

func (cp *compiler) line(a *config.ACL) *line {
	if l := cp.lines[a]; l != nil {
		return l
	}
	l := &line{e: a.Expr, method: a.Method, lists: a.Matchers}
	cp.lines[a] = l
	return l
}

// cond compiles a condition for the rule set at where.
func (cp *compiler) cond(cd *config.Condition, where expr.Where) *cond {
	if cd == nil {
		return nil
	}
	out := &cond{unless: cd.Unless}
	for _, and := range cd.Or {
		var ts []term
		for _, t := range and {
			tm := term{negate: t.Negate}
			for _, a := range t.ACLs {
				if a.Expr.CheckWhere(where) == nil {
					tm.lines = append(tm.lines, cp.line(a))
				}
			}
			ts = append(ts, tm)
		}
		out.or = append(out.or, ts)
	}
	return out
}
