// Package rules compiles a proxy's ACLs, use_backend lines and
// http-request / http-response rules into matchers that are evaluated
// against a parsed request without allocating.
//
// # Model
//
// Compile turns a config.Proxy into a Set once per configuration load.
// Every ACL line becomes a matcher: a fetch (path, hdr(name), method, src)
// and a match method (exact, _beg, _end, _sub, _reg) with its values
// prepared up front: lowercased when -i is given, regular expressions
// compiled, src values parsed into netip.Prefix. A named ACL declared on
// several lines ORs its lines, and each line ORs its values, as in HAProxy.
// A condition is an OR of AND-ed terms, each possibly negated with "!";
// "unless" inverts the whole condition.
//
// Fetches, in HAProxy's words:
//
//   - path, path_beg, path_end, path_sub, path_reg: the request path
//     without the query string (h1.Request.Path).
//   - hdr(name), hdr_beg, hdr_end, hdr_sub, hdr_reg: request header values.
//     Like HAProxy's hdr(), every occurrence of the field is examined and
//     each comma-separated element of it (with surrounding blanks removed)
//     is a separate value; the ACL matches when any element matches. Use on
//     headers whose values contain commas (User-Agent, dates) accordingly.
//     The hdr_* ACL keywords always read the request, also in http-response
//     conditions, as HAProxy documents. hdr without a name is not supported.
//   - method: the request method.
//   - src: the client address against IPs and CIDRs (v4 and v6; an
//     IPv4-mapped IPv6 client address matches IPv4 prefixes). -i is
//     meaningless for src and ignored.
//   - ssl_fc, ssl_c_used, ssl_fc_has_crt, ssl_fc_has_sni,
//     ssl_fc_is_resumed (booleans, no value), ssl_fc_sni (also _end,
//     _reg), ssl_fc_protocol, ssl_fc_cipher (OpenSSL's name), ssl_fc_alpn,
//     ssl_c_s_dn, ssl_c_i_dn (OpenSSL's one-line DN) and ssl_c_verify
//     (integer, ranges LO:HI): the client connection's TLS facts
//     (Input.TLS, computed once after the handshake). On a plain
//     connection they do not match, but ssl_c_verify is 0 as in HAProxy.
//   - req.ssl_hello_type (integer) and req.ssl_sni (also req_ssl_*): the
//     ClientHello a passthrough connection sent (Input.Hello).
//
// # TCP content rules
//
// Content runs the tcp-request content rules while a passthrough
// connection's first bytes arrive. Conditions are evaluated in three
// states, as HAProxy's: a req.ssl_* fetch on a ClientHello that is still
// incomplete (Input.HelloPending) is "missing"; an AND with a failing
// term fails, else misses with a missing one; an OR passes with a passing
// alternative, else misses; negation keeps a miss. A missing condition
// makes Content answer ContentWait until the caller says the data is
// final (inspect delay over, buffer full, client closed), when missing
// counts as no match. No matching rule accepts.
//
// -i makes the value comparison case-insensitive (ASCII); header names are
// always case-insensitive. The predefined ACLs TRUE, FALSE and METH_GET,
// METH_POST, METH_PUT, METH_DELETE, METH_HEAD, METH_OPTIONS, METH_CONNECT,
// METH_TRACE are available when the proxy declares no ACL of that name.
//
// # Actions
//
// Backend returns the first use_backend whose condition holds, else the
// default_backend, else "". Request runs http-request rules in order:
// set-header, add-header and del-header edit in.Req in place; deny,
// return and redirect fill the Verdict and stop. Response runs
// http-response set-header, add-header and del-header on the response;
// their conditions see the request (in), since the ACL fetches Baton
// supports are all request fetches. Other http-response actions are a
// Compile error rather than being ignored.
//
// # Values
//
// Header values and redirect targets are HAProxy log-format strings.
// Supported: literal text, "%%" for a literal '%', and the sample
// expressions %[src], %[path], %[method], %[url], %[req.hdr(NAME)] and
// %[hdr(NAME)] (the last comma-separated element of the last occurrence
// of NAME, as HAProxy's req.hdr does outside ACLs), and the TLS fetches
// of logformat.TLSFetches (booleans as "1"/"0"). Anything else after a
// '%' is a Compile error naming the rule's file:line. A value is compiled
// into segments once; evaluation appends into a scratch buffer owned by
// the Input, reset at the start of each Request or Response call, so the
// hot path does not allocate once the buffer has grown. Header values set
// by a rule therefore alias that buffer (or the compiled literal) and stay
// valid until the next Request or Response call on the same Input.
//
// # Allocation
//
// Matching compares bytes against precomputed values; case-insensitive
// comparison folds ASCII on the fly. Backend, Request and Response do not
// allocate in steady state (tests prove it with testing.AllocsPerRun);
// path_reg/hdr_reg rely on regexp's own pooled machines.
package rules
