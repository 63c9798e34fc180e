package expr

import (
	"testing"

	"baton/internal/proxyproto"
)

// TestPPFetches reads the PROXY header the client sent: fc_rcvd_proxy
// (a boolean), fc_pp_authority and fc_pp_unique_id (the v2 TLVs, no value
// when absent or without a header), as samples and in a log format.
func TestPPFetches(t *testing.T) {
	withTLVs := &proxyproto.Header{Version: 2, TLVs: []proxyproto.TLV{
		{Type: proxyproto.TypeAuthority, Value: []byte("api.example.com")},
		{Type: proxyproto.TypeUniqueID, Value: []byte("id-42")},
	}}
	v1 := &proxyproto.Header{Version: 1}
	tests := []struct {
		expr string
		pp   *proxyproto.Header
		want string
	}{
		{"fc_rcvd_proxy", withTLVs, "1"},
		{"fc_rcvd_proxy", v1, "1"},
		{"fc_rcvd_proxy", nil, "0"},
		{"fc_pp_authority", withTLVs, "api.example.com"},
		{"fc_pp_authority,upper", withTLVs, "API.EXAMPLE.COM"},
		{"fc_pp_authority", v1, ""},
		{"fc_pp_authority", nil, ""},
		{"fc_pp_unique_id", withTLVs, "id-42"},
		{"fc_pp_unique_id", v1, ""},
	}
	env := testEnv()
	for _, tt := range tests {
		e, err := Compile(tt.expr, env)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		c := testCtx(t)
		c.PP = tt.pp
		if got := string(e.AppendString(nil, c)); got != tt.want {
			t.Errorf("%s with %+v = %q, want %q", tt.expr, tt.pp, got, tt.want)
		}
	}
	f, err := CompileFormat("r=%[fc_rcvd_proxy] a=%[fc_pp_authority] u=%[fc_pp_unique_id]", env)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.CheckWhere(TCPConnection); err != nil {
		t.Errorf("the PROXY fetches are refused in tcp-request connection rules: %v", err)
	}
	for _, tt := range []struct {
		pp   *proxyproto.Header
		want string
	}{
		{withTLVs, "r=1 a=api.example.com u=id-42"},
		{v1, "r=1 a= u="},
		{nil, "r=0 a= u="},
	} {
		c := testCtx(t)
		c.PP = tt.pp
		if got := string(f.Append(nil, c)); got != tt.want {
			t.Errorf("format with %+v = %q, want %q", tt.pp, got, tt.want)
		}
	}
}
