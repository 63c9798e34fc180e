package logformat

import (
	"fmt"
	"strings"
)

// Kind is what one segment of a format produces.
type Kind uint8

const (
	Literal Kind = iota + 1 // Segment.Lit
	Src                     // the client address
	Path                    // the request path, without query
	Method                  // the request method
	URL                     // the request target as received
	ReqHdr                  // the request header Segment.Header (lowercase)
	// TLS is a TLS fetch of the client connection, named by
	// Segment.Fetch (ssl_fc_sni, ssl_c_s_dn, ...; see TLSFetches).
	TLS
)

// TLSFetches are the TLS sample fetches a value may use: the client
// connection's facts, empty (booleans "0") on a plain connection.
var TLSFetches = map[string]bool{
	"ssl_fc": true, "ssl_fc_sni": true, "ssl_fc_protocol": true, "ssl_fc_cipher": true, "ssl_fc_alpn": true,
	"ssl_fc_is_resumed": true, "ssl_fc_has_sni": true, "ssl_c_used": true, "ssl_c_verify": true,
	"ssl_c_s_dn": true, "ssl_c_i_dn": true,
}

// Segment is one piece of a parsed format.
type Segment struct {
	Kind   Kind
	Lit    string // for Literal
	Header string // for ReqHdr: the lowercased header name
	Fetch  string // for TLS: the fetch's name
}

// Parse splits s into segments; adjacent literal text is merged. The error
// has no position: callers add theirs.
func Parse(s string) ([]Segment, error) {
	var segs []Segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, Segment{Kind: Literal, Lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			lit.WriteByte('%')
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '[' {
			end := i + 1
			for end < len(s) && (isAlnum(s[end]) || s[end] == '{') {
				end++
			}
			return nil, fmt.Errorf("unsupported log-format item %q (supported: %%[src], %%[path], %%[method], %%[url], %%[req.hdr(NAME)], %%%% for a literal %%)", s[i:end])
		}
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			return nil, fmt.Errorf("unterminated %%[ in %q", s)
		}
		seg, err := parseExpr(s[i+2 : i+j])
		if err != nil {
			return nil, err
		}
		flush()
		segs = append(segs, seg)
		i += j
	}
	flush()
	return segs, nil
}

func parseExpr(expr string) (Segment, error) {
	switch expr {
	case "src":
		return Segment{Kind: Src}, nil
	case "path":
		return Segment{Kind: Path}, nil
	case "method":
		return Segment{Kind: Method}, nil
	case "url":
		return Segment{Kind: URL}, nil
	}
	if TLSFetches[expr] {
		return Segment{Kind: TLS, Fetch: expr}, nil
	}
	for _, fn := range []string{"req.hdr(", "hdr("} {
		if strings.HasPrefix(expr, fn) && strings.HasSuffix(expr, ")") {
			name := expr[len(fn) : len(expr)-1]
			if name == "" || strings.ContainsAny(name, ", ") {
				return Segment{}, fmt.Errorf("unsupported sample expression %%[%s]: want exactly one header name", expr)
			}
			return Segment{Kind: ReqHdr, Header: strings.ToLower(name)}, nil
		}
	}
	return Segment{}, fmt.Errorf("unsupported sample expression %%[%s] (supported: src, path, method, url, req.hdr(NAME), hdr(NAME), ssl_fc, ssl_fc_sni, ssl_fc_protocol, ssl_fc_cipher, ssl_fc_alpn, ssl_fc_is_resumed, ssl_fc_has_sni, ssl_c_used, ssl_c_verify, ssl_c_s_dn, ssl_c_i_dn; no converters)", expr)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}
