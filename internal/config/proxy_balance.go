package config

import (
	"strconv"
	"strings"
)

// The hashing forms of "balance" (uri and its options, url_param,
// hdr(NAME), rdp-cookie, random(N)) and "hash-type".

// Balance algorithms beyond those of model.go.
const (
	URLParam Balance = iota + Random + 1
	Hdr
	RDPCookie
)

// BalanceOpts are the options of the hashing algorithms and random.
type BalanceOpts struct {
	// URIWhole hashes the query string too; URIDepth stops at the Nth
	// '/' of the path and URILen after N characters (0: no limit).
	URIWhole         bool
	URIDepth, URILen int
	// Param is url_param's parameter; CheckPost also looks for it in a
	// POST's body (the first block of it) when the query has none.
	Param     string
	CheckPost bool
	// Header is hdr's header; UseDomainOnly hashes only the second-level
	// domain label of its value ("1wt" of "haproxy.1wt.eu").
	Header        string
	UseDomainOnly bool
	// RDPCookie is rdp-cookie's cookie name ("mstshash" by default).
	RDPCookie string
	// Draws is random's number of draws (2 by default): the least loaded
	// of that many randomly chosen servers takes the request.
	Draws int
}

// HashType is "hash-type": how a hash picks a server.
type HashType struct {
	// Consistent places the servers on a ring, so a server coming or
	// going moves only its share of the keys; map-based (false) takes
	// the hash modulo the total weight.
	Consistent bool
	// Func is sdbm (the default), djb2, wt6 or crc32.
	Func string
	// Avalanche mixes the hash's bits before use.
	Avalanche bool
}

func init() {
	proxyKeywords["hash-type"] = &proxyKeyword{sections: secD | secL | secB, parse: parseHashType}
}

// parseBalanceForm reads the forms parseBalance leaves (those with
// options or arguments); it reports whether it took the line.
func parseBalanceForm(p *parser, st *proxyState, l line, args []string) bool {
	name, arg, hasArg := strings.Cut(args[0], "(")
	if hasArg {
		if !strings.HasSuffix(arg, ")") {
			p.errorf(l.Pos, "balance: missing ')' in %q", args[0])
			return true
		}
		arg = arg[:len(arg)-1]
	}
	opts := BalanceOpts{Draws: 2}
	rest := args[1:]
	bad := func(o string) bool {
		p.errorf(l.Pos, "balance %s: option %q is not supported", name, o)
		return true
	}
	var algo Balance
	switch name {
	case "uri":
		algo = URI
		for i := 0; i < len(rest); i++ {
			switch rest[i] {
			case "whole":
				opts.URIWhole = true
			case "depth", "len":
				if i+1 >= len(rest) {
					p.errorf(l.Pos, "balance uri: '%s' expects a positive number", rest[i])
					return true
				}
				n, err := strconv.Atoi(rest[i+1])
				if err != nil || n < 0 {
					p.errorf(l.Pos, "balance uri: '%s' expects a positive number", rest[i])
					return true
				}
				if rest[i] == "depth" {
					opts.URIDepth = n
				} else {
					opts.URILen = n
				}
				i++
			case "path-only":
				return bad(rest[i])
			default:
				return bad(rest[i])
			}
		}
	case "url_param":
		algo = URLParam
		if len(rest) == 0 {
			p.errorf(l.Pos, "balance url_param: requires an URL parameter name")
			return true
		}
		opts.Param, rest = rest[0], rest[1:]
		for _, o := range rest {
			if o != "check_post" {
				return bad(o)
			}
			opts.CheckPost = true
		}
	case "hdr":
		algo = Hdr
		if arg == "" {
			p.errorf(l.Pos, "balance: hdr requires an http header field name")
			return true
		}
		opts.Header = arg
		for _, o := range rest {
			if o != "use_domain_only" {
				return bad(o)
			}
			opts.UseDomainOnly = true
		}
	case "rdp-cookie":
		algo, opts.RDPCookie = RDPCookie, "mstshash"
		if hasArg {
			opts.RDPCookie = arg
		}
		if len(rest) > 0 {
			return bad(rest[0])
		}
	case "random":
		algo = Random
		if hasArg {
			n, err := strconv.Atoi(arg)
			if err != nil || n < 1 {
				p.errorf(l.Pos, "balance random(%s): the number of draws must be a positive integer", arg)
				return true
			}
			opts.Draws = n
		}
		if len(rest) > 0 {
			return bad(rest[0])
		}
	case "source":
		algo = SourceHash
		if len(rest) > 0 {
			return bad(rest[0])
		}
	default:
		return false
	}
	st.p.Balance, st.p.BalanceOpts = algo, opts
	return true
}

func parseHashType(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "hash-type: expects 'map-based' or 'consistent'")
		return
	}
	ht := HashType{Func: "sdbm"}
	switch args[0] {
	case "map-based":
	case "consistent":
		ht.Consistent = true
	default:
		p.errorf(l.Pos, "hash-type: unknown method %q (map-based, consistent)", args[0])
		return
	}
	for _, a := range args[1:] {
		switch a {
		case "sdbm", "djb2", "wt6", "crc32":
			ht.Func = a
		case "avalanche":
			ht.Avalanche = true
		default:
			p.errorf(l.Pos, "hash-type: unknown %q (sdbm, djb2, wt6, crc32, avalanche)", a)
			return
		}
	}
	st.p.HashType = ht
}
