package config

import (
	"fmt"
	"strconv"
	"strings"
)

// RetryOn is the set of failures a backend retries ("retry-on").
type RetryOn uint16

// The failures of "retry-on", with HAProxy 2.6's meanings.
const (
	// RetryConnFailure: the connection failed and the request could not
	// be sent (HAProxy's default).
	RetryConnFailure RetryOn = 1 << iota
	// RetryEmptyResponse: the server closed after (part of) the request
	// was sent, before any byte of a response.
	RetryEmptyResponse
	// RetryJunkResponse: the server sent something that is not a
	// complete HTTP response head.
	RetryJunkResponse
	// RetryResponseTimeout: timeout server struck before the response.
	RetryResponseTimeout
	// Retry0RTTRejected: a request sent as TLS early data was refused;
	// Baton never sends early data, so this never happens.
	Retry0RTTRejected
	Retry401
	Retry403
	Retry404
	Retry408
	Retry425
	Retry500
	Retry501
	Retry502
	Retry503
	Retry504
	// RetryNever is "retry-on none": not even connection failures.
	RetryNever
)

// Effective returns the failures r retries: the zero value is HAProxy's
// default, conn-failure; RetryNever is none.
func (r RetryOn) Effective() RetryOn {
	switch {
	case r == 0:
		return RetryConnFailure
	case r&RetryNever != 0:
		return 0
	}
	return r
}

// retryStatuses are the status codes retry-on accepts, with their flags.
var retryStatuses = map[int]RetryOn{401: Retry401, 403: Retry403, 404: Retry404, 408: Retry408, 425: Retry425,
	500: Retry500, 501: Retry501, 502: Retry502, 503: Retry503, 504: Retry504}

// RetryAllRetryable is "all-retryable-errors".
const RetryAllRetryable = RetryConnFailure | RetryEmptyResponse | RetryJunkResponse | RetryResponseTimeout |
	Retry0RTTRejected | Retry500 | Retry502 | Retry503 | Retry504

// RetryL7 are the failures that are detected after the request was sent:
// retrying them means sending the request again.
const RetryL7 = RetryAllRetryable&^RetryConnFailure | Retry401 | Retry403 | Retry404 | Retry408 | Retry425 | Retry501

// Status reports whether a response with status code may be retried.
func (r RetryOn) Status(code int) bool {
	f, ok := retryStatuses[code]
	return ok && r&f != 0
}

var retryWords = map[string]RetryOn{"none": RetryNever, "conn-failure": RetryConnFailure, "empty-response": RetryEmptyResponse,
	"junk-response": RetryJunkResponse, "response-timeout": RetryResponseTimeout, "0rtt-rejected": Retry0RTTRejected,
	"all-retryable-errors": RetryAllRetryable}

// parseRetryOn reads "retry-on KEYWORD...": the list replaces any earlier
// one, as in HAProxy.
func parseRetryOn(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "retry-on: missing keyword (none, conn-failure, empty-response, junk-response, response-timeout, 0rtt-rejected, a status among 401 403 404 408 425 500 501 502 503 504, all-retryable-errors)")
		return
	}
	var r RetryOn
	for _, w := range args {
		if w == "0rtt-rejected" {
			p.warnf(l.Pos, "retry-on 0rtt-rejected: no effect in Baton, which never sends TLS early data to servers")
		}
		if f, ok := retryWords[w]; ok {
			if w == "none" && len(args) > 1 {
				p.errorf(l.Pos, "retry-on: \"none\" cannot be combined with other keywords")
				return
			}
			r |= f
			continue
		}
		if n, err := strconv.Atoi(w); err == nil {
			if f, ok := retryStatuses[n]; ok {
				r |= f
				continue
			}
		}
		p.errorf(l.Pos, "retry-on: unknown keyword %q (none, conn-failure, empty-response, junk-response, response-timeout, 0rtt-rejected, 401, 403, 404, 408, 425, 500, 501, 502, 503, 504, all-retryable-errors)", w)
		return
	}
	st.p.RetryOn = r
	st.retryOnPos = l.Pos
}

// parseRedispatch reads "[no] option redispatch [INTERVAL]".
func parseAllBackups(p *parser, st *proxyState, l line, args []string, neg bool) {
	if len(args) > 0 {
		p.errorf(l.Pos, "option allbackups: unexpected argument %q", args[0])
		return
	}
	st.p.AllBackups = !neg
}

func parseRedispatch(p *parser, st *proxyState, l line, args []string, neg bool) {
	if neg {
		if len(args) > 0 {
			p.errorf(l.Pos, "no option redispatch: unexpected argument %q", args[0])
			return
		}
		st.p.Redispatch, st.p.RedispatchInterval = false, 0
		return
	}
	if len(args) > 1 {
		p.errorf(l.Pos, "option redispatch: unexpected argument %q (expects at most an interval)", args[1])
		return
	}
	st.p.Redispatch, st.p.RedispatchInterval = true, 0
	if len(args) == 1 {
		n, err := strconv.Atoi(args[0])
		if err != nil || strings.HasPrefix(args[0], "+") {
			p.errorf(l.Pos, "option redispatch: invalid interval %q (a number: P > 0 every P-th retry, N < 0 the N-th retry before the last, 0 never)", args[0])
			return
		}
		if n == 0 {
			// HAProxy: an interval of 0 disables redispatching.
			st.p.Redispatch = false
			return
		}
		st.p.RedispatchInterval = n
	}
}

// checkRetryOn warns, once a proxy's mode is known, that retries after
// the request was sent need mode http (HAProxy ignores them in tcp mode).
func (p *parser) checkRetryOn(st *proxyState) {
	px := st.p
	if px.Mode == ModeTCP && px.RetryOn.Effective()&RetryL7 != 0 && st.retryOnPos.File != "" {
		p.warnf(st.retryOnPos, "retry-on: %s is in mode tcp: only conn-failure applies", st.what())
	}
}

// String lists the keywords of r's effective set, for messages.
func (r RetryOn) String() string {
	r = r.Effective()
	if r == 0 {
		return "none"
	}
	var out []string
	for _, w := range []string{"conn-failure", "empty-response", "junk-response", "response-timeout", "0rtt-rejected"} {
		if r&retryWords[w] != 0 {
			out = append(out, w)
		}
	}
	for _, c := range []int{401, 403, 404, 408, 425, 500, 501, 502, 503, 504} {
		if r.Status(c) {
			out = append(out, strconv.Itoa(c))
		}
	}
	return fmt.Sprint(strings.Join(out, " "))
}
