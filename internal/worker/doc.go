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
//	soft-stop       Engine.SoftStop(window); the worker exits when
//	                Engine.Done fires
//	close           hard stop: Engine.Close, then exit
//	status          live connections, for "show proc"
//	command         a runtime API line forwarded by the master CLI
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
// The control channel is a unix socket so that it can later carry
// descriptors (SCM_RIGHTS): handing idle keep-alive client connections to
// the next generation needs the engine to expose its idle connections and
// the bytes already read from them; the Engine interface is the seam.
package worker
