// Package rules runs a proxy's rules: ACL conditions, use_backend and
// use-server, http-request, http-response and http-after-response rules,
// tcp-request connection, session and content rules, tcp-response
// content rules, header captures and the unique id. The sample language
// (fetches, converters, maps, log-format strings) is package expr; the
// pattern lists ACLs match against are package pattern; package config
// parses and checks everything, file:line by file:line.
//
// # Model
//
// Compile turns a config.Proxy into a Set once per configuration load.
// An ACL line is its compiled criterion, its match method and its
// pattern lists; every reference to a named ACL shares them. A condition
// is an OR of AND-ed terms, each possibly negated; "unless" inverts it.
// A term keeps only the ACL lines whose data exists where the condition
// is used (a path ACL in an http-response rule never matches, as HAProxy
// warns when the configuration is read).
//
// Conditions evaluate in three states, as HAProxy's: a value that may
// still change (TCP content still arriving) makes a non-match "missing";
// an AND fails on a failing term and otherwise misses on a missing one;
// an OR passes on a passing alternative and otherwise misses; negation
// keeps a miss. Content and ResponseContent answer Wait on a miss until
// the data is final, and resume at the rule that waited.
//
// # Input
//
// Input is one per client connection: the expr.Ctx the fetches read (the
// request and response heads, addresses, variables, captures), the
// Effects rules leave for the proxy (log level, socket mark and TOS,
// timeouts, early hints), Hooks for waiting (wait-for-body) and the
// Resolver do-resolve asks (resolve.Runtime; the request's goroutine
// waits for the answer, in tcp-request content only while the inspect
// delay runs).
// BeginRequest clears what belongs to one request.
//
// # Actions
//
// Header, URI and method rewrites change the parsed h1.Request or
// h1.Response in place: values are built in the Input's scratch buffer
// (expr.Ctx), which is only appended to during a request, so a value a
// rule set stays valid until the next request. The proxy then writes the
// edited head. Answers (deny, tarpit, return, auth, redirect, and the
// response side's deny and return) fill a Verdict; Reject and SilentDrop
// close the connection without an answer. set-map, del-map, add-acl and
// del-acl change the map or ACL file's pattern.Ref: every Matcher of the
// file, and so the next request's lookups, sees the change.
//
// In Baton's model some actions have nothing to act on: set-nice (Go
// schedules requests; there is no priority to change) and strict-mode
// (Baton's rewrites do not fail, so there is nothing to make strict);
// the configuration accepts them with a warning saying so.
//
// # Allocation
//
// Backend, Request, Response, AfterResponse and the TCP rule sets do not
// allocate in steady state for fetches, converters, maps, ACL matches and
// header rewrites (the allocation tests prove it). Regular expressions
// with groups (regsub, replace-header, replace-value, replace-path,
// replace-uri) allocate the match positions Go's regexp returns;
// query-sort-by-name allocates its list of parameters.
package rules
