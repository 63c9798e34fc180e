// Package serverstate reads and writes HAProxy's server state format
// (version 1): the output of "show servers state" and the content of a
// "server-state-file", one line per server with its backend, address,
// operational and administrative state, weights and check state.
//
// Baton keeps server state across its own reloads without this file
// (package counters); the format exists so that an operator's scripts
// that save "show servers state" before a restart, and configurations
// that load it with "load-server-state-from-file", keep working.
//
// Parse is lenient as HAProxy is: comment lines and lines of an unknown
// form are skipped, one by one; only a missing or unknown version line
// fails the whole file.
package serverstate
