// Package pattern is HAProxy's pattern matching: the ACL match methods
// (-m found|bool|int|ip|bin|len|str|sub|reg|beg|end|dir|dom), the lists of
// patterns they compare a sample with, the ACL and map files (-f, -M, the
// map_* converters), and the runtime operations on them (add, del, set,
// clear, show) that the runtime API exposes.
//
// # Model
//
// A Ref is one source of patterns: a file named by "-f FILE" or a map
// converter (loaded once per configuration, every user of the same file
// shares it, as in HAProxy), or the values written inline on an ACL line.
// It holds Entries (key, and for maps a value) in file order. A Store
// keeps a configuration's Refs by file name and by unique id ("#N"), for
// "show map", "add acl" and friends.
//
// A Matcher is a compiled view of a Ref for one match method, case
// folding and map output type: a List with the keys parsed (integer
// ranges, IP prefixes, regular expressions, hex blocks, lowercased
// strings) and the values converted. Lists are immutable; a Matcher
// publishes its current List through an atomic pointer, which is the only
// shared state the request path reads. A runtime change to a Ref (the
// Ref's mutex serialises changers) compiles a new List for every Matcher
// of the Ref and swaps it in; a request sees either the old or the new
// list, never half of one. Changes live until the next reload, which
// reads the files again, as HAProxy's do. The rules' set-map, del-map,
// add-acl and del-acl change a Ref the same way; since they may fire on
// every request, a change that changes nothing is found through an index
// of the keys and neither allocates nor recompiles (rulechange.go).
//
// # Matching
//
// MatchBytes, MatchInt and MatchIP compare one sample with a List and
// return the index of the entry that matched, so map converters can read
// its value. They allocate nothing: case-insensitive exact lookups fold
// the sample into a caller-provided scratch buffer. Where HAProxy keeps
// patterns in trees the most specific entry wins: exact strings are found
// through a Go map (the first of duplicates), IP entries are tried
// longest prefix first, and case-sensitive prefixes (beg without -i)
// give the longest matching one. Every other method walks the list in
// order and the first matching entry wins.
//
// Regular expressions are Go's RE2 (package regexp), unanchored like
// HAProxy's. A pattern RE2 cannot compile (backreferences, lookaround) is
// an error that says so.
package pattern
