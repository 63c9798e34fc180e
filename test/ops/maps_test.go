package ops_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mapsConfig routes by a map of hosts and refuses the paths of an ACL
// file and of inline ACL values; ${MAP} and ${LST} are the files.
const mapsConfig = `
global
    stats socket ${SOCK} level admin
` + httpDefaults + `
frontend fe
    bind ${FE}
    acl private path_beg /private /admin
    http-request deny if { path_beg -f ${LST} } || private { src 127.0.0.1 }
    http-request set-header x-tier %[req.hdr(host),lower,map_beg(${MAP},none)]
    use_backend %[req.hdr(host),lower,map(${MAP},app)]
backend app
    server s ${APP}
backend api
    server s ${API}
backend static
    server s ${STATIC}
`

// writeMaps writes the map and ACL files of mapsConfig into dir.
func writeMaps(t *testing.T, dir, mapText string) map[string]string {
	t.Helper()
	files := map[string]string{"MAP": filepath.Join(dir, "hosts.map"), "LST": filepath.Join(dir, "blocked.lst")}
	if err := os.WriteFile(files["MAP"], []byte(mapText), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files["LST"], []byte("/blocked\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return files
}

// routeOf sends one request and returns the backend's label, or "403".
func routeOf(t *testing.T, p *proc, host, path string) string {
	t.Helper()
	r := rawRequest(t, p.addrs["FE"], "GET "+path+" HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n")
	if strings.HasPrefix(r, "HTTP/1.1 403") {
		return "403"
	}
	m := regexp.MustCompile(`(?i)\r\nx-backend: (\S+)`).FindStringSubmatch(r)
	if m == nil {
		return "?"
	}
	return m[1]
}

var (
	entryIDs = regexp.MustCompile(`(?m)^0x[0-9a-f]+ `)            // HAProxy shows addresses
	refIDs   = regexp.MustCompile(`(?m)^[0-9]+ \(`)               // HAProxy numbers its own ACLs too
	cfgPath  = regexp.MustCompile(`'[^']*/(baton|haproxy)\.cfg'`) // each proxy's own file
	internal = regexp.MustCompile(`(?m)^.*file 'httpclient'.*\n`) // HAProxy's internal ACLs
)

// normMaps hides what differs by design between the proxies' answers:
// entry and reference ids and the configuration file's path.
func normMaps(s string) string {
	s = internal.ReplaceAllString(s, "")
	s = entryIDs.ReplaceAllString(s, "ID ")
	s = refIDs.ReplaceAllString(s, "N (")
	return cfgPath.ReplaceAllString(s, "'CFG'")
}

// TestMapCommandsAgainstHAProxy changes a map, an ACL file and inline ACL
// values through the runtime API of Baton and HAProxy 2.6 with the same
// configuration: the answers match (entry and reference ids and the
// configuration's path aside) and requests follow the changes at once.
func TestMapCommandsAgainstHAProxy(t *testing.T) {
	files := writeMaps(t, t.TempDir(), "a.example api\nb.example static\n")
	mapFile, aclFile := files["MAP"], files["LST"]
	shared := map[string]string{"APP": origin(t, "app"), "API": origin(t, "api"), "STATIC": origin(t, "static"), "MAP": mapFile, "LST": aclFile}
	ps := startPair(t, mapsConfig, shared, "FE")
	at := func(line int) string {
		return "pattern loaded from file '" + mapFile + "' used by map at file 'CFG' line " + string(rune('0'+line/10)) + string(rune('0'+line%10))
	}
	for _, step := range []struct{ line, want string }{
		{"show map", "# id (file) description\nN (" + mapFile + ") " + at(15) + ", by map at file 'CFG' line 16. curr_ver=0 next_ver=0 entry_cnt=2\n"},
		{"show acl", "# id (file) description\n" +
			"N () acl 'path_beg' file 'CFG' line 13. curr_ver=0 next_ver=0 entry_cnt=2\n" +
			"N (" + aclFile + ") pattern loaded from file '" + aclFile + "' used by acl at file 'CFG' line 14. curr_ver=0 next_ver=0 entry_cnt=1\n" +
			"N () acl 'path_beg' file 'CFG' line 14. curr_ver=0 next_ver=0 entry_cnt=0\n" +
			"N () acl 'src' file 'CFG' line 14. curr_ver=0 next_ver=0 entry_cnt=1\n"},
		{"show map " + mapFile, "ID a.example api\nID b.example static\n"},
		{"add map " + mapFile + " c.example static", ""},
		{"set map " + mapFile + " a.example static", ""},
		{"set map " + mapFile + " nothere x", "entry not found.\n"},
		{"del map " + mapFile + " b.example", ""},
		{"del map " + mapFile + " b.example", "Key not found.\n"},
		{"show map " + mapFile, "ID a.example static\nID c.example static\n"},
		{"show map /nope.map", "Unknown map identifier. Please use #<id> or <file>.\n"},
		{"add map " + mapFile + " onlykey", "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n"},
		{"add acl " + aclFile + " /extra", ""},
		{"show acl " + aclFile, "ID /blocked\nID /extra\n"},
		{"show acl #0", "ID /private\nID /admin\n"},
		{"del acl #0 /admin", ""},
		{"del acl /nope.lst /x", "Unknown map identifier. Please use #<id> or <file>.\n"},
		{"add acl #3 not-an-ip", "'not-an-ip' is not a valid IPv4 or IPv6 address.\n"},
		{"get map " + mapFile + " c.example", `type=beg, case=sensitive, found=yes, idx=tree, key="c.example", value="static", type="str"` + "\n" +
			`type=str, case=sensitive, found=yes, idx=tree, key="c.example", value="static", type="str"` + "\n"},
		{"get map " + mapFile + " z.example", "type=beg, case=sensitive, found=no\ntype=str, case=sensitive, found=no\n"},
		{"get acl #0 /private/x", `type=beg, case=sensitive, match=yes, idx=tree, pattern="/private"` + "\n"},
		{"get acl #0 /admin", "type=beg, case=sensitive, match=no\n"},
		{"clear acl " + aclFile, ""},
		{"show acl " + aclFile, ""},
		{"add acl " + aclFile + " /gone", ""},
		{"clear map /nope.map", "Unknown map identifier. Please use #<id> or <file>.\n"},
	} {
		out := both(t, ps, step.line)
		for name, got := range out {
			if name == "haproxy" && step.line == "show map" {
				// HAProxy 2.6 counts a file's entries once per converter
				// using it (two here); Baton counts the entries.
				got = strings.Replace(got, "entry_cnt=4", "entry_cnt=2", 1)
			}
			if normMaps(got) != step.want+"\n" { // an answer ends with an empty line
				t.Errorf("%s: %s answered %q, want %q", step.line, name, got, step.want)
			}
		}
	}
	for _, p := range ps {
		for _, c := range []struct{ host, path, want string }{
			{"a.example", "/", "static"}, {"b.example", "/", "app"}, {"c.example", "/", "static"},
			{"x.example", "/extra/x", "app"}, {"x.example", "/blocked", "app"}, {"x.example", "/gone", "403"},
			{"x.example", "/private/x", "403"}, {"x.example", "/admin", "app"}, {"x.example", "/", "app"},
		} {
			if got := routeOf(t, p, c.host, c.path); got != c.want {
				t.Errorf("%s: %s%s went to %s, want %s", p.name, c.host, c.path, got, c.want)
			}
		}
	}
}

// TestMapChangesAcrossReload: Baton, like HAProxy, reads the files again
// on a reload, so runtime changes last until then; the files are what
// the new generation serves (an operator writes a change to the file too
// to keep it).
func TestMapChangesAcrossReload(t *testing.T) {
	dir := t.TempDir()
	files := writeMaps(t, dir, "a.example api\n")
	vars := map[string]string{"APP": origin(t, "app"), "API": origin(t, "api"), "STATIC": origin(t, "static"), "MAP": files["MAP"], "LST": files["LST"]}
	p := startBaton(t, mapsConfig, vars, "FE")
	reload := func() {
		t.Helper()
		vars["SOCK"], vars["FE"] = p.sock, p.addrs["FE"]
		p.baton.WriteConfig(fill(mapsConfig, vars))
		if out, code := p.baton.Reload(); code != 0 {
			t.Fatalf("reload: %s", out)
		}
	}
	for _, c := range []string{"add map " + files["MAP"] + " b.example static", "set map " + files["MAP"] + " a.example static", "add acl " + files["LST"] + " /x"} {
		if out := p.cmd(t, c); out != "\n" {
			t.Fatalf("%s: %q", c, out)
		}
	}
	check := func(when string, want map[string]string) {
		t.Helper()
		for hostPath, w := range want {
			host, path, _ := strings.Cut(hostPath, "/")
			if got := routeOf(t, p, host, "/"+path); got != w {
				t.Errorf("%s: %s went to %s, want %s", when, hostPath, got, w)
			}
		}
	}
	check("after the runtime changes", map[string]string{"a.example/": "static", "b.example/": "static", "c.example/x": "403"})

	reload()
	if got := normMaps(p.cmd(t, "show map "+files["MAP"])); got != "ID a.example api\n\n" {
		t.Errorf("the map after a reload: %q, want the file's entries", got)
	}
	check("after a reload", map[string]string{"a.example/": "api", "b.example/": "app", "c.example/x": "app"})

	// The file changed: the reload serves its new entries.
	if err := os.WriteFile(files["MAP"], []byte("b.example static\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reload()
	check("after a reload with the file changed", map[string]string{"a.example/": "app", "b.example/": "static"})
	// A broken map file fails the reload and the running generation keeps
	// its map, runtime changes included.
	if out := p.cmd(t, "add map "+files["MAP"]+" d.example api"); out != "\n" {
		t.Fatalf("add map: %q", out)
	}
	if err := os.Remove(files["MAP"]); err != nil {
		t.Fatal(err)
	}
	p.baton.WriteConfig(fill(mapsConfig, vars))
	if out, code := p.baton.Reload(); code == 0 {
		t.Fatalf("a reload without the map file succeeded: %s", out)
	}
	check("after a failed reload", map[string]string{"d.example/": "api", "b.example/": "static"})
}
