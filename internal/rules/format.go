package rules

import (
	"baton/internal/logformat"
	"baton/internal/proxyproto"
)

// format is a compiled HAProxy log-format string (see package logformat).
type format struct {
	segs []segment
	// literal is the whole value when it has no expression, so evaluation
	// can hand it out without copying.
	literal []byte
	isLit   bool
}

// segment is a logformat.Segment with its literal text as bytes, so
// evaluation appends without converting.
type segment struct {
	kind logformat.Kind
	lit  []byte
	hdr  string
	tls  tlsFetch // for logformat.TLS
}

// compileFormat parses s; the error has no position, callers add it.
func compileFormat(s string) (*format, error) {
	parsed, err := logformat.Parse(s)
	if err != nil {
		return nil, err
	}
	f := &format{}
	for _, p := range parsed {
		f.segs = append(f.segs, segment{kind: p.Kind, lit: []byte(p.Lit), hdr: p.Header, tls: tlsFetches[p.Fetch].f})
	}
	switch len(f.segs) {
	case 0:
		f.isLit, f.literal = true, []byte{}
	case 1:
		if f.segs[0].kind == logformat.Literal {
			f.isLit, f.literal = true, f.segs[0].lit
		}
	}
	return f, nil
}

// appendTo evaluates f against in, appending to dst.
func (f *format) appendTo(dst []byte, in *Input) []byte {
	for i := range f.segs {
		s := &f.segs[i]
		switch s.kind {
		case logformat.Literal:
			dst = append(dst, s.lit...)
		case logformat.Src:
			if in.Src.IsValid() {
				dst = in.Src.Unmap().AppendTo(dst)
			}
		case logformat.Path:
			if in.Req != nil {
				dst = append(dst, in.Req.Path()...)
			}
		case logformat.Method:
			if in.Req != nil {
				dst = append(dst, in.Req.Method...)
			}
		case logformat.URL:
			if in.Req != nil {
				dst = append(dst, in.Req.Target...)
			}
		case logformat.ReqHdr:
			dst = append(dst, lastHeaderElement(in, s.hdr)...)
		case logformat.PPAuthority, logformat.PPUniqueID, logformat.RcvdProxy:
			dst = append(dst, ppFetch(in, s.kind)...)
		case logformat.TLS:
			dst = appendTLS(dst, s.tls, in)
		}
	}
	return dst
}

// lastHeaderElement is HAProxy's req.hdr(name) in a sample context: the
// last comma-separated element of the last occurrence.
func lastHeaderElement(in *Input, name string) []byte {
	if in.Req == nil {
		return nil
	}
	h := in.Req.Headers
	for i := len(h) - 1; i >= 0; i-- {
		if !equalFoldLower(h[i].Name, name) {
			continue
		}
		v := h[i].Value
		j := len(v) - 1
		for j >= 0 && v[j] != ',' {
			j--
		}
		return trimBlanks(v[j+1:])
	}
	return nil
}

var (
	boolTrue  = []byte("1")
	boolFalse = []byte("0")
)

// ppFetch is fc_pp_authority, fc_pp_unique_id (the TLV's value; nothing
// without it) or fc_rcvd_proxy ("1" or "0", a boolean as text).
func ppFetch(in *Input, k logformat.Kind) []byte {
	switch k {
	case logformat.RcvdProxy:
		if in.PP != nil {
			return boolTrue
		}
		return boolFalse
	case logformat.PPAuthority:
		if in.PP != nil {
			return in.PP.TLV(proxyproto.TypeAuthority)
		}
	case logformat.PPUniqueID:
		if in.PP != nil {
			return in.PP.TLV(proxyproto.TypeUniqueID)
		}
	}
	return nil
}
