// Package runtime is Baton's runtime API: the command language of
// HAProxy 2.6's stats socket (management guide 9.3), its permission
// levels and its session behaviour.
//
// Model. Two halves meet over the master's control channel:
//
//   - Session (session.go) is a CLI connection as the master serves it on
//     a "stats socket": it reads lines, splits them into commands at ';'
//     (a backslash escapes ';' and itself), handles what concerns the
//     session itself (prompt, quit, set timeout cli, user, operator, show
//     cli level) and passes every other command with the session's Level
//     to a function the master supplies: the serving generation runs it.
//     Non-interactive (the default) reads one line, answers, closes;
//     "prompt" switches to interactive mode, where "> " invites each line
//     and the connection stays until "quit", end of input or the idle
//     timeout ("stats timeout", "set timeout cli"). Each command's output
//     ends with an empty line, as HAProxy's does, so scripts can pipeline.
//
//   - Execute (commands.go) runs one command line at a level against a
//     Target, the serving generation's data path (proxy.Engine
//     implements it), and formats the answer in HAProxy's words.
//
// Levels are HAProxy's: "user" may look (show commands, get weight),
// "operator" may also see sessions and errors and clear maxima, "admin"
// may change state. A command above the session's level answers
// "Permission denied". At user level the address, cookie and algorithm
// columns of "show stat" are left empty, as HAProxy does.
//
// Changes reaches every generation: IsChange tells the master which
// commands change server or proxy state (set server, enable/disable,
// set weight, set maxconn, add/del server, shutdown sessions); it sends
// them to the serving generation, whose answer is the session's, and
// then to the draining generations, so that a server put in maintenance
// gets no more requests from any of them. The serving generation also
// publishes server state to the counters segment, from which the next
// generation starts.
package runtime
