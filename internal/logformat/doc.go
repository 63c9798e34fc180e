// Package logformat parses the subset of HAProxy's log-format strings that
// Baton evaluates in header values and redirect targets.
//
// A string is literal text with "%%" for a literal percent sign and
// "%[FETCH]" sample expressions; the supported fetches are src, path,
// method, url, req.hdr(NAME), hdr(NAME), and the PROXY protocol's
// fc_pp_authority, fc_pp_unique_id and fc_rcvd_proxy, without converters.
// Anything
// else is an error, never literal text: a value that silently went out as
// "%[foo]" would be a configuration bug nobody sees. config calls Parse to
// reject bad strings with their file:line; rules calls it to compile the
// segments it evaluates per request.
package logformat
