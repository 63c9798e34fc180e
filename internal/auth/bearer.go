package auth

import "baton/internal/expr"

// http_auth_bearer([header]): the token of a "Bearer" Authorization (or
// of the named header), unchecked, as HAProxy 2.6 returns it; no sample
// for another scheme or without the header.
func init() {
	expr.RegisterFetch(&expr.Fetch{Name: "http_auth_bearer", Args: []expr.ArgType{expr.ArgStr}, Out: expr.Str, Use: expr.UseReqHead,
		Eval: func(c *expr.Ctx, a []expr.Arg, _ *expr.Iter, out *expr.Sample) bool {
			name := "authorization"
			if len(a) > 0 && a[0].Str != "" {
				name = a[0].Str
			}
			if c.Req == nil {
				return false
			}
			v, found := c.Req.Header(name)
			if !found {
				return false
			}
			token, ok := bearerToken(v)
			if !ok {
				return false
			}
			out.SetStr(token)
			return true
		}})
}

// bearerToken returns what follows the "Bearer" scheme (any case) and its
// blanks, or false for another scheme.
func bearerToken(v []byte) ([]byte, bool) {
	scheme, token := authScheme(v)
	if !expr.EqualFold(scheme, "bearer") {
		return nil, false
	}
	return token, true
}
