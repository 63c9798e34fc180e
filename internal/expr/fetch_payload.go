package expr

import (
	"strconv"
	"strings"
)

// Buffer content fetches (layer 6): the raw bytes of a TCP stream, for
// tcp-request and tcp-response content rules. While the inspection may
// still receive bytes, a missing or too short buffer is "may change":
// the rule waits instead of deciding.

func init() {
	for _, f := range []*Fetch{
		{Name: "req.len", Out: Int, Use: UseReqPayload, Eval: payloadLen(false)},
		{Name: "req_len", Out: Int, Use: UseReqPayload, Eval: payloadLen(false)},
		{Name: "res.len", Out: Int, Use: UseResPayload, Eval: payloadLen(true)},
		{Name: "req.payload", Args: []ArgType{ArgInt, ArgInt}, MinArgs: 2, Out: Bin, Use: UseReqPayload, Check: checkPayload, Eval: payload(false)},
		{Name: "payload", Args: []ArgType{ArgInt, ArgInt}, MinArgs: 2, Out: Bin, Use: UseReqPayload, Check: checkPayload, Eval: payload(false)},
		{Name: "res.payload", Args: []ArgType{ArgInt, ArgInt}, MinArgs: 2, Out: Bin, Use: UseResPayload, Check: checkPayload, Eval: payload(true)},
		{Name: "req.payload_lv", Args: []ArgType{ArgInt, ArgInt, ArgStr}, MinArgs: 2, Out: Bin, Use: UseReqPayload, Check: checkPayloadLV, Eval: payloadLV(false)},
		{Name: "payload_lv", Args: []ArgType{ArgInt, ArgInt, ArgStr}, MinArgs: 2, Out: Bin, Use: UseReqPayload, Check: checkPayloadLV, Eval: payloadLV(false)},
		{Name: "res.payload_lv", Args: []ArgType{ArgInt, ArgInt, ArgStr}, MinArgs: 2, Out: Bin, Use: UseResPayload, Check: checkPayloadLV, Eval: payloadLV(true)},
		{Name: "req.rdp_cookie", Args: []ArgType{ArgStr}, Out: Str, Use: UseReqPayload, Eval: rdpCookie},
		{Name: "rdp_cookie", Args: []ArgType{ArgStr}, Out: Str, Use: UseReqPayload, Eval: rdpCookie},
		{Name: "req.rdp_cookie_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseReqPayload, Eval: rdpCookieCount},
		{Name: "rdp_cookie_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseReqPayload, Eval: rdpCookieCount},
		// wait_end holds until the inspection ends; HTTP rules see a
		// whole head, so it is true there.
		{Name: "wait_end", Out: Bool, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			if !c.PayloadFinal && c.Req == nil {
				out.MayChange = true
				return false
			}
			out.SetBool(true)
			return true
		}},
		{Name: "req.proto_http", Out: Bool, Use: UseReqPayload, Eval: protoHTTP},
		{Name: "req_proto_http", Out: Bool, Use: UseReqPayload, Eval: protoHTTP},
	} {
		RegisterFetch(f)
	}
}

func (c *Ctx) payload(res bool) ([]byte, bool) {
	if res {
		return c.ResPayload, c.ResPayloadFinal
	}
	return c.Payload, c.PayloadFinal
}

func payloadLen(res bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
		b, final := c.payload(res)
		n := len(b)
		if !res && c.Req != nil {
			// An HTTP request: the head and the body buffered so far.
			n = c.Req.HeadLen + len(c.ReqBody)
			final = c.ReqBodyFinal
		}
		out.SetInt(int64(n))
		out.MayChange = !final
		return true
	}
}

func checkPayload(a []Arg, _ *Env) error {
	if a[0].Int < 0 || a[1].Int < 0 {
		return errNegative
	}
	return nil
}

type argError string

func (e argError) Error() string { return string(e) }

const errNegative = argError("offsets and lengths must not be negative")

func payload(res bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
		b, final := c.payload(res)
		off, n := int(a[0].Int), int(a[1].Int)
		if n == 0 {
			if off > len(b) {
				out.MayChange = !final
				return false
			}
			out.SetBin(b[off:])
			out.MayChange = !final
			return true
		}
		if off+n > len(b) {
			out.MayChange = !final
			return false
		}
		out.SetBin(b[off : off+n])
		return true
	}
}

// checkPayloadLV parses the optional third argument: an absolute offset,
// or one relative to the end of the length field with '+' or '-'.
func checkPayloadLV(a []Arg, _ *Env) error {
	if a[0].Int < 0 || a[1].Int <= 0 || a[1].Int > 8 {
		return argError("the length field must be 1 to 8 bytes at a positive offset")
	}
	if a[2].Given {
		s := a[2].Str
		rel := strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-")
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return argError("offset2 " + strconv.Quote(s) + " is not an integer")
		}
		a[2].Int = n
		a[2].IsVar = rel // reused as the "relative" marker
	}
	return nil
}

func payloadLV(res bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
		b, final := c.payload(res)
		off, ln := int(a[0].Int), int(a[1].Int)
		if off+ln > len(b) {
			out.MayChange = !final
			return false
		}
		size := 0
		for _, x := range b[off : off+ln] {
			size = size<<8 | int(x)
		}
		start := off + ln
		if a[2].Given {
			if a[2].IsVar {
				start += int(a[2].Int)
			} else {
				start = int(a[2].Int)
			}
		}
		if start < 0 || size < 0 {
			return false
		}
		if start+size > len(b) {
			out.MayChange = !final
			return false
		}
		out.SetBin(b[start : start+size])
		return true
	}
}

// rdpCookie reads "Cookie: NAME=VALUE\r\n" from an RDP connection
// request (it starts 11 bytes in, after the TPKT and X.224 headers).
func rdpCookie(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
	name, value, ok, more := parseRDPCookie(c.Payload)
	if !ok {
		out.MayChange = more && !c.PayloadFinal
		return false
	}
	if a[0].Given && a[0].Str != "" && !strings.EqualFold(bstr(name), a[0].Str) {
		return false
	}
	out.SetStr(value)
	return true
}

func rdpCookieCount(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
	name, _, ok, more := parseRDPCookie(c.Payload)
	if !ok && more && !c.PayloadFinal {
		out.MayChange = true
		return false
	}
	n := int64(0)
	if ok && (!a[0].Given || a[0].Str == "" || strings.EqualFold(bstr(name), a[0].Str)) {
		n = 1
	}
	out.SetInt(n)
	return true
}

func parseRDPCookie(b []byte) (name, value []byte, ok, more bool) {
	const prefix = "Cookie:"
	if len(b) < 11+len(prefix) {
		return nil, nil, false, true
	}
	p := b[11:]
	if !strings.EqualFold(bstr(p[:len(prefix)]), prefix) {
		return nil, nil, false, false
	}
	p = TrimBlanks(p[len(prefix):])
	eq := -1
	for i, x := range p {
		if x == '=' && eq < 0 {
			eq = i
		}
		if x == '\r' || x == '\n' {
			if eq < 0 {
				return nil, nil, false, false
			}
			return p[:eq], p[eq+1 : i], true, false
		}
	}
	return nil, nil, false, true
}

func protoHTTP(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
	r := c.request(out)
	if r == nil {
		if out.MayChange {
			return false
		}
		out.SetBool(false)
		return true
	}
	out.SetBool(true)
	return true
}
