package proxy

import (
	"net"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/health"
)

// healthOptions wires a backend's checks to the engine: on-marked-down/up
// cut connections, external checks see the proxy's first listener (the
// events are logged by checkEvents).
func (e *Engine) healthOptions(p *config.Proxy) health.Options {
	opt := health.Options{
		ShutdownSessions: e.shutdownSessions,
		Global:           e.cfg.Global.CheckGlobals,
		ProxyID:          proxyID(e.cfg, p),
	}
	if p.Kind == config.KindListen && len(p.Binds) > 0 {
		if h, port, err := net.SplitHostPort(p.Binds[0].Addr); err == nil {
			opt.ProxyAddr, opt.ProxyPort = h, port
			if h == "" {
				opt.ProxyAddr = "0.0.0.0"
			}
		}
	}
	return opt
}

// proxyID is the proxy's number, as HAProxy numbers them: its position
// among the proxies, from 1.
func proxyID(c *config.Config, p *config.Proxy) int {
	for i, q := range c.Proxies {
		if q == p {
			return i + 1
		}
	}
	return 0
}

// shutdownSessions closes every client connection whose request or
// tunnel uses s (on-marked-down shutdown-sessions, code 'D'; on-marked-up
// shutdown-backup-sessions, code 'U'). Their log lines carry the code.
func (e *Engine) shutdownSessions(s *backend.Server, code byte) {
	e.mu.Lock()
	var victims []*clientConn
	for cc := range e.conns {
		if cc.curSrv.Load() == s {
			victims = append(victims, cc)
		}
	}
	e.mu.Unlock()
	for _, cc := range victims {
		cc.killed.Store(int32(code))
		cc.closeAll()
	}
}
