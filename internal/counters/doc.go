// Package counters is the shared memory that statistics and server state
// live in, so that they outlive a worker generation: a reload never resets
// a counter, and a drained or maintained server stays so in the next
// generation.
//
// # Model
//
// The master creates one Segment (an unlinked file, mapped shared) and
// hands its descriptor to every worker with the listeners. The segment is
// an array of slots, one per statistics object: the process, each
// frontend, each backend, each server. The master allocates slots by name
// (Key: kind, proxy, server) when it loads a configuration (Table), so a
// reload that reorders, adds or removes proxies keeps every counter with
// the object it counts; it frees a slot once no live generation uses it.
//
// A slot holds a header (its kind, its parent backend for a server, the
// server's runtime state: see State) and one counter block per region.
// Each generation owns a group of Shards regions, given to it by the
// master; a connection counts in one shard of its generation's group,
// chosen when it is accepted, so the connections of one worker seldom
// write the same cache line and two generations never do. Every write on
// the request path is one atomic add (or a compare-and-swap for maxima,
// rates and averages) on a word of the mapping: no lock, no allocation,
// no system call.
//
// Readers (the runtime API, the stats page, the Prometheus exporter, in
// any process) sum the regions of the live groups, marked in the
// header. When a generation has exited the master folds its group into
// group 0 (cumulative counters added, maxima kept) and zeroes it, under a
// sequence lock that readers retry on, so a sum never counts a fold twice
// or not at all: a counter read across reloads only grows (Prometheus
// rate() never sees a reset). Gauges (current sessions, queue) are
// per-group and vanish with their generation. When a server's slot is
// freed (its server was removed), its cumulative counters are folded into
// its backend's slot, and a frontend's into the process slot, because the
// backend and process totals are derived by summing those children.
//
// Slot layout (words of 8 bytes): the header's 64 words, then for each
// region a block of 64 counter words (see the Field constants), hot
// fields first so one request touches few cache lines. The segment file
// grows by whole slots (Table.Grow) and is sparse: untouched regions cost
// no memory. Readers touch only the regions of live groups.
package counters
