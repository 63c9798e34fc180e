package proxy

import (
	"time"

	"baton/internal/backend"
	"baton/internal/persist"
)

// Cookie persistence in the data path (package persist): the request's
// cookie is read (and the request edited) before its head is written,
// the server it names takes the request when it can, and the response
// gets the cookie the mode asks for.

// cookieState is what a request's persistence cookie said.
type cookieState struct {
	// want is the server the cookie names, nil for none (or an unknown
	// value).
	want *backend.Server
	// ignored: an ignore-persist condition held.
	ignored bool
	// dates are the cookie's own (maxidle, maxlife).
	dates persist.Dates
}

// cookieRequest reads the persistence cookie of the request to be for
// backend be, before the head is written.
func (cc *clientConn) cookieRequest(be *backendRT) {
	cc.ck = cookieState{}
	if be.cookie == nil {
		return
	}
	c := &cc.in.Ctx
	val, dates, found, scratch := be.cookie.Request(&cc.req, c.Scratch(), time.Now().Unix())
	cc.ck.dates = dates
	if found {
		cc.ck.want = be.cookie.Server(be.b, val, scratch[len(scratch):])
	}
	c.SetScratch(scratch)
}

// cookieServer is the server the cookie named, when it can take the
// request (in service, healthy, below its maxconn); nil otherwise.
func (cc *clientConn) cookieServer(be *backendRT) *backend.Server {
	s := cc.ck.want
	if s == nil || be.cookie == nil {
		return nil
	}
	if be.rules != nil && be.rules.IgnorePersist(&cc.in) {
		// Load balanced; as in HAProxy, the answer sets no cookie.
		cc.ck.want, cc.ck.ignored = nil, true
		return nil
	}
	if be.b.TakeServer(s, be.p.Persist) {
		return s
	}
	return nil
}

// cookieResponse sets, rewrites or prefixes the cookie in srv's response.
func (cc *clientConn) cookieResponse(be *backendRT, srv *backend.Server) {
	if be.cookie == nil || srv == nil || cc.in.Resp == nil {
		return
	}
	c := &cc.in.Ctx
	m := string(cc.req.Method)
	had := cc.ck.want
	if cc.ck.ignored {
		had = srv // inserts nothing
	}
	c.SetScratch(be.cookie.Response(cc.in.Resp, srv, had, cc.ck.dates, time.Now().Unix(), m == "POST", m == "GET" || m == "HEAD", c.Scratch()))
}
