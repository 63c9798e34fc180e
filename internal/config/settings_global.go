package config

// Global keywords that tune what Baton has an equivalent of (node,
// tune.http.maxhdr), and those that are no-ops in its model, accepted
// with a warning that says why. (This file sorts after keywords.go,
// whose init makes the tables.)

func init() {
	globalKeywords["node"] = parseNode
	globalKeywords["tune.http.maxhdr"] = parseMaxHeaders
	noops := map[string]string{
		"busy-polling":   "Baton waits for events through Go's runtime poller, which does not busy-poll",
		"noepoll":        "Go's runtime always uses epoll on Linux",
		"nopoll":         "Go's runtime always uses epoll on Linux",
		"nosplice":       "Baton never uses splice(2)",
		"tune.maxaccept": "each listener accepts one connection per wake-up, in its own goroutine",
		"tune.idletimer": "Baton never uses splice(2), which this timer tunes",
		"tune.maxrewrite": "rewrites do not reserve space in Baton's buffers: a rewritten head is built " +
			"in a buffer of its own, up to tune.bufsize",
		"localpeer": "Baton runs no peers protocol; the one peer a peers section may name is taken as the local node",
	}
	for kw, why := range noops {
		globalKeywords[kw] = func(p *parser, l line, args []string) {
			p.advisef(l.Pos, "%s: no effect in Baton: %s", kw, why)
		}
		delete(unsupportedGlobal, kw)
	}
	delete(unsupportedGlobal, "node")
	delete(unsupportedGlobal, "tune.http.maxhdr")
}

// parseNode reads "node NAME": the name "show info" and the statistics
// page show for this instance (the host name when unset).
func parseNode(p *parser, l line, args []string) {
	if len(args) != 1 {
		p.errorf(l.Pos, "node: expects a name")
		return
	}
	p.cfg.Global.Node = args[0]
}

// parseMaxHeaders reads "tune.http.maxhdr N": the most header fields a
// request (400 beyond) or a response (502) may have, 1 to 32767.
func parseMaxHeaders(p *parser, l line, args []string) {
	if len(args) != 1 {
		p.errorf(l.Pos, "tune.http.maxhdr: expects a number")
		return
	}
	n, err := parseInt(args[0], 1, 32767)
	if err != nil {
		p.errorf(l.Pos, "tune.http.maxhdr: %v (1 to 32767)", err)
		return
	}
	p.cfg.Global.MaxHeaders = n
}
