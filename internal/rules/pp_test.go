package rules

import (
	"testing"

	"baton/internal/config"
	"baton/internal/proxyproto"
)

// The PROXY protocol fetches: fc_rcvd_proxy (a boolean), fc_pp_authority
// and fc_pp_unique_id (the TLVs' values), in ACLs and in header values.
func TestProxyProtocolFetches(t *testing.T) {
	withTLVs := &proxyproto.Header{Version: 2, TLVs: []proxyproto.TLV{
		{Type: proxyproto.TypeAuthority, Value: []byte("api.example.com")},
		{Type: proxyproto.TypeUniqueID, Value: []byte("id-42")},
	}}
	v1 := &proxyproto.Header{Version: 1}
	acls := []struct {
		name string
		acl  config.ACL
		pp   *proxyproto.Header
		want bool
	}{
		{"rcvd", config.ACL{Fetch: "fc_rcvd_proxy"}, v1, true},
		{"rcvd none", config.ACL{Fetch: "fc_rcvd_proxy"}, nil, false},
		{"authority", config.ACL{Fetch: "fc_pp_authority", Values: []string{"other", "api.example.com"}}, withTLVs, true},
		{"authority -i", config.ACL{Fetch: "fc_pp_authority", IgnoreCase: true, Values: []string{"API.example.com"}}, withTLVs, true},
		{"authority miss", config.ACL{Fetch: "fc_pp_authority", Values: []string{"api"}}, withTLVs, false},
		{"authority absent", config.ACL{Fetch: "fc_pp_authority", Values: []string{""}}, v1, false},
		{"authority no header", config.ACL{Fetch: "fc_pp_authority", Values: []string{""}}, nil, false},
		{"unique id", config.ACL{Fetch: "fc_pp_unique_id", Values: []string{"id-42"}}, withTLVs, true},
	}
	for _, c := range acls {
		testACL(t, c.name, c.acl, &Input{Req: req("GET", "/"), PP: c.pp}, c.want)
	}
	if _, err := Compile(aclProxy(config.ACL{Fetch: "fc_rcvd_proxy", Values: []string{"1"}}, false)); err == nil {
		t.Error("fc_rcvd_proxy with a value compiled")
	}

	rs := []config.HTTPRule{{Action: "set-header", Name: "X-PP", Value: "r=%[fc_rcvd_proxy] a=%[fc_pp_authority] u=%[fc_pp_unique_id]", Pos: pos}}
	s, err := Compile(&config.Proxy{RequestRules: rs})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pp   *proxyproto.Header
		want string
	}{
		{withTLVs, "X-PP: r=1 a=api.example.com u=id-42\n"},
		{v1, "X-PP: r=1 a= u=\n"},
		{nil, "X-PP: r=0 a= u=\n"},
	} {
		r := req("GET", "/")
		var v Verdict
		s.Request(&Input{Req: r, PP: c.pp}, &v)
		if got := headerDump(r.Headers); got != c.want {
			t.Errorf("pp %+v: headers %q, want %q", c.pp, got, c.want)
		}
	}
}
