package proxy

import (
	"bytes"
	"strconv"
	"time"

	"baton/internal/counters"
	"baton/internal/h1"
	"baton/internal/promexport"
)

// Requests the proxy answers itself, not the servers: monitoring
// ("monitor-uri"), services ("http-request use-service
// prometheus-exporter") and the statistics page (statspage.go). They
// count as intercepted requests. None of it is on the request path of
// proxied traffic: the checks are a string comparison, the answers are
// built when asked for (allocating, like any page generation).

// isMonitor reports whether the request is for the frontend's
// monitor-uri: its path when the URI starts with '/', else its target.
func (cc *clientConn) isMonitor() bool {
	uri := cc.fe.p.MonitorURI
	if uri == "" {
		return false
	}
	if uri[0] == '/' {
		return string(cc.req.Path()) == uri
	}
	return string(cc.req.Target) == uri
}

// answerMonitor answers a monitor request: 200, or 503 when a "monitor
// fail" condition holds. As in HAProxy, it is not logged.
func (cc *clientConn) answerMonitor(x *exchange) bool {
	status := 200
	if cc.fe.svc != nil {
		cc.in.BeginRequest()
		cc.in.Req = &cc.req
		if cc.fe.svc.MonitorFails(&cc.in) {
			status = 503
		}
	}
	x.answered = answeredIntercepted
	x.status = status
	if cc.req.Body != h1.BodyNone {
		x.closeClient = true
		cc.unreadBody = true
	}
	out := getBuf()
	resp := h1.AppendStatusResponse((*out)[:0], status, x.closeClient)
	cc.setWriteDeadline(deadline(time.Now(), cc.fe.p.Timeouts.Client))
	n, err := cc.c.Write(resp)
	putBuf(out)
	x.bytesOut = int64(n)
	cc.r += cc.req.HeadLen
	x.logged = true // HAProxy never logs monitor requests
	cc.countHTTP(x)
	return err == nil
}

// answerService answers a use-service verdict.
func (cc *clientConn) answerService(x *exchange, logging bool) bool {
	switch cc.verdict.Service {
	case "prometheus-exporter":
		var body bytes.Buffer
		_, query, _ := bytes.Cut(cc.req.Target, []byte("?"))
		now := time.Now()
		promexport.Write(&body, cc.e.Info(now), cc.e.Rows(now), cc.e.serviceFacts(), promexport.ParseScope(string(query)))
		return cc.answerGenerated(x, 200, "cache-control: no-cache\r\ncontent-type: "+promexport.ContentType+"\r\n", body.Bytes(), logging, false)
	}
	x.status = 500
	return cc.answerStatus(x, logging)
}

// serviceFacts are the master's facts for Baton's own metrics.
func (e *Engine) serviceFacts() promexport.Service {
	var s promexport.Service
	if e.ctr == nil {
		s.LastResult = -1
		return s
	}
	seg := e.ctr.Seg
	ts := func(w int) time.Time {
		if v := seg.Service(w); v != 0 {
			return time.Unix(0, int64(v))
		}
		return time.Time{}
	}
	s.ReloadsOK, s.ReloadsFailed = seg.Service(counters.ServiceReloadsOK), seg.Service(counters.ServiceReloadsFailed)
	s.LastReload, s.LastReloadOK = ts(counters.ServiceLastReload), ts(counters.ServiceLastReloadOK)
	switch seg.Service(counters.ServiceLastReloadResult) {
	case 1:
		s.LastResult = 1
	case 2:
		s.LastResult = 0
	default:
		s.LastResult = -1
	}
	s.ServingGeneration = seg.Service(counters.ServiceServingGen)
	s.DrainingGenerations = seg.Service(counters.ServiceDraining)
	s.Migrated = seg.Service(counters.ServiceMigrated)
	s.Restarts, s.Upgrades = seg.Service(counters.ServiceRestarts), seg.Service(counters.ServiceUpgrades)
	return s
}

// answerGenerated sends a complete response the proxy built: status,
// the header lines hdrs (each ending in CRLF), content-length, and body
// (not for HEAD). Unless bodyRead (the caller consumed it), the
// request's body is not read: the connection closes after the answer.
func (cc *clientConn) answerGenerated(x *exchange, status int, hdrs string, body []byte, logging, bodyRead bool) bool {
	x.answered = answeredIntercepted
	x.status = status
	x.setTerm('P', 'R')
	if cc.req.Body != h1.BodyNone && !bodyRead {
		x.closeClient = true
		cc.unreadBody = true
	}
	resp := make([]byte, 0, 256+len(body))
	resp = append(resp, "HTTP/1.1 "...)
	resp = strconv.AppendInt(resp, int64(status), 10)
	resp = append(resp, ' ')
	resp = append(resp, reason(status)...)
	resp = append(resp, "\r\n"...)
	resp = append(resp, hdrs...)
	resp = append(resp, "content-length: "...)
	resp = strconv.AppendInt(resp, int64(len(body)), 10)
	resp = append(resp, "\r\n"...)
	if x.closeClient {
		resp = append(resp, "connection: close\r\n"...)
	}
	resp = append(resp, "\r\n"...)
	if string(cc.req.Method) != "HEAD" {
		resp = append(resp, body...)
	}
	cc.setWriteDeadline(deadline(time.Now(), cc.fe.p.Timeouts.Client))
	n, err := cc.c.Write(resp)
	x.bytesOut = int64(n)
	if !bodyRead {
		cc.r += cc.req.HeadLen
	}
	cc.logHTTP(x)
	return err == nil
}

// reason is the reason phrase of a generated answer.
func reason(status int) string {
	if status == 303 {
		return "See Other" // the stats page's answer to its form
	}
	return h1.StatusText(status)
}
