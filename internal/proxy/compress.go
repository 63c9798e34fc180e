package proxy

import (
	"time"

	"baton/internal/compress"
	"baton/internal/config"
	"baton/internal/h1"
)

// HTTP compression (package compress): the algorithm is chosen on the
// request once its rules ran, the response is judged as the server sent
// it, its head edited after the response rules, and its body compressed
// as it streams.

// compState is a client connection's compression state, owned by its
// goroutine.
type compState struct {
	s compress.Stream
	// etag holds the weakened ETag's value of the current response.
	etag []byte
}

// compression returns the effective settings of an exchange: the
// backend's algorithms and types when it has some, else the frontend's;
// offload from either.
func compression(fe, be *config.Proxy) (algos []compress.Algo, types []string, offload bool) {
	fc, bc := fe.Compression, be.Compression
	if bc != nil {
		algos, types, offload = bc.Algos, bc.Types, bc.Offload
	}
	if fc != nil {
		if len(algos) == 0 {
			algos = fc.Algos
		}
		if len(types) == 0 {
			types = fc.Types
		}
		offload = offload || fc.Offload
	}
	return algos, types, offload
}

// chooseCompression picks the exchange's algorithm from the request
// (after the frontend's and the backend's http-request rules, as in
// HAProxy) and, with compression offload, removes Accept-Encoding so the
// server answers uncompressed. HEAD and HTTP/1.0 requests are never
// compressed, but offload still applies to them, as in HAProxy.
func (cc *clientConn) chooseCompression(x *exchange, req *h1.Request, fe, be *config.Proxy, isHead bool) {
	if fe.Compression == nil && be.Compression == nil {
		return
	}
	algos, _, offload := compression(fe, be)
	x.comp = compress.Choose(algos, req.Headers)
	if x.comp != compress.None && offload {
		req.DelHeader("Accept-Encoding")
	}
	if isHead || req.Minor < 1 {
		x.comp = compress.None
	}
}

// compressible says whether the response the server sent is compressed.
func (cc *clientConn) compressible(x *exchange, resp *h1.Response) bool {
	if x.comp == compress.None {
		return false
	}
	_, types, _ := compression(cc.fe.p, x.be.p)
	// The request's facts (HEAD, version) were checked when choosing.
	return compress.Allowed(types, 1, false, resp)
}

// compressHead edits the head of a response about to be compressed.
func (cc *clientConn) compressHead(x *exchange, resp *h1.Response) {
	if cc.zc == nil {
		cc.zc = &compState{}
	}
	cc.zc.etag = compress.EditHead(resp, x.comp, cc.zc.etag)
}

// relayCompressed sends the edited head and the compressed body, then
// ends the exchange as relayResponse does.
func (cc *clientConn) relayCompressed(x *exchange, logging, srvKeep bool) bool {
	resp := &cc.resp
	z := cc.zc
	z.s.Begin(x.comp, resp.Body == h1.BodyChunked, resp.ContentLength)
	ok := cc.streamCompressed(x, &z.s, (*cc.sbuf)[resp.HeadLen:cc.sw], cc.sw == len(*cc.sbuf), srvKeep, logging)
	z.s.Abort() // a no-op once finished
	return cc.endRelay(x, ok)
}

// flushDelay bounds how long compressed output waits for more input
// when the last read from the server filled the buffer.
const flushDelay = 5 * time.Millisecond

// streamCompressed compresses the server's body as it arrives. Output is
// flushed to the client whenever the server has nothing more to give at
// once (a read returned less than the buffer, or the next read found
// nothing within flushDelay), so a slow or streamed response reaches the
// client as it comes, while a fast one is compressed in large blocks
// (each flush ends a deflate block: fewer, larger blocks compress faster
// and better). in is the body read with the head; more says that read
// filled the buffer.
func (cc *clientConn) streamCompressed(x *exchange, s *compress.Stream, in []byte, more, keep, logging bool) bool {
	out := getBuf()
	defer putBuf(out)
	head := h1.AppendResponseHead((*out)[:0], &cc.resp)
	headLen := len(head)
	sb := *cc.sbuf
	sc := x.sc
	ct := cc.fe.p.Timeouts.Client
	for {
		used, done, err := s.Feed(in)
		if err != nil {
			x.setTerm('S', 'D')
			return false
		}
		if cc.cache.store != nil {
			// The cache keeps the server's bytes, uncompressed: it runs
			// before compression (HAProxy's order without filter lines).
			cc.cacheCopy(in[:used], done)
		}
		var chunk []byte
		switch {
		case done:
			// The server has sent everything: free it before the
			// client sees the end.
			cc.releaseServer(x, keep && used == len(in))
			chunk, err = s.Finish()
		case !more:
			chunk, err = s.Flush()
		}
		if err != nil {
			x.setTerm('P', 'D')
			return false
		}
		if done || !more {
			if !cc.sendCompressed(x, head, chunk, ct) {
				return false
			}
			if head != nil && logging && cc.fe.log.ASAP {
				cc.logHTTPEarly(x, headLen)
			}
			head = nil
		}
		if done {
			return true
		}
		now := time.Now()
		srvDL := deadline(now, x.bt.Server)
		dl := srvDL
		if more {
			if short := now.Add(flushDelay); dl.IsZero() || short.Before(dl) {
				dl = short
			}
		}
		sc.SetReadDeadline(dl)
		lim := s.ReadSize(len(sb))
		n, err := sc.Read(sb[:lim])
		if n == 0 && err != nil {
			if more && isTimeout(err) && (srvDL.IsZero() || time.Now().Before(srvDL)) {
				// The server paused: send what is held, then wait on.
				in, more = nil, false
				continue
			}
			if isTimeout(err) {
				x.setTerm('s', 'D')
			} else {
				x.setTerm('S', 'D')
			}
			return false
		}
		in, more = sb[:n], n == lim
	}
}

// sendCompressed writes the head (until it went out) and a chunk.
func (cc *clientConn) sendCompressed(x *exchange, head, chunk []byte, ct config.Timeout) bool {
	if head == nil && len(chunk) == 0 {
		return true
	}
	cc.setWriteDeadline(deadline(time.Now(), ct))
	var w int64
	var err error
	if head != nil {
		w, err = cc.writeTo(cc.c, head, chunk)
	} else {
		var n int
		n, err = cc.c.Write(chunk)
		w = int64(n)
	}
	x.bytesOut += w
	if err != nil {
		x.setTerm('C', 'D')
		return false
	}
	return true
}
