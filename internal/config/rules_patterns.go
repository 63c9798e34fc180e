package config

import (
	"strings"

	"baton/internal/pattern"
)

// The pattern actions (http-request and http-response set-map, del-map,
// add-acl, del-acl) change at run time the entries of a map or ACL file
// the configuration loads, as the runtime API's "set map" and friends do.
// The file is named in parentheses; it is found once every section is
// read, since the map converter or ACL that loads it may come later.

// patternActions are the pattern actions of http-request and
// http-response.
var patternActions = map[string]actionFunc{
	"set-map": actPatternChange, "del-map": actPatternChange, "add-acl": actPatternChange, "del-acl": actPatternChange,
}

// actPatternChange reads "<key fmt>" (and set-map's "<value fmt>"); the
// file name is the parenthesised argument.
func actPatternChange(rc *ruleCtx, r *Rule, args []string) string {
	want := 1
	if r.Action == "set-map" {
		want = 2
	}
	if rc.paren == "" {
		return "missing the file name of the map or ACL to change"
	}
	if len(args) != want {
		if want == 2 {
			return "expects a key and a value log-format argument"
		}
		return "expects one key log-format argument"
	}
	r.Name = rc.p.resolvePath(rc.pos, rc.paren)
	var msg string
	if r.Key, msg = rc.format(args[0]); msg != "" {
		return msg
	}
	if want == 2 {
		r.Value, msg = rc.format(args[1])
	}
	return msg
}

// resolvePatternRefs gives each pattern action the Ref of its file. A
// file no ACL or map loads leaves the rule without one: as in HAProxy
// 2.6, which accepts it and changes nothing, the rule does nothing, with
// a warning saying so. A map action changes the file loaded as a map,
// an ACL action the file loaded as an ACL list; when the file is only
// loaded the other way, that one (HAProxy has one reference per file).
func (p *parser) resolvePatternRefs() {
	for _, st := range p.proxies {
		for _, rules := range [][]Rule{st.p.RequestRules, st.p.ResponseRules} {
			for i := range rules {
				r := &rules[i]
				if _, ok := patternActions[r.Action]; !ok {
					continue
				}
				isMap := r.Action == "set-map" || r.Action == "del-map"
				var ref *pattern.Ref
				if !strings.HasPrefix(r.Name, "#") { // a file name, not the runtime API's "#ID"
					if ref = p.cfg.Expr.Maps.Find(r.Name, isMap); ref == nil {
						ref = p.cfg.Expr.Maps.Find(r.Name, !isMap)
					}
				}
				if ref == nil {
					p.warnf(r.Pos, "%s(%s): no acl or map loads this file, so the rule changes nothing (HAProxy 2.6 changes nothing either)", r.Action, r.Name)
					continue
				}
				r.Patterns = ref
			}
		}
	}
}
