// Package cache is HAProxy's small object cache ("cache NAME" sections,
// "http-request cache-use", "http-response cache-store"), kept in
// memory that every generation of workers shares, so that a reload
// keeps every object and the new generation answers hits at once.
//
// # What is stored and served (policy.go)
//
// The decisions follow HAProxy 2.6 (checked against it; see the tests):
//
//   - The key is "https://" + Host + the request target (the target
//     alone when it is absolute). A request without Host is neither
//     looked up nor stored.
//   - Only GET and HEAD requests in HTTP/1.1 are looked up; only GET
//     responses are stored. A request with Authorization is neither
//     looked up nor stored. "Cache-Control: no-cache", "max-age=0" and
//     "Pragma: no-cache" (without Cache-Control) skip the lookup but let
//     the response be stored; "no-store" keeps the response out.
//   - A successful (2xx, 3xx) response to an unsafe method (POST, PUT,
//     DELETE, ...) removes the stored object of its key (RFC 9111 4.4).
//   - Only 200 responses are stored, and only with explicit freshness
//     (s-maxage, max-age, Expires) or a validator (ETag,
//     Last-Modified); not with private, no-cache, no-store, max-age=0 or
//     s-maxage=0. Set-Cookie does not prevent storing, as in HAProxy.
//   - Freshness is s-maxage, else max-age, else Expires minus now,
//     capped by the section's max-age (which is also the lifetime of an
//     object with only a validator), minus the Age the response already
//     had; an object with no lifetime left is not stored.
//   - A response with Vary is stored only with process-vary on, and only
//     when it varies on Accept-Encoding and Referer alone (HAProxy's
//     list); each request variant is then a secondary entry, at most
//     max-secondary-entries per key. An Accept-Encoding variant is
//     identified by the response's Content-Encoding and serves every
//     request that accepts that coding, as HAProxy does.
//   - An object larger than max-object-size (head and body) is not
//     stored.
//   - A hit carries "Age": the response's own Age plus its time in the
//     cache. A GET or HEAD hit whose If-None-Match matches the stored
//     ETag (weak comparison), or, without If-None-Match, whose
//     If-Modified-Since is not older than Last-Modified (else Date), is
//     answered 304 with the stored header fields.
//
// # Memory (store.go)
//
// A Store is one cache section's region: a header, an index of buckets
// and a ring of objects, all in one byte slice that is a shared mapping
// in a worker (the master creates one segment per cache section and
// hands it to every generation, see package master) or plain memory in
// tests. The ring holds total-max-size bytes; objects are appended at
// its head and the oldest are overwritten first, which is HAProxy's
// "oldest objects are deleted first" without a global list. An index
// slot names an object by its absolute ring position; an object is
// valid while fewer than ring-size bytes were reserved after it.
//
// # Concurrency
//
// Several processes (the generations) and goroutines use a store at
// once. Each bucket has a lock word holding its owner's process id,
// taken with a compare-and-swap and held only to read or change the
// bucket's slots; a lock whose owner died is taken over. Writers take
// one more lock word, the ring's, to reserve space at the head (an
// atomic word, for readers) and copy their object in; they publish its
// slot under the bucket lock after. Copies are serialised because a
// writer descheduled in the middle of its copy while the others went a
// whole lap round the ring would finish it over a newer object, whose
// own checks could not tell. A reader copies an object out without a
// lock and then checks that the head has not come round over it; if it
// has, the copy is thrown away and the lookup is a miss. No lock is
// held while a socket is written to.
//
// # Reloads
//
// The master keeps one segment per cache name and size: a reload that
// keeps a section's total-max-size keeps its objects (both generations
// use them while the old one drains); a section whose size changed gets
// a new, empty segment, and the old one is freed once no generation
// uses it.
package cache
