package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPatternActionsParse: set-map, del-map, add-acl and del-acl find
// the file a converter or an ACL loads, wherever it is loaded; the
// errors and the warning for a file nothing loads.
func TestPatternActionsParse(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"h.map", "a.lst"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, a := filepath.Join(dir, "h.map"), filepath.Join(dir, "a.lst")
	use := "  acl ok hdr(x) -f " + a + "\n  http-request set-header y %[hdr(x),map(" + m + ")] if ok\n"
	tests := []struct {
		name, rules string
		err, warn   string
	}{
		{"set-map before the map", "  http-request set-map(" + m + ") %[hdr(x)] %[hdr(y)]\n" + use, "", ""},
		{"all four", "  http-response set-map(" + m + ") a b\n  http-request del-map(" + m + ") a\n  http-request add-acl(" + a + ") a\n  http-response del-acl(" + a + ") a\n" + use, "", ""},
		{"acl action on a map file", "  http-request add-acl(" + m + ") a\n" + use, "", ""},
		{"not loaded", "  http-request set-map(" + dir + "/none.map) a b\n" + use, "", "no acl or map loads this file, so the rule changes nothing"},
		{"an id is no file", "  http-request set-map(\\#0) a b\n" + use, "", "no acl or map loads this file"},
		{"no file", "  http-request set-map a b\n", "t.cfg:7: http-request set-map: missing the file name, e.g. set-map(hosts.map)", ""},
		{"empty file", "  http-request del-map() a\n", "t.cfg:7: http-request del-map: missing the file name of the map or ACL to change", ""},
		{"no value", "  http-request set-map(" + m + ") a\n" + use, "t.cfg:7: http-request set-map: expects a key and a value log-format argument", ""},
		{"two keys", "  http-request add-acl(" + a + ") a b\n" + use, "t.cfg:7: http-request add-acl: expects one key log-format argument", ""},
		{"not after response", "  http-after-response set-map(" + m + ") a b\n" + use, `t.cfg:7: unknown http-after-response "set-map"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("t.cfg", []byte(base+tt.rules))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			warns := strings.Join(c.Warnings, "|")
			if tt.warn != "" && !strings.Contains(warns, tt.warn) || tt.warn == "" && strings.Contains(warns, "changes nothing") {
				t.Errorf("warnings %q, want %q", warns, tt.warn)
			}
			for _, px := range c.Proxies {
				for _, r := range append(px.RequestRules, px.ResponseRules...) {
					if r.Key != nil && (r.Patterns == nil) != (tt.warn != "") {
						t.Errorf("%s: Patterns %v", r.Pos, r.Patterns)
					}
				}
			}
		})
	}
}
