// Package procenv sets up a worker process from the global section: its
// threads, open-files limit, root directory and identity.
//
// Model. The master keeps the privileges it was started with: it binds
// the listening sockets, at start and again for new addresses at each
// reload, and re-executes itself for an upgrade. A worker is started by
// the master with the same privileges, inherits its sockets and control
// channels as open descriptors, receives the configuration and every file
// it names as bytes over the control channel, and builds its engine. Only
// then does it call Apply, which, in this order:
//
//  1. sets GOMAXPROCS ("nbthread");
//  2. sets RLIMIT_NOFILE ("ulimit-n", or enough for maxconn), while it
//     may still raise the hard limit; a failure is an error with
//     strict-limits (the default), else a warning;
//  3. loads what Go reads lazily from the file system and would miss in
//     a chroot (the local time zone);
//  4. chroots and moves to "/" ("chroot");
//  5. drops supplementary groups and sets the gid ("group"/"gid"), then
//     the uid ("user"/"uid"); Go applies these to every thread.
//
// After that the worker opens nothing by path: its sockets, control and
// hand-over channels are descriptors it already holds, so serving, soft
// stop, connection hand-over and the master's reloads, upgrades and
// takeovers work unchanged. A failure of Apply fails the worker's start;
// the master reports it and keeps the previous generation serving.
package procenv
