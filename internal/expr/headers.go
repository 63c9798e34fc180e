package expr

import (
	"bytes"
	"net/netip"
	"strconv"

	"baton/internal/h1"
)

// Header and cookie fetches. A header "value" is, for the hdr family,
// each comma-separated element of a field (blanks around it removed), and
// for the fhdr family the whole field. Without a name every field counts.
// An occurrence argument picks one value: N counts from the first (1 is
// the first), -N from the last. A sample context without one takes the
// last value; an ACL without one walks them all.

// headerWalk iterates over the values of the fields named name (all
// fields when name is empty).
type headerWalk struct {
	hs    []h1.Header
	name  string
	split bool
	i     int // field index
	off   int // offset in the field's value; -1 when the field is done
}

func (w *headerWalk) next() ([]byte, bool) {
	for w.i < len(w.hs) {
		h := &w.hs[w.i]
		if w.name != "" && !EqualFold(h.Name, w.name) {
			w.i++
			w.off = 0
			continue
		}
		v := h.Value
		if !w.split {
			w.i++
			return v, true
		}
		j := w.off
		for j < len(v) && v[j] != ',' {
			j++
		}
		elem := TrimBlanks(v[w.off:j])
		if j < len(v) {
			w.off = j + 1
		} else {
			w.i++
			w.off = 0
		}
		return elem, true
	}
	return nil, false
}

// headerValue implements the hdr/fhdr fetches over hs.
func headerValue(hs []h1.Header, split bool, a []Arg, it *Iter, out *Sample) bool {
	name := ""
	if a[0].Given {
		name = a[0].Str
	}
	occ := int64(0)
	if len(a) > 1 && a[1].Given {
		occ = a[1].Int
	}
	if occ == 0 && it.Iterate {
		w := headerWalk{hs: hs, name: name, split: split, i: it.Pos, off: it.Sub}
		v, ok := w.next()
		if !ok {
			return false
		}
		out.SetStr(v)
		it.Pos, it.Sub = w.i, w.off
		if _, more := (&headerWalk{hs: hs, name: name, split: split, i: w.i, off: w.off}).next(); more {
			it.More = true
		}
		return true
	}
	if occ == 0 {
		occ = -1
	}
	if occ < 0 {
		n := int64(0)
		w := headerWalk{hs: hs, name: name, split: split}
		for {
			if _, ok := w.next(); !ok {
				break
			}
			n++
		}
		occ = n + occ + 1
		if occ <= 0 {
			return false
		}
	}
	w := headerWalk{hs: hs, name: name, split: split}
	for k := int64(1); ; k++ {
		v, ok := w.next()
		if !ok {
			return false
		}
		if k == occ {
			out.SetStr(v)
			return true
		}
	}
}

func headerCount(hs []h1.Header, split bool, a []Arg) int64 {
	name := ""
	if a[0].Given {
		name = a[0].Str
	}
	w := headerWalk{hs: hs, name: name, split: split}
	n := int64(0)
	for {
		if _, ok := w.next(); !ok {
			return n
		}
		n++
	}
}

func reqHeaders(split bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
		r := c.request(out)
		if r == nil {
			return false
		}
		return headerValue(r.Headers, split, a, it, out)
	}
}

func resHeaders(split bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
		if c.Resp == nil {
			return false
		}
		return headerValue(c.Resp.Headers, split, a, it, out)
	}
}

func reqHeaderCount(split bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
		r := c.request(out)
		if r == nil {
			return false
		}
		out.SetInt(headerCount(r.Headers, split, a))
		return true
	}
}

func resHeaderCount(split bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
		if c.Resp == nil {
			return false
		}
		out.SetInt(headerCount(c.Resp.Headers, split, a))
		return true
	}
}

func (c *Ctx) headers(res bool, out *Sample) []h1.Header {
	if res {
		if c.Resp == nil {
			return nil
		}
		return c.Resp.Headers
	}
	r := c.request(out)
	if r == nil {
		return nil
	}
	return r.Headers
}

// headerIP is hdr_ip: the value as an address; an IPv4 address may carry
// a ":port", which is dropped. Values that are not addresses are skipped
// by an ACL and fail a sample.
func headerIP(res bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
		hs := c.headers(res, out)
		for headerValue(hs, true, a, it, out) {
			v := out.Bytes
			if ip, ok := parseHeaderIP(v); ok {
				out.SetIP(ip)
				return true
			}
			if !it.More {
				return false
			}
		}
		return false
	}
}

func parseHeaderIP(v []byte) (netip.Addr, bool) {
	// An IPv4 address may carry ":port" (dropped); anything else with a
	// colon is IPv6.
	if dot, colon := bytes.IndexByte(v, '.'), bytes.LastIndexByte(v, ':'); dot >= 0 && colon > dot {
		if _, err := strconv.ParseUint(bstr(v[colon+1:]), 10, 16); err != nil {
			return netip.Addr{}, false
		}
		v = v[:colon]
	}
	ip, err := netip.ParseAddr(bstr(v))
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, false
	}
	return ip, true
}

func headerVal(res bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
		hs := c.headers(res, out)
		if !headerValue(hs, true, a, it, out) {
			return false
		}
		n, ok := readInt(out.Bytes)
		if !ok {
			n = 0
		}
		out.SetInt(n)
		return true
	}
}

// cookieWalk iterates over the NAME=VALUE pairs of Cookie fields (or of
// Set-Cookie fields, whose first pair only is the cookie).
type cookieWalk struct {
	hs        []h1.Header
	field     string
	setCookie bool
	i, off    int
}

func (w *cookieWalk) next() (name, value []byte, ok bool) {
	for w.i < len(w.hs) {
		h := &w.hs[w.i]
		if !EqualFold(h.Name, w.field) || w.off >= len(h.Value) && w.off > 0 {
			w.i++
			w.off = 0
			continue
		}
		v := h.Value
		j := w.off
		for j < len(v) && v[j] != ';' && !(v[j] == ',' && !w.setCookie) {
			j++
		}
		pair := v[w.off:j]
		if w.setCookie || j >= len(v) {
			w.i++
			w.off = 0
		} else {
			w.off = j + 1
		}
		eq := -1
		for k, b := range pair {
			if b == '=' {
				eq = k
				break
			}
		}
		if eq < 0 {
			continue // not a cookie
		}
		return TrimBlanks(pair[:eq]), TrimBlanks(pair[eq+1:]), true
	}
	return nil, nil, false
}

// cookieValue is req.cook/res.cook: without a name the first cookie; with
// one, the last occurrence in a sample, every occurrence for an ACL.
func cookieValue(hs []h1.Header, setCookie bool, a []Arg, it *Iter, out *Sample) bool {
	field := "cookie"
	if setCookie {
		field = "set-cookie"
	}
	w := cookieWalk{hs: hs, field: field, setCookie: setCookie, i: it.Pos, off: it.Sub}
	named := a[0].Given && a[0].Str != ""
	found := false
	for {
		n, v, ok := w.next()
		if !ok {
			return found
		}
		if named && string(n) != a[0].Str {
			continue
		}
		out.SetStr(v)
		found = true
		if !named {
			return true
		}
		if it.Iterate {
			it.Pos, it.Sub = w.i, w.off
			it.More = true
			return true
		}
	}
}

func cookieCount(hs []h1.Header, setCookie bool, a []Arg) int64 {
	field := "cookie"
	if setCookie {
		field = "set-cookie"
	}
	w := cookieWalk{hs: hs, field: field, setCookie: setCookie}
	n := int64(0)
	for {
		name, _, ok := w.next()
		if !ok {
			return n
		}
		if !a[0].Given || a[0].Str == "" || string(name) == a[0].Str {
			n++
		}
	}
}

func reqCookie(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
	r := c.request(out)
	if r == nil {
		return false
	}
	return cookieValue(r.Headers, false, a, it, out)
}

func reqCookieCount(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
	r := c.request(out)
	if r == nil {
		return false
	}
	out.SetInt(cookieCount(r.Headers, false, a))
	return true
}

func resCookie(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
	if c.Resp == nil {
		return false
	}
	return cookieValue(c.Resp.Headers, true, a, it, out)
}

func resCookieCount(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
	if c.Resp == nil {
		return false
	}
	out.SetInt(cookieCount(c.Resp.Headers, true, a))
	return true
}

// EqualFold compares b with s ignoring ASCII case.
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lowerByte(b[i]) != lowerByte(s[i]) {
			return false
		}
	}
	return true
}

// appendLower appends b in lower case (ASCII).
func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, lowerByte(c))
	}
	return dst
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// TrimBlanks removes the spaces and tabs around b.
func TrimBlanks(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
