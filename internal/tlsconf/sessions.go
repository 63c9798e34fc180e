package tlsconf

import (
	"container/list"
	"crypto/rand"
	"crypto/tls"
	"sync"
	"time"
)

// Stateful resumption for no-tls-tickets. HAProxy's no-tls-tickets turns
// off RFC 5077 tickets, which exist up to TLS 1.2, and resumes from its
// session cache instead; in TLS 1.3 OpenSSL then issues tickets that only
// name a cache entry. Go's TLS server has no session-ID cache, so a TLS
// 1.2 client of such a bind is not resumed; a TLS 1.3 client gets a
// ticket that is a random 16-byte name of its session in this process's
// cache (tune.ssl.cachesize entries, tune.ssl.lifetime). The cache belongs
// to one generation: as in HAProxy, a reload starts it empty.

// DefaultCacheSize is HAProxy's tune.ssl.cachesize default.
const DefaultCacheSize = 20000

// sessionCache maps ticket names to serialized sessions, least recently
// used first out. Safe for concurrent use.
type sessionCache struct {
	mu       sync.Mutex
	max      int
	lifetime time.Duration
	byName   map[string]*list.Element
	lru      list.List // of *cachedSession, most recent at the front
}

type cachedSession struct {
	name    string
	state   []byte
	created time.Time
}

func newSessionCache(max int, lifetime time.Duration) *sessionCache {
	if lifetime <= 0 {
		lifetime = DefaultLifetime
	}
	return &sessionCache{max: max, lifetime: lifetime, byName: map[string]*list.Element{}}
}

func (c *sessionCache) put(state []byte) []byte {
	name := make([]byte, 16)
	rand.Read(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byName[string(name)] = c.lru.PushFront(&cachedSession{name: string(name), state: state, created: time.Now()})
	for c.lru.Len() > c.max {
		old := c.lru.Remove(c.lru.Back()).(*cachedSession)
		delete(c.byName, old.name)
	}
	return name
}

func (c *sessionCache) get(name []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byName[string(name)]
	if e == nil {
		return nil
	}
	s := e.Value.(*cachedSession)
	if time.Since(s.created) > c.lifetime {
		c.lru.Remove(e)
		delete(c.byName, s.name)
		return nil
	}
	c.lru.MoveToFront(e)
	return s.state
}

// stateful makes cfg's TLS 1.3 tickets names of sessions kept in cache.
func stateful(cfg *tls.Config, cache *sessionCache) {
	cfg.SessionTicketsDisabled = false
	cfg.WrapSession = func(_ tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		b, err := ss.Bytes()
		if err != nil {
			return nil, err
		}
		return cache.put(b), nil
	}
	cfg.UnwrapSession = func(name []byte, _ tls.ConnectionState) (*tls.SessionState, error) {
		b := cache.get(name)
		if b == nil {
			return nil, nil
		}
		ss, err := tls.ParseSessionState(b)
		if err != nil {
			return nil, nil
		}
		return ss, nil
	}
}

// offersTLS13 reports whether a client hello offers TLS 1.3.
func offersTLS13(hello *tls.ClientHelloInfo) bool {
	for _, v := range hello.SupportedVersions {
		if v == tls.VersionTLS13 {
			return true
		}
	}
	return false
}
