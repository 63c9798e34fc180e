// Package expr is HAProxy's sample language: typed values, the fetches
// that read them, the converters that transform them, and the expression
// syntax "fetch(args),conv(args),..." that ACLs, rule actions, log-format
// strings ("%[expr]"), use_backend and unique-id-format share.
//
// # The one place fetches live
//
// Every fetch and converter is registered here, by name, with its
// argument types, its output type and what it reads (Use): RegisterFetch,
// RegisterConv, and RegisterACL for ACL keywords such as hdr_beg (a fetch
// with a default match method). Packages that own data (TLS facts, the
// PROXY protocol header, stick tables) add their fetches the same way,
// from a file of this package or an init function of theirs, reading
// what they need from the Ctx; the configuration then knows them, checks
// their arguments, and tells an operator when one is used where its data
// never exists (Where, CheckWhere), in HAProxy's words. Data that only
// such a package has gets a field in Ctx that the proxy fills (the TLS
// facts after the handshake, the ClientHello read for req.ssl_sni, the
// PROXY header), and a Use bit if some rule sites never have it; the
// fetch returns false while the field is unset. Tables and lists keyed
// by a fetch name elsewhere are not needed and would drift.
//
// # Values
//
// A Sample is a bool, an integer, an IPv4 or IPv6 address, a string or
// binary bytes. Casts follow HAProxy 2.6's matrix (Ctx.Cast): a string
// becomes an integer by its leading digits ("12abc" is 12), an integer an
// IPv4 address by its low 32 bits, binary a string up to its first NUL
// byte; a bool cannot become an address, an IPv6 address not an integer.
// Converters declare the type they take and the parser refuses a chain
// whose types can never meet.
//
// # Compiling and evaluating
//
// Compile (or CompileACL, CompileFormat) runs once per configuration
// load; errors carry HAProxy's wording, and callers add the file:line.
// Compiling declares the variables an expression names (VarTable) and
// reads the map files it uses through Env.ReadFile (the master reads
// them; a worker gets the same bytes), so a broken map fails the reload
// that introduced it.
//
// Evaluation (Expr.Eval, Expr.Next for ACLs, Format.Append) reads a Ctx:
// one per client connection, owned by its goroutine. Values alias the
// request and response buffers, compiled constants, variable storage or
// the Ctx's scratch buffer, which is only appended to during a request
// and emptied by BeginRequest. So a steady-state request allocates
// nothing: converters write into the scratch buffer, maps and ACL
// patterns are looked up without copies, integers and addresses are
// formatted with Append functions. The exceptions are documented where
// they are: regsub and replace rules (Go's regexp returns match
// positions in a new slice), digest and hmac (hash state), debug.
//
// Log-format strings elsewhere (package accesslog) can compile a whole
// format once with CompileFormat and call Format.Append per line, or an
// expression with Compile and Expr.AppendString: both append to a
// caller-provided buffer (not the Ctx's scratch) without allocating.
// CompileHTTPFormat is for formats written into HTTP messages: their
// samples' control characters are percent-encoded, as in HAProxy.
//
// # Iteration
//
// A fetch may have several values (a header's comma-separated elements,
// every cookie of a name). In a sample context it returns one: the last
// by default, or the occurrence asked for. An ACL sets Iter.Iterate and
// gets every value in turn until one matches, as HAProxy does.
//
// # Data that is still arriving
//
// TCP content inspection evaluates rules while bytes arrive. A fetch
// over the payload that cannot decide yet sets Sample.MayChange; the
// rules then wait for more data or the end of the inspect delay.
package expr
