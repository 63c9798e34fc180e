package rules

// This file fixes the package's entry points; the other files implement them.
//
// rules compiles a proxy's ACLs, use_backend, http-request and
// http-response lines into matchers evaluated against a parsed request
// without allocating.
//
//	// Input is what ACL fetches read.
//	type Input struct {
//	    Req *h1.Request
//	    Src netip.Addr
//	}
//
//	type Set struct{ ... }           // a proxy's compiled rules
//	func Compile(p *config.Proxy) (*Set, error)
//
//	// Backend returns the first use_backend whose condition matches, else
//	// the default_backend, else "" (then a listen proxy serves itself).
//	func (s *Set) Backend(in *Input) string
//
//	// Verdict is what http-request rules decided.
//	type Verdict struct {
//	    // Respond is set by deny, return and redirect: the proxy sends
//	    // Status with Headers and Body, then (deny) closes.
//	    Respond bool
//	    Status  int
//	    Location []byte           // redirect
//	    ContentType, Body []byte  // return/deny payload
//	    Close bool                // deny closes the connection
//	}
//	// Request applies http-request rules in order to in.Req (header
//	// actions edit in.Req in place) and stops at the first final action.
//	func (s *Set) Request(in *Input, v *Verdict)
//	// Response applies http-response header rules to resp.
//	func (s *Set) Response(in *Input, resp *h1.Response)
