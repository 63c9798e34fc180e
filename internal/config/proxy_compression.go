package config

import (
	"slices"

	"baton/internal/compress"
)

// HTTP compression ("compression algo|type|offload") and the filter
// declarations ("filter compression", "filter trace"); package compress
// applies them.

// Compression is a proxy's "compression" settings. A frontend or backend
// from a defaults section with compression starts with its algorithms
// and types and adds its own, as in HAProxy.
type Compression struct {
	// Algos are the algorithms in priority order: the last configured
	// first (HAProxy prepends each one), which is also what an
	// Accept-Encoding of "*" picks. None: this proxy names no algorithm
	// (the frontend's, if any, apply).
	Algos []compress.Algo
	// Types are the Content-Type prefixes to compress, matched case
	// aside, the last configured first; none means every type (and
	// responses without one).
	Types []string
	// Offload removes Accept-Encoding from requests this proxy
	// compresses for, so the servers send plain bodies. Ignored (with
	// HAProxy's warning) in a defaults section.
	Offload bool
	Pos     Pos
}

// Filter is a "filter NAME [args]" line, in declaration order.
type Filter struct {
	Name string
	Args []string
	Pos  Pos
}

func init() {
	prefixWords["compression"] = true
	prefixWords["filter"] = true
	proxyKeywords["compression algo"] = &proxyKeyword{sections: secAll, parse: parseCompressionAlgo}
	proxyKeywords["compression type"] = &proxyKeyword{sections: secAll, parse: parseCompressionType}
	proxyKeywords["compression offload"] = &proxyKeyword{sections: secAll, parse: parseCompressionOffload}
	proxyKeywords["filter compression"] = &proxyKeyword{sections: secF | secL | secB, parse: parseFilterCompression}
	proxyKeywords["filter trace"] = &proxyKeyword{sections: secF | secL | secB, parse: parseFilterTrace}
}

func (st *proxyState) compression(l line) *Compression {
	if st.p.Compression == nil {
		st.p.Compression = &Compression{Pos: l.Pos}
	}
	return st.p.Compression
}

func parseCompressionAlgo(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "compression algo: expects <algorithm> (identity, gzip, deflate or raw-deflate)")
		return
	}
	c := st.compression(l)
	for _, a := range args {
		algo, ok := compress.ParseAlgo(a)
		if !ok {
			p.errorf(l.Pos, "compression algo: %q is not a supported algorithm (identity, gzip, deflate or raw-deflate)", a)
			return
		}
		c.Algos = append([]compress.Algo{algo}, c.Algos...)
	}
}

func parseCompressionType(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "compression type: expects <mime type>")
		return
	}
	c := st.compression(l)
	for _, t := range args {
		c.Types = append([]string{t}, c.Types...)
	}
}

func parseCompressionOffload(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) > 0 {
		p.errorf(l.Pos, "compression offload: takes no argument (got %q)", args[0])
		return
	}
	if st.isDefaults {
		p.warnf(l.Pos, "compression: 'offload' ignored in 'defaults' section")
		return
	}
	st.compression(l).Offload = true
}

func parseFilterCompression(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) > 0 {
		p.errorf(l.Pos, "filter compression: unknown keyword %q", args[0])
		return
	}
	if st.p.Mode == ModeTCP {
		// HAProxy accepts it and never compresses a TCP stream.
		p.advisef(l.Pos, "filter compression: a no-op in mode tcp (no HTTP responses to compress)")
	}
	for _, f := range st.p.Filters {
		if f.Name == "compression" {
			p.errorf(l.Pos, "filter compression: %s supports only one compression filter (the first is at %s)", st.what(), f.Pos)
			return
		}
	}
	st.compression(l)
	st.p.Filters = append(st.p.Filters, Filter{Name: "compression", Pos: l.Pos})
}

// parseFilterTrace accepts HAProxy's debugging filter: it prints each
// filter callback on standard error. Baton's filters are not callbacks
// it could trace, so the line only keeps its place in the filter order.
func parseFilterTrace(p *parser, st *proxyState, l line, args []string, _ bool) {
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "name":
			if i+1 >= len(args) {
				p.errorf(l.Pos, "filter trace: 'name' expects a name")
				return
			}
			i++
		case "random-parsing", "random-forwarding", "hexdump", "quiet":
		default:
			p.errorf(l.Pos, "filter trace: unknown keyword %q", args[i])
			return
		}
	}
	p.advisef(l.Pos, "filter trace: a no-op in Baton (HAProxy's trace prints its filter callbacks on stderr for debugging; Baton's filters have no callbacks to trace)")
	st.p.Filters = append(st.p.Filters, Filter{Name: "trace", Args: args, Pos: l.Pos})
}

// inheritCompression gives a proxy its defaults section's compression
// settings (never the filters: HAProxy allows none in defaults).
func inheritCompression(st, def *proxyState) {
	if d := def.p.Compression; d != nil {
		st.p.Compression = &Compression{Algos: slices.Clone(d.Algos), Types: slices.Clone(d.Types), Pos: d.Pos}
	}
}

// finishCompression checks HAProxy's rule on filter order: with a filter
// other than cache or fcgi-app declared, compression must be declared as
// a filter too, so its place among them is known.
func (p *parser) finishCompression(st *proxyState) {
	px := st.p
	if px.Compression == nil || len(px.Filters) == 0 {
		return
	}
	explicit := false
	for _, f := range px.Filters {
		switch f.Name {
		case "compression":
			return
		case "cache", "fcgi-app":
		default:
			explicit = true
		}
	}
	if explicit {
		p.errorf(px.Compression.Pos, "%s: require an explicit filter declaration to use HTTP compression", st.what())
	}
}
