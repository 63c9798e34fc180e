package statspage

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"baton/internal/config"
	"baton/internal/promexport"
	"baton/internal/stats"
)

// Request is what the page needs of an HTTP request.
type Request struct {
	Method string
	Target string
	// Authorization is the request's Authorization field ("" if none).
	Authorization string
	Body          []byte
	// Access is the verdict of the "stats http-request" rules: "allow",
	// "deny", "auth", or "" when none matched; AccessRealm is auth's
	// realm ("" means the page's).
	Access, AccessRealm string
	// Admin says "stats admin" holds for this request.
	Admin bool
}

// Data is what the page shows.
type Data struct {
	Now     time.Time
	Info    stats.Info
	Rows    []stats.Row
	Service promexport.Service
	// Proxy is the proxy serving the page ("stats scope ." means it).
	Proxy string
	// Version is Baton's version; Node the host name.
	Version, Node string
	// Desc is the global "description" ("stats show-desc" without a
	// text shows it); Descriptions the proxies' own, by name.
	Desc         string
	Descriptions map[string]string
}

// Admin applies a form action to servers of a backend (by name) and
// reports whether every one of them was changed.
type Admin func(action, backend string, servers []string) (done int, err error)

// Response is the page's answer.
type Response struct {
	Status int
	// Header lines, each ending in CRLF.
	Header string
	Body   []byte
}

// Matches reports whether target asks for the page at uri (a prefix).
func Matches(target, uri string) bool { return strings.HasPrefix(target, uri) }

// options are the words after the URI.
type options struct {
	csv, json, up, norefresh bool
	status                   string // ";st=" outcome
	scope                    string // "?scope=" filter
}

func parseOptions(target, uri string) options {
	var o options
	rest := strings.TrimPrefix(target, uri)
	rest, query, _ := strings.Cut(rest, "?")
	for _, w := range strings.Split(rest, ";") {
		switch {
		case w == "csv":
			o.csv = true
		case w == "json":
			o.json = true
		case w == "up":
			o.up = true
		case w == "norefresh":
			o.norefresh = true
		case strings.HasPrefix(w, "st="):
			o.status = strings.TrimPrefix(w, "st=")
		}
	}
	if q, err := url.ParseQuery(query); err == nil {
		o.scope = q.Get("scope")
	}
	return o
}

// Serve answers a request for the page configured by page.
func Serve(req Request, page *config.StatsPage, data Data, admin Admin) Response {
	if r, ok := checkAccess(req, page); !ok {
		return r
	}
	uri := page.StatsURI()
	o := parseOptions(req.Target, uri)
	if req.Method == "POST" {
		return post(req, uri, data, admin)
	}
	rows := visible(page, data, o)
	// HAProxy sends the refresh header with every format.
	refresh := ""
	if page.Refresh > 0 && !o.norefresh {
		refresh = "refresh: " + strconv.Itoa(int(page.Refresh/time.Second)) + "\r\n"
	}
	switch {
	case o.csv:
		var b bytes.Buffer
		stats.WriteCSV(&b, rows, stats.All)
		return Response{Status: 200, Header: "cache-control: no-cache\r\ncontent-type: text/plain\r\n" + refresh, Body: b.Bytes()}
	case o.json:
		var b bytes.Buffer
		stats.WriteJSON(&b, rows, stats.All)
		return Response{Status: 200, Header: "cache-control: no-cache\r\ncontent-type: application/json\r\n" + refresh, Body: b.Bytes()}
	}
	h := "cache-control: no-cache\r\ncontent-type: text/html\r\n" + refresh
	return Response{Status: 200, Header: h, Body: render(page, data, rows, o, uri, req.Admin)}
}

// checkAccess applies "stats http-request" and "stats auth".
func checkAccess(req Request, page *config.StatsPage) (Response, bool) {
	realm := page.StatsRealm()
	switch req.Access {
	case "allow":
		return Response{}, true
	case "deny":
		return Response{Status: 403, Header: "cache-control: no-cache\r\ncontent-type: text/html\r\n",
			Body: []byte("<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n")}, false
	case "auth":
		if req.AccessRealm != "" {
			realm = req.AccessRealm
		}
		if authorized(req.Authorization, page.Auth) {
			return Response{}, true
		}
		return unauthorized(realm), false
	}
	if len(page.Auth) > 0 && !authorized(req.Authorization, page.Auth) {
		return unauthorized(realm), false
	}
	return Response{}, true
}

func unauthorized(realm string) Response {
	return Response{Status: 401, Header: "cache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm=\"" +
		strings.ReplaceAll(realm, `"`, `\"`) + "\"\r\n",
		Body: []byte("<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n")}
}

// authorized checks Basic credentials against the page's accounts.
func authorized(h string, users []config.StatsUser) bool {
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return false
	}
	user, pass, _ := strings.Cut(string(raw), ":")
	for _, u := range users {
		if u.User == user && u.Password == pass {
			return true
		}
	}
	return false
}

// visible are the rows the page shows: its scope, the "?scope=" filter,
// and ";up".
func visible(page *config.StatsPage, data Data, o options) []stats.Row {
	var out []stats.Row
	for _, r := range data.Rows {
		name := r.Values[stats.FPxname].String()
		if !inScope(page, data.Proxy, name) || (o.scope != "" && !strings.Contains(name, o.scope)) {
			continue
		}
		if o.up && r.Type == stats.TypeServer && !isUp(r.Values[stats.FStatus].String()) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func inScope(page *config.StatsPage, self, name string) bool {
	if len(page.Scope) == 0 {
		return true
	}
	for _, s := range page.Scope {
		if s == name || (s == "." && name == self) {
			return true
		}
	}
	return false
}

func isUp(status string) bool {
	return strings.HasPrefix(status, "UP") || status == "no check" || status == "DRAIN" || status == "NOLB"
}

// post applies the admin form: "s" (servers), "action", "b" (the
// backend, "#id" or name).
func post(req Request, uri string, data Data, admin Admin) Response {
	redirect := func(st string) Response {
		return Response{Status: 303, Header: "cache-control: no-cache\r\ncontent-type: text/plain\r\nlocation: " + uri + ";st=" + st + "\r\n"}
	}
	if !req.Admin || admin == nil {
		return redirect("DENY")
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return redirect("ERRP")
	}
	action, be, servers := form.Get("action"), form.Get("b"), form["s"]
	if action == "" || be == "" || len(servers) == 0 {
		return redirect("NONE")
	}
	if strings.HasPrefix(be, "#") {
		for _, r := range data.Rows {
			if r.Type == stats.TypeBackend && "#"+strconv.Itoa(r.IID) == be {
				be = r.Values[stats.FPxname].String()
			}
		}
	}
	done, err := admin(action, be, servers)
	switch {
	case err != nil:
		return redirect("ERRP")
	case done == 0:
		return redirect("NONE")
	case done < len(servers):
		return redirect("PART")
	}
	return redirect("DONE")
}
