// Package check runs one health check: the conversation with a server
// that says whether it is fit to take traffic. Package health schedules
// checks and keeps each server's state; this package only talks.
//
// # Model
//
// Every check is a Ruleset, as in HAProxy 2.6: a list of connect, send
// and expect rules (plus comments and variable actions). "option
// tcp-check" with its tcp-check lines, "option httpchk" with its
// http-check lines, and each protocol check option (redis-check,
// ssl-hello-chk, smtpchk, pgsql-check, mysql-check, ldap-check, and the
// agent check) build one; a server with "check" and no option gets an
// empty ruleset, which Finish turns into a single connect. ParseRule and
// ParseExpect read the configuration's sub-language; Ruleset.Add enforces
// HAProxy's ordering rules and Finish adds the implicit connect, the
// implicit "expect status 200-399" of HTTP checks and moves comments onto
// the rules they describe.
//
// Run executes a ruleset against a Target (the server's current address,
// check port and addr, PROXY header, TLS, timeouts) and returns a
// Result: HAProxy's status ("L7OK", "L4CON", ...), a code and an info
// text worded as HAProxy words them, so that log lines read the same.
// The semantics follow HAProxy's: a send empties the input buffer; an
// expect waits for more data until it matches, the answer ends, the
// buffer (16 KiB) is full or the deadline passes, unless min-recv makes a
// mismatch conclusive; a chain of expects resumes from its first negated
// rule when more data arrives; a connection error after some data lets
// the rules judge the data.
//
// Expressions (expr.go) are a small subset of HAProxy's sample language
// that makes sense without a client: constants, date(), var(),
// res.payload() and a few converters; log-format strings accept %[EXPR]
// and %% only. Anything else is a configuration error.
//
// TLS is not built in: Target.TLS upgrades a connection for "ssl"
// connects, so the server TLS settings (certificates, verification)
// stay with the package that owns them. RunExternal runs an
// "external-check command".
package check
