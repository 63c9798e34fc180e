// Package backend holds a backend's servers and chooses one per request.
//
// A Backend is built once per worker generation from a config.Proxy (New)
// and shared by every connection of that generation. Each Server keeps its
// runtime state in atomics: weight, administrative state (Ready, Drain,
// Maint), the health-check verdict and the number of connections using it.
// A server is usable when it is Ready, healthy and has a weight above 0.
//
// Acquire chooses a usable server with the proxy's balance algorithm
// (roundrobin, static-rr, leastconn, first, source, uri, random; HAProxy's
// meanings, weights honoured) and counts a connection on it; Release gives
// the slot back. Backup servers are used only when no active server is
// usable, and then only the first usable one. A server at its maxconn is
// skipped; when every candidate is full the request waits in the
// backend's FIFO queue, and each Release, or a server becoming usable,
// hands the freed slot to the oldest waiter that can use it. When nobody
// waits, Acquire and Release take no lock (roundrobin excepted: its
// smooth weighted round robin state sits behind a short mutex) and
// allocate nothing.
//
// Each server also pools idle keep-alive connections (PutIdle, GetIdle):
// last in, first out, so warm connections are reused and cold ones age
// out on the server side; bounded with HAProxy's meanings by the
// server's pool-max-conn (no limit by default) and a process budget of
// 20% of the descriptor limit, and halved every pool-purge-delay
// (pool.go); checked with a
// non-blocking peek on the way out so a connection the server closed is
// discarded instead of failing a request.
package backend
