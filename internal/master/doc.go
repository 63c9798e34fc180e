// Package master is Baton's master process: it owns every listening socket
// across worker generations, validates configurations, and hands the
// accept role from one generation to the next without losing a connection.
//
// Model. The master binds each configured address once (package listener)
// and keeps the socket for as long as some configuration uses it. Each
// configuration runs in a worker generation: the same binary re-executed,
// inheriting the sockets and a control channel (package worker). At most
// one generation is serving (accepting); older ones are draining.
//
// Reload (SIGHUP, SIGUSR2, master CLI "reload", Master.Reload):
//
//  1. read the files once and validate them (Options.Load); on error report
//     every file:line and keep serving;
//  2. bind addresses that are new (a port already taken fails the reload,
//     and the new sockets are closed again);
//  3. start generation N+1 with those very bytes; it replies once it could
//     accept;
//  4. tell N to stop accepting and wait for its acknowledgement, then tell
//     N+1 to serve: accept loops never overlap, and for that moment the
//     kernel's accept queue (owned by the master's socket) holds new
//     connections;
//  5. tell N to hand its idle keep-alive connections over to N+1 and
//     soft-stop the rest (window DefaultSoftStopWindow), bounded by its
//     hard-stop-after: in-flight requests finish there with
//     "Connection: close", tunnels go on;
//  6. close the sockets the new configuration dropped, and close the
//     oldest draining generations beyond MaxDraining.
//
// Connection migration. Each worker has a hand-over channel to the master
// (see package worker). A draining generation sends each idle client
// connection's descriptor there, during its soft stop and again whenever
// one goes idle later in its drain, so hand-overs can arrive in the middle
// of a later reload. The master passes each one to the generation serving
// at that moment and relays the receiver's answer back. While serve moves
// the accept role (the old generation has stopped accepting, the new one
// does not serve yet) nobody may adopt: the master holds what arrives and
// delivers it once the new generation serves. A receiver that refuses
// because it stopped accepting after the connection was sent to it
// answers with Retry, and the master passes the same descriptor on to the
// generation serving now. The sender is told "not adopted" only when no
// other generation serves, the receiver exits first, or the channel fails.
//
// Ownership: the sender keeps its descriptor until the final answer; the
// master keeps its copy from receipt until the final answer (adopted, or
// the sender told to keep it); the receiver has its own once it adopted.
// A connection is thus owned by at least one live process at all times,
// and only the sender's close after "adopted" (no FIN: other copies live)
// ends its stay in the old generation.
//
// TLS. The loader also loads every certificate, key, CA, CRL and crt-list
// the configuration names (a broken one fails the reload with the bind
// line's file:line and the path) and records the bytes, which go to the
// worker in its start message (Snapshot.Assets). The master owns the TLS
// session ticket keys (tickets.go): made once, rotated hourly, handed to
// every generation at start and after each rotation, kept across a
// binary upgrade, so that a client resumes its session across reloads. A
// TLS relay (see package worker) is routed like a handed-over socket.
//
// Reloads never overlap: requests made during a reload are coalesced into
// exactly one more reload, and every requester gets that result.
//
// A serving worker that exits unexpectedly is restarted with the last good
// configuration after an exponential back-off; connections queue in the
// kernel meanwhile. Stopping is graceful on SIGTERM, SIGINT and SIGUSR1
// (stop accepting, drain, bounded by hard-stop-after) and immediate on
// SIGQUIT or a second SIGTERM/SIGINT.
//
// Binary upgrade (master CLI "upgrade", Master.Upgrade): the master
// re-executes its binary in place, passing its listeners and every worker's
// channels across exec, and the new image adopts them and reloads (see
// upgrade.go). Workers are always started from the master's own image, so
// only an upgrade changes the binary.
//
// Standalone takeover (Options.Takeover, "baton -x"): the master serves the
// configuration's stats sockets; a new master asks a running one for its
// listening sockets there (_getsocks, SCM_RIGHTS, see stats.go), adopts
// them (listener.Adopt: they are non-blocking and shared with the running
// workers), starts its worker, and then tells the old master to stop
// gracefully (_softstop).
//
// The master CLI is HAProxy's line protocol: help, show proc, reload, and
// "@N cmd"/"@!PID cmd" forwarded to a worker's runtime API.
//
// Operations (counters.go, runtime.go). At start the master creates the
// shared counters segment (internal/counters), allocates slots by proxy
// and server name at each configuration load, hands the segment's
// descriptor to every worker after its hand-over channel, folds an exited
// generation's counts into the permanent region, and publishes reload
// results and generations into the segment's header. It serves the stats
// sockets' runtime API sessions itself (internal/runtime): a session
// outlives reloads, and each command is forwarded with the session's
// level to the serving worker; state-changing ones wait for a reload in
// progress and are sent to every live generation, serving first. The
// takeover commands (_getsocks, _handover, _softstop) are recognised on a
// connection's first line only.
package master
