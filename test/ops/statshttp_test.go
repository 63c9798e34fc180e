package ops_test

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"baton/test/harness"
)

const statsHTTPConfig = `global
    stats socket ${SOCK} level admin
` + httpDefaults + `
listen fe
    bind ${FE}
    default_backend app
    stats enable
    stats uri /admin?stats
    stats realm Ops\ Area
    stats auth ops:secret
    stats refresh 5s
    stats hide-version
    stats scope app
    stats admin if TRUE

listen gate
    bind ${GATE}
    stats uri /
    stats http-request deny if { hdr(x-deny) 1 }
    stats http-request auth realm Gate if { hdr(x-auth) 1 }

backend app
    server s1 ${S1}
    server s2 ${S2} disabled

backend other
    server o1 ${S1}
`

// TestStatsPageAgainstHAProxy requests the statistics page of Baton and
// HAProxy 2.6 on the same configuration and compares what a client or a
// script sees: access (stats http-request, auth, realm), the refresh
// header and ;norefresh, hide-version, scope, ;csv ;json ;up, and the
// admin form's answer and effect.
func TestStatsPageAgainstHAProxy(t *testing.T) {
	shared := map[string]string{"S1": origin(t, "s1"), "S2": origin(t, "s2")}
	ps := startPair(t, statsHTTPConfig, shared, "FE", "GATE")
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("ops:secret"))
	type answer struct {
		status                         int
		ctype, refresh, auth, location string
	}
	seen := map[string]map[string]answer{}
	for _, p := range ps {
		seen[p.name] = map[string]answer{}
		on := func(fe, key, method, path, body string, headers ...string) *harness.Response {
			raw := harness.Request(method, path, append(headers, "Connection: close")...)
			if body != "" {
				raw += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n"
			}
			r := harness.RoundTrip(t, p.addrs[fe], raw+"\r\n"+body)
			seen[p.name][key] = answer{status: r.Status, ctype: r.Get("Content-Type"), refresh: r.Get("Refresh"),
				auth: r.Get("WWW-Authenticate"), location: r.Get("Location")}
			return r
		}
		page := func(key, method, path, body string, headers ...string) *harness.Response {
			return on("FE", key, method, path, body, headers...)
		}
		page("no credentials", "GET", "/admin?stats", "")
		page("wrong password", "GET", "/admin?stats", "", "Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte("ops:nope")))
		on("GATE", "gate denied", "GET", "/", "", "X-Deny: 1", "X-Auth: 1")
		on("GATE", "gate auth", "GET", "/", "", "X-Auth: 1")
		on("GATE", "gate open", "GET", "/;csv", "")
		html := page("html", "GET", "/admin?stats", "", auth)
		if body := string(html.Body); !strings.Contains(body, "app") || strings.Contains(body, ">other<") {
			t.Errorf("%s: stats scope app: the page shows other proxies", p.name)
		}
		if strings.Contains(string(html.Body), "version") && strings.Contains(string(html.Body), "2.6") {
			t.Errorf("%s: hide-version: the page shows a version", p.name)
		}
		page("norefresh", "GET", "/admin?stats;norefresh", "", auth)
		csv := page("csv", "GET", "/admin?stats;csv", "", auth)
		h, rows, order := csvRows(t, string(csv.Body))
		if strings.Join(order, " ") != "app/s1 app/s2 app/BACKEND" {
			t.Errorf("%s: ;csv with scope app: rows %v", p.name, order)
		}
		if col(t, h, rows["app/s2"], "status") != "MAINT" {
			t.Errorf("%s: s2 %v", p.name, rows["app/s2"])
		}
		_, _, order = csvRows(t, string(page("csv up", "GET", "/admin?stats;csv;up", "", auth).Body))
		if strings.Join(order, " ") != "app/s1 app/BACKEND" {
			t.Errorf("%s: ;csv;up: rows %v", p.name, order)
		}
		var objs []any
		if err := json.Unmarshal(page("json", "GET", "/admin?stats;json", "", auth).Body, &objs); err != nil || len(objs) != 3 {
			t.Errorf("%s: ;json: %d objects, %v", p.name, len(objs), err)
		}
		page("admin drain", "POST", "/admin?stats", "s=s1&action=drain&b=app", auth)
		if st := p.cmd(t, "show servers state app"); !strings.Contains(st, " s1 ") || strings.Fields(strings.Split(st, "\n")[2])[6] != "8" {
			t.Errorf("%s: s1 not drained by the admin form:\n%s", p.name, st)
		}
		page("admin none", "POST", "/admin?stats", "action=ready&b=app", auth)
		page("done banner", "GET", "/admin?stats;st=DONE", "", auth)
	}
	want := map[string]answer{
		"no credentials": {status: 401, ctype: "text/html", auth: `Basic realm="Ops Area"`},
		"wrong password": {status: 401, ctype: "text/html", auth: `Basic realm="Ops Area"`},
		"gate denied":    {status: 403, ctype: "text/html"},
		"gate auth":      {status: 401, ctype: "text/html", auth: `Basic realm="Gate"`},
		"gate open":      {status: 200, ctype: "text/plain"},
		"html":           {status: 200, ctype: "text/html", refresh: "5"},
		"norefresh":      {status: 200, ctype: "text/html"},
		"csv":            {status: 200, ctype: "text/plain", refresh: "5"},
		"csv up":         {status: 200, ctype: "text/plain", refresh: "5"},
		"json":           {status: 200, ctype: "application/json", refresh: "5"},
		"admin drain":    {status: 303, ctype: "text/plain", location: "/admin?stats;st=DONE"},
		"admin none":     {status: 303, ctype: "text/plain", location: "/admin?stats;st=NONE"},
		"done banner":    {status: 200, ctype: "text/html", refresh: "5"},
	}
	for name, got := range seen {
		for key, w := range want {
			if got[key] != w {
				t.Errorf("%s %s: %+v, want %+v", name, key, got[key], w)
			}
		}
	}
}
