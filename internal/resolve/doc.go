// Package resolve lets servers follow DNS while Baton runs: HAProxy's
// "resolvers" sections, "server ... resolvers NAME" and server-template,
// with A, AAAA and SRV records.
//
// # Wire format
//
// message.go is a small DNS codec on the standard library: AppendQuery
// writes a recursive query with an EDNS0 OPT record (accepted_payload_size);
// Parse reads a response and checks every count, length and compression
// pointer against the message (pointers must go strictly backwards, so
// no loop can form), refuses names with bytes outside letters, digits,
// '-' and '_', and keeps only A, AAAA, CNAME and SRV records. It is
// fuzzed (FuzzParse).
//
// # Model
//
// New builds a Runtime for one generation: a section per resolvers
// section, each with one connected UDP socket per name server; and a
// slot per server with resolvers. The slots of one backend resolving one
// name form a group: an addrGroup (host name: a server-template or
// server lines sharing the name) or an srvGroup (SRV label). Groups hang
// off resolutions, one per (name, preferred query type) and section,
// shared by every group that needs it.
//
// Each section has one goroutine (section.run) that owns its
// resolutions and slots; one more goroutine per name server only reads
// datagrams and hands them over. The run loop starts a resolution every
// "timeout resolve" after the last one ended, sends its query to every
// name server at once, takes the first valid answer, sends again after
// "timeout retry" without one (resolve_retries times), and asks the other
// family at once when every name server answered an A or AAAA query with
// an error, as HAProxy does. Answers are matched by query ID and checked
// for the question, size, truncation and records for other names; each
// outcome is counted per name server (Counters, "show resolvers").
//
// A valid answer is merged into the resolution's records (kept for
// "hold obsolete" after they leave the answers) and applied to each
// group in one step: assignAddrs keeps a slot's address while it is
// alive, takes it away otherwise, and fills free slots (drained ones
// first) with the addresses no slot has (allow-dup-ip: the least used),
// best first by family and resolve-net. An SRV answer fills a slot per
// record (target, port, weight mapped to 0..256); a target's address
// comes from the answer's additional records, or from an A/AAAA
// resolution of the target owned by that slot. A failed resolution
// changes nothing until its hold period has passed since the last valid
// answer; then its groups lose their addresses.
//
// Addresses reach the data path through backend.Backend.Apply: one
// atomic pointer per server, read by load balancing (a server without an
// address is in resolution maintenance) and by the dial; the backend
// closes the pooled connections to an address that left, and the health
// checker follows the new one. Resolution never blocks a request.
//
// # Lookups (do-resolve)
//
// Runtime.Resolve serves the do-resolve actions (lookup.go): the
// request's goroutine hands the name to the section's run goroutine,
// which joins the resolution of that name and preferred type in flight
// (a server's too) or starts one at once, and answers when it ends; the
// request waits on a channel, nothing else does. Server resolutions'
// valid answers are kept in a cache the request goroutines read without
// allocating, for "hold valid"; a resolution only lookups need is
// dropped when it ends, so such a name is resolved for each request, as
// HAProxy 2.6 does.
//
// # State across generations
//
// Every change is recorded as a ServerState (backend, server, name,
// address, SRV record) and published, coalesced, by a goroutine of its
// own (Options.Publish): the worker sends it to the master, which hands
// the latest to the next generation (Options.State), whose New applies it
// before anything is served. An entry is used only when the server still
// resolves the same name.
package resolve
