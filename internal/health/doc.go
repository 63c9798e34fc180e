// Package health schedules health checks and agent checks and keeps each
// server's health as HAProxy 2.6 does; package check holds the
// conversations themselves.
//
// # Model
//
// A Checker serves one backend. Each server with "check" gets a goroutine
// that runs the backend's check (check.Run of its ruleset, or
// check.RunExternal) at HAProxy's intervals: inter when fully up,
// fastinter while changing state, downinter when fully down, plus the
// global spread-checks noise; the first checks of the process are spread
// over the smallest interval (Spread, bounded by max-spread-checks). A
// server with "agent-check" gets a second goroutine for its agent.
//
// Health is HAProxy's counter, from 0 to rise+fall-1: a passing check
// raises it (reaching rise jumps to the top), a failing one lowers it
// (falling under rise drops to 0). The server is up at rise and above,
// and it starts at rise: up, with one failure taking it down, as in
// HAProxy. The agent has its own counter (rise 1, fall 1) that only an
// answer of "down", "fail" or "stopped" lowers; failing to reach the
// agent changes nothing. Both must allow a server up. An agent's line
// also sets the administrative state, the weight (a percentage of the
// configured one) and maxconn, and its health words set the health
// check's counter. Entering and leaving maintenance or drain that way is
// reported as HAProxy words it (EventMaint, EventReady, EventDrain,
// EventUndrain, EventDrainRemains); leaving maintenance restarts the
// health check one success from up. A conditional pass (http-check disable-on-404 on a
// 404) puts an up server in NOLB: up, taking no new traffic.
//
// "observe layer4|layer7" counts errors of real traffic in the
// backend.Server (Observe, called by the proxy); error-limit errors in a
// row call back into the server's state here, which applies on-error:
// fastinter, fail-check, sudden-death or mark-down.
//
// Transitions set backend.Server's health (and NOLB), which starts its
// slow start (package backend ramps weight and maxconn), run
// on-marked-down and on-marked-up through Options.ShutdownSessions, and
// are reported through Options.OnEvent as Events whose Line is HAProxy's
// wording (and through Options.OnChange, with a Result, for the runtime
// API). Every check whose result HAProxy's "option log-health-checks"
// would log is an EventCheck too; the caller decides what to log.
//
// Checks read the server's address at each run, so a server whose address
// changes is checked where it is: a change (DNS, the runtime API) wakes
// the loop, which starts over (one failure from down) and checks the new
// address at once. A server in maintenance, or without an address, is not
// checked (its agent still is: it may bring it back).
//
// The runtime API's hooks (Options.Runtime, runtime.go) see every check's
// result with HAProxy's health level (the counter above), may disable a
// server's checks (it then counts as up), and give the level a server
// starts from when a previous generation carried it; Checker.Add checks a
// server added at run time.
//
// # Concurrency
//
// Each server's health is guarded by its own mutex: its check goroutine,
// its agent goroutine and request goroutines reporting observed errors
// take it. Events and session shutdowns run after it is released.
package health
