package expr

// Cache fetches: whether the response came from a cache, and which.

func init() {
	RegisterFetch(&Fetch{Name: "res.cache_hit", Out: Bool, Use: UseRes, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
		out.SetBool(c.CacheHit != "")
		return true
	}})
	RegisterFetch(&Fetch{Name: "res.cache_name", Out: Str, Use: UseRes, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
		if c.CacheHit == "" {
			out.SetStr(nil) // an empty string, as in HAProxy
			return true
		}
		return strSample(out, c.CacheHit)
	}})
}
