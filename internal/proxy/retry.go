package proxy

import (
	"errors"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/h1"
)

// errNoAddress is a connection attempt to a server that lost its address
// (DNS) after it was picked: a connection failure like a refused dial.
var errNoAddress = errors.New("server has no address")

// maxTurnAround bounds the pause before a retry on the same server.
const maxTurnAround = time.Second

// retry decides, after a failed attempt on x.srv, whether the request is
// tried again, with HAProxy 2.6's rules:
//
//   - the failure must be in the backend's retry-on set, and fewer than
//     "retries" retries made;
//   - with option redispatch, the retry goes to another server when the
//     interval says so (every P-th retry, or the N-th before the last),
//     when the server is no longer usable, or when the balance algorithm
//     is not deterministic (roundrobin, static-rr, random) and more than
//     one active server is usable;
//   - after a connection failure, the retry waits min(timeout connect,
//     1s) when it stays on the same server, when the algorithm is not one
//     of those, or when one active server at most is usable.
//
// On true x.srv holds the server of the next attempt (its slot taken),
// and x.retries and x.redispatched are updated. On false x.srv still
// holds the failed server's slot, unless redispatching found no server
// (err says why; the slot was released).
func (cc *clientConn) retry(x *exchange, kind config.RetryOn, key backend.Key, queueDL time.Time) (bool, error) {
	be := x.be
	p := be.p
	if p.RetryOn.Effective()&kind == 0 || x.retries >= p.Retries {
		return false, nil
	}
	x.retries++
	srv := x.srv
	active := be.b.UsableActive()
	rrKind := p.Balance == config.RoundRobin || p.Balance == config.StaticRR || p.Balance == config.Random
	redispatch := p.Redispatch && (!srv.Usable() || redispatchTurn(p, x.retries) || rrKind && active > 1)
	if kind == config.RetryConnFailure && (!redispatch || !rrKind || active <= 1) {
		wait := maxTurnAround
		if c := p.Timeouts.Connect; c.Set && c.Value < wait {
			wait = c.Value
		}
		time.Sleep(wait)
	}
	if redispatch {
		x.release()
		next, err := be.b.Acquire(key, srv, queueDL)
		if err != nil {
			return false, err
		}
		x.srv, x.released, x.redispatched = next, false, true
		cc.enterServer(x, next)
	}
	cc.now = time.Now() // deadlines of the next attempt start now
	return true, nil
}

// redispatchTurn reports whether retry number k (1-based) is one that
// "option redispatch INTERVAL" sends to another server.
func redispatchTurn(p *config.Proxy, k int) bool {
	iv := p.RedispatchInterval
	if iv == 0 {
		iv = -1 // HAProxy's default: the last retry
	}
	if iv > 0 {
		return k%iv == 0
	}
	n := p.Retries + 1 + iv
	return n > 0 && k%n == 0
}

// l7Failure classifies a failed response for retry-on: an error before a
// whole response head (the request was sent).
func l7Failure(err error) config.RetryOn {
	var perr *h1.Error
	var noResp *noResponseError
	switch {
	case errors.As(err, &noResp):
		return config.RetryEmptyResponse
	case errors.As(err, &perr):
		return config.RetryJunkResponse
	case isTimeout(err):
		return config.RetryResponseTimeout
	}
	// A read error after part of a head: not a valid response.
	return config.RetryJunkResponse
}
