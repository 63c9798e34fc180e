package statspage

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"baton/internal/config"
	"baton/internal/promexport"
	"baton/internal/stats"
)

func data() Data {
	now := time.Now()
	fe := stats.Frontend{Name: "web", IID: 2, Mode: "http", Status: "OPEN"}
	s1 := stats.Server{Backend: "app", Name: "s1", IID: 3, SID: 1, Mode: "http", Checked: true, Health: 4, Rise: 2, Fall: 3, CheckStatus: "L4OK", Addr: "10.0.0.1:80", Weight: 1}
	s2 := stats.Server{Backend: "app", Name: "s2", IID: 3, SID: 2, Mode: "http", Checked: true, Down: true, Rise: 2, Fall: 3, CheckStatus: "L4CON", Addr: "10.0.0.2:80"}
	s3 := stats.Server{Backend: "app", Name: "s3", IID: 3, SID: 3, Mode: "http", Admin: stats.AdminMaint, Addr: "10.0.0.3:80"}
	be := stats.Backend{Name: "app", IID: 3, Mode: "http", Algo: "roundrobin", Up: true}
	return Data{Now: now, Info: stats.Info{"Pid": stats.Num(42), "Uptime": stats.Str("0d 0h01m00s")},
		Rows: []stats.Row{fe.Row(), s1.Row(now), s2.Row(now), s3.Row(now), be.Row(now)}, Proxy: "web",
		Service: promexport.Service{ServingGeneration: 4, DrainingGenerations: 1, ReloadsOK: 3, LastResult: 1, LastReload: now.Add(-5 * time.Second), Migrated: 12},
		Version: "9.9", Node: "host1"}
}

func get(page *config.StatsPage, target string, admin bool) Response {
	return Serve(Request{Method: "GET", Target: target, Admin: admin}, page, data(), nil)
}

func TestPage(t *testing.T) {
	page := &config.StatsPage{URI: "/st", Refresh: 5 * time.Second, ShowNode: true}
	r := get(page, "/st", false)
	body := string(r.Body)
	if r.Status != 200 || !strings.Contains(r.Header, "content-type: text/html") || !strings.Contains(r.Header, "refresh: 5\r\n") {
		t.Fatalf("status %d header %q", r.Status, r.Header)
	}
	for _, want := range []string{
		"Baton version 9.9", "on host1", `data-proxy="web"`, `data-proxy="app"`,
		`<tr class="active_up" data-name="s1" data-status="UP">`, `<tr class="active_down" data-name="s2" data-status="DOWN">`,
		`<tr class="maintain" data-name="s3" data-status="MAINT">`, `<tr class="frontend" data-name="Frontend"`,
		`<td id="serving">4</td>`, `<td id="draining">1</td>`, `<td id="migrated">12</td>`, "succeeded 5s ago",
		"L4OK in 0ms", `href="/st;csv;norefresh"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<form method=\"post\">") {
		t.Error("admin form without stats admin")
	}
	if r := get(page, "/st;norefresh", false); strings.Contains(r.Header, "refresh:") {
		t.Error(";norefresh still refreshes")
	}
	if r := get(page, "/st;up", false); strings.Contains(string(r.Body), `data-name="s2"`) || strings.Contains(string(r.Body), `data-name="s3"`) {
		t.Error(";up kept servers that are not up")
	}
	if r := get(page, "/st?scope=we", false); strings.Contains(string(r.Body), `data-proxy="app"`) || !strings.Contains(string(r.Body), `data-proxy="web"`) {
		t.Error("?scope= filter")
	}
	if r := get(page, "/st;csv", false); !strings.HasPrefix(string(r.Body), "# pxname,svname,") || !strings.Contains(r.Header, "text/plain") {
		t.Errorf(";csv: %q", r.Body)
	}
	if r := get(page, "/st;json", false); !strings.HasPrefix(string(r.Body), `[[{"objType":"Frontend"`) {
		t.Errorf(";json: %.60s", r.Body)
	}
	hidden := &config.StatsPage{HideVersion: true, Scope: []string{"."}}
	r = get(hidden, "/haproxy?stats", true)
	if strings.Contains(string(r.Body), "9.9") || strings.Contains(string(r.Body), `data-proxy="app"`) {
		t.Error("hide-version or scope . not applied")
	}
	if !Matches("/haproxy?stats;csv", hidden.StatsURI()) || Matches("/other", "/st") {
		t.Error("Matches")
	}
}

func TestAccess(t *testing.T) {
	page := &config.StatsPage{Realm: "Strictly Private", Auth: []config.StatsUser{{User: "admin", Password: "pw"}}}
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	for _, c := range []struct {
		req    Request
		status int
	}{
		{Request{Method: "GET", Target: "/haproxy?stats"}, 401},
		{Request{Method: "GET", Target: "/haproxy?stats", Authorization: basic("admin", "no")}, 401},
		{Request{Method: "GET", Target: "/haproxy?stats", Authorization: basic("admin", "pw")}, 200},
		{Request{Method: "GET", Target: "/haproxy?stats", Access: "allow"}, 200},
		{Request{Method: "GET", Target: "/haproxy?stats", Access: "deny", Authorization: basic("admin", "pw")}, 403},
		{Request{Method: "GET", Target: "/haproxy?stats", Access: "auth", AccessRealm: "R2"}, 401},
	} {
		r := Serve(c.req, page, data(), nil)
		if r.Status != c.status {
			t.Errorf("%+v: status %d, want %d", c.req, r.Status, c.status)
		}
		if r.Status == 401 && !strings.Contains(r.Header, `www-authenticate: Basic realm="`) {
			t.Errorf("401 without a realm: %q", r.Header)
		}
	}
	r := Serve(Request{Method: "GET", Target: "/haproxy?stats", Access: "auth", AccessRealm: "R2"}, page, data(), nil)
	if !strings.Contains(r.Header, `realm="R2"`) {
		t.Errorf("auth rule realm: %q", r.Header)
	}
}

func TestAdmin(t *testing.T) {
	page := &config.StatsPage{URI: "/st"}
	var got []string
	admin := func(action, be string, srvs []string) (int, error) {
		got = append(got, action+" "+be+" "+strings.Join(srvs, ","))
		if action == "bad" {
			return 0, errors.New("bad")
		}
		return len(srvs), nil
	}
	page2 := get(page, "/st", true)
	if !strings.Contains(string(page2.Body), `<input class="srv" type="checkbox" name="s" value="s1">`) ||
		!strings.Contains(string(page2.Body), `<input type="hidden" name="b" value="#3">`) {
		t.Fatal("no admin form with stats admin")
	}
	post := func(body string, adm bool) string {
		r := Serve(Request{Method: "POST", Target: "/st", Body: []byte(body), Admin: adm}, page, data(), admin)
		if r.Status != 303 {
			t.Fatalf("POST %q: status %d", body, r.Status)
		}
		_, loc, _ := strings.Cut(r.Header, "location: ")
		return strings.TrimSpace(loc)
	}
	for body, want := range map[string]string{
		"s=s1&s=s2&action=drain&b=%233": "/st;st=DONE",
		"s=s1&action=&b=%233":           "/st;st=NONE",
		"s=s1&action=bad&b=app":         "/st;st=ERRP",
	} {
		if loc := post(body, true); loc != want {
			t.Errorf("POST %q: location %q, want %q", body, loc, want)
		}
	}
	if loc := post("s=s1&action=drain&b=%233", false); loc != "/st;st=DENY" {
		t.Errorf("POST without admin: %q", loc)
	}
	if len(got) != 2 || !strings.Contains(strings.Join(got, ";"), "drain app s1,s2") {
		t.Errorf("admin calls %q", got)
	}
	r := get(page, "/st;st=DONE", true)
	if !strings.Contains(string(r.Body), "Action processed successfully.") {
		t.Error("no banner for st=DONE")
	}
}

// TestDescriptions: "stats show-desc" without a text shows the global
// description; a proxy's description fills its title row, as HAProxy
// prints them; an undescribed proxy's cell stays empty.
func TestDescriptions(t *testing.T) {
	d := data()
	d.Desc, d.Descriptions = "edge <1>", map[string]string{"app": "the app servers"}
	body := func(page *config.StatsPage) string {
		return string(Serve(Request{Method: "GET", Target: "/st"}, page, d, nil).Body)
	}
	b := body(&config.StatsPage{URI: "/st", ShowDesc: true})
	for _, want := range []string{
		"for pid 42: edge &lt;1&gt;</h2>",
		`<a class=px href="#app">app</a></th><th class="desc" width="90%">the app servers</th>`,
		`<a class=px href="#web">web</a></th><th class="empty" width="90%"></th>`,
	} {
		if !strings.Contains(b, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if b := body(&config.StatsPage{URI: "/st", ShowDesc: true, Desc: "own"}); !strings.Contains(b, ": own</h2>") || strings.Contains(b, "edge") {
		t.Error("show-desc TEXT does not win over the global description")
	}
	if b := body(&config.StatsPage{URI: "/st"}); strings.Contains(b, "edge") {
		t.Error("global description shown without show-desc")
	}
}
