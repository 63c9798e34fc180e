package backend

import (
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"baton/internal/config"
)

// The idle pool's bounds, with HAProxy's meanings. Per server,
// "pool-max-conn" (no limit by default) and "pool-purge-delay" (every
// 5s, half of the idle connections are closed, the longest idle first).
// Per process, what HAProxy's tune.pool-low-fd-ratio does by default: no
// connection is pooled once the idle ones reach 20% of the file
// descriptors the process may open. So a server's pool holds what the
// recent peak of concurrent requests needed (a connection is pooled only
// when a request ends with it), not a fixed count that makes a burst
// wider than it redial.

// idleFDRatio is the share of the descriptor limit idle server
// connections may take (percent; HAProxy's tune.pool-low-fd-ratio).
const idleFDRatio = 20

// pooledIdle counts the idle connections pooled in this process, every
// server's: PutIdle adds, GetIdle and the purges subtract (atomic: the
// pools have locks of their own, and the count spans them).
var pooledIdle atomic.Int64

// IdleBudget is the most idle server connections a process pools:
// idleFDRatio percent of its descriptor limit, at least 64.
var IdleBudget = sync.OnceValue(func() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 64 << 10
	}
	return max(64, int(rl.Cur)*idleFDRatio/100)
})

// takeIdleBudget reserves one pooled connection in the process budget;
// false when it is spent.
func takeIdleBudget() bool {
	if pooledIdle.Add(1) > int64(IdleBudget()) {
		pooledIdle.Add(-1)
		return false
	}
	return true
}

// IdleLimit is the most idle connections pooled for s: the backend's
// MaxIdle when set, else the server's pool-max-conn (no limit: the
// process budget), 0 for "pool-max-conn 0" or "pool-purge-delay 0".
func (s *Server) IdleLimit() int {
	switch {
	case s.b.MaxIdle < 0:
		return 0
	case s.b.MaxIdle > 0:
		return s.b.MaxIdle
	}
	cs := s.Config
	switch {
	case cs == nil:
		return IdleBudget()
	case cs.NoIdlePool, cs.PoolPurgeDelay < 0:
		return 0
	case cs.PoolMaxConn > 0:
		return cs.PoolMaxConn
	}
	return IdleBudget()
}

func (s *Server) purgeDelay() time.Duration {
	if s.Config != nil && s.Config.PoolPurgeDelay > 0 {
		return s.Config.PoolPurgeDelay
	}
	return config.DefaultPoolPurgeDelay
}

// armPurge starts the purge timer unless it runs; s.idle.mu held. The
// timer is made once per server and reset after, so pooling allocates
// nothing in the steady state.
func (s *Server) armPurge() {
	p := &s.idle
	if p.armed {
		return
	}
	p.armed = true
	if p.timer == nil {
		p.timer = time.AfterFunc(s.purgeDelay(), s.purgeHalf)
		return
	}
	p.timer.Reset(s.purgeDelay())
}

// purgeHalf closes the longest-idle half of the pool (rounded up, so a
// pool left alone empties), and rearms while connections remain.
func (s *Server) purgeHalf() {
	p := &s.idle
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed = false
	if p.closed {
		return
	}
	n := len(p.stack)
	k := (n + 1) / 2
	for _, e := range p.stack[:k] {
		e.c.Close()
		e.c = nil
		p.free = append(p.free, e)
	}
	copy(p.stack, p.stack[k:])
	clear(p.stack[n-k:])
	p.stack = p.stack[:n-k]
	pooledIdle.Add(-int64(k))
	if len(p.stack) > 0 {
		s.armPurge()
	}
}

// PoolSettings are s's pool-max-conn (-1: no bound of its own, as
// HAProxy shows it) and pool-purge-delay, for "show servers conn".
func (s *Server) PoolSettings() (maxConn int, purgeDelay time.Duration) {
	maxConn = s.IdleLimit()
	if maxConn == IdleBudget() && (s.Config == nil || s.Config.PoolMaxConn != maxConn) {
		maxConn = -1
	}
	purgeDelay = s.purgeDelay()
	if s.Config != nil && s.Config.PoolPurgeDelay < 0 {
		purgeDelay = 0
	}
	return maxConn, purgeDelay
}
