package expr

import "baton/internal/proxyproto"

// PROXY protocol fetches: the header the client sent on an accept-proxy
// bind or after a tcp-request connection expect-proxy rule (Ctx.PP, set
// by the proxy once the header is read). fc_rcvd_proxy says whether one
// came; fc_pp_authority and fc_pp_unique_id are its v2 TLVs, with no
// value when absent (a v1 header has none).

func init() {
	RegisterFetch(&Fetch{Name: "fc_rcvd_proxy", Out: Bool, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
		out.SetBool(c.PP != nil)
		return true
	}})
	RegisterFetch(&Fetch{Name: "fc_pp_authority", Out: Str, Eval: ppTLV(proxyproto.TypeAuthority)})
	RegisterFetch(&Fetch{Name: "fc_pp_unique_id", Out: Str, Eval: ppTLV(proxyproto.TypeUniqueID)})
}

// ppTLV fetches a TLV's value; an absent one does not exist.
func ppTLV(typ byte) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
		if c.PP == nil {
			return false
		}
		v := c.PP.TLV(typ)
		if v == nil {
			return false
		}
		out.SetStr(v)
		return true
	}
}
