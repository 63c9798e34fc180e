package rules

import (
	"fmt"
	"strings"
)

// segKind is what one piece of a compiled log-format string produces.
type segKind uint8

const (
	segLiteral segKind = iota + 1
	segSrc
	segPath
	segMethod
	segURL
	segReqHdr
)

type segment struct {
	kind segKind
	lit  []byte // segLiteral
	hdr  string // segReqHdr: lowercased name
}

// format is a compiled HAProxy log-format string.
type format struct {
	segs []segment
	// literal is the whole value when it has no expression, so evaluation
	// can hand it out without copying.
	literal []byte
	isLit   bool
}

// compileFormat parses s; the error has no position, callers add it.
func compileFormat(s string) (*format, error) {
	f := &format{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.segs = append(f.segs, segment{kind: segLiteral, lit: []byte(lit.String())})
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
		expr := s[i+2 : i+j]
		seg, err := compileExpr(expr)
		if err != nil {
			return nil, err
		}
		flush()
		f.segs = append(f.segs, seg)
		i += j
	}
	flush()
	switch len(f.segs) {
	case 0:
		f.isLit, f.literal = true, []byte{}
	case 1:
		if f.segs[0].kind == segLiteral {
			f.isLit, f.literal = true, f.segs[0].lit
		}
	}
	return f, nil
}

func compileExpr(expr string) (segment, error) {
	switch expr {
	case "src":
		return segment{kind: segSrc}, nil
	case "path":
		return segment{kind: segPath}, nil
	case "method":
		return segment{kind: segMethod}, nil
	case "url":
		return segment{kind: segURL}, nil
	}
	for _, fn := range []string{"req.hdr(", "hdr("} {
		if strings.HasPrefix(expr, fn) && strings.HasSuffix(expr, ")") {
			name := expr[len(fn) : len(expr)-1]
			if name == "" || strings.ContainsAny(name, ", ") {
				return segment{}, fmt.Errorf("unsupported sample expression %%[%s]: want exactly one header name", expr)
			}
			return segment{kind: segReqHdr, hdr: strings.ToLower(name)}, nil
		}
	}
	return segment{}, fmt.Errorf("unsupported sample expression %%[%s] (supported: src, path, method, url, req.hdr(NAME), hdr(NAME); no converters)", expr)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

// appendTo evaluates f against in, appending to dst.
func (f *format) appendTo(dst []byte, in *Input) []byte {
	for i := range f.segs {
		s := &f.segs[i]
		switch s.kind {
		case segLiteral:
			dst = append(dst, s.lit...)
		case segSrc:
			if in.Src.IsValid() {
				dst = in.Src.Unmap().AppendTo(dst)
			}
		case segPath:
			if in.Req != nil {
				dst = append(dst, in.Req.Path()...)
			}
		case segMethod:
			if in.Req != nil {
				dst = append(dst, in.Req.Method...)
			}
		case segURL:
			if in.Req != nil {
				dst = append(dst, in.Req.Target...)
			}
		case segReqHdr:
			dst = append(dst, lastHeaderElement(in, s.hdr)...)
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
