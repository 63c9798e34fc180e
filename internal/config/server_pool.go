package config

import (
	"fmt"
	"time"
)

// ServerPool is how many idle connections to a server are kept for reuse
// by later requests (HAProxy's "pool-max-conn", "pool-purge-delay" and
// "pool-low-conn").
type ServerPool struct {
	// PoolMaxConn is "pool-max-conn N" with N > 0: at most N idle
	// connections to the server. 0 means no bound of the server's own
	// (HAProxy's default, -1): the process-wide idle budget still
	// applies (see package backend).
	PoolMaxConn int
	// NoIdlePool is "pool-max-conn 0": no connection is kept idle.
	NoIdlePool bool
	// PoolPurgeDelay is "pool-purge-delay": every such interval, half of
	// the server's idle connections are closed. 0 means 5s, HAProxy's
	// default; a negative value is "pool-purge-delay 0": none is kept.
	PoolPurgeDelay time.Duration
}

// DefaultPoolPurgeDelay is HAProxy's default "pool-purge-delay".
const DefaultPoolPurgeDelay = 5 * time.Second

func setPoolMaxConn(_ *parser, s *Server, v []string, _ line) (int, error) {
	n, err := parseInt(v[0], -1, 1<<30)
	if err != nil {
		return 1, fmt.Errorf("invalid pool-max-conn %q (-1 for no limit, 0 for none, or a number)", v[0])
	}
	s.NoIdlePool = n == 0
	s.PoolMaxConn = max(n, 0)
	return 1, nil
}

func setPoolPurgeDelay(_ *parser, s *Server, v []string, _ line) (int, error) {
	d, err := parseTime(v[0])
	if err != nil {
		return 1, fmt.Errorf("invalid pool-purge-delay %q (a time)", v[0])
	}
	if d == 0 {
		d = -1
	}
	s.PoolPurgeDelay = d
	return 1, nil
}

func setPoolLowConn(p *parser, s *Server, v []string, l line) (int, error) {
	if _, err := parseInt(v[0], 0, 1<<30); err != nil {
		return 1, fmt.Errorf("invalid pool-low-conn %q (a number)", v[0])
	}
	p.advisef(l.Pos, "%s: pool-low-conn %s: no effect; Baton keeps one idle pool per server shared by all its goroutines, so there is no other thread's pool to steal from", serverWho(s), v[0])
	return 1, nil
}
