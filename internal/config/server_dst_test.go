package config

import "testing"

// TestServerDestinationFromRules: a server at 0.0.0.0, with port 0 or
// without a port connects where the request's destination says (set-dst,
// set-dst-port, or the port the client connected to).
func TestServerDestinationFromRules(t *testing.T) {
	for _, tc := range []struct {
		addr, want string
		fromRules  bool
	}{
		{"127.0.0.1:80", "127.0.0.1:80", false},
		{"0.0.0.0", "0.0.0.0:0", true},
		{"0.0.0.0:0", "0.0.0.0:0", true},
		{"0.0.0.0:8080", "0.0.0.0:8080", true},
		{"10.0.0.1", "10.0.0.1:0", true},
		{"10.0.0.1:0", "10.0.0.1:0", true},
	} {
		cfg, err := Parse("t.cfg", []byte("backend b\n server s "+tc.addr+"\n"))
		if err != nil {
			t.Errorf("%s: %v", tc.addr, err)
			continue
		}
		s := cfg.Proxies[0].Servers[0]
		if s.Addr != tc.want || s.DstFromRules != tc.fromRules {
			t.Errorf("%s: Addr %q DstFromRules %v, want %q %v", tc.addr, s.Addr, s.DstFromRules, tc.want, tc.fromRules)
		}
	}
}
