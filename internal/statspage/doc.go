// Package statspage is the statistics page of "stats enable" / "stats
// uri": an HTML report an HAProxy user recognises, its CSV and JSON
// exports, and its admin form.
//
// Model. Serve takes a request (method, target, body, the credentials
// and access decision the proxy evaluated), the page's options (the
// proxy's config.StatsPage) and the data of the moment (the same rows
// and info "show stat" and "show info" print, and the service facts only
// Baton has), and returns a complete response. It never blocks and keeps
// no state between requests.
//
// What the target may carry after the configured URI, as in HAProxy:
// ";csv" (the CSV of "show stat"), ";json" (its JSON), ";up" (servers
// that are not up left out), ";norefresh" (no automatic refresh),
// ";st=DONE|NONE|DENY|ERRP" (the outcome of an admin action, shown in a
// banner), and a "?scope=TEXT" query (proxies whose name contains TEXT).
//
// The HTML: a header with the version (unless hidden) and the node; the
// general process information, the legend of row colours and the display
// options; a Baton section (serving generation, draining generations,
// the last reload's result and time, connections migrated); then one
// table per proxy in configuration order: its frontend row, one row per
// server coloured by state (the CSS classes are HAProxy's: active_up,
// active_down, active_going_up, active_going_down, active_no_check,
// active_draining, maintain, backup_*), and its backend row, with
// HAProxy's columns (queue, session rate, sessions, bytes, denied,
// errors, warnings, server status, last check, weight, active, backup,
// check failures, downs, downtime, throttle).
//
// Admin. When "stats admin" holds for the request, each backend's table
// is a form: a checkbox per server, an action ("ready", "drain", "maint",
// "dhlth"/"ehlth" to disable/enable checks, "hrunn"/"hnolb"/"hdown" to
// force the health, "shutdown" to kill sessions), and the backend's id.
// A POST applies it through the Admin callback and answers 303 to the
// page with ";st=" telling the outcome.
package statspage
