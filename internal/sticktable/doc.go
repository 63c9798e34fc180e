// Package sticktable is HAProxy's stick tables: per-key counters, rates,
// marks and server assignments that rules track and read (rate limits,
// abuse detection, persistence), kept in memory that every generation
// of workers shares, so that a reload keeps every entry.
//
// # Model
//
// A Spec is one "stick-table" line. A Table is a view of a region of
// 8-byte words laid out from its Spec: a header, then buckets. A bucket
// is a lock word, 16 tags (a hash of each slot's key, 0 for a free
// slot) and 16 slots; a slot holds the trackers holding it, its expiry,
// when it was last used, its key and one field per stored data type (a
// counter is one word, a rate three: see freq.go). The region has twice
// as many slots as the table's size, so that a key's bucket is seldom
// full before the table is; a count word bounds the entries to the size.
//
// The region lives in shared memory the master creates and hands to
// each generation (a worker maps it); tables are matched by name and
// shape (Spec.Shape: key type and length, size, stored types), so a
// reload that keeps a table's definition keeps its entries, and the old
// and new generations update the very same entries while both run. A
// region of another shape (the definition changed) starts empty.
//
// # Concurrency
//
// Each bucket has a lock word holding the owner's process id, taken
// with a compare-and-swap: the only lock on the request path, held for
// a few instructions by one lookup or update. Processes share it, so it
// is not a Go mutex; a lock whose owner died is taken over (see
// Table.lock). A Ref (a slot's offset) stays valid while a tracker
// holds it: an entry with trackers is neither evicted nor expired. The
// count word and the sweep cursor are atomics.
//
// # Size and expiry
//
// When the table holds Size entries, a new key evicts an expired entry
// or else the least recently used one that nobody tracks, from its own
// bucket or one of the next few (an approximation of HAProxy's LRU that
// needs no global list); with nopurge the new key is refused instead.
// An expired entry is invisible to lookups and reused in place; each
// creation sweeps one bucket of its expired entries, so table_cnt
// follows expiry.
//
// # Tracking
//
// A Tracker is one connection's three sticky counters (track-sc0..2).
// Tracking counts a connection on the entry, a session when done by a
// connection rule, a request when done by an HTTP rule; the proxy then
// counts each request (Tracker.BeginRequest), accounts how it ended
// (EndRequest: errors, failures, bytes) and releases the entries when
// the request or the connection ends. Fetches and converters (fetch.go)
// reach the tracker through expr.Ctx.Stick. Nothing on this path
// allocates: keys are built in the tracker's buffer, data is read and
// written in place.
package sticktable
