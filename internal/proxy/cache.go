package proxy

import (
	"strconv"
	"time"

	"baton/internal/cache"
	"baton/internal/config"
	"baton/internal/h1"
	"baton/internal/rules"
	"baton/internal/runtime"
)

// The cache in the data path (package cache has the policy and the
// store). cache-use, once the request rules are done, computes the key
// and answers a hit itself: the stored head goes through the
// http-response and http-after-response rules as a server's would (as
// in HAProxy), with Age added, or becomes a 304 for a matching
// conditional request. cache-store, once the response rules are done,
// keeps the head as the rule saw it and copies the body the server sends
// while it is relayed; a complete body within max-object-size is stored
// when the response ends. The store sits before any response transform
// (compression), so it keeps what the server sent. Requests without
// cache rules only pay a string comparison and a nil check.

var reasonNotModified = []byte("Not Modified")

// cacheRT is one cache section of the generation.
type cacheRT struct {
	name  string
	sec   cache.Section
	limit int64 // max-object-size
	store *cache.Store
}

// cacheState is a connection's cache work for its current request.
type cacheState struct {
	// use is the cache cache-use named, with the request's key and
	// policy; nil when cache-use did not run.
	use *cacheRT
	key []byte
	pol cache.Lookup
	// store is set while a response is copied for storing.
	store   *cacheRT
	head    []byte
	body    []byte
	chunked bool
	fr      cache.Freshness
	variant cache.Variant
	// hitBuf holds a hit copied out of the store.
	hitBuf []byte
	hit    cache.Hit
}

// CacheList is the generation's caches for "show cache", in
// configuration order.
func (e *Engine) CacheList() []runtime.CacheSection {
	var out []runtime.CacheSection
	for _, c := range e.cfg.Caches {
		if rt := e.caches[c.Name]; rt != nil {
			out = append(out, runtime.CacheSection{Name: c.Name, Store: rt.store})
		}
	}
	return out
}

// initCaches builds the generation's caches: in the master's shared
// segments when the worker mapped them, else in this process's memory.
func (e *Engine) initCaches(cfg *config.Config, shared map[string]*cache.Store) {
	for _, c := range cfg.Caches {
		st := shared[c.Name]
		if st == nil {
			st = cache.NewStore(c.TotalMaxSize)
		}
		st.MaxSecondary = c.Secondary()
		if e.caches == nil {
			e.caches = map[string]*cacheRT{}
		}
		e.caches[c.Name] = &cacheRT{name: c.Name, sec: cache.Section{MaxAge: c.Lifetime(), ProcessVary: c.ProcessVary},
			limit: c.ObjectLimit(), store: st}
	}
}

// cacheUse runs cache-use's part once the request rules are done: done
// is set when the request was answered from the cache (ok is then what
// the handler returns).
func (cc *clientConn) cacheUse(x *exchange, be *backendRT, logging bool) (done, ok bool) {
	cs := &cc.cache
	cs.use = cc.e.caches[cc.in.Effects.CacheUse]
	if cs.use == nil {
		return false, false
	}
	req := &cc.req
	cs.pol = cache.RequestPolicy(req)
	cs.key = cache.AppendKey(cs.key[:0], req)
	if !cs.pol.Use {
		return false, false
	}
	now := time.Now()
	match := func(v cache.Variant) bool { return cache.Matches(v, req) }
	if !cs.use.store.Get(cs.key, now.UnixMilli(), match, &cs.hitBuf, &cs.hit) ||
		!cs.pol.Usable(cache.AgeOf(&cs.hit.Entry, now), (cs.hit.Expire-now.UnixMilli())/1000) {
		return false, false
	}
	return true, cc.answerHit(x, be, cs.use, now, logging)
}

// answerHit sends a stored object.
func (cc *clientConn) answerHit(x *exchange, be *backendRT, rt *cacheRT, now time.Time, logging bool) bool {
	req := &cc.req
	h := &cc.cache.hit
	out := getBuf()
	defer putBuf(out)
	b := append((*out)[:0], h.Head...)
	b = append(b, "age: "...)
	b = strconv.AppendInt(b, cache.AgeOf(&h.Entry, now), 10)
	b = append(b, "\r\n\r\n"...)
	resp := &cc.resp
	if err := h1.ParseResponse(b, resp, true, &h1.Limits{}); err != nil {
		return cc.serverError(x, err, logging)
	}
	if cache.NotModified(req, resp) {
		resp.Status, resp.Reason = 304, reasonNotModified
	}
	x.be, x.cached, x.status = be, true, resp.Status
	be.beCum.Add(1)
	// The cache keeps what the server sent: a hit is compressed on its
	// way out, as HAProxy's compression filter after its cache does.
	isHead := string(req.Method) == "HEAD"
	cc.chooseCompression(x, req, cc.fe.p, be.p, isHead)
	comp := false
	if resp.Status != 304 && len(h.Body) > 0 {
		// The head was parsed without its body: give the body's framing
		// for the decision.
		resp.Body, resp.ContentLength = h1.BodyLength, int64(len(h.Body))
		comp = cc.compressible(x, resp)
	}
	in := &cc.in
	in.Resp, in.Status, in.CacheHit = resp, resp.Status, rt.name
	v := &cc.verdict
	cc.responseRules(be, resp, v)
	if v.Kind != rules.Continue {
		return cc.answerVerdict(x, be, logging)
	}
	cc.afterResponseRules(be, resp)
	x.status = resp.Status
	if req.Body != h1.BodyNone {
		x.closeClient = true // the body is not read
		cc.unreadBody = true
	}
	if comp {
		cc.compressHead(x, resp)
	}
	resp.Headers = h1.StripHopByHop(resp.Headers)
	if comp {
		resp.AddHeader("Transfer-Encoding", valChunked)
	}
	if x.closeClient {
		resp.AddHeader("Connection", valClose)
	} else if req.Minor == 0 {
		resp.AddHeader("Connection", valKeep)
	}
	resp.Minor = 1
	head := h1.AppendResponseHead(b[len(b):], resp)
	var err error
	if comp {
		err = cc.sendCompressedHit(x, head, h.Body, now)
	} else {
		var body []byte
		if resp.Status != 304 && !isHead {
			body = h.Body
		}
		cc.setWriteDeadline(deadline(now, cc.fe.p.Timeouts.Client))
		var n int64
		n, err = cc.writeTo(cc.c, head, body)
		x.bytesOut += n
	}
	if err != nil {
		x.setTerm('C', 'D')
		x.closeClient = true
	}
	if !x.closeClient {
		cc.r += req.HeadLen
	}
	cc.logHTTP(x)
	return err == nil
}

// sendCompressedHit sends a hit's head and its body compressed whole,
// as one chunked message.
func (cc *clientConn) sendCompressedHit(x *exchange, head, body []byte, now time.Time) error {
	z := cc.zc
	z.s.Begin(x.comp, false, int64(len(body)))
	defer z.s.Abort() // a no-op once finished
	if _, _, err := z.s.Feed(body); err != nil {
		return err
	}
	chunk, err := z.s.Finish()
	if err != nil {
		return err
	}
	cc.setWriteDeadline(deadline(now, cc.fe.p.Timeouts.Client))
	n, err := cc.writeTo(cc.c, head, chunk)
	x.bytesOut += n
	return err
}

// cacheStore runs cache-store's part once the response rules are done:
// it decides whether the response may be stored and starts copying it.
// A successful response to an unsafe method removes the key's objects.
func (cc *clientConn) cacheStore(x *exchange) {
	cs := &cc.cache
	rt := cc.e.caches[cc.in.Effects.CacheStore]
	if rt == nil || cs.use == nil || cc.in.Effects.CacheUse == "" {
		return // cache-use computes the key: without it nothing is stored
	}
	resp := &cc.resp
	if cs.pol.Invalidate {
		if resp.Status >= 200 && resp.Status < 400 {
			rt.store.Delete(cs.key)
			// The URLs the response names on the same host go too.
			for _, name := range [...]string{"Location", "Content-Location"} {
				if loc, ok := resp.Header(name); ok {
					if k, ok := cache.AppendLocationKey(cs.key[:0], &cc.req, loc); ok {
						rt.store.Delete(k)
					}
				}
			}
		}
		return
	}
	if !cs.pol.Store || resp.Body == h1.BodyUntilClose {
		return
	}
	fr, ok := cache.ResponsePolicy(&rt.sec, resp, time.Now())
	if !ok || cs.pol.Authorized && !fr.Shared {
		return
	}
	if resp.Body == h1.BodyLength && resp.ContentLength+int64(len(cc.in.Effects.CacheHead)) > rt.limit {
		return
	}
	var stored h1.Response
	if h1.ParseResponse(cc.in.Effects.CacheHead, &stored, false, &h1.Limits{}) != nil {
		return
	}
	cs.head = appendStoredHead(cs.head[:0], &stored)
	cs.fr, cs.variant = fr, cache.ResponseVariant(fr, &cc.req, &stored)
	cs.body, cs.chunked = cs.body[:0], resp.Body == h1.BodyChunked
	cs.store = rt
}

// appendStoredHead is the head a cache keeps: the status line and the
// end-to-end fields, without Age (a hit computes its own), framing (a
// hit has a Content-Length) and the fields Cache-Control says may not
// come from a cache; no final CRLF.
func appendStoredHead(dst []byte, r *h1.Response) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, ' ')
	dst = append(dst, r.Reason...)
	dst = append(dst, "\r\n"...)
	for _, f := range h1.StripHopByHop(r.Headers) {
		if cache.Framing(f.Name) || cache.Omitted(r, f.Name) {
			continue
		}
		dst = append(dst, f.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, f.Value...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// cacheCopy copies body bytes (as the server framed them) of a response
// being stored, before they are relayed; past max-object-size it gives
// up. The last bytes (done) store the object before the client has
// them, so that the client's next request finds it.
func (cc *clientConn) cacheCopy(b []byte, done bool) {
	cs := &cc.cache
	if int64(len(cs.body)+len(b)+len(cs.head)) > cs.store.limit*2+1024 {
		cs.store = nil // even chunked framing cannot bring it under the limit
		return
	}
	cs.body = append(cs.body, b...)
	if done {
		cc.cacheCommit()
	}
}

// cacheCommit stores the copied response.
func (cc *clientConn) cacheCommit() {
	cs := &cc.cache
	rt := cs.store
	cs.store = nil
	body := cs.body
	if cs.chunked {
		var ok bool
		if body, ok = cache.Dechunk(body); !ok {
			return
		}
	}
	cs.head = append(cs.head, "content-length: "...)
	cs.head = strconv.AppendInt(cs.head, int64(len(body)), 10)
	cs.head = append(cs.head, "\r\n"...)
	if int64(len(cs.head)+len(body)) > rt.limit {
		return
	}
	now := time.Now()
	e := cache.Entry{Variant: cs.variant, Stored: now.UnixMilli(), Expire: now.Add(cs.fr.TTL).UnixMilli(), Age: cs.fr.Age}
	rt.store.Put(cs.key, cs.head, body, e)
}
