package runtime

import (
	"strings"
	"testing"

	"baton/internal/pattern"
)

type patternFake struct {
	*fakeTarget
	store *pattern.Store
}

func (p patternFake) Patterns() *pattern.Store { return p.store }

// TestMapCommands drives the map and ACL commands on a store: the
// listings, changes seen by the matchers at once, and HAProxy's errors.
func TestMapCommands(t *testing.T) {
	st := pattern.NewStore()
	m, err := st.File("/etc/hosts.map", []byte("example.com be1\nexample.org be2\n"), true, -1)
	if err != nil {
		t.Fatal(err)
	}
	mm, err := m.Matcher(pattern.Options{Method: pattern.Str, Value: pattern.ValueStr})
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.Inline("acl 'path_beg' file 'x.cfg' line 3", []string{"/api", "/v2"}, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Matcher(pattern.Options{Method: pattern.Beg}); err != nil {
		t.Fatal(err)
	}
	ft := patternFake{newFake(), st}
	run := func(line string, lvl Level) string { return Execute(ft, line, lvl) }
	steps := []struct {
		line string
		lvl  Level
		want string
	}{
		{"show map", LevelUser, "# id (file) description\n0 (/etc/hosts.map) /etc/hosts.map. curr_ver=0 next_ver=0 entry_cnt=2\n"},
		{"show acl", LevelUser, "# id (file) description\n1 () acl 'path_beg' file 'x.cfg' line 3. curr_ver=0 next_ver=0 entry_cnt=2\n"},
		{"show map /etc/hosts.map", LevelUser, "0x1 example.com be1\n0x2 example.org be2\n"},
		{"show map /nope", LevelUser, "Unknown map identifier. Please use #<id> or <file>.\n"},
		{"add map /etc/hosts.map example.net be3", LevelUser, ""}, // HAProxy 2.6 checks no level
		{"del acl #9 x", LevelOperator, "Unknown map identifier. Please use #<id> or <file>.\n"},
		{"get map /etc/hosts.map example.net", LevelUser, `type=str, case=sensitive, found=yes, idx=tree, key="example.net", value="be3", type="str"` + "\n"},
		{"set map /etc/hosts.map example.net be4", LevelOperator, ""},
		{"set map /etc/hosts.map nothere be4", LevelOperator, "entry not found.\n"},
		{"del map /etc/hosts.map #0x1", LevelOperator, ""},
		{"del map /etc/hosts.map nothere", LevelOperator, "Key not found.\n"},
		{"show map #0", LevelUser, "0x2 example.org be2\n0x3 example.net be4\n"},
		{"add map /etc/hosts.map onlykey", LevelOperator, "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n"},
		{"get acl #1 /v2/x", LevelUser, `type=beg, case=sensitive, match=yes, idx=tree, pattern="/v2"` + "\n"},
		{"del acl #1 /v2", LevelOperator, ""},
		{"get acl #1 /v2/x", LevelUser, "type=beg, case=sensitive, match=no\n"},
		{"add acl #1 /v3", LevelOperator, ""},
		{"clear acl #1", LevelOperator, ""},
		{"show acl #1", LevelUser, ""},
		{"add map @1 /etc/hosts.map a b", LevelOperator, "Versions are not supported by Baton: changes apply to the current version.\n"},
	}
	for _, s := range steps {
		if got := run(s.line, s.lvl); got != s.want {
			t.Errorf("%s:\n got %q\nwant %q", s.line, got, s.want)
		}
	}
	// The matchers see the changes.
	var scratch []byte
	l := mm.List()
	if i := l.MatchBytes([]byte("example.net"), &scratch); i < 0 || string(l.Value(i).Str) != "be4" {
		t.Errorf("the map's matcher did not see set map: %d", i)
	}
	if !IsChange("add map x a b") || !IsChange("del acl x y") || IsChange("show map") || IsChange("get acl x y") {
		t.Error("IsChange for map commands")
	}
	if h := run("help show", LevelUser); !strings.Contains(h, "show map [<map>]") {
		t.Errorf("help show:\n%s", h)
	}
}
