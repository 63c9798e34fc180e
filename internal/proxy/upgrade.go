package proxy

// A connection accepted by a mode tcp frontend becomes HTTP when the
// backend it is routed to is in mode http, as HAProxy 2.6 upgrades it
// (configuration.txt, section 4, on chaining a TCP frontend to an HTTP
// backend): the in-place HTTP/1 upgrade. serveTCP ran the frontend's
// tcp-request content rules on the raw bytes and chose the backend;
// serveHTTP then serves the connection with what inspection read still
// in the buffer, and its first request goes to that backend without the
// frontend's rules running again (the stream is kept, with its
// variables and effects). The backend's own rules, tcp-request content
// included, run on the parsed request. Each later request on the
// connection is a new stream: the frontend's tcp-request content and
// switching rules run again, and a backend in mode tcp there is an
// internal error (HAProxy closes without an answer and logs "IR"). The
// frontend's log format (tcplog) is written once per request. A
// connection whose TLS handshake chose "h2" upgrades destructively: each
// HTTP/2 stream goes through the frontend's rules on its own.
//
// "tcp-request content switch-mode http" upgrades in the frontend
// itself: the first request then runs the frontend's HTTP rules and
// switching (the frontend may have http-request rules and HTTP options),
// its tcp-request content rules being done; on later requests the
// action stops the content rules as accept. "proto h2" makes the
// connection HTTP/2 (destructive), "proto h1" keeps it HTTP/1.1.

// upgrade makes cc an HTTP connection whose first request goes to be
// (nil: switch-mode http, the frontend chooses); id is the request
// number the connection took for its log line.
func (cc *clientConn) upgrade(be *backendRT, id uint64) {
	cc.upgraded, cc.upgradeFirst = true, true
	cc.upgradeBE, cc.upgradeID = be, id
	cc.upgradeProto = cc.in.Effects.SwitchProto
	cc.setActive(stateActive)
}

// upgradedToTCP ends a request of an upgraded connection (or an HTTP/2
// stream of one) that the frontend routed to a backend in mode tcp: an
// HTTP stream cannot go there, so HAProxy closes the connection without
// an answer and logs the request with no server, "IR".
func (cc *clientConn) upgradedToTCP(x *exchange, be *backendRT) bool {
	x.be = be
	x.closeClient = true
	x.setTerm('I', 'R')
	cc.logHTTP(x)
	return false
}
