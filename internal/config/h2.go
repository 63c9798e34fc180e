package config

import (
	"fmt"

	"baton/internal/h2"
)

// HTTP/2 keywords: "proto" on bind lines and the tune.h2.* settings of
// HAProxy 2.6 (see internal/h2).

// bindProtos are the "proto" values a bind line takes.
var bindProtos = wordSet("h1 h2")

// serverProtos are the "proto" values a server line takes: HAProxy's
// multiplexers but "fcgi", which needs fcgi-app (Baton has none); "none"
// is mode tcp's pass-through.
var serverProtos = wordSet("h1 h2 none")

func setServerProto(s *Server, v string) error {
	if !serverProtos[v] {
		return fmt.Errorf("proto: %q is not a protocol Baton speaks to servers (h1, h2, none)", v)
	}
	s.Proto = v
	return nil
}

// checkServerProtos refuses a server "proto" the proxy's mode cannot
// use, as HAProxy does: h1 and h2 need mode http, none mode tcp.
func (p *parser) checkServerProtos(st *proxyState) {
	tcp := st.p.Mode == ModeTCP
	for _, s := range st.p.Servers {
		switch {
		case s.Proto == "none" && !tcp:
			p.errorf(s.Pos, "server %q: proto none needs mode tcp (%s is in mode http)", s.Name, st.what())
		case s.Proto != "" && s.Proto != "none" && tcp:
			p.errorf(s.Pos, "server %q: proto %s needs mode http (%s is in mode tcp)", s.Name, s.Proto, st.what())
		}
	}
}

// parseTuneH2 reads tune.h2.header-table-size, initial-window-size,
// max-concurrent-streams and max-frame-size into Global.H2.
func parseTuneH2(p *parser, l line, args []string) {
	kw := l.Words[0]
	if len(args) != 1 {
		p.errorf(l.Pos, "%s: expects one number", kw)
		return
	}
	number := func(lo, hi int) (uint32, bool) {
		n, err := parseInt(args[0], lo, hi)
		if err != nil {
			p.errorf(l.Pos, "%s: %v", kw, err)
			return 0, false
		}
		return uint32(n), true
	}
	h := &p.cfg.Global.H2
	switch kw {
	case "tune.h2.header-table-size":
		// HAProxy caps it at 65536; 0 is valid on the wire (no
		// dynamic table) but means "default" in Limits, so it starts at 1.
		if n, ok := number(1, 65536); ok {
			h.HeaderTableSize = n
		}
	case "tune.h2.initial-window-size":
		if n, ok := number(1, 1<<31-1); ok {
			h.InitialWindowSize = n
		}
	case "tune.h2.max-concurrent-streams":
		if n, ok := number(0, 1<<31-1); ok {
			h.MaxConcurrentStreams = n
			if n == 0 {
				h.MaxConcurrentStreams = h2.Unlimited
			}
		}
	case "tune.h2.max-frame-size":
		n, ok := number(16384, 1<<24-1)
		if !ok {
			return
		}
		if n > BufSize {
			p.advisef(l.Pos, "%s: %d is above the buffer size (%d, tune.bufsize): %d is announced, as HAProxy never announces frames larger than its buffers", kw, n, BufSize, BufSize)
		}
		h.MaxFrameSize = BufSize
	}
}
