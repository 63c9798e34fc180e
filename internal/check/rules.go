package check

import (
	"fmt"
	"net/netip"
	"regexp"
)

// Action is what a rule does.
type Action uint8

const (
	ActConnect  Action = iota + 1 // open a connection (closing the previous one)
	ActSend                       // send bytes or an HTTP request
	ActExpect                     // read and match the answer
	ActComment                    // name the next rules in failure messages
	ActSetVar                     // set a variable
	ActUnsetVar                   // remove a variable
)

// Kind is the family a ruleset belongs to: it decides how answers are
// read (HTTP or raw bytes) and the wording of failure messages.
type Kind uint8

const (
	KindTCP   Kind = iota + 1 // option tcp-check, or no check option (a connect)
	KindHTTP                  // option httpchk and http-check rules
	KindRedis                 // option redis-check
	KindSSL3                  // option ssl-hello-chk
	KindSMTP                  // option smtpchk
	KindPgSQL                 // option pgsql-check
	KindMySQL                 // option mysql-check
	KindLDAP                  // option ldap-check
	KindAgent                 // agent-check
	KindPlain                 // "check" without a check option: a connect
)

// Connect is a connect rule's options.
type Connect struct {
	// Default uses the server's own check settings (check port and addr,
	// check-send-proxy, check-ssl) where the rule sets nothing.
	Default bool
	// Implicit marks the connect Baton adds when a ruleset does not start
	// with one; failures there are "at initial connection step".
	Implicit bool
	// Port is the port; 0 means PortExpr, the address's port, the check
	// port or the server's port, in that order.
	Port     int
	PortExpr *Expr
	// Addr is the address to connect to; invalid means the check address
	// or the server's.
	Addr      netip.AddrPort
	SendProxy bool
	// ViaSocks4 goes through the server's SOCKS4 proxy, if it has one.
	ViaSocks4 bool
	// SSL opens a TLS connection (sni and alpn apply).
	SSL  bool
	SNI  string
	ALPN []string
	// Linger closes cleanly; without it the connection is reset, as
	// HAProxy does.
	Linger bool
	// Proto is the multiplexer named by "proto" ("h1", "none"...).
	Proto string
}

// SendKind says how a send rule's bytes are made.
type SendKind uint8

const (
	SendString   SendKind = iota + 1 // send: literal bytes
	SendBinary                       // send-binary: hex decoded at parse time
	SendStringLF                     // send-lf: a log-format string
	SendBinaryLF                     // send-binary-lf: a log-format string of hex digits
	SendHTTP                         // http-check send / option httpchk
)

// Send is a send rule.
type Send struct {
	Kind SendKind
	Data []byte
	Fmt  *Format
	HTTP *HTTPRequest
}

// HTTPRequest is an HTTP check request.
type HTTPRequest struct {
	// Method is "OPTIONS" when empty; URI "/" when empty and URIFmt is
	// nil; Version "HTTP/1.0" when empty.
	Method  string
	URI     string
	URIFmt  *Format
	Version string
	Headers []HTTPHeader
	Body    string
	BodyFmt *Format
	// FromOption marks the request of an "option httpchk" line, which a
	// later "http-check send" completes rather than replaces.
	FromOption bool
}

// HTTPHeader is one "hdr NAME FMT" of an HTTP check request.
type HTTPHeader struct {
	Name  string
	Value *Format
}

// ExpectKind is what an expect rule matches.
type ExpectKind uint8

const (
	ExpString       ExpectKind = iota + 1 // string: the bytes appear in the answer
	ExpRegex                              // rstring
	ExpBinary                             // binary
	ExpBinaryRegex                        // rbinary: a regex on the answer in hex
	ExpStringLF                           // string-lf
	ExpBinaryLF                           // binary-lf
	ExpCustom                             // a protocol check's own parser
	ExpHTTPStatus                         // status: codes and ranges
	ExpHTTPStatusRe                       // rstatus
	ExpHTTPHeader                         // hdr, fhdr
	ExpHTTPBody                           // string (http-check)
	ExpHTTPBodyRe                         // rstring (http-check)
	ExpHTTPBodyLF                         // string-lf (http-check)
)

// Expect is an expect rule.
type Expect struct {
	Kind   ExpectKind
	Negate bool
	// MinRecv is the bytes needed before matching; -1 means none: a
	// mismatch then waits for more data until the answer ends.
	MinRecv int
	Data    []byte
	Regex   *regexp.Regexp
	Fmt     *Format
	Codes   [][2]int
	Header  *HeaderMatch
	// OK, Err and Tout override the statuses of success (last rule
	// only), failure and timeout; 0 means the defaults (L7OK, L7RSP or
	// L7STS, L7TOUT).
	OK, Err, Tout Status
	// OnSuccess and OnError make the info text; nil means the default.
	OnSuccess, OnError *Format
	// comment is held between parsing and the rule taking it.
	comment string
	// StatusCode sets the result's code.
	StatusCode *Expr
	// custom is a protocol check's parser (mysql, ldap, agent).
	custom customExpect
	// head is the rule evaluation restarts from when it needs more data:
	// the first negated expect of this chain of expects, or itself.
	head int
}

// okStatus is the status of a passed last expect: OK, or L7OK.
func (e *Expect) okStatus() Status {
	if e.OK == 0 {
		return StatusL7OK
	}
	return e.OK
}

// HeaderMatch is an HTTP header expectation ("hdr name ... value ...").
type HeaderMatch struct {
	Name    string
	NameFmt *Format
	NameRe  *regexp.Regexp
	NameM   string // str, beg, end, sub, reg
	// NoValue: only the header's presence counts.
	NoValue  bool
	Value    string
	ValueFmt *Format
	ValueRe  *regexp.Regexp
	ValueM   string
	// Full matches the whole value (fhdr); otherwise each comma-separated
	// element.
	Full bool
}

// Rule is one step of a ruleset.
type Rule struct {
	Action Action
	// Index is the rule's 0-based position as HAProxy numbers it; the
	// step shown in messages is Index+1 (0 for an implicit connect).
	Index   int
	Comment string
	Connect *Connect
	Send    *Send
	Expect  *Expect
	// Var is the variable of set-var and unset-var; VarExpr or VarFmt
	// its new value, VarConds the set-var conditions.
	Var      string
	VarExpr  *Expr
	VarFmt   *Format
	VarConds []string
}

// Step is the step number messages show.
func (r *Rule) Step() int {
	if r.Action == ActConnect && r.Connect.Implicit && r.Index == 0 {
		return 0
	}
	return r.Index + 1
}

// Preset is a variable a ruleset sets before each run (option smtpchk's
// command, option pgsql-check's user...).
type Preset struct {
	Name  string
	Value Value
}

// Ruleset is a check's program: what "option tcp-check" and the tcp-check
// lines, "option httpchk" and the http-check lines, or a protocol check
// option made.
type Ruleset struct {
	Kind    Kind
	Rules   []*Rule
	Presets []Preset
	// finished is set by Finish.
	finished bool
}

// last returns the last rule that is not a comment or variable action.
func (rs *Ruleset) last() *Rule {
	for i := len(rs.Rules) - 1; i >= 0; i-- {
		if r := rs.Rules[i]; !r.passive() {
			return r
		}
	}
	return nil
}

// first returns the first rule that is not a comment or variable action,
// and its position.
func (rs *Ruleset) first() (*Rule, int) {
	for i, r := range rs.Rules {
		if !r.passive() {
			return r, i
		}
	}
	return nil, -1
}

func (r *Rule) passive() bool {
	return r.Action == ActComment || r.Action == ActSetVar || r.Action == ActUnsetVar
}

func (r *Rule) fromOption() bool {
	return r.Action == ActSend && r.Send.HTTP != nil && r.Send.HTTP.FromOption
}

// nextIndex is the index a new rule gets, as HAProxy numbers them.
func (rs *Ruleset) nextIndex() int {
	if n := len(rs.Rules); n > 0 {
		last := rs.Rules[n-1]
		if rs.Kind == KindHTTP && last.fromOption() {
			return last.Index
		}
		return last.Index + 1
	}
	return 0
}

// Add appends a tcp-check or http-check rule, enforcing HAProxy's order:
// a connect must come first when there is one (after comments and
// variable actions only); in an HTTP ruleset a send follows a connect, an
// expect follows a send or an expect, a connect follows an expect, and a
// send completes the request of "option httpchk".
func (rs *Ruleset) Add(r *Rule) error {
	r.Index = rs.nextIndex()
	if r.Action == ActConnect {
		for _, p := range rs.Rules {
			if p.Action == ActConnect {
				break
			}
			if p.passive() || p.fromOption() {
				continue
			}
			return fmt.Errorf("first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset")
		}
	}
	if r.Action == ActExpect {
		r.Expect.head = rs.chainHead(len(rs.Rules))
	}
	if rs.Kind != KindHTTP {
		rs.Rules = append(rs.Rules, r)
		return nil
	}
	if r.fromOption() {
		rs.addOptionRequest(r)
		return nil
	}
	if last := rs.last(); last != nil && !last.fromOption() {
		switch {
		case r.Action == ActSend && last.Action != ActConnect:
			return fmt.Errorf("unable to add http-check send rule at step %d (missing connect rule)", r.Index+1)
		case r.Action == ActExpect && last.Action != ActSend && last.Action != ActExpect:
			return fmt.Errorf("unable to add http-check expect rule at step %d (missing send rule)", r.Index+1)
		case r.Action == ActConnect && last.Action != ActExpect:
			return fmt.Errorf("unable to add http-check connect rule at step %d (missing expect rule)", r.Index+1)
		}
	}
	if r.Action == ActSend {
		if f, i := rs.first(); f != nil && f.fromOption() {
			// The explicit request completes the option's: it takes its
			// place, keeping what it does not set itself.
			mergeRequest(f.Send.HTTP, r.Send.HTTP)
			f.Send.HTTP.FromOption = false
			if r.Comment != "" {
				f.Comment = r.Comment
			}
			rs.Rules = append(rs.Rules[:i], rs.Rules[i+1:]...)
			f.Index = r.Index
			rs.Rules = append(rs.Rules, f)
			return nil
		}
	}
	rs.Rules = append(rs.Rules, r)
	return nil
}

// addOptionRequest places the request of an "option httpchk" line: at the
// front, replacing an earlier option's, or merged into the first explicit
// send, which it overrides.
func (rs *Ruleset) addOptionRequest(r *Rule) {
	f, i := rs.first()
	if f != nil && f.Action == ActConnect {
		from := i + 1
		f, i = nil, -1
		for j := from; j < len(rs.Rules); j++ {
			if !rs.Rules[j].passive() && rs.Rules[j].Action != ActConnect {
				f, i = rs.Rules[j], j
				break
			}
		}
	}
	switch {
	case f == nil || f.Action != ActSend:
		rs.Rules = append([]*Rule{r}, rs.Rules...)
	case f.fromOption():
		rs.Rules[i] = r
	default:
		mergeRequest(f.Send.HTTP, r.Send.HTTP)
	}
}

// mergeRequest overwrites old's fields with those new sets; headers are
// replaced as a whole.
func mergeRequest(old, nw *HTTPRequest) {
	if nw.Method != "" {
		old.Method = nw.Method
	}
	if nw.URIFmt != nil {
		old.URI, old.URIFmt = "", nw.URIFmt
	} else if nw.URI != "" {
		old.URI, old.URIFmt = nw.URI, nil
	}
	if nw.Version != "" {
		old.Version = nw.Version
	}
	old.Headers = nw.Headers
	if nw.BodyFmt != nil {
		old.Body, old.BodyFmt = "", nw.BodyFmt
	} else if nw.Body != "" {
		old.Body, old.BodyFmt = nw.Body, nil
	}
}

// Finish completes a ruleset as HAProxy does once the configuration is
// read: the option's request moves after a leading connect, an HTTP
// ruleset ending with a send gets the implicit "expect status 200-399",
// a ruleset not starting with a connect gets an implicit one, and
// comments move onto the rules they describe.
func (rs *Ruleset) Finish() error {
	if rs.finished {
		return nil
	}
	rs.finished = true
	if rs.Kind == KindHTTP {
		if f, i := rs.first(); f != nil && f.fromOption() {
			for j := i + 1; j < len(rs.Rules); j++ {
				n := rs.Rules[j]
				if n.passive() {
					continue
				}
				if n.Action == ActConnect {
					rs.Rules = append(rs.Rules[:i], rs.Rules[i+1:]...)
					rs.Rules = append(rs.Rules[:j], append([]*Rule{f}, rs.Rules[j:]...)...)
					f.Index = n.Index
				}
				break
			}
		}
		if l := rs.last(); l != nil && l.Action == ActSend {
			e, err := ParseExpect([]string{"status", "200-399"}, KindHTTP)
			if err != nil {
				return err
			}
			r := &Rule{Action: ActExpect, Expect: e}
			if err := rs.Add(r); err != nil {
				return err
			}
			r.Index = l.Index
		}
	}
	if f, _ := rs.first(); f == nil || f.Action != ActConnect {
		c := &Rule{Action: ActConnect, Connect: &Connect{Default: true, Implicit: true}}
		rs.Rules = append([]*Rule{c}, rs.Rules...)
	}
	// Comments: a comment names the rules after it up to the next connect
	// or variable action, or until the kind of rule changes.
	comment := ""
	prev := ActComment
	kept := rs.Rules[:0]
	for _, r := range rs.Rules {
		if r.Action != prev && prev != ActComment {
			comment = ""
		}
		prev = r.Action
		switch r.Action {
		case ActComment:
			comment = r.Comment
			continue
		case ActConnect:
			if r.Comment == "" {
				r.Comment = comment
			}
			comment = ""
		case ActSetVar, ActUnsetVar:
			comment = ""
		case ActSend, ActExpect:
			if r.Comment == "" {
				r.Comment = comment
			}
		}
		kept = append(kept, r)
	}
	rs.Rules = kept
	// With comments gone (and a connect maybe added), find each expect's
	// chain head again.
	for i, r := range rs.Rules {
		if r.Action == ActExpect {
			r.Expect.head = rs.chainHead(i)
		}
	}
	return nil
}

// chainHead is where an expect at position i resumes when it needs more
// data: the first negated expect of the chain of expects it ends (a
// negated rule that passed may fail on more data), or i itself.
func (rs *Ruleset) chainHead(i int) int {
	head := i
	for j := i - 1; j >= 0; j-- {
		p := rs.Rules[j]
		if p.Action == ActExpect {
			if p.Expect.Negate {
				head = j
			}
			continue
		}
		if !p.passive() {
			break
		}
	}
	return head
}

// Clone returns a copy of rs that Add and Finish may change without
// touching rs: a defaults section's ruleset is cloned for each proxy.
func (rs *Ruleset) Clone() *Ruleset {
	if rs == nil {
		return nil
	}
	c := *rs
	c.Rules = make([]*Rule, len(rs.Rules))
	for i, r := range rs.Rules {
		nr := *r
		if r.Connect != nil {
			cc := *r.Connect
			nr.Connect = &cc
		}
		if r.Send != nil {
			sc := *r.Send
			if sc.HTTP != nil {
				h := *sc.HTTP
				h.Headers = append([]HTTPHeader(nil), h.Headers...)
				sc.HTTP = &h
			}
			nr.Send = &sc
		}
		if r.Expect != nil {
			ec := *r.Expect
			nr.Expect = &ec
		}
		c.Rules[i] = &nr
	}
	c.Presets = append([]Preset(nil), rs.Presets...)
	return &c
}
