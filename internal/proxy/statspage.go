package proxy

import (
	"errors"
	"time"

	"baton/internal/config"
	"baton/internal/h1"
	"baton/internal/rules"
	"baton/internal/statspage"
)

// The statistics page ("stats enable", "stats uri"): a frontend with a
// page answers it after its http-request rules, a backend after its own,
// as in HAProxy. The page shows the whole service (package statspage);
// its admin form changes servers of this generation, and through the
// counters segment the next generations' too.

// wantsStats reports whether the request asks for p's page.
func (cc *clientConn) wantsStats(p *config.Proxy) bool {
	return p.Mode == config.ModeHTTP && statspage.Matches(string(cc.req.Target), p.Stats.StatsURI())
}

// maxAdminForm bounds the body of an admin form post.
const maxAdminForm = 8192

// answerStats answers a request for p's statistics page; rs holds p's
// "stats admin" and "stats http-request" conditions.
func (cc *clientConn) answerStats(x *exchange, p *config.Proxy, rs *rules.Set, logging bool) bool {
	req := statspage.Request{Method: string(cc.req.Method), Target: string(cc.req.Target)}
	if v, ok := cc.req.Header("Authorization"); ok {
		req.Authorization = string(v)
	}
	cc.in.Req = &cc.req // (the request rules already ran on it)
	if rs != nil {
		req.Access, req.AccessRealm = rs.StatsAccess(&cc.in)
		req.Admin = rs.StatsAdmin(&cc.in)
	}
	bodyRead := false
	if req.Method == "POST" && cc.req.Body != h1.BodyNone {
		body, err := cc.readSmallBody(maxAdminForm)
		if err != nil {
			x.status = 400
			x.closeClient = true
			return cc.answerStatus(x, logging)
		}
		req.Body, bodyRead = body, true
	}
	now := time.Now()
	node := cc.e.nodeName()
	data := statspage.Data{Now: now, Info: cc.e.Info(now), Rows: cc.e.Rows(now), Service: cc.e.serviceFacts(),
		Proxy: p.Name, Version: cc.e.version, Node: node, Desc: cc.e.cfg.Global.Description, Descriptions: cc.e.descriptions}
	r := statspage.Serve(req, p.Stats, data, cc.e.adminAction)
	return cc.answerGenerated(x, r.Status, r.Header, r.Body, logging, bodyRead)
}

var errBodyTooLarge = errors.New("request body too large for the stats page")

// readSmallBody reads a Content-Length body of at most max bytes into the
// read buffer and consumes it with the head.
func (cc *clientConn) readSmallBody(max int) ([]byte, error) {
	req := &cc.req
	if req.Body != h1.BodyLength || req.ContentLength > int64(max) {
		return nil, errBodyTooLarge
	}
	b := *cc.buf
	headEnd := cc.r + req.HeadLen
	end := headEnd + int(req.ContentLength)
	if end > len(b) {
		return nil, errBodyTooLarge
	}
	cc.c.SetReadDeadline(deadline(time.Now(), cc.fe.p.Timeouts.HTTPRequest))
	for cc.w < end {
		n, err := cc.readClient(b[cc.w:])
		cc.w += n
		if err != nil && cc.w < end {
			return nil, err
		}
	}
	body := append([]byte(nil), b[headEnd:end]...)
	cc.r = end
	return body, nil
}

// adminAction applies a stats page form action to servers of a backend.
func (e *Engine) adminAction(action, backend string, servers []string) (int, error) {
	do := map[string]func(c *serverControl){
		"ready": func(c *serverControl) { c.SetAdmin(0) }, "drain": func(c *serverControl) { c.SetAdmin(1) },
		"maint": func(c *serverControl) { c.SetAdmin(2) }, "dhlth": func(c *serverControl) { c.SetChecks(false) },
		"ehlth": func(c *serverControl) { c.SetChecks(true) }, "hrunn": func(c *serverControl) { c.SetHealth("up") },
		"hnolb": func(c *serverControl) { c.SetHealth("stopping") }, "hdown": func(c *serverControl) { c.SetHealth("down") },
		"shutdown": func(c *serverControl) { c.Shutdown() },
	}[action]
	if do == nil {
		return 0, errors.New("unknown action")
	}
	done := 0
	for _, name := range servers {
		sc, err := e.Server(backend, name)
		if err != nil {
			continue
		}
		do(sc.(*serverControl))
		done++
	}
	return done, nil
}

// proxyDescriptions maps each described proxy to its "description".
func proxyDescriptions(cfg *config.Config) map[string]string {
	m := map[string]string{}
	for _, p := range cfg.Proxies {
		if p.Description != "" {
			m[p.Name] = p.Description
		}
	}
	return m
}
