package proxy

import (
	"baton/internal/config"
	"baton/internal/h1"
)

// errorPage returns the configured page for a status Baton generates:
// the backend's when the request reached one, else the frontend's, as
// HAProxy looks them up; nil means Baton's own response.
func (cc *clientConn) errorPage(be *backendRT, status int) *config.ErrorPage {
	if be != nil {
		if e := be.p.ErrorPages[status]; e != nil {
			return e
		}
	}
	return cc.fe.p.ErrorPages[status]
}

// appendGenerated appends the response for status, a response Baton
// generates: the configured page, or Baton's own. A page that must end
// the connection (no Content-Length, "Connection: close", or an empty
// errorfile, which sends nothing) sets x.closeClient first; x.status
// becomes the status actually sent.
func (cc *clientConn) appendGenerated(dst []byte, x *exchange, status int) []byte {
	x.status = status
	e := cc.errorPage(x.be, status)
	if e == nil {
		return h1.AppendStatusResponse(dst, status, x.closeClient)
	}
	if e.MustClose() {
		x.closeClient = true
	}
	if !e.Silent {
		x.status = e.Status
	}
	return e.Append(dst, x.closeClient)
}
