package config

import "baton/internal/h2"

// HTTP/2 keywords: "proto" on bind lines and the tune.h2.* settings of
// HAProxy 2.6 (see internal/h2).

// bindProtos are the "proto" values a bind line takes.
var bindProtos = wordSet("h1 h2")

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
