package config

import (
	"strconv"
	"time"
)

// Cache sections ("cache NAME"), the cache-use and cache-store actions
// and "filter cache" (package cache has the cache itself).

// CacheSection is one "cache NAME" section.
type CacheSection struct {
	Name string
	// TotalMaxSize is total-max-size in bytes (the section's line is in
	// megabytes, 1 to 4095); required.
	TotalMaxSize int64
	// MaxObjectSize is max-object-size in bytes; 0 means a 256th of
	// TotalMaxSize.
	MaxObjectSize int64
	// MaxAge caps every object's lifetime; 0 means HAProxy's 60 s.
	MaxAge time.Duration
	// ProcessVary is "process-vary on": responses with Vary are stored.
	ProcessVary bool
	// MaxSecondaryEntries bounds the variants of one key; 0 means 10.
	MaxSecondaryEntries int
	Pos                 Pos
}

// ObjectLimit is the effective max-object-size.
func (c *CacheSection) ObjectLimit() int64 {
	if c.MaxObjectSize > 0 {
		return c.MaxObjectSize
	}
	return c.TotalMaxSize / 256
}

// Lifetime is the effective max-age.
func (c *CacheSection) Lifetime() time.Duration {
	if c.MaxAge > 0 {
		return c.MaxAge
	}
	return 60 * time.Second
}

// Secondary is the effective max-secondary-entries.
func (c *CacheSection) Secondary() int {
	if c.MaxSecondaryEntries > 0 {
		return c.MaxSecondaryEntries
	}
	return 10
}

// Cache returns the cache section named name, or nil.
func (c *Config) Cache(name string) *CacheSection {
	for _, s := range c.Caches {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func init() {
	proxyKeywords["filter cache"] = &proxyKeyword{sections: secF | secL | secB, parse: parseFilterCache}
}

// cacheActions are the cache rule actions of a rule set.
func cacheActions(set string) map[string]actionFunc {
	switch set {
	case "http-request":
		return map[string]actionFunc{"cache-use": actCache}
	case "http-response":
		return map[string]actionFunc{"cache-store": actCache}
	}
	return nil
}

// actCache parses "cache-use NAME" and "cache-store NAME": Rule.Name is
// the cache.
func actCache(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 {
		return "expects the name of a cache section"
	}
	r.Name = args[0]
	rc.p.cacheRefs = append(rc.p.cacheRefs, tableRef{name: args[0], pos: rc.pos})
	return ""
}

// parseFilterCache reads "filter cache NAME": accepted with a warning,
// since Baton stores through the cache-store rule and always applies the
// cache before compression (HAProxy's order without filter lines).
func parseFilterCache(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) != 1 {
		p.errorf(l.Pos, "filter cache: expects the name of a cache section")
		return
	}
	p.advisef(l.Pos, "filter cache: accepted; Baton always runs the cache before compression, as HAProxy does without filter lines")
	p.cacheRefs = append(p.cacheRefs, tableRef{name: args[0], pos: l.Pos})
}

func (p *parser) startCache(l line) {
	if len(l.Words) != 2 {
		p.errorf(l.Pos, "cache: expects one name")
		p.skip = true
		return
	}
	if old := p.cfg.Cache(l.Words[1]); old != nil {
		p.errorf(l.Pos, "cache %q: declared twice (first at %s)", l.Words[1], old.Pos)
		p.skip = true
		return
	}
	p.curCache = &CacheSection{Name: l.Words[1], Pos: l.Pos}
	p.cfg.Caches = append(p.cfg.Caches, p.curCache)
}

func (p *parser) cacheLine(l line) {
	c := p.curCache
	w := l.Words
	if len(w) != 2 {
		p.errorf(l.Pos, "cache %q: %s: expects one value", c.Name, w[0])
		return
	}
	n, err := strconv.ParseInt(w[1], 10, 64)
	switch w[0] {
	case "total-max-size":
		if err != nil || n < 1 || n > 4095 {
			p.errorf(l.Pos, "cache %q: total-max-size: expects megabytes from 1 to 4095, got %q", c.Name, w[1])
			return
		}
		c.TotalMaxSize = n << 20
	case "max-object-size":
		if err != nil || n < 1 || n > 1<<31 {
			p.errorf(l.Pos, "cache %q: max-object-size: expects a positive number of bytes, got %q", c.Name, w[1])
			return
		}
		c.MaxObjectSize = n
	case "max-age":
		if err != nil || n < 1 || n > 1<<31 {
			p.errorf(l.Pos, "cache %q: max-age: expects a positive number of seconds, got %q", c.Name, w[1])
			return
		}
		c.MaxAge = time.Duration(n) * time.Second
	case "process-vary":
		switch w[1] {
		case "on":
			c.ProcessVary = true
		case "off":
			c.ProcessVary = false
		default:
			p.errorf(l.Pos, "cache %q: process-vary: expects 'on' or 'off', got %q", c.Name, w[1])
		}
	case "max-secondary-entries":
		if err != nil || n < 1 || n > 1<<20 {
			p.errorf(l.Pos, "cache %q: max-secondary-entries: expects a strictly positive number, got %q", c.Name, w[1])
			return
		}
		c.MaxSecondaryEntries = int(n)
	default:
		p.errorf(l.Pos, "cache %q: unknown keyword %q (total-max-size, max-object-size, max-age, process-vary, max-secondary-entries)", c.Name, w[0])
	}
}

// checkCaches checks every cache section and every cache a rule or
// filter names.
func (p *parser) checkCaches() {
	for _, c := range p.cfg.Caches {
		switch {
		case c.TotalMaxSize == 0:
			p.errorf(c.Pos, "cache %q: total-max-size is mandatory", c.Name)
		case c.MaxObjectSize > c.TotalMaxSize/2:
			p.errorf(c.Pos, "cache %q: max-object-size (%d) must not be greater than half of total-max-size (%d bytes)", c.Name, c.MaxObjectSize, c.TotalMaxSize)
		}
	}
	for _, r := range p.cacheRefs {
		if p.cfg.Cache(r.name) == nil {
			p.errorf(r.pos, "unable to find cache '%s'", r.name)
		}
	}
}
