package runtime

import (
	"fmt"
	"strings"

	"baton/internal/pattern"
)

// The map and ACL commands ("show map", "add acl", ...) act on the
// pattern files and ACL values of the serving generation, in HAProxy
// 2.6's words. A change lasts until the next reload, which reads the
// files again, as in HAProxy. Versions ("@ver", "prepare", "commit") and
// payloads are not supported. As in HAProxy 2.6, every level may run
// them (HAProxy checks no level for the map and ACL commands).

// PatternTarget is a Target whose patterns the map and ACL commands can
// reach; a Target without them answers as if it had none.
type PatternTarget interface {
	Patterns() *pattern.Store
}

// patternCommands join the command table (commands.go).
var patternCommands = []*command{
	{words: w("add acl"), usage: "add acl <acl> <pattern>", help: "add an acl entry", level: LevelUser, change: true, run: addPattern(false)},
	{words: w("add map"), usage: "add map <map> <key> <val>", help: "add a map entry", level: LevelUser, change: true, run: addPattern(true)},
	{words: w("clear acl"), usage: "clear acl <acl>", help: "clear the contents of this acl", level: LevelUser, change: true, run: clearPatterns(false)},
	{words: w("clear map"), usage: "clear map <map>", help: "clear the contents of this map", level: LevelUser, change: true, run: clearPatterns(true)},
	{words: w("del acl"), usage: "del acl <acl> [<key>|#<ref>]", help: "delete acl entries matching <key>", level: LevelUser, change: true, run: delPattern(false)},
	{words: w("del map"), usage: "del map <map> [<key>|#<ref>]", help: "delete map entries matching <key>", level: LevelUser, change: true, run: delPattern(true)},
	{words: w("get acl"), usage: "get acl <acl> <value>", help: "report the patterns matching a sample for an ACL", level: LevelUser, run: getPattern(false)},
	{words: w("get map"), usage: "get map <map> <value>", help: "report the keys and values matching a sample for a map", level: LevelUser, run: getPattern(true)},
	{words: w("set map"), usage: "set map <map> [<key>|#<ref>] <value>", help: "modify a map entry", level: LevelUser, change: true, run: setMap},
	{words: w("show acl"), usage: "show acl [<acl>]", help: "report available acls or dump an acl's contents", level: LevelUser, run: showPatterns(false)},
	{words: w("show map"), usage: "show map [<map>]", help: "report available maps or dump a map's contents", level: LevelUser, run: showPatterns(true)},
}

// kind names a map or an ACL in messages.
func kind(isMap bool) string {
	if isMap {
		return "map"
	}
	return "ACL"
}

// findRef resolves a map or ACL identifier ("#ID" or a file name).
func findRef(x *call, id string, isMap bool) (*pattern.Ref, string) {
	if strings.HasPrefix(id, "@") {
		return nil, "Versions are not supported by Baton: changes apply to the current version.\n"
	}
	pt, ok := x.t.(PatternTarget)
	var r *pattern.Ref
	if ok && pt.Patterns() != nil {
		r = pt.Patterns().Find(id, isMap)
	}
	if r == nil {
		return nil, fmt.Sprintf("Unknown %s identifier. Please use #<id> or <file>.\n", kind(isMap))
	}
	return r, ""
}

func showPatterns(isMap bool) func(x *call) string {
	return func(x *call) string {
		if len(x.args) == 0 {
			var b strings.Builder
			b.WriteString("# id (file) description\n")
			if pt, ok := x.t.(PatternTarget); ok && pt.Patterns() != nil {
				for _, r := range pt.Patterns().Refs() {
					if r.IsMap != isMap {
						continue
					}
					fmt.Fprintf(&b, "%d (%s) %s. curr_ver=0 next_ver=0 entry_cnt=%d\n", r.ID, r.Name, r.Display, len(r.Entries()))
				}
			}
			return b.String()
		}
		r, msg := findRef(x, x.args[0], isMap)
		if msg != "" {
			return msg
		}
		var b strings.Builder
		for _, e := range r.Entries() {
			if r.IsMap {
				fmt.Fprintf(&b, "0x%x %s %s\n", e.ID, e.Key, e.Value)
			} else {
				fmt.Fprintf(&b, "0x%x %s\n", e.ID, e.Key)
			}
		}
		return b.String()
	}
}

func addPattern(isMap bool) func(x *call) string {
	return func(x *call) string {
		if isMap && len(x.args) < 3 {
			return "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n"
		}
		if !isMap && len(x.args) < 2 {
			return "'add acl' expects two parameters: ACL identifier and pattern.\n"
		}
		r, msg := findRef(x, x.args[0], isMap)
		if msg != "" {
			return msg
		}
		value := ""
		if isMap {
			value = strings.Join(x.args[2:], " ")
		}
		return answer(true, r.Add(x.args[1], value), "")
	}
}

func delPattern(isMap bool) func(x *call) string {
	return func(x *call) string {
		if len(x.args) < 2 {
			return fmt.Sprintf("This command expects two parameters: %s identifier and key.\n", kind(isMap))
		}
		r, msg := findRef(x, x.args[0], isMap)
		if msg != "" {
			// HAProxy's "del acl" names a map in this one message.
			return strings.Replace(msg, "Unknown ACL", "Unknown map", 1)
		}
		found, err := r.Del(x.args[1])
		return answer(found, err, "Key not found.\n")
	}
}

// answer is a change's answer: the error, notFound when no entry had the
// key, or nothing.
func answer(found bool, err error, notFound string) string {
	switch {
	case err != nil:
		return err.Error() + ".\n"
	case !found:
		return notFound
	}
	return ""
}

func setMap(x *call) string {
	if len(x.args) < 3 {
		return "'set map' expects three parameters: map identifier, key and value.\n"
	}
	r, msg := findRef(x, x.args[0], true)
	if msg != "" {
		return msg
	}
	found, err := r.Set(x.args[1], strings.Join(x.args[2:], " "))
	return answer(found, err, "entry not found.\n")
}

func clearPatterns(isMap bool) func(x *call) string {
	return func(x *call) string {
		if len(x.args) < 1 {
			return fmt.Sprintf("Missing %s identifier.\n", kind(isMap))
		}
		r, msg := findRef(x, x.args[0], isMap)
		if msg != "" {
			return msg
		}
		return answer(true, r.Clear(), "")
	}
}

func getPattern(isMap bool) func(x *call) string {
	return func(x *call) string {
		if len(x.args) < 2 {
			return fmt.Sprintf("Missing %s identifier and/or key.\n", kind(isMap))
		}
		r, msg := findRef(x, x.args[0], isMap)
		if msg != "" {
			return msg
		}
		var b strings.Builder
		for _, lk := range r.Lookup(strings.Join(x.args[1:], " ")) {
			fmt.Fprintf(&b, "type=%s", lk.Options.Method)
			if lk.Options.Fold {
				b.WriteString(", case=insensitive")
			} else {
				b.WriteString(", case=sensitive")
			}
			what := "match"
			if isMap {
				what = "found"
			}
			if !lk.Found {
				fmt.Fprintf(&b, ", %s=no\n", what)
				continue
			}
			idx := "list"
			if m := lk.Options.Method; m == pattern.Str || m == pattern.IP || m == pattern.Beg && !lk.Options.Fold {
				idx = "tree"
			}
			if isMap {
				fmt.Fprintf(&b, ", found=yes, idx=%s, key=%q, value=%q, type=%q\n", idx, lk.Entry.Key, lk.Entry.Value, valueType(lk.Options.Value))
			} else {
				fmt.Fprintf(&b, ", match=yes, idx=%s, pattern=%q\n", idx, lk.Entry.Key)
			}
		}
		return b.String()
	}
}

func valueType(v pattern.ValueType) string {
	switch v {
	case pattern.ValueInt:
		return "sint"
	case pattern.ValueIP:
		return "ip"
	}
	return "str"
}
