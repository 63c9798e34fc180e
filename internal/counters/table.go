package counters

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Kind is what a slot counts.
type Kind uint8

const (
	KindProcess Kind = iota + 1
	KindFrontend
	KindBackend
	KindServer
	// KindListener counts one listener (bind address) of a frontend with
	// option socket-stats. It has no parent: the frontend counts its own
	// events, so a listener's counters are not summed into anything.
	KindListener
)

// Key names a slot: a frontend or backend by proxy name, a server by
// backend and server name. Configuration names never contain '/', so
// String is unambiguous.
type Key struct {
	Kind   Kind
	Proxy  string
	Server string
}

// ProcessKey is the process-wide slot, always slot 0.
var ProcessKey = Key{Kind: KindProcess}

// FrontendKey, BackendKey and ServerKey build keys.
func FrontendKey(name string) Key       { return Key{Kind: KindFrontend, Proxy: name} }
func BackendKey(name string) Key        { return Key{Kind: KindBackend, Proxy: name} }
func ServerKey(backend, srv string) Key { return Key{Kind: KindServer, Proxy: backend, Server: srv} }

// ListenerKey names the sid-th listener (from 1, in configuration
// order) of frontend fe.
func ListenerKey(fe string, sid int) Key {
	return Key{Kind: KindListener, Proxy: fe, Server: strconv.Itoa(sid)}
}

// String encodes k for the start message: "P", "F/name", "B/name",
// "S/backend/server".
func (k Key) String() string {
	switch k.Kind {
	case KindProcess:
		return "P"
	case KindFrontend:
		return "F/" + k.Proxy
	case KindBackend:
		return "B/" + k.Proxy
	case KindServer:
		return "S/" + k.Proxy + "/" + k.Server
	case KindListener:
		return "L/" + k.Proxy + "/" + k.Server
	}
	return "?"
}

// ParseKey is the inverse of String.
func ParseKey(s string) (Key, error) {
	parts := strings.Split(s, "/")
	switch {
	case s == "P":
		return ProcessKey, nil
	case len(parts) == 2 && parts[0] == "F" && parts[1] != "":
		return FrontendKey(parts[1]), nil
	case len(parts) == 2 && parts[0] == "B" && parts[1] != "":
		return BackendKey(parts[1]), nil
	case len(parts) == 3 && parts[0] == "S" && parts[1] != "" && parts[2] != "":
		return ServerKey(parts[1], parts[2]), nil
	case len(parts) == 3 && parts[0] == "L" && parts[1] != "":
		if n, err := strconv.Atoi(parts[2]); err == nil && n > 0 {
			return ListenerKey(parts[1], n), nil
		}
	}
	return Key{}, fmt.Errorf("counters: bad key %q", s)
}

// parent is the key whose totals include k's (a server's backend, a
// frontend's process), or false.
func (k Key) parent() (Key, bool) {
	switch k.Kind {
	case KindServer:
		return BackendKey(k.Proxy), true
	case KindFrontend:
		return ProcessKey, true
	}
	return Key{}, false
}

// Slot header words.
const (
	shUsed   = 0 // 1 while allocated
	shKind   = 1
	shParent = 2 // parent slot + 1; 0 for none
	// shState.. is the server state (state.go).
	shState = 8
)

// Table is the master's allocation of slots and region groups. One
// master goroutine at a time calls it (the reload lock); its mutex only
// protects against the readers of Export.
type Table struct {
	mu    sync.Mutex
	seg   *Segment
	slots map[Key]int
	keys  []Key // by slot; zero Key when free
	refs  []int // live generations using the slot
	free  []int
	// groups[g] is true while a generation owns group g (g >= 1).
	groups []bool
}

// NewTable starts the allocation of a fresh segment: slot 0 is the
// process.
func NewTable(seg *Segment) *Table {
	t := &Table{seg: seg, slots: make(map[Key]int), groups: make([]bool, seg.groups)}
	t.keys = make([]Key, seg.slots)
	t.refs = make([]int, seg.slots)
	for i := seg.slots - 1; i >= 0; i-- {
		t.free = append(t.free, i)
	}
	t.alloc(ProcessKey)
	t.refs[0] = 1 // never freed
	return t
}

// Segment returns the table's segment.
func (t *Table) Segment() *Segment { return t.seg }

func (t *Table) alloc(k Key) int {
	i := t.free[len(t.free)-1]
	t.free = t.free[:len(t.free)-1]
	t.slots[k] = i
	t.keys[i] = k
	base := t.seg.slotBase(i)
	atomic.StoreUint64(t.seg.word(base+shKind), uint64(k.Kind))
	parent := uint64(0)
	if p, ok := k.parent(); ok {
		if ps, ok := t.slots[p]; ok {
			parent = uint64(ps) + 1
		}
	}
	atomic.StoreUint64(t.seg.word(base+shParent), parent)
	atomic.StoreUint64(t.seg.word(base+shUsed), 1)
	return i
}

// Acquire returns the slots of keys (allocating the missing ones,
// parents first) and counts one more user of each: the generation about
// to start with them. Release gives them back.
func (t *Table) Acquire(keys []Key) (map[string]int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ordered := append([]Key(nil), keys...)
	// Parents first, so a child records its parent's slot.
	sort.SliceStable(ordered, func(a, b int) bool { return ordered[a].Kind < ordered[b].Kind })
	need := 0
	for _, k := range ordered {
		if _, ok := t.slots[k]; !ok {
			need++
		}
	}
	if need > len(t.free) {
		if err := t.grow(len(t.keys) + need); err != nil {
			return nil, err
		}
	}
	out := make(map[string]int, len(ordered))
	for _, k := range ordered {
		i, ok := t.slots[k]
		if !ok {
			i = t.alloc(k)
		}
		if _, dup := out[k.String()]; !dup {
			t.refs[i]++
		}
		out[k.String()] = i
	}
	return out, nil
}

// grow makes the file hold at least n slots (doubling), within the
// mapping's reserve. Workers keep their smaller mappings: every slot they
// use existed when they started.
func (t *Table) grow(n int) error {
	c := len(t.keys)
	for c < n {
		c *= 2
	}
	c = min(c, t.seg.reserve)
	if c < n {
		return fmt.Errorf("counters: %d proxies and servers exceed the %d slots reserved", n, t.seg.reserve)
	}
	size := int64(headerWords+c*slotWords(t.seg.shards, t.seg.groups)) * 8
	if err := t.seg.f.Truncate(size); err != nil {
		return fmt.Errorf("counters: grow to %d slots: %w", c, err)
	}
	t.seg.slots = c
	atomic.StoreUint64(t.seg.word(hCapacity), uint64(c))
	for i := c - 1; i >= len(t.keys); i-- {
		t.free = append([]int{i}, t.free...)
	}
	t.keys = append(t.keys, make([]Key, c-len(t.keys))...)
	t.refs = append(t.refs, make([]int, c-len(t.refs))...)
	return nil
}

// Release counts one user less of each slot; a slot nobody uses is freed:
// its cumulative counters are folded into its parent's (so a backend's
// and the process's totals never drop) and its words are cleared.
func (t *Table) Release(slots map[string]int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var freed []int
	for _, i := range slots {
		if i <= 0 || i >= len(t.refs) || t.refs[i] == 0 {
			continue
		}
		t.refs[i]--
		if t.refs[i] == 0 {
			freed = append(freed, i)
		}
	}
	if len(freed) == 0 {
		return
	}
	// Children before parents: a server folds into its backend before
	// the backend (if it goes too) is cleared.
	sort.Slice(freed, func(a, b int) bool { return t.keys[freed[a]].Kind > t.keys[freed[b]].Kind })
	t.seg.beginWrite()
	for _, i := range freed {
		t.seg.foldIntoParent(i)
		t.seg.clearSlot(i)
		delete(t.slots, t.keys[i])
		t.keys[i] = Key{}
		t.free = append(t.free, i)
	}
	t.seg.endWrite()
}

// ErrNoGroup means every region group is owned by a live generation.
var ErrNoGroup = errors.New("counters: every region group is in use")

// TakeGroup gives a starting generation its region group and marks it
// live for readers.
func (t *Table) TakeGroup() (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for g := 1; g < len(t.groups); g++ {
		if !t.groups[g] {
			t.groups[g] = true
			t.seg.setLive(g, true)
			return g, nil
		}
	}
	return 0, ErrNoGroup
}

// RetireGroup folds what an exited generation counted in group g into
// group 0 for each of its slots, clears the group and frees it. The
// generation's process must be gone: nothing may write the group.
func (t *Table) RetireGroup(g int, slots map[string]int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g <= 0 || g >= len(t.groups) || !t.groups[g] {
		return
	}
	t.seg.beginWrite()
	for _, i := range slots {
		if i >= 0 && i < t.seg.slots {
			t.seg.foldGroup(i, g)
		}
	}
	t.seg.setLive(g, false)
	t.seg.endWrite()
	t.groups[g] = false
}

// TableState is a Table across a binary upgrade.
type TableState struct {
	Slots  map[string]int `json:"slots"` // key -> slot
	Refs   map[int]int    `json:"refs"`  // slot -> users
	Groups []int          `json:"groups"`
}

// Export describes t for Restore in the next image.
func (t *Table) Export() TableState {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := TableState{Slots: make(map[string]int), Refs: make(map[int]int)}
	for k, i := range t.slots {
		st.Slots[k.String()] = i
		st.Refs[i] = t.refs[i]
	}
	for g, used := range t.groups {
		if used {
			st.Groups = append(st.Groups, g)
		}
	}
	return st
}

// RestoreTable rebuilds the table of seg (inherited across exec) from st.
func RestoreTable(seg *Segment, st TableState) (*Table, error) {
	t := &Table{seg: seg, slots: make(map[Key]int), groups: make([]bool, seg.groups),
		keys: make([]Key, seg.slots), refs: make([]int, seg.slots)}
	for s, i := range st.Slots {
		k, err := ParseKey(s)
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= seg.slots {
			return nil, fmt.Errorf("counters: slot %d of %s outside the segment", i, s)
		}
		t.slots[k], t.keys[i], t.refs[i] = i, k, st.Refs[i]
	}
	for i := seg.slots - 1; i >= 0; i-- {
		if _, used := st.Refs[i]; !used {
			t.free = append(t.free, i)
		}
	}
	for _, g := range st.Groups {
		if g > 0 && g < len(t.groups) {
			t.groups[g] = true
		}
	}
	return t, nil
}

// beginWrite and endWrite bracket a fold or a free: readers retry while
// the sequence is odd or changed under them. Only the master writes.
func (s *Segment) beginWrite() { atomic.AddUint64(s.word(hFoldSeq), 1) }
func (s *Segment) endWrite()   { atomic.AddUint64(s.word(hFoldSeq), 1) }

// foldGroup adds group g's regions of slot into group 0 and clears them.
func (s *Segment) foldGroup(slot, g int) {
	dst := s.Block(slot, 0)
	for sh := 0; sh < s.shards; sh++ {
		src := s.Block(slot, g*s.shards+sh)
		for f := 0; f < BlockWords; f++ {
			v := atomic.SwapUint64(src.w(Field(f)), 0)
			switch fieldKinds[f] {
			case kindCumulative:
				atomic.AddUint64(dst.w(Field(f)), v)
			case kindMax:
				dst.Max(Field(f), v)
			case kindAvg:
				if v != 0 {
					atomic.StoreUint64(dst.w(Field(f)), v)
				}
			}
		}
	}
}

// foldIntoParent adds what a freed slot counted (every group) into its
// parent's group 0, for the fields a parent sums from its children.
func (s *Segment) foldIntoParent(slot int) {
	base := s.slotBase(slot)
	p := int(atomic.LoadUint64(s.word(base + shParent)))
	if p == 0 || p-1 >= s.slots {
		return
	}
	dst := s.Block(p-1, 0)
	for r := 0; r < s.shards*s.groups; r++ {
		src := s.Block(slot, r)
		for _, f := range childSum {
			atomic.AddUint64(dst.w(f), atomic.LoadUint64(src.w(f)))
		}
	}
}

// clearSlot zeroes a slot's header and counters. The hole punched in
// the file gives its memory back; where that fails the words are
// cleared one by one.
func (s *Segment) clearSlot(slot int) {
	base := s.slotBase(slot)
	n := slotWords(s.shards, s.groups)
	const punchHole, keepSize = 0x02, 0x01
	if err := syscall.Fallocate(int(s.f.Fd()), punchHole|keepSize, int64(base)*8, int64(n)*8); err == nil {
		return
	}
	for i := 0; i < n; i++ {
		atomic.StoreUint64(s.word(base+i), 0)
	}
}
