package proxy

import (
	"time"

	"baton/internal/rules"
	"baton/internal/tlsconf"
)

// inspect runs a TCP-mode frontend's tcp-request content rules while the
// client's first bytes arrive (TLS passthrough: wait for a complete
// ClientHello, then route on its SNI). The bytes are read into cc.buf and
// kept for the server. Each read re-parses them: a valid beginning of a
// hello leaves the req.ssl_* fetches undecided (rules.ContentWait) until
// the inspect delay ends, the buffer fills or the client stops sending,
// after which what arrived is final. It returns false when a rule
// rejected the connection (logged) or the client went away.
func (cc *clientConn) inspect(x *exchange) bool {
	fe := cc.fe
	cc.in.Hello, cc.in.HelloPending = nil, false
	if !fe.rules.HasContentRules() {
		return true
	}
	if cc.buf == nil {
		cc.buf = getBuf()
	}
	b := *cc.buf
	cc.r, cc.w = 0, 0
	var dl time.Time
	final := fe.p.InspectDelay <= 0
	if !final {
		dl = cc.start.Add(fe.p.InspectDelay)
	}
	for {
		cc.parseHello(b[:cc.w])
		switch fe.rules.Content(&cc.in, final || cc.w == len(b)) {
		case rules.ContentAccept:
			return true
		case rules.ContentReject:
			x.setTerm('P', 'R')
			return false
		}
		cc.c.SetReadDeadline(dl)
		n, err := cc.c.Read(b[cc.w:])
		cc.w += n
		if err != nil && n == 0 {
			if !isTimeout(err) && cc.w == 0 {
				x.setTerm('C', 'R')
				return false // gone before sending a byte
			}
			final = true // delay over, or the client stopped sending
		}
	}
}

// parseHello sets the rules input's ClientHello from the bytes so far.
func (cc *clientConn) parseHello(b []byte) {
	h, err := tlsconf.ParseHello(b)
	cc.in.Hello, cc.in.HelloPending = h, err == tlsconf.ErrIncomplete
}
