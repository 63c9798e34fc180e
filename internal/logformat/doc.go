// Package logformat parses HAProxy's log-format strings.
//
// Two parsers share the syntax:
//
//   - Parse reads the subset Baton evaluates in header values and
//     redirect targets: literal text, "%%", and "%[FETCH]" sample
//     expressions (src, path, method, url, req.hdr(NAME), hdr(NAME),
//     without converters). Anything else is an error, never literal text:
//     a value that silently went out as "%[foo]" would be a configuration
//     bug nobody sees. config calls it to reject bad strings with their
//     file:line; rules calls it to compile the segments it evaluates per
//     request.
//
//   - ParseLog reads custom log formats ("log-format", "log-format-sd",
//     "error-log-format"): the %-variables of HAProxy 2.6's table (Var)
//     with their flags (%{+Q,-M}var; %{...}o sets the default of later
//     variables), "%%", and blanks, which become separators that HAProxy
//     merges when it writes the line. It follows HAProxy's state machine,
//     including its leniencies (a '%' before a character that starts
//     nothing is dropped; unknown flags are ignored). Sample expressions
//     "%[...]" become Sample nodes whose text package config checks and
//     package accesslog compiles with package expr, the one place
//     fetches live. Package accesslog evaluates the nodes.
package logformat
