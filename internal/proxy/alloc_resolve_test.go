package proxy

import (
	"net/netip"
	"testing"

	"baton/internal/config"
)

// A server resolved at run time (its pool checks each connection's
// address) behind retry-on: the keep-alive path still allocates nothing.
func TestKeepAliveRequestAllocsResolved(t *testing.T) {
	p := listenProxy("bench", rawBackend(t))
	s := p.Servers[0]
	ap := netip.MustParseAddrPort(s.Addr)
	s.Host, s.Port, s.Resolvers = "app.test", int(ap.Port()), "dns"
	p.RetryOn = config.RetryAllRetryable
	cfg := cfgOf(p)
	// A name server that never answers: the server keeps its address
	// (hold timeout) while the resolver runs beside the requests.
	r := config.DefaultResolvers
	r.Name = "dns"
	r.Nameservers = []config.Nameserver{{Name: "ns1", Addr: refusedAddr(t)}}
	cfg.Resolvers = []*config.Resolvers{&r}
	keepAliveAllocs(t, p, Options{Log: &syncBuffer{}}, cfg)
}
