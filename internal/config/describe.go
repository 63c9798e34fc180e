package config

import "strings"

// Descriptions and the buffer size: "description" in the global section
// (the text "stats show-desc" shows when it names none) and in proxies
// (printed beside the proxy's name on the stats page), and
// "tune.bufsize", which Baton takes only at the size its buffers have.

// BufSize is the size of Baton's request and response buffers: HAProxy's
// default tune.bufsize, the only value Baton accepts for it.
const BufSize = 16384

func parseGlobalDescription(p *parser, l line, args []string) {
	if len(args) == 0 {
		p.errorf(l.Pos, "description: expects a text")
		return
	}
	p.cfg.Global.Description = strings.Join(args, " ")
}

func parseProxyDescription(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "description: expects a text")
		return
	}
	st.p.Description = strings.Join(args, " ")
}

func parseTuneBufSize(p *parser, l line, args []string) {
	if len(args) != 1 {
		p.errorf(l.Pos, "tune.bufsize: expects one number")
		return
	}
	n, err := parseInt(args[0], 1, 1<<30)
	if err != nil {
		p.errorf(l.Pos, "tune.bufsize: %v", err)
		return
	}
	if n != BufSize {
		p.errorf(l.Pos, "tune.bufsize: Baton's buffers are %d bytes (HAProxy's default); %d is not supported", BufSize, n)
	}
}
