package proxy

import (
	"sort"
	"sync"
	"time"

	"baton/internal/h1"
	"baton/internal/runtime"
)

// captures keeps, for "show errors", the last invalid request of each
// frontend and the last invalid response of each backend, with the bytes
// received and the offset the h1 codec rejected. Capturing copies the
// head: it happens only on a parse error, never on the request path.
type captures struct {
	mu    sync.Mutex
	total int
	last  map[captureKey]runtime.Capture
}

type captureKey struct {
	proxy    string
	response bool
}

func (c *captures) add(k captureKey, cp runtime.Capture) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = make(map[captureKey]runtime.Capture)
	}
	cp.Event = c.total
	c.total++
	c.last[k] = cp
}

// list returns the captures, oldest first, and the count of all.
func (c *captures) list() (int, []runtime.Capture) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]runtime.Capture, 0, len(c.last))
	for _, cp := range c.last {
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Event < out[j].Event })
	return c.total, out
}

// msgState names where a head was rejected, in HAProxy's terms.
func msgState(buf []byte, pos int, response bool) string {
	for i := 0; i < pos && i < len(buf); i++ {
		if buf[i] == '\n' {
			return "MSG_HDR_NAME(17)"
		}
	}
	if response {
		return "MSG_RPCODE(12)"
	}
	return "MSG_RQURI(4)"
}

// captureRequest records the request head the frontend rejected.
func (cc *clientConn) captureRequest() {
	if cc.buf == nil || cc.w <= cc.r {
		return
	}
	buf := append([]byte(nil), (*cc.buf)[cc.r:cc.w]...)
	pos := h1.RequestErrorOffset(buf, &cc.limits)
	cc.e.errs.add(captureKey{cc.fe.p.Name, false}, runtime.Capture{When: time.Now(), Proxy: cc.fe.p.Name,
		ProxyID: cc.fe.iid, Src: cc.src.String(), Buf: buf, Pos: pos, State: msgState(buf, pos, false)})
}

// captureResponse records the response head a server sent that the
// backend rejected.
func (cc *clientConn) captureResponse(x *exchange, isHead bool) {
	if cc.sbuf == nil || cc.sw == 0 || x.be == nil {
		return
	}
	buf := append([]byte(nil), (*cc.sbuf)[:cc.sw]...)
	pos := h1.ResponseErrorOffset(buf, isHead, &cc.limits)
	cp := runtime.Capture{When: time.Now(), Response: true, Proxy: x.be.p.Name, ProxyID: x.be.iid,
		Other: cc.fe.p.Name, OtherID: cc.fe.iid, Src: cc.src.String(), Buf: buf, Pos: pos, State: msgState(buf, pos, true)}
	if x.srv != nil {
		cp.Server = x.srv.Name
		if rt := x.be.rtOf(x.srv); rt != nil {
			cp.SID = rt.sid
		}
	}
	cc.e.errs.add(captureKey{x.be.p.Name, true}, cp)
}
