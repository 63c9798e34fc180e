package expr

import (
	"baton/internal/pattern"
	"baton/internal/tlsconf"
)

// TLS fetches: the client connection's TLS facts (ssl_fc*, ssl_c_*: Ctx.TLS,
// computed once after the handshake) and, for passthrough inspection, the
// ClientHello in the bytes a tcp-request content rule sees (req.ssl_*,
// parsed from Ctx.Payload by tlsconf's strict parser). A hello that is
// still a valid beginning leaves req.ssl_* "may change" until the
// inspection ends, so the rule waits.

func init() {
	for _, f := range []*Fetch{
		{Name: "ssl_fc", Out: Bool, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			out.SetBool(c.TLS != nil)
			return true
		}},
		{Name: "ssl_c_used", Out: Bool, Eval: tlsBool(func(f *tlsconf.Facts) bool { return f.ClientCert })},
		{Name: "ssl_fc_has_crt", Out: Bool, Eval: tlsBool(func(f *tlsconf.Facts) bool { return f.ClientCert })},
		{Name: "ssl_fc_has_sni", Out: Bool, Eval: tlsBool(func(f *tlsconf.Facts) bool { return len(f.SNI) > 0 })},
		{Name: "ssl_fc_is_resumed", Out: Bool, Eval: tlsBool(func(f *tlsconf.Facts) bool { return f.Resumed })},
		{Name: "ssl_fc_sni", Out: Str, Eval: tlsStr(func(f *tlsconf.Facts) []byte { return f.SNI })},
		{Name: "ssl_fc_protocol", Out: Str, Eval: tlsStr(func(f *tlsconf.Facts) []byte { return f.Protocol })},
		{Name: "ssl_fc_cipher", Out: Str, Eval: tlsStr(func(f *tlsconf.Facts) []byte { return f.Cipher })},
		{Name: "ssl_fc_alpn", Out: Str, Eval: tlsStr(func(f *tlsconf.Facts) []byte { return f.ALPN })},
		{Name: "ssl_c_s_dn", Out: Str, Eval: tlsStr(func(f *tlsconf.Facts) []byte { return f.SubjectDN })},
		{Name: "ssl_c_i_dn", Out: Str, Eval: tlsStr(func(f *tlsconf.Facts) []byte { return f.IssuerDN })},
		// ssl_c_verify is 0 on a plain connection too (a failed
		// verification refuses the handshake).
		{Name: "ssl_c_verify", Out: Int, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			v := 0
			if c.TLS != nil {
				v = c.TLS.Verify
			}
			out.SetInt(int64(v))
			return true
		}},
		{Name: "req.ssl_hello_type", Out: Int, Use: UseReqPayload, Eval: helloType},
		{Name: "req_ssl_hello_type", Out: Int, Use: UseReqPayload, Eval: helloType},
		{Name: "req.ssl_sni", Out: Str, Use: UseReqPayload, Eval: helloSNI},
		{Name: "req_ssl_sni", Out: Str, Use: UseReqPayload, Eval: helloSNI},
	} {
		RegisterFetch(f)
	}
	RegisterACL("ssl_fc_sni_end", "ssl_fc_sni", pattern.End)
	RegisterACL("ssl_fc_sni_reg", "ssl_fc_sni", pattern.Reg)
}

func tlsBool(get func(*tlsconf.Facts) bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
		out.SetBool(c.TLS != nil && get(c.TLS))
		return true
	}
}

// tlsStr fetches a string fact; an empty one does not exist.
func tlsStr(get func(*tlsconf.Facts) []byte) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
		if c.TLS == nil {
			return false
		}
		v := get(c.TLS)
		if len(v) == 0 {
			return false
		}
		out.SetStr(v)
		return true
	}
}

// clientHello returns the hello in the payload, parsing it again only
// when more bytes arrived; more says an incomplete one may still come.
func (c *Ctx) clientHello() (h *tlsconf.Hello, more bool) {
	if c.helloLen != len(c.Payload) || c.helloLen == 0 && c.hello == nil && c.helloErr == nil {
		c.hello, c.helloErr = tlsconf.ParseHello(c.Payload)
		c.helloLen = len(c.Payload)
	}
	return c.hello, c.helloErr == tlsconf.ErrIncomplete && !c.PayloadFinal
}

func helloType(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
	h, more := c.clientHello()
	if h == nil {
		out.MayChange = more
		return false
	}
	out.SetInt(int64(h.Type))
	return true
}

func helloSNI(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
	h, more := c.clientHello()
	if h == nil {
		out.MayChange = more
		return false
	}
	if h.Type != 1 || len(h.SNI) == 0 {
		return false
	}
	out.SetStr(h.SNI)
	return true
}
