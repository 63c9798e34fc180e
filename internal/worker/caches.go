package worker

import (
	"os"

	"baton/internal/cache"
)

// CacheRef names a cache section's shared segment (see package cache):
// the descriptor the worker inherited, and the ring size it was made
// for.
type CacheRef struct {
	Name string `json:"name"`
	Ring int64  `json:"ring"`
	FD   int    `json:"fd"`
}

// openCaches maps the caches' segments the start message names. A
// cache whose segment cannot be mapped is left out (the reason is
// logged): the engine then keeps it in its own memory.
func (w *worker) openCaches(refs []CacheRef) map[string]*cache.Store {
	if len(refs) == 0 {
		return nil
	}
	out := map[string]*cache.Store{}
	for _, r := range refs {
		f := os.NewFile(uintptr(r.FD), "cache")
		if f == nil {
			continue
		}
		s, _, err := cache.MapShared(f, r.Ring)
		f.Close()
		if err != nil {
			w.logf("cache %q: %v: this generation's objects are its own", r.Name, err)
			continue
		}
		out[r.Name] = s
	}
	return out
}
