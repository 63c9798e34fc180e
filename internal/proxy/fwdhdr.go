package proxy

import (
	"net/netip"

	"baton/internal/config"
	"baton/internal/h1"
)

// forwardedHeaders adds X-Forwarded-For and X-Original-To (or the names
// the options give) as HAProxy does when either the frontend or the
// backend asks: not for a client (or destination) in an "except"
// network of either; with the backend's header name over the frontend's;
// with if-none only when every proxy asking said so.
func (cc *clientConn) forwardedHeaders(req *h1.Request, fe, be *config.Proxy) {
	if fe.ForwardFor || be.ForwardFor {
		src := cc.src.Addr().Unmap()
		if !inExcept(fe.ForwardForExcept, src) && !inExcept(be.ForwardForExcept, src) {
			name := headerName(fe.ForwardForHeader, be.ForwardForHeader, "X-Forwarded-For")
			always := fe.ForwardFor && !fe.ForwardForIfNone || be.ForwardFor && !be.ForwardForIfNone
			if _, present := req.Header(name); always || !present {
				req.AddHeader(name, cc.srcIP)
			}
		}
	}
	if fe.OriginalTo || be.OriginalTo {
		dst := cc.dstAddr().Addr().Unmap()
		if dst.IsValid() && !inExcept(fe.OriginalToExcept, dst) && !inExcept(be.OriginalToExcept, dst) {
			cc.dstIP = dst.AppendTo(cc.dstIP[:0]) // set-dst may change it
			req.AddHeader(headerName(fe.OriginalToHeader, be.OriginalToHeader, "X-Original-To"), cc.dstIP)
		}
	}
}

// appendNameHeader ends a request head (without its blank line) with
// the http-send-name-header field naming the server of this attempt.
func appendNameHeader(head []byte, name, server string) []byte {
	head = append(head, name...)
	head = append(head, ": "...)
	head = append(head, server...)
	return append(head, "\r\n\r\n"...)
}

func inExcept(p netip.Prefix, a netip.Addr) bool { return p.IsValid() && p.Contains(a) }

// headerName is the backend's name, else the frontend's, else def.
func headerName(fe, be, def string) string {
	switch {
	case be != "":
		return be
	case fe != "":
		return fe
	}
	return def
}
