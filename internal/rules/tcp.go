package rules

// TCP rule sets. Connection and session rules run once, before any data
// is read; content rules run while the client's first bytes (or, in an
// HTTP proxy, each request) arrive, and may wait for more.

// Connection runs the tcp-request connection rules: Accept (or
// Continue when none decides), Reject or SilentDrop.
func (s *Set) Connection(in *Input) Kind { return s.runL4(s.tcpConnection, in) }

// Session runs the tcp-request session rules.
func (s *Set) Session(in *Input) Kind { return s.runL4(s.tcpSession, in) }

func (s *Set) runL4(rules []rule, in *Input) Kind {
	for i := range rules {
		r := &rules[i]
		if !r.cond.holds(in) {
			continue
		}
		if k := r.final(in); k != Continue {
			return k
		}
	}
	return Continue
}

// final runs a TCP rule's action: the ones that end the rule set return
// their Kind, the others run and return Continue.
func (r *rule) final(in *Input) Kind {
	switch r.act {
	case actAccept:
		return Accept
	case actReject:
		return Reject
	case actSilentDrop:
		return SilentDrop
	case actClose:
		return CloseAfter
	case actSwitchMode:
		// Stops the rules like accept; a connection already in HTTP
		// (a later request, an HTTP frontend) stays as it is.
		in.Effects.SwitchHTTP, in.Effects.SwitchProto = true, r.name
		return Accept
	}
	r.common(in)
	return Continue
}

// Content runs the tcp-request content rules on what the client sent so
// far (in.Payload, or the parsed request in an HTTP proxy). A condition
// that cannot decide yet answers Wait unless final (the inspect delay is
// over, the buffer is full or the client has shut its side), when a
// missing value counts as no match; the next call resumes at that rule,
// as HAProxy does, so actions before it run once (another set, the
// backend's after the frontend's, starts at its first). No deciding rule
// accepts.
func (s *Set) Content(in *Input, final bool) Kind {
	if in.contentSet != s {
		in.contentSet, in.contentPos = s, 0
	}
	return s.runContent(s.tcpContent, in, final, &in.contentPos)
}

// ResponseContent runs the tcp-response content rules on what the server
// sent so far (in.ResPayload); "close" answers Reject after the data
// already received is forwarded (the proxy closes the server side).
func (s *Set) ResponseContent(in *Input, final bool) Kind {
	return s.runContent(s.tcpResponse, in, final, &in.respPos)
}

// CloseAfter is returned by ResponseContent for "close".
const CloseAfter Kind = 100

func (s *Set) runContent(rules []rule, in *Input, final bool, pos *int) Kind {
	for ; *pos < len(rules); *pos++ {
		r := &rules[*pos]
		switch r.cond.eval3(in, final) {
		case triMiss:
			return Wait
		case triFail:
			continue
		}
		if r.act == actDoResolve {
			// HAProxy's do-resolve waits only while the inspect delay
			// runs: with none, or once it is over, it cannot. An HTTP
			// proxy runs these rules once the head is read (final), well
			// within a delay.
			r.doResolve(in, !final || in.Req != nil && s.InspectDelay > 0)
			continue
		}
		if k := r.final(in); k != Continue {
			return k
		}
	}
	return Accept
}
