package rules

import (
	"testing"

	"baton/internal/proxyproto"
)

// TestProxyProtocolRules: the PROXY header's fetches in ACLs and header
// values (fc_rcvd_proxy, fc_pp_authority, fc_pp_unique_id), and the
// tcp-request connection expect-proxy action, which asks for a header
// only when its condition holds and lets the later rules run.
func TestProxyProtocolRules(t *testing.T) {
	withTLVs := &proxyproto.Header{Version: 2, TLVs: []proxyproto.TLV{
		{Type: proxyproto.TypeAuthority, Value: []byte("api.example.com")},
		{Type: proxyproto.TypeUniqueID, Value: []byte("id-42")},
	}}
	v1 := &proxyproto.Header{Version: 1}
	s, cfg := frontend(t, ` acl pp fc_rcvd_proxy
 acl api fc_pp_authority -i API.example.com other
 acl uid fc_pp_unique_id id-42
 tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }
 tcp-request connection set-var(sess.seen) str(yes)
 http-request set-header X-PP r=%[fc_rcvd_proxy]/a=%[fc_pp_authority]/u=%[fc_pp_unique_id]
 use_backend api if pp api uid
 use_backend hit if pp
 default_backend miss`)
	for _, tt := range []struct {
		pp          *proxyproto.Header
		backend, hv string
	}{
		{withTLVs, "api", "r=1/a=api.example.com/u=id-42"},
		{v1, "hit", "r=1/a=/u="},
		{nil, "miss", "r=0/a=/u="},
	} {
		r := parseReq(t, "GET /")
		in := newInput(cfg, s, r, "192.0.2.1")
		in.PP = tt.pp
		if name, _ := s.Backend(in); name != tt.backend {
			t.Errorf("PROXY header %+v: backend %q, want %q", tt.pp, name, tt.backend)
		}
		var v Verdict
		s.Request(in, &v)
		if got, _ := r.Header("X-PP"); string(got) != tt.hv {
			t.Errorf("PROXY header %+v: X-PP %q, want %q", tt.pp, got, tt.hv)
		}
	}
	for _, tt := range []struct {
		src  string
		want bool
	}{{"10.1.2.3", true}, {"192.0.2.1", false}} {
		in := newInput(cfg, s, nil, tt.src)
		in.Req = nil
		if k := s.Connection(in); k != Continue {
			t.Errorf("connection from %s: %v, want Continue (expect-proxy is not final)", tt.src, k)
		}
		if in.Effects.ExpectProxy != tt.want {
			t.Errorf("connection from %s: ExpectProxy %v, want %v", tt.src, in.Effects.ExpectProxy, tt.want)
		}
	}
}
