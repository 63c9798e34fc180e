package e2e_test

import (
	"regexp"
	"strings"
	"testing"

	"baton/test/harness"
)

// TestPatternActions: http-request set-map, del-map, add-acl and del-acl
// and http-response add-acl change the map and ACL files the
// configuration loads; the next request's map converter and ACL see the
// change, and so does the runtime API's "show map" and "show acl".
func TestPatternActions(t *testing.T) {
	set := func(key, val string) req {
		return req{path: "/set", headers: []string{"X-Key: " + key, "X-Val: " + val}, status: 200, backend: "-"}
	}
	op := func(path, key string) req {
		return req{path: path, headers: []string{"X-Key: " + key}, status: 200, backend: "-"}
	}
	host := func(h, backend string) req {
		return req{path: "/", headers: []string{"Host: " + h}, status: 200, backend: backend}
	}
	private := func(key string, status int, backend string) req {
		return req{path: "/private", headers: []string{"X-Key: " + key}, status: status, backend: backend}
	}
	run(t, []scenario{{
		name:  "set-map-del-map-add-acl-del-acl",
		files: map[string]string{"hosts.map": "a.example api\n", "allow.lst": "", "seen.lst": ""},
		cfg: strings.Replace(base, "    maxconn 1000\n", "    maxconn 1000\n    stats socket ${FILES}/admin.sock level admin\n", 1) + `
frontend fe
    bind ${FE}
    acl allowed req.hdr(x-key) -f ${FILES}/allow.lst
    http-request set-map(${FILES}/hosts.map) %[req.hdr(x-key)] %[req.hdr(x-val)] if { path /set }
    http-request del-map(${FILES}/hosts.map) %[req.hdr(x-key)] if { path /del }
    http-request add-acl(${FILES}/allow.lst) %[req.hdr(x-key)] if { path /add }
    http-request del-acl(${FILES}/allow.lst) %[req.hdr(x-key)] if { path /dela }
    http-request return status 200 if { path /set /del /add /dela }
    http-request deny if { path /private } !allowed
    http-response add-acl(${FILES}/seen.lst) %[res.hdr(x-backend)]
    http-response set-header x-seen yes if { res.hdr(x-backend) -f ${FILES}/seen.lst }
    use_backend %[req.hdr(host),map(${FILES}/hosts.map,app)]
` + threeBackends,
		requests: []req{
			host("a.example", "s2"),
			host("b.example", "s1"),
			set("b.example", "static"),
			host("b.example", "s3"),
			set("a.example", "static"), // replaces the file's value
			host("a.example", "s3"),
			set("a.example", "static"), // unchanged
			op("/del", "b.example"),
			host("b.example", "s1"),
			op("/del", "nothing.example"),
			private("k1", 403, "-"),
			op("/add", "k1"),
			op("/add", "k1"), // already there: not added twice
			op("/add", "k2"),
			private("k1", 200, "s1"),
			op("/dela", "k1"),
			private("k1", 403, "-"),
			private("k2", 200, "s1"),
		},
		check: func(e *env) {
			sock := e.addrs["FILES"] + "/admin.sock"
			entries := func(cmd string) []string {
				var out []string
				hex := regexp.MustCompile(`^0x[0-9a-f]+ `)
				for _, l := range strings.Split(harness.SocketCommand(e.t, sock, cmd), "\n") {
					if l = strings.TrimSpace(l); l != "" {
						out = append(out, hex.ReplaceAllString(l, ""))
					}
				}
				return out
			}
			files := e.addrs["FILES"]
			if got := entries("show map " + files + "/hosts.map"); strings.Join(got, "|") != "a.example static" {
				e.t.Errorf("show map hosts.map: %q, want [a.example static]", got)
			}
			if got := entries("show acl " + files + "/allow.lst"); strings.Join(got, "|") != "k2" {
				e.t.Errorf("show acl allow.lst: %q, want [k2]", got)
			}
			// Every response added its server; the response rule after
			// the add-acl sees the entry at once.
			if got := entries("show acl " + files + "/seen.lst"); strings.Join(got, "|") != "s2|s1|s3" {
				e.t.Errorf("show acl seen.lst: %q, want [s2 s1 s3]", got)
			}
			e.do(req{path: "/", headers: []string{"Host: c.example"}, status: 200, backend: "s1", hdrs: []string{"X-Seen: yes"}})
		},
	}})
}
