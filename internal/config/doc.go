// Package config reads Baton's configuration: a documented subset of
// HAProxy's configuration language (see doc/configuration.md).
//
// The pipeline is lexer -> sections -> typed, validated model. The lexer
// (lex.go) cuts lines into words with HAProxy's quoting and escaping and
// keeps each line's file and number. The parser walks the lines section by
// section; each keyword is looked up in a table (keywords.go) that says in
// which sections it is allowed, so a keyword in the wrong section, a
// HAProxy keyword Baton lacks, and a typo each get their own message.
// Nothing is silently ignored.
//
// Defaults follow HAProxy: a proxy starts from a copy of the last defaults
// section before it (or the named one after "from"), keeping only what its
// kind of section accepts. When a section ends, its ACL references and
// effective timeouts (with HAProxy's fallback chain) are resolved; when all
// files are read, references between proxies, modes and duplicates are
// checked. Every error is collected, "file:line: keyword: problem", and
// returned together as an ErrorList in file order.
//
// Each effective timeout records where it came from (Timeout.From) so that
// Explain can answer "which timeout applies here, and why".
//
// Entry points: Load (files or directories, like haproxy -f), ReadSources
// and ParseSources (the master reads bytes once and hands the same bytes
// to workers), Parse (one text), Explain, and Keywords (the supported
// keywords per section, which doc/configuration.md must match).
package config
