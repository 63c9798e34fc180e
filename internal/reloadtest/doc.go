// Package reloadtest is `baton reload-test`: it fires a mix of HTTP/1.1
// (or HTTP/2) traffic at any proxy while reloading it, and reports every request that
// failed, every new connection that reached the old configuration and every
// keep-alive reuse race.
//
// The model: the tester starts two labelled sample backends, "a" and "b",
// and a reload command that points the proxy at one of them (it gets
// BATON_RT_LABEL, BATON_RT_ADDR_A and BATON_RT_ADDR_B). A setup reload
// points the proxy at "a"; reload k then flips it to the other label. Each
// response names the backend that served it (X-Backend), so the label tells
// which configuration answered.
//
// The clients are raw TCP HTTP/1.1 clients, not net/http's Transport, which
// retries and would hide the races we measure. Every request leaves a
// record (when its connection was dialled, when it was sent, when its
// response head arrived, the label, the outcome); the verdicts are computed
// from the records after the run, per reload window [T_k, T_k+1):
//
//   - switch S_k: the first response with the new label on a connection
//     dialled after the reload command started; switch time = S_k - T_k.
//   - stale: a connection dialled after S_k answered with the old label
//     before T_k+1 (a later answer may come from reload k+1, whose new
//     label is the old one here). Once the new generation answered, the old
//     one must not accept (promise 2).
//   - reuse race: a request written on a reused keep-alive connection that
//     got no response byte at all (EOF or reset). A proxy that closes idle
//     connections under its clients at reload produces these.
//   - failed: refused, reset, eof (mid-response or on a new connection),
//     5xx, timeout, bad (wrong status, length or echo).
//   - old config last seen: the last response carrying the old label in the
//     window, minus S_k: how long the old generation kept answering.
//   - pinned: requests sent on reused connections after S_k that the old
//     configuration answered before T_k+1 (the forum thread's keep-alive
//     pinning).
//
// TLS mode (--tls): every connection is a TLS connection, each client
// keeping its own session cache; the report also counts handshakes,
// resumed and full, and the full handshakes where the client offered a
// session the proxy did not resume (a reload lost the session ticket
// keys). Those fail the run: a reload should cost no handshake.
//
// HTTP/2 mode (--h2): every request is a stream, over TLS with ALPN h2
// (with --tls) or in clear text with prior knowledge. The "new" clients
// open a connection per stream; the others share --h2-conns connections
// per kind and open the next one when the current one got a GOAWAY. Our
// own frame loop (h2conn.go) counts what net/http's Transport would
// hide: refused streams (RST_STREAM REFUSED_STREAM, or above a GOAWAY's
// last stream ID; they fail the run), GOAWAYs, and two-phase GOAWAYs
// (the first announcing 2^31-1). Every stream of a connection dialled
// after the switch must be answered by the new label (stale otherwise);
// see h2client.go.
//
// Exit status: 0 when nothing failed, nothing was stale, no race happened,
// every reload command succeeded and every reload was observed; 1
// otherwise; 2 on a usage error.
package reloadtest
