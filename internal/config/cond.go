package config

import (
	"fmt"

	"baton/internal/expr"
)

// parseCond reads "if|unless TERMS" where terms are ANDed, "||" or "or"
// separates alternatives, "!" negates and "{ ... }" is an anonymous ACL.
// A term is a declared ACL, or one of HAProxy's predefined ones. where is
// the rule set the condition belongs to: an ACL reading only data that
// never exists there gets HAProxy's "will never match" warning.
func (p *parser) parseCond(st *proxyState, l line, w []string, where expr.Where) (*Condition, string) {
	c := &Condition{Pos: l.Pos}
	switch w[0] {
	case "if":
	case "unless":
		c.Unless = true
	default:
		return nil, fmt.Sprintf("unexpected %q (expected if or unless)", w[0])
	}
	w = w[1:]
	if len(w) == 0 {
		return nil, fmt.Sprintf("%q needs a condition", map[bool]string{false: "if", true: "unless"}[c.Unless])
	}
	site := where.Name
	if st.p.Kind != 0 {
		site = st.p.Kind.String() + " " + where.Name
	}
	var group []Term
	neg := false
	for len(w) > 0 {
		t := w[0]
		w = w[1:]
		if len(t) > 1 && t[0] == '!' {
			neg, t = !neg, t[1:]
		}
		switch {
		case t == "||" || t == "or":
			if len(group) == 0 || neg {
				return nil, fmt.Sprintf("%q without a term before it", t)
			}
			c.Or = append(c.Or, group)
			group = nil
			continue
		case t == "!":
			neg = !neg
			continue
		case t == "{":
			end := -1
			for i, x := range w {
				if x == "}" {
					end = i
					break
				}
			}
			if end < 0 {
				return nil, "anonymous ACL: missing '}'"
			}
			a, msg := p.parseACL(w[:end], l.Pos, "anonymous acl")
			if msg != "" {
				return nil, "anonymous ACL: " + msg
			}
			w = w[end+1:]
			st.anonACL = append(st.anonACL, a)
			if a.Expr.CheckWhere(where) != nil {
				p.warnf(l.Pos, "anonymous acl will never match because it uses keyword '%s' which is incompatible with '%s'", a.Expr.FetchName(), site)
			}
			group = append(group, Term{Negate: neg, ACLs: []*ACL{a}})
			neg = false
			continue
		case t == "}":
			return nil, "unexpected '}'"
		}
		if lines, ok := st.acls[t]; ok {
			never := true
			for _, a := range lines {
				if a.Expr.CheckWhere(where) == nil {
					never = false
				}
			}
			if never {
				p.warnf(l.Pos, "acl '%s' will never match because it only involves keywords that are incompatible with '%s'", t, site)
			}
			group = append(group, Term{Negate: neg, Name: t})
		} else if a := p.predefinedACL(t, l.Pos); a != nil {
			group = append(group, Term{Negate: neg, Name: t, ACLs: []*ACL{a}})
		} else {
			return nil, fmt.Sprintf("ACL %q is not declared (declare it with acl before this line)", t)
		}
		neg = false
	}
	if len(group) == 0 || neg {
		return nil, "condition ends without a term"
	}
	c.Or = append(c.Or, group)
	// Named terms are resolved when the section ends; remember them.
	for i := range c.Or {
		for j := range c.Or[i] {
			if tm := &c.Or[i][j]; tm.Name != "" && tm.ACLs == nil {
				st.terms = append(st.terms, tm)
			}
		}
	}
	return c, ""
}

// splitCond splits rule arguments at the first "if" or "unless".
func splitCond(args []string) (action, cond []string) {
	for i, a := range args {
		if a == "if" || a == "unless" {
			return args[:i], args[i:]
		}
	}
	return args, nil
}
