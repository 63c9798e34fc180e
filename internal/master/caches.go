package master

import (
	"os"
	"sync"

	"baton/internal/cache"
	"baton/internal/config"
	"baton/internal/sticktable"
	"baton/internal/worker"
)

// The master owns one shared segment per cache section (package cache):
// a generation whose configuration has a cache of the same name and
// total-max-size as a live generation's gets the very same segment, so
// a reload keeps the cached objects and both generations use them while
// the old one drains; a cache whose size changed gets a new, empty
// segment. A segment no live generation uses is closed (its memory
// returned). The master never maps a segment. A binary upgrade keeps
// the segments: the new image adopts them with the generations.

// cacheSegment is one cache section's shared memory.
type cacheSegment struct {
	name  string
	ring  int64
	f     *os.File
	users int
}

// cacheSegments are the master's segments; safe for concurrent use.
type cacheSegments struct {
	mu   sync.Mutex
	segs []*cacheSegment
}

// CacheSpecs are a configuration's caches as the master shares them.
func CacheSpecs(cfg *config.Config) []worker.CacheRef {
	var out []worker.CacheRef
	for _, c := range cfg.Caches {
		out = append(out, worker.CacheRef{Name: c.Name, Ring: c.TotalMaxSize})
	}
	return out
}

// attachCaches gives g the segments of snap's caches, appending their
// files to files (whose first entry the worker sees at descriptor
// base); a cache whose segment could not be made is left out (the
// worker then keeps it in its own memory, which a reload loses).
func (m *Master) attachCaches(g *generation, snap *Snapshot, files []*os.File, base int) ([]*os.File, []worker.CacheRef) {
	if len(snap.Caches) == 0 {
		return files, nil
	}
	cs := &m.caches
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var refs []worker.CacheRef
	for _, spec := range snap.Caches {
		var seg *cacheSegment
		for _, s := range cs.segs {
			if s.name == spec.Name && s.ring == spec.Ring {
				seg = s
			}
		}
		if seg == nil {
			f, err := sticktable.CreateShared("baton-cache-*")
			if err == nil {
				if err = f.Truncate(cache.RegionSize(spec.Ring)); err != nil {
					f.Close()
				}
			}
			if err != nil {
				m.logf("worker gen=%d: cache %q: %v: its objects are its own", g.gen, spec.Name, err)
				continue
			}
			seg = &cacheSegment{name: spec.Name, ring: spec.Ring, f: f}
			cs.segs = append(cs.segs, seg)
		}
		seg.users++
		g.caches = append(g.caches, seg)
		ref := spec
		ref.FD = base + len(files)
		files = append(files, seg.f)
		refs = append(refs, ref)
	}
	return files, refs
}

// releaseCaches gives g's segments back; g's process must be gone.
func (m *Master) releaseCaches(g *generation) {
	cs := &m.caches
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, seg := range g.caches {
		if seg.users--; seg.users > 0 {
			continue
		}
		seg.f.Close()
		for i, s := range cs.segs {
			if s == seg {
				cs.segs = append(cs.segs[:i], cs.segs[i+1:]...)
				break
			}
		}
	}
	g.caches = nil
}

// keptCache is a cache segment across a binary upgrade: its descriptor
// kept across exec and the generations that use it.
type keptCache struct {
	Name string `json:"name"`
	Ring int64  `json:"ring"`
	FD   int    `json:"fd"`
	Gens []int  `json:"gens"`
}

// keepCaches prepares the cache segments for exec; fds are the
// descriptors to close should the exec fail.
func (m *Master) keepCaches() (out []keptCache, fds []int, err error) {
	cs := &m.caches
	m.mu.Lock()
	defer m.mu.Unlock()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, seg := range cs.segs {
		fd, err := keepFD(seg.f)
		if err != nil {
			return out, fds, err
		}
		fds = append(fds, fd)
		k := keptCache{Name: seg.name, Ring: seg.ring, FD: fd}
		for _, g := range m.gens {
			for _, s := range g.caches {
				if s == seg {
					k.Gens = append(k.Gens, g.gen)
				}
			}
		}
		out = append(out, k)
	}
	return out, fds, nil
}

// resumeCaches adopts the segments the previous image kept. The
// function it returns gives an adopted generation its segments; called
// with nil once every generation is adopted, it closes the segments no
// generation took.
func (m *Master) resumeCaches(kept []keptCache) func(g *generation) {
	cs := &m.caches
	segs := make([]*cacheSegment, len(kept))
	for i, k := range kept {
		segs[i] = &cacheSegment{name: k.Name, ring: k.Ring, f: os.NewFile(uintptr(k.FD), "cache")}
	}
	return func(g *generation) {
		cs.mu.Lock()
		defer cs.mu.Unlock()
		for i, k := range kept {
			seg := segs[i]
			if g == nil {
				if seg.users == 0 {
					seg.f.Close()
				}
				continue
			}
			for _, gen := range k.Gens {
				if gen != g.gen {
					continue
				}
				if seg.users++; seg.users == 1 {
					cs.segs = append(cs.segs, seg)
				}
				g.caches = append(g.caches, seg)
			}
		}
	}
}
