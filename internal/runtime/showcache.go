package runtime

import (
	"fmt"
	"strings"
	"time"

	"baton/internal/cache"
)

// The cache command: show cache. The objects live in memory every
// generation shares, so the serving generation answers for the service.

// Caches is implemented by a Target with cache sections.
type Caches interface {
	// CacheList is the generation's cache sections, in configuration
	// order.
	CacheList() []CacheSection
}

// CacheSection is one cache section and its store.
type CacheSection struct {
	Name  string
	Store *cache.Store
}

// cacheCommands join the others (commands.go).
var cacheCommands = []*command{
	{words: w("show cache"), usage: "show cache", help: "show cache status", level: LevelAdmin, run: showCache},
}

// cacheBlock is the unit HAProxy's shared cache counts in.
const cacheBlock = 1024

// showCache lists each cache and its live objects in HAProxy 2.6's
// lines. Baton has no pointers to show: the first column of each line
// and the shctx value are stable identifiers of the cache and of the
// object (its ring position) in the same forms. Every object can be
// overwritten by a newer one (the cache is a ring), which HAProxy's
// "available blocks" counts as available: it is the cache's size in
// blocks. refcount is 0: an object is copied out under a lock, never
// held.
func showCache(x *call) string {
	cs, ok := x.t.(Caches)
	if !ok {
		return ""
	}
	var b strings.Builder
	now := time.Now()
	for i, c := range cs.CacheList() {
		base := uint64(i+1) << 32
		fmt.Fprintf(&b, "%#x: %s (shctx:%#x, available blocks:%d)\n", base|0x3a, c.Name, base, c.Store.Ring()/cacheBlock)
		c.Store.Walk(now.UnixMilli(), func(o cache.Object) {
			vary := uint64(0)
			if o.Vary != 0 {
				vary = o.Enc ^ o.Ref<<1 ^ uint64(o.Vary)
			}
			left := (o.Expire - now.UnixMilli() + 999) / 1000
			fmt.Fprintf(&b, "%#x hash:%d vary:0x%016x size:%d (%d blocks), refcount:0, expire:%d\n",
				base+0x1000+o.Pos%uint64(c.Store.Ring()), uint32(o.KeyHash>>32), vary, o.Len, (o.Len+cacheBlock-1)/cacheBlock, left)
		})
	}
	return b.String()
}
