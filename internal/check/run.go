package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"baton/internal/proxyproto"
	"baton/internal/socks4"
)

// BufSize is the largest answer a check reads, HAProxy's tune.bufsize: a
// full buffer ends the read as if the server had closed.
const BufSize = 16384

// Dialer opens check connections; *net.Dialer is one. Tests and other
// transports (a namespace, a socks proxy) plug in here.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// TLSFunc turns an open connection into a TLS one for a connect rule with
// "ssl" (or a default connect of a server with check-ssl): sni and alpn
// as the rule or the server set them. The server TLS options (ca-file,
// verify, ...) live with whoever provides it.
type TLSFunc func(ctx context.Context, c net.Conn, sni string, alpn []string) (net.Conn, error)

// Target is what one check run needs to know about its server.
type Target struct {
	// Network is "tcp" or "unix"; Addr the server's current address
	// ("ip:port" or a socket path), read just before the run so that a
	// server whose address changes is checked where it is now.
	Network, Addr string
	// CheckAddr and CheckPort are the server's "addr" and "port"
	// options; invalid and 0 mean unset.
	CheckAddr netip.Addr
	CheckPort int
	// SendProxy is the PROXY protocol version default connects send (1
	// or 2; 0 none): check-send-proxy, or the server's send-proxy when
	// neither port nor addr is set.
	SendProxy int
	// Socks4 is the server's SOCKS4 proxy (invalid: none): connect
	// rules with via-socks4, and default connects when ViaSocks4 is set
	// (check-via-socks4), reach the check address through it.
	Socks4    netip.AddrPort
	ViaSocks4 bool
	// SSL makes default connects use TLS (check-ssl, or ssl without
	// port/addr); SNI and ALPN are check-sni and check-alpn.
	SSL  bool
	SNI  string
	ALPN []string
	// Dialer opens connections; nil means a net.Dialer with Source.
	Dialer Dialer
	// Source is the local address checks connect from (the "source"
	// option); nil means the system's choice.
	Source net.Addr
	// TLS upgrades connections for "ssl"; nil makes them fail with
	// "Layer6 invalid response".
	TLS TLSFunc
	// Inter bounds each connection's whole conversation when Timeout is
	// 0; ConnectTimeout ("timeout connect") and Timeout ("timeout
	// check") bound the connection and the exchange after it when
	// Timeout is set (see Run).
	Inter, ConnectTimeout, Timeout time.Duration
	// Vars are preset before the run; nil means none.
	Vars map[string]Value
	// StateHeader returns X-Haproxy-Server-State's value for HTTP checks
	// with send-state; nil means not sent.
	StateHeader func() string
	// Disable404 treats a 404 answer as "going down" (L7OKC) while the
	// server is up (http-check disable-on-404); ServerUp says whether it
	// is.
	Disable404 bool
	ServerUp   bool
}

// evalRet is what evaluating a rule decided.
type evalRet uint8

const (
	evalContinue evalRet = iota // go to the next rule
	evalWait                    // read more, then evaluate again
	evalStop                    // finished: the result is set
)

// run is one execution of a ruleset.
type run struct {
	rs  *Ruleset
	t   *Target
	ctx context.Context

	conn      net.Conn
	connected bool // the TCP connection is established
	tlsDone   bool // no TLS pending
	deadline  time.Time

	in      []byte
	eof     bool  // the server closed (or the buffer is full)
	readErr error // a read error (reset...)

	env  Env
	code int
	cur  *Rule
	res  Result
	done bool
	http *httpResp // the parsed answer of an HTTP ruleset
	// agent is the line an agent check read; agentIncomplete is set when
	// it ended without a line end.
	agent           *AgentReply
	agentIncomplete bool
}

// Run executes rs against t and returns the result. ctx ends it early
// (the result then does not matter).
//
// Timing follows HAProxy: each connect rule gives its connection "inter"
// to finish everything, or, with "timeout check" set, min(inter, timeout
// connect) to connect and then "timeout check" for the exchange. Missing
// the deadline before the connection is up is L4TOUT, during TLS L6TOUT,
// after it L7TOUT (or the expect rule's tout-status).
func Run(ctx context.Context, rs *Ruleset, t *Target) Result {
	start := time.Now()
	r := &run{rs: rs, t: t, ctx: ctx}
	r.env.Vars = NewVars()
	for _, p := range rs.Presets {
		r.env.Vars.Set(p.Name, p.Value)
	}
	for k, v := range t.Vars {
		r.env.Vars.Set(k, v)
	}
	r.exec()
	if r.conn != nil {
		r.conn.Close()
	}
	r.res.Duration = time.Since(start)
	r.res.Agent = r.agent
	r.res.Info = clipInfo(cutNUL(r.res.Info))
	return r.res
}

func cutNUL(s string) string {
	if i := bytes.IndexByte([]byte(s), 0); i >= 0 {
		return s[:i]
	}
	return s
}

// set finishes the run with a status, unless it already finished.
func (r *run) set(st Status, info string) {
	if r.done {
		return
	}
	r.done = true
	r.res.Status, r.res.Info, r.res.Code = st, info, r.code
}

func (r *run) exec() {
	rules := r.rs.Rules
	mustRead := true
	for i := 0; i < len(rules) && !r.done; i++ {
		rule := rules[i]
		r.code = 0
		switch rule.Action {
		case ActConnect:
			r.cur = rule
			if !r.connect(rule) {
				return
			}
			mustRead = len(r.in) == 0
		case ActSend:
			r.cur = rule
			if !r.send(rule) {
				return
			}
			mustRead = true
		case ActExpect:
			r.cur = rule
			if mustRead {
				if !r.read(rule) {
					return
				}
				mustRead = false
			}
			switch r.expect(rule) {
			case evalStop:
				return
			case evalWait:
				if !r.read(rule) {
					return
				}
				i = rule.Expect.head - 1
			}
		case ActSetVar:
			r.setVar(rule)
		case ActUnsetVar:
			r.env.Vars.unset(rule.Var)
		}
	}
	if r.done {
		return
	}
	// Every rule passed: the last evaluated step says how.
	switch cur := r.cur; {
	case cur != nil && cur.Action == ActExpect:
		if r.t.Disable404 && r.t.ServerUp && r.code == 404 {
			r.set(StatusL7OKC, "")
			return
		}
		r.res.Code = r.code
		info := r.successInfo(cur)
		r.code = r.res.Code
		r.set(cur.Expect.okStatus(), info)
	case cur != nil && cur.Action == ActConnect:
		info := "(tcp-check)"
		if cur.Connect.Implicit {
			info = ""
		}
		st := StatusL4OK
		if r.usesTLS(cur) {
			st = StatusL6OK
		}
		r.set(st, info)
	default:
		r.set(StatusL7OK, "(tcp-check)")
	}
}

// usesTLS reports whether the connect rule opened a TLS connection.
func (r *run) usesTLS(c *Rule) bool {
	return c.Connect.SSL || c.Connect.Default && r.t.SSL
}

func (r *run) successInfo(rule *Rule) string {
	e := rule.Expect
	var b []byte
	if e.OnSuccess != nil {
		r.env.Resp = r.respBytes()
		b = e.OnSuccess.Append(b, &r.env)
	} else if r.rs.Kind == KindTCP {
		b = append(b, "(tcp-check)"...)
	}
	r.statusCode(e)
	return string(b)
}

// statusCode applies an expect rule's status-code expression.
func (r *run) statusCode(e *Expect) {
	if e.StatusCode == nil {
		return
	}
	r.env.Resp = r.respBytes()
	if v, ok := e.StatusCode.Eval(&r.env); ok {
		if n, ok := v.Int(); ok {
			r.code = int(n)
			r.res.Code = int(n)
		}
	}
}

// respBytes is what res.payload sees: the bytes read since the last send.
func (r *run) respBytes() []byte { return r.in }

// connect evaluates a connect rule: close any previous connection, dial,
// send a PROXY header if asked, and upgrade to TLS.
func (r *run) connect(rule *Rule) bool {
	c := rule.Connect
	if r.conn != nil {
		r.conn.Close()
		r.conn = nil
	}
	r.in, r.eof, r.readErr = r.in[:0], false, nil
	r.connected, r.tlsDone = false, true
	network, addr, err := r.address(c)
	if err != nil {
		r.set(StatusSockErr, err.Error())
		return false
	}
	t := r.t
	now := time.Now()
	r.deadline = now.Add(t.Inter)
	if t.Timeout > 0 && t.ConnectTimeout > 0 && t.ConnectTimeout < t.Inter {
		r.deadline = now.Add(t.ConnectTimeout)
	}
	ctx, cancel := context.WithDeadline(r.ctx, r.deadline)
	defer cancel()
	d := t.Dialer
	if d == nil {
		d = &net.Dialer{LocalAddr: t.Source}
	}
	dialAddr := addr
	socks := r.viaSocks4(c) && network == "tcp"
	if socks {
		dialAddr = t.Socks4.String()
	}
	conn, err := d.DialContext(ctx, network, dialAddr)
	if err == nil && socks {
		if err = socks4Handshake(conn, addr, r.deadline); err != nil {
			conn.Close()
			if !isTimeout(err) && ctx.Err() == nil {
				r.set(StatusSockErr, r.connInfo(socks4ErrText(err), rule))
				return false
			}
		}
	}
	if err != nil {
		if isTimeout(err) || ctx.Err() != nil {
			r.set(StatusL4Tout, r.connInfo("", rule))
		} else {
			r.set(StatusL4Con, r.connInfo(errnoText(err), rule))
		}
		return false
	}
	r.conn, r.connected = conn, true
	if tc, ok := conn.(*net.TCPConn); ok && !c.Linger {
		tc.SetLinger(0) // HAProxy resets check connections unless "linger"
	}
	if t.Timeout > 0 {
		r.deadline = time.Now().Add(t.Timeout)
	}
	conn.SetDeadline(r.deadline)
	if v := r.proxyVersion(c); v > 0 {
		var hdr []byte
		if v == 1 {
			hdr = proxyproto.AppendV1(nil, netip.AddrPort{}, netip.AddrPort{})
		} else {
			hdr = proxyproto.AppendV2(nil, netip.AddrPort{}, netip.AddrPort{}, nil, false)
		}
		if _, err := conn.Write(hdr); err != nil {
			r.ioError(err, rule)
			return false
		}
	}
	if r.usesTLS(rule) {
		sni, alpn := c.SNI, c.ALPN
		if c.Default {
			if sni == "" {
				sni = t.SNI
			}
			if alpn == nil {
				alpn = t.ALPN
			}
		}
		r.tlsDone = false
		if t.TLS == nil {
			r.set(StatusL6Rsp, "TLS checks are not available")
			return false
		}
		tctx, tcancel := context.WithDeadline(r.ctx, r.deadline)
		tlsConn, err := t.TLS(tctx, conn, sni, alpn)
		tcancel()
		if err != nil {
			if isTimeout(err) || tctx.Err() != nil {
				r.set(StatusL6Tout, r.connInfo("", rule))
			} else {
				r.set(StatusL6Rsp, r.connInfo(err.Error(), rule))
			}
			return false
		}
		r.conn, r.tlsDone = tlsConn, true
		tlsConn.SetDeadline(r.deadline)
	}
	return true
}

// viaSocks4 reports whether a connect rule goes through the server's
// SOCKS4 proxy: with via-socks4, or as a default connect with
// check-via-socks4; never when the server has none.
func (r *run) viaSocks4(c *Connect) bool {
	return r.t.Socks4.IsValid() && (c.ViaSocks4 || c.Default && r.t.ViaSocks4)
}

// socks4Handshake opens the tunnel to addr ("ip:port") on conn.
func socks4Handshake(conn net.Conn, addr string, deadline time.Time) error {
	dst, err := netip.ParseAddrPort(addr)
	if err != nil {
		return err
	}
	return socks4.Handshake(conn, dst, deadline)
}

// socks4ErrText is HAProxy's text for a failed SOCKS4 handshake. The
// request is sent when the check's connection is up, so HAProxy reports
// these as socket errors (SOCKERR), not layer 4 ones; it appends the
// last errno, which Baton leaves out.
func socks4ErrText(err error) string {
	var rej *socks4.RejectedError
	var ioe *socks4.IOError
	switch {
	case errors.As(err, &rej):
		return "SOCKS4 Proxy deny the request"
	case errors.As(err, &ioe) && ioe.Reading:
		return "SOCKS4 Proxy read error during handshake"
	case errors.As(err, &ioe):
		return "SOCKS4 Proxy write error during handshake"
	}
	return err.Error()
}

// proxyVersion is the PROXY protocol version a connect rule sends.
func (r *run) proxyVersion(c *Connect) int {
	if c.SendProxy {
		if r.t.SendProxy == 2 {
			return 2
		}
		return 1
	}
	if c.Default {
		return r.t.SendProxy
	}
	return 0
}

// address resolves where a connect rule goes: its addr or the check
// address or the server's, and its port, the port expression, the addr's
// port, the check port, the check address's port or the server's.
func (r *run) address(c *Connect) (network, addr string, err error) {
	t := r.t
	if t.Network == "unix" && !c.Addr.IsValid() && !t.CheckAddr.IsValid() {
		return "unix", t.Addr, nil
	}
	host, sport, _ := net.SplitHostPort(t.Addr)
	port := c.Port
	if port == 0 && c.PortExpr != nil {
		if v, ok := c.PortExpr.Eval(&r.env); ok {
			if n, ok := v.Int(); ok {
				port = int(n)
			}
		}
	}
	if port == 0 && c.Addr.IsValid() {
		port = int(c.Addr.Port())
	}
	if port == 0 && (c.Default || c.Implicit) && t.CheckPort > 0 {
		port = t.CheckPort
	}
	if port == 0 && t.CheckPort > 0 {
		port = t.CheckPort
	}
	if port == 0 {
		port, _ = strconv.Atoi(sport)
	}
	switch {
	case c.Addr.IsValid():
		host = c.Addr.Addr().String()
	case t.CheckAddr.IsValid():
		host = t.CheckAddr.String()
	}
	if host == "" || port <= 0 || port > 65535 {
		return "", "", fmt.Errorf("no address or port to check")
	}
	return "tcp", net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// send evaluates a send rule: the input buffer is emptied (the next
// expect looks at the answer to this), then the bytes are written.
func (r *run) send(rule *Rule) bool {
	r.in = r.in[:0]
	r.eof, r.readErr = false, nil
	s := rule.Send
	var out []byte
	switch s.Kind {
	case SendString, SendBinary:
		if len(s.Data) >= BufSize {
			r.set(StatusL7Rsp, fmt.Sprintf("tcp-check send : string too large (%d) for buffer size (%d) at step %d", len(s.Data), BufSize, rule.Step()))
			return false
		}
		out = s.Data
	case SendStringLF:
		out = s.Fmt.Append(nil, &r.env)
		if len(out) == 0 {
			return true
		}
	case SendBinaryLF:
		h := s.Fmt.Append(nil, &r.env)
		if len(h) == 0 {
			return true
		}
		b, err := ParseHex(string(h))
		if err != nil {
			r.set(StatusL7Rsp, fmt.Sprintf("tcp-check send : failed to build log-format string at step %d", rule.Step()))
			return false
		}
		out = b
	case SendHTTP:
		out = r.buildRequest(s.HTTP)
	}
	if len(out) == 0 {
		return true
	}
	if _, err := r.conn.Write(out); err != nil {
		r.ioError(err, rule)
		return false
	}
	return true
}

// read reads what the server sent next: at least one byte, the end of
// the stream, an error, or the deadline. It returns false when the run
// finished (an error or a timeout).
func (r *run) read(rule *Rule) bool {
	if r.eof {
		return true
	}
	if len(r.in) == cap(r.in) && cap(r.in) >= BufSize {
		r.eof = true
		return true
	}
	if r.in == nil {
		r.in = make([]byte, 0, BufSize)
	}
	for {
		n, err := r.conn.Read(r.in[len(r.in):BufSize])
		r.in = r.in[:len(r.in)+n]
		if len(r.in) == BufSize {
			r.eof = true
		}
		if err == nil {
			if n > 0 {
				return true
			}
			continue
		}
		if errors.Is(err, io.EOF) {
			r.eof = true
			if len(r.in) == 0 {
				st := StatusL7Rsp
				if rule.Action == ActExpect && rule.Expect.Err != 0 {
					st = rule.Expect.Err
				}
				info := fmt.Sprintf("TCPCHK got an empty response at step %d", rule.Step())
				if rule.Comment != "" {
					info += fmt.Sprintf(" comment: '%s'", rule.Comment)
				}
				r.set(st, info)
				return false
			}
			return true
		}
		if isTimeout(err) || r.ctx.Err() != nil {
			st := StatusL7Tout
			if rule.Action == ActExpect && rule.Expect.Tout != 0 {
				st = rule.Expect.Tout
			}
			r.set(st, r.connInfo("", rule))
			return false
		}
		// An error after some data: let the rules judge the data, as
		// HAProxy does (a reset often follows the last bytes).
		if len(r.in) > 0 {
			r.eof, r.readErr = true, err
			return true
		}
		r.ioError(err, rule)
		return false
	}
}

// ioError reports a socket error once connected.
func (r *run) ioError(err error, rule *Rule) {
	if isTimeout(err) || r.ctx.Err() != nil {
		st := StatusL7Tout
		if rule.Action == ActExpect && rule.Expect.Tout != 0 {
			st = rule.Expect.Tout
		}
		r.set(st, r.connInfo("", rule))
		return
	}
	r.set(StatusSockErr, r.connInfo(errnoText(err), rule))
}

// connInfo builds HAProxy's info for a connection problem: the system's
// error text, then for a tcp-check ruleset the step it happened at.
func (r *run) connInfo(errText string, rule *Rule) string {
	if r.rs.Kind != KindTCP {
		return errText
	}
	b := []byte(errText)
	step := rule.Step()
	if step == 0 {
		return string(append(b, " at initial connection step of tcp-check"...))
	}
	b = fmt.Appendf(b, " at step %d of tcp-check", step)
	switch rule.Action {
	case ActConnect:
		if rule.Connect.Port != 0 {
			b = fmt.Appendf(b, " (connect port %d)", rule.Connect.Port)
		} else {
			b = append(b, " (connect)"...)
		}
	case ActSend:
		b = append(b, " (send)"...)
	case ActExpect:
		b = append(b, expectLabel(rule.Expect)...)
	}
	if rule.Comment != "" {
		b = fmt.Appendf(b, " comment: '%s'", rule.Comment)
	}
	return string(b)
}

func expectLabel(e *Expect) string {
	switch e.Kind {
	case ExpString:
		return " (expect string '" + string(e.Data) + "')"
	case ExpBinary:
		return " (expect binary '" + string(e.Data) + "')"
	case ExpRegex:
		return " (expect regex)"
	case ExpBinaryRegex:
		return " (expect binary regex)"
	case ExpStringLF:
		return " (expect log-format string)"
	case ExpBinaryLF:
		return " (expect log-format binary)"
	case ExpHTTPStatus:
		return " (expect HTTP status codes)"
	case ExpHTTPStatusRe:
		return " (expect HTTP status regex)"
	case ExpHTTPHeader:
		return " (expect HTTP header pattern)"
	case ExpHTTPBody:
		return " (expect HTTP body content '" + string(e.Data) + "')"
	case ExpHTTPBodyRe:
		return " (expect HTTP body regex)"
	case ExpHTTPBodyLF:
		return " (expect log-format HTTP body)"
	}
	return " (expect custom function)"
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ETIMEDOUT)
}

// setVar evaluates a set-var or set-var-fmt rule with its conditions.
func (r *run) setVar(rule *Rule) {
	r.env.Resp = r.respBytes()
	var v Value
	if rule.VarExpr != nil {
		var ok bool
		if v, ok = rule.VarExpr.Eval(&r.env); !ok {
			return
		}
	} else {
		v = Value{kind: kindStr, b: rule.VarFmt.Append(nil, &r.env)}
	}
	old, exists := r.env.Vars.get(rule.Var)
	for _, c := range rule.VarConds {
		var ok bool
		switch c {
		case "ifexists", "ifset":
			ok = exists
		case "ifnotexists", "ifnotset":
			ok = !exists
		case "ifempty":
			ok = (v.kind == kindStr || v.kind == kindBin) && len(v.b) == 0
		case "ifnotempty":
			ok = !((v.kind == kindStr || v.kind == kindBin) && len(v.b) == 0)
		case "ifgt", "iflt":
			ok = true
			if exists && old.kind == kindInt && v.kind == kindInt {
				ok = c == "ifgt" && old.i > v.i || c == "iflt" && old.i < v.i
			}
		}
		if !ok {
			return
		}
	}
	r.env.Vars.Set(rule.Var, v)
}
