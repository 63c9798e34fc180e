package statspage

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"baton/internal/config"
	"baton/internal/stats"
)

// style is the page's CSS: HAProxy's colours for the row states, so the
// page reads as the one operators know.
const style = `body { font-family: arial, helvetica, sans-serif; font-size: 12px; font-weight: normal; color: black; background: white;}
th,td { font-size: 10px;}
h1 { font-size: x-large; margin-bottom: 0.5em;}
h2 { font-family: helvetica, arial; font-size: x-large; font-weight: bold; font-style: italic; color: #6020a0; margin-top: 0em; margin-bottom: 0em;}
h3 { font-family: helvetica, arial; font-size: 16px; font-weight: bold; color: #b00040; background: #e8e8d0; margin-top: 0em; margin-bottom: 0em;}
.hr {margin-top: 0.25em; border-color: black; border-bottom-style: solid;}
.titre {background: #20D0D0;color: #000000; font-weight: bold; text-align: center;}
.total {background: #20D0D0;color: #ffff80;}
.frontend {background: #e8e8d0;}
.socket {background: #d0d0d0;}
.backend {background: #e8e8d0;}
.active_down {background: #ff9090;}
.active_going_up {background: #ffd020;}
.active_going_down {background: #ffffa0;}
.active_up {background: #c0ffc0;}
.active_nolb {background: #20a0ff;}
.active_draining {background: #20a0FF;}
.active_no_check {background: #e0e0e0;}
.backup_down {background: #ff9090;}
.backup_going_up {background: #ff80ff;}
.backup_going_down {background: #c060ff;}
.backup_up {background: #b0d0ff;}
.backup_nolb {background: #90b0e0;}
.backup_draining {background: #cc9900;}
.backup_no_check {background: #e0e0e0;}
.maintain {background: #c07820;}
.baton {background: #e0e8ff;}
a.px:link {color: #ffff40; text-decoration: none;} a.px:visited {color: #ffff40; text-decoration: none;} a.px:hover {color: #ffffff; text-decoration: none;}
a.lfsb:link {color: #000000; text-decoration: none;} a.lfsb:visited {color: #000000; text-decoration: none;} a.lfsb:hover {color: #505050; text-decoration: none;}
table.tbl { border-collapse: collapse; border-style: none;}
table.tbl td { text-align: right; border-width: 1px 1px 1px 1px; border-style: solid solid solid solid; padding: 2px 3px; border-color: gray; white-space: nowrap;}
table.tbl td.ac { text-align: center;}
table.tbl th { border-width: 1px; border-style: solid solid solid solid; border-color: gray;}
table.tbl th.pxname { background: #b00040; color: #ffff40; font-weight: bold; border-style: solid solid none solid; padding: 2px 3px; white-space: nowrap;}
table.tbl th.empty { border-style: none; empty-cells: hide; background: white;}
table.tbl th.desc { background: white; border-style: solid solid none solid; text-align: left; padding: 2px 3px;}
table.lgd { border-collapse: collapse; border-width: 1px; border-style: none none none solid; border-color: black;}
table.lgd td { border-width: 1px; border-style: solid solid solid solid; border-color: gray; padding: 2px;}
table.lgd td.noborder { border-style: none; padding: 2px; white-space: nowrap;}
`

// statusMessages are the banners of ";st=".
var statusMessages = map[string][2]string{
	"DONE": {"active_up", "Action processed successfully."},
	"PART": {"active_going_down", "Action not processed for all servers."},
	"NONE": {"active_going_down", "Nothing has changed."},
	"DENY": {"active_down", "Action denied."},
	"ERRP": {"active_down", "Action not processed because of invalid parameters."},
}

// render writes the HTML page.
func render(page *config.StatsPage, d Data, rows []stats.Row, o options, uri string, admin bool) []byte {
	var b strings.Builder
	e := html.EscapeString
	b.WriteString("<!DOCTYPE html>\n<html><head><title>Statistics Report for Baton")
	if page.ShowNode {
		b.WriteString(" on " + e(node(page, d)))
	}
	b.WriteString("</title>\n<link rel=\"icon\" href=\"data:,\">\n<meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\">\n<style type=\"text/css\">\n")
	b.WriteString(style)
	b.WriteString("</style></head>\n<body>")
	if page.HideVersion {
		b.WriteString("<h1>Baton</h1>\n")
	} else {
		b.WriteString("<h1>Baton version " + e(d.Version) + "</h1>\n")
	}
	fmt.Fprintf(&b, "<h2>Statistics Report for pid %s", e(d.Info["Pid"].String()))
	if page.ShowNode {
		b.WriteString(" on " + e(node(page, d)))
	}
	if desc := page.Desc; page.ShowDesc {
		// HAProxy's words: "... for pid N[ on NODE]: DESC".
		if desc == "" {
			desc = d.Desc
		}
		if desc != "" {
			b.WriteString(": " + e(desc))
		}
	}
	b.WriteString("</h2>\n")
	b.WriteString("<hr width=\"100%\" class=\"hr\">\n<h3>&gt; General process information</h3>\n")
	writeGeneral(&b, d, o, uri, page)
	writeBaton(&b, d)
	if m, ok := statusMessages[o.status]; ok {
		fmt.Fprintf(&b, "<p><div id=\"status\" class=%s><a class=lfsb href=\"%s\" title=\"Remove this message\">[X]</a> %s</div>\n",
			m[0], e(uri), m[1])
	}
	writeProxies(&b, rows, d.Descriptions, admin, page.ShowLegends)
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

func node(page *config.StatsPage, d Data) string {
	if page.Node != "" {
		return page.Node
	}
	return d.Node
}

func writeGeneral(b *strings.Builder, d Data, o options, uri string, page *config.StatsPage) {
	i := d.Info
	e := html.EscapeString
	b.WriteString("<table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n<p>")
	fmt.Fprintf(b, "<b>pid = </b> %s (process #1, nbproc = 1, nbthread = %s)<br>\n", i["Pid"], i["Nbthread"])
	fmt.Fprintf(b, "<b>uptime = </b> %s<br>\n", e(i["Uptime"].String()))
	fmt.Fprintf(b, "<b>system limits:</b> memmax = unlimited; ulimit-n = %s<br>\n", i["Ulimit-n"])
	fmt.Fprintf(b, "<b>maxsock = </b> %s; <b>maxconn = </b> %s; <b>maxpipes = </b> 0<br>\n", i["Maxsock"], i["Maxconn"])
	fmt.Fprintf(b, "current conns = %s; current pipes = 0/0; conn rate = %s/sec<br>\n", i["CurrConns"], i["ConnRate"])
	fmt.Fprintf(b, "Running tasks: %s; idle = %s %%<br>\n", i["Tasks"], i["Idle_pct"])
	b.WriteString("</td><td align=\"center\" nowrap>\n<table class=\"lgd\"><tr>\n")
	b.WriteString("<td class=\"active_up\">&nbsp;</td><td class=\"noborder\">active UP </td><td class=\"backup_up\">&nbsp;</td><td class=\"noborder\">backup UP </td></tr><tr>\n")
	b.WriteString("<td class=\"active_going_down\"></td><td class=\"noborder\">active UP, going down </td><td class=\"backup_going_down\"></td><td class=\"noborder\">backup UP, going down </td></tr><tr>\n")
	b.WriteString("<td class=\"active_going_up\"></td><td class=\"noborder\">active DOWN, going up </td><td class=\"backup_going_up\"></td><td class=\"noborder\">backup DOWN, going up </td></tr><tr>\n")
	b.WriteString("<td class=\"active_down\"></td><td class=\"noborder\">active or backup DOWN &nbsp;</td><td class=\"active_no_check\"></td><td class=\"noborder\">not checked </td></tr><tr>\n")
	b.WriteString("<td class=\"maintain\"></td><td class=\"noborder\" colspan=\"3\">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>\n")
	b.WriteString("<td class=\"active_draining\"></td><td class=\"noborder\" colspan=\"3\">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>\n")
	b.WriteString("Note: \"NOLB\"/\"DRAIN\" = UP with load-balancing disabled.</td>")
	b.WriteString("<td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>Display option:</b><ul style=\"margin-top: 0.25em;\">")
	fmt.Fprintf(b, "<li><form method=\"GET\">Scope : <input value=\"%s\" name=\"scope\" size=\"8\" maxlength=\"20\" tabindex=\"1\"/></form>\n", e(o.scope))
	link := func(suffix, text string) {
		fmt.Fprintf(b, "<li><a href=\"%s%s\">%s</a><br>\n", e(uri), suffix, text)
	}
	if o.up {
		link("", "Show all servers")
	} else {
		link(";up", "Hide 'DOWN' servers")
	}
	if page.Refresh > 0 {
		if o.norefresh {
			link("", "Enable refresh")
		} else {
			link(";norefresh", "Disable refresh")
		}
	}
	link("", "Refresh now")
	link(";csv;norefresh", "CSV export")
	link(";json;norefresh", "JSON export")
	b.WriteString("</ul></td></tr></table>\n")
}

// writeBaton is what only Baton has: its generations and reloads.
func writeBaton(b *strings.Builder, d Data) {
	s := d.Service
	last := "none yet"
	if !s.LastReload.IsZero() {
		result := "failed"
		if s.LastResult == 1 {
			result = "succeeded"
		}
		last = fmt.Sprintf("%s %s ago", result, humanAge(d.Now.Sub(s.LastReload)))
	}
	b.WriteString("<h3>&gt; Baton service</h3>\n<table class=\"tbl\" id=\"baton\"><tr class=\"baton\">")
	cells := [][2]string{
		{"serving", "Serving generation"}, {"draining", "Draining generations"},
		{"last-reload", "Last reload"}, {"reloads", "Reloads (ok / failed)"}, {"migrated", "Connections migrated"},
	}
	vals := []string{strconv.FormatUint(s.ServingGeneration, 10), strconv.FormatUint(s.DrainingGenerations, 10), last,
		fmt.Sprintf("%d / %d", s.ReloadsOK, s.ReloadsFailed), strconv.FormatUint(s.Migrated, 10)}
	for i, c := range cells {
		fmt.Fprintf(b, "<th>%s</th><td id=\"%s\">%s</td>", c[1], c[0], html.EscapeString(vals[i]))
	}
	b.WriteString("</tr></table>\n")
}

// header is the two title rows of a proxy's table.
func header(b *strings.Builder, admin bool) {
	b.WriteString("<tr class=\"titre\"><th rowspan=2")
	if admin {
		b.WriteString(" width=1><input type=\"checkbox\" onclick=\"for (const c of this.closest('table').querySelectorAll('input.srv')) c.checked = this.checked\"></th>")
	} else {
		b.WriteString("></th>")
	}
	b.WriteString("<th rowspan=2></th><th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th>" +
		"<th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n" +
		"<tr class=\"titre\"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th>" +
		"<th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th>" +
		"<th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th>" +
		"<th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th></tr>\n")
}

// writeProxies writes one table per proxy: frontend, servers, backend.
func writeProxies(b *strings.Builder, rows []stats.Row, descs map[string]string, admin, legends bool) {
	for i := 0; i < len(rows); {
		name := rows[i].Values[stats.FPxname].String()
		iid := rows[i].IID
		j := i
		for j < len(rows) && rows[j].IID == iid {
			j++
		}
		group := rows[i:j]
		i = j
		hasServers := false
		for _, r := range group {
			hasServers = hasServers || r.Type == stats.TypeServer
		}
		form := admin && hasServers
		e := html.EscapeString
		if form {
			b.WriteString("<form method=\"post\">")
		}
		// As HAProxy: the description, if any, fills the title row.
		descClass, desc := "empty", descs[name]
		if desc != "" {
			descClass = "desc"
		}
		fmt.Fprintf(b, "<table class=\"tbl\" width=\"100%%\">\n<tr class=\"titre\"><th class=\"pxname\" width=\"10%%\"><a name=\"%s\"></a><a class=px href=\"#%s\">%s</a></th><th class=\"%s\" width=\"90%%\">%s</th></tr>\n</table>\n",
			e(name), e(name), e(name), descClass, e(desc))
		fmt.Fprintf(b, "<table class=\"tbl proxy\" width=\"100%%\" data-proxy=\"%s\">\n", e(name))
		header(b, form)
		for _, r := range group {
			writeRow(b, &r, form, legends)
		}
		b.WriteString("</table>")
		if form {
			b.WriteString("Choose the action to perform on the checked servers : <select name=action><option value=\"\"></option>" +
				"<option value=\"ready\">Set state to READY</option><option value=\"drain\">Set state to DRAIN</option>" +
				"<option value=\"maint\">Set state to MAINT</option><option value=\"dhlth\">Health: disable checks</option>" +
				"<option value=\"ehlth\">Health: enable checks</option><option value=\"hrunn\">Health: force UP</option>" +
				"<option value=\"hnolb\">Health: force NOLB</option><option value=\"hdown\">Health: force DOWN</option>" +
				"<option value=\"shutdown\">Kill Sessions</option></select>")
			fmt.Fprintf(b, "<input type=\"hidden\" name=\"b\" value=\"#%d\">&nbsp;<input type=\"submit\" value=\"Apply\"></form>", iid)
		}
		b.WriteString("<p>\n")
	}
}

// rowClass is the CSS class of a row: its object, or a server's state.
func rowClass(r *stats.Row) string {
	switch r.Type {
	case stats.TypeFrontend:
		return "frontend"
	case stats.TypeBackend:
		return "backend"
	case stats.TypeListener:
		return "socket"
	}
	st := r.Values[stats.FStatus].String()
	who := "active_"
	if r.Values[stats.FBck].Int() == 1 {
		who = "backup_"
	}
	switch {
	case strings.HasPrefix(st, "MAINT"):
		return "maintain"
	case st == "DRAIN" || st == "NOLB":
		return who + "draining"
	case st == "no check":
		return who + "no_check"
	case st == "UP":
		return who + "up"
	case strings.HasPrefix(st, "UP "):
		return who + "going_down"
	case strings.HasPrefix(st, "DOWN "):
		return who + "going_up"
	}
	return who + "down"
}

func writeRow(b *strings.Builder, r *stats.Row, form, legends bool) {
	v := func(p stats.Pos) string { return html.EscapeString(r.Values[p].String()) }
	td := func(s string) { b.WriteString("<td>" + s + "</td>") }
	e := html.EscapeString
	name := map[stats.ObjType]string{stats.TypeFrontend: "Frontend", stats.TypeBackend: "Backend"}[r.Type]
	if r.Type == stats.TypeServer || r.Type == stats.TypeListener {
		name = r.Values[stats.FSvname].String()
	}
	px := r.Values[stats.FPxname].String()
	fmt.Fprintf(b, "<tr class=\"%s\" data-name=\"%s\" data-status=\"%s\">", rowClass(r), e(name), v(stats.FStatus))
	if form && r.Type == stats.TypeServer {
		fmt.Fprintf(b, "<td><input class=\"srv\" type=\"checkbox\" name=\"s\" value=\"%s\"></td>", e(name))
	} else {
		b.WriteString("<td></td>")
	}
	title := ""
	if legends {
		title = fmt.Sprintf(" title=\"mode %s, id %d", v(stats.FMode), r.IID)
		if r.Type == stats.TypeServer {
			title += fmt.Sprintf("/%d, address %s", r.SID, v(stats.FAddr))
		}
		title += "\""
	}
	fmt.Fprintf(b, "<td class=ac><a name=\"%s/%s\"></a><a class=lfsb href=\"#%s/%s\"%s>%s</a></td>", e(px), e(name), e(px), e(name), title, e(name))
	if r.Type == stats.TypeFrontend || r.Type == stats.TypeListener {
		b.WriteString("<td colspan=3></td>")
	} else {
		td(v(stats.FQcur))
		td(v(stats.FQmax))
		td(dashIfEmpty(v(stats.FQlimit), r.Type == stats.TypeServer))
	}
	td(v(stats.FRate))
	td(v(stats.FRateMax))
	td(v(stats.FRateLim))
	td(v(stats.FScur))
	td(v(stats.FSmax))
	td(dashIfEmpty(v(stats.FSlim), r.Type == stats.TypeServer))
	td(v(stats.FStot))
	td(v(stats.FLbtot))
	td(lastSess(r))
	td(v(stats.FBin))
	td(v(stats.FBout))
	td(v(stats.FDreq))
	td(v(stats.FDresp))
	td(v(stats.FEreq))
	td(v(stats.FEcon))
	td(v(stats.FEresp))
	td(v(stats.FWretr))
	td(v(stats.FWredis))
	status := v(stats.FStatus)
	if r.Type != stats.TypeFrontend && r.Type != stats.TypeListener {
		status = humanAge(time.Duration(r.Values[stats.FLastchg].Int())*time.Second) + " " + status
	}
	fmt.Fprintf(b, "<td class=ac>%s</td>", status)
	lastChk := ""
	if c := r.Values[stats.FCheckStatus].String(); c != "" {
		lastChk = e(c) + " in " + v(stats.FCheckDuration) + "ms"
	}
	fmt.Fprintf(b, "<td class=ac>%s</td>", lastChk)
	fmt.Fprintf(b, "<td class=ac>%s</td>", v(stats.FWeight))
	act, bck := v(stats.FAct), v(stats.FBck)
	if r.Type == stats.TypeServer {
		act, bck = yesNo(r.Values[stats.FAct].Int()), yesNo(r.Values[stats.FBck].Int())
	}
	fmt.Fprintf(b, "<td class=ac>%s</td><td class=ac>%s</td>", act, bck)
	td(v(stats.FChkfail))
	td(v(stats.FChkdown))
	dt := ""
	if !r.Values[stats.FDowntime].IsEmpty() {
		dt = humanAge(time.Duration(r.Values[stats.FDowntime].Int()) * time.Second)
	}
	td(dt)
	td(v(stats.FThrottle))
	b.WriteString("</tr>\n")
}

func yesNo(n int64) string {
	if n != 0 {
		return "Y"
	}
	return "-"
}

func dashIfEmpty(s string, server bool) string {
	if s == "" && server {
		return "-"
	}
	return s
}

func lastSess(r *stats.Row) string {
	v := r.Values[stats.FLastsess]
	if v.IsEmpty() || v.Int() < 0 {
		return ""
	}
	return humanAge(time.Duration(v.Int()) * time.Second)
}

// humanAge is HAProxy's short duration: 0s, 1m2s, 3h4m, 5d6h.
func humanAge(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%dm", s/3600, s/60%60)
	}
	return fmt.Sprintf("%dd%dh", s/86400, s/3600%24)
}
