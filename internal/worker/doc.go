// Package worker is one worker generation: the process the master starts
// for each configuration, and the control protocol between the two.
//
// A worker is the baton binary re-executed with a hidden sub-command. It
// inherits a unix stream socket on descriptor 3 (the control channel) and
// the master's listening sockets on 4, 5, ... It never binds anything.
//
// The master drives it with request/reply messages (Message, framed as a
// 4-byte length and JSON):
//
//	start           files + listener names: rebuild the listeners, parse,
//	                build the Engine; reply when it could accept (or the
//	                file:line error, after which the worker exits)
//	serve           run Engine.Serve on every listener
//	stop-accepting  reply only once no accept can happen anymore: every
//	                Serve returned and the worker's descriptors are closed
//	soft-stop       with Migrate: hand idle connections over (below);
//	                then Engine.SoftStop(window); the worker exits when
//	                Engine.Done fires
//	close           hard stop: Engine.Close, then exit
//	status          live connections, for "show proc"
//	command         a runtime API line (with the session's level) from a
//	                stats socket session or the master CLI, answered by
//	                the engine's runtime.Target
//	ticket-keys     new TLS session ticket keys (TicketKeySetter)
//
// The start message also carries the Assets the configuration names
// (certificates, keys, CAs, crt-lists, as the master read and checked
// them: the worker loads those bytes, not the disk) and the master's TLS
// session ticket keys (Info.TicketKeys).
//
// and one message the worker sends on its own, without reply:
//
//	publish         state that should outlive the generation (resolution
//	                results), by kind; the master keeps the latest of each
//	                kind and passes them all in the next start message
//
// The ordering guarantee of a reload (the old generation stops accepting
// before the new one starts) lives in the master; the worker's part is to
// acknowledge stop-accepting only when it is true.
//
// If the control channel reaches end of stream the master is gone: the
// worker stops accepting, drains and exits, so that no generation outlives
// its master for long. The worker ignores SIGINT, SIGHUP, SIGUSR1 and
// SIGUSR2: a Ctrl-C reaching the whole process group must not stop a
// generation behind the master's back.
//
// # Connection hand-over
//
// Besides the control channel each worker inherits a hand-over channel to
// the master (the start message's HandOff; the descriptor follows the
// listeners): a SOCK_SEQPACKET unix socket carrying Transfer messages, one
// per datagram, JSON, with at most one descriptor in SCM_RIGHTS.
//
//	conn  id, bind, buffered bytes + the client socket's descriptor
//	ack   id, err ("" once the receiver adopted the connection), retry
//	      (refused only because the receiver stopped accepting: a newer
//	      generation may take it)
//
// On a soft-stop with Migrate set (a successor is serving and no longer
// waiting on this one's accept), an engine implementing Migrator hands
// each idle keep-alive connection over: the worker sends its descriptor
// (obtained with SyscallConn().Control, never File, which could switch the
// shared socket to blocking mode) and waits for the ack; only an ack
// without error lets the engine forget the connection and close its own
// descriptor, so a connection is always owned by at least one live
// process, and no FIN reaches the client. Anything else (no Migrator,
// receiver not serving, receiver gone, channel gone) leaves the connection
// here to drain as in a plain soft stop.
//
// A request in progress during that first pass may be answered without
// "Connection: close" (its response was under way before the hand-over
// began); its connection goes idle after the pass, and the soft stop
// would close it while the client reuses it. So the worker repeats the
// hand-over every handOffSweep (well within the engine's grace before it
// closes a just-answered idle connection) until the engine is done, the
// worker is closed, or a connection could not be handed over; only then
// (or when the first pass kept one) does Engine.SoftStop run, whose kicks
// of idle connections would otherwise cut that grace short.
//
// A TLS connection cannot move (its cipher state is in this process): an
// engine implementing RelayAdopter relays it instead, and what travels is
// the far end of a unix socket pair, marked by Transfer.Relay (the
// client's address and TLS facts), which the receiver gives to
// AdoptRelay. Everything else about it (acks, Retry, the master's
// routing) is as for a client socket.
//
// The serving worker adopts what arrives (Engine.Adopt) until it stops
// accepting, soft-stops or closes; after that it refuses with Retry, and
// the master passes the connection on to the generation serving then.
//
// The master relays between generations (package master); the protocol is
// symmetric, so two workers' channels can also be joined directly, as the
// tests do.
//
// # Counters
//
// When the start message carries a CountersRef, the worker maps the
// shared counters segment from the descriptor that follows the hand-over
// channel and gives the engine its generation's region (counters.go).
package worker
