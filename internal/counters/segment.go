package counters

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"baton/internal/sticktable"
)

// Layout constants.
const (
	magic   = 0x31544e4354414221 // "!BATCNT1", little-endian
	version = 1
	// headerWords is the segment header: 4 KiB.
	headerWords = 512
	// SlotHeaderWords is the size of a slot's header (kind, parent,
	// server state).
	SlotHeaderWords = 64
	// DefaultShards is the number of regions of one generation.
	DefaultShards = 4
	// DefaultGroups is the number of region groups: group 0 keeps what
	// exited generations counted; each live generation holds one other.
	DefaultGroups = 24
	// maxGroups is what the header's live bitmap can mark.
	maxGroups = 256
)

// Header words.
const (
	hMagic    = 0
	hVersion  = 1
	hShards   = 2
	hGroups   = 3
	hCapacity = 4 // slots the file holds
	hFoldSeq  = 5 // sequence lock: odd while the master folds or frees
	hLive     = 8 // live group bitmap, maxGroups bits
	// hService is where the master publishes service-wide facts that
	// only it knows (see Service*).
	hService = 32
)

// Service words: what the master publishes for every reader (the
// Prometheus exporter's baton_ metrics, the stats page, show info).
const (
	ServiceReloadsOK        = iota // successful reloads
	ServiceReloadsFailed           // failed reloads
	ServiceLastReloadOK            // unix ns of the last successful reload
	ServiceLastReload              // unix ns of the last reload, either result
	ServiceLastReloadResult        // 1: the last reload succeeded, 2: it failed, 0: none yet
	ServiceServingGen              // the serving generation
	ServiceDraining                // draining generations
	ServiceMigrated                // client connections handed to a newer generation
	ServiceMasterStart             // unix ns the master started
	ServiceRestarts                // worker crash restarts
	ServiceUpgrades                // binary upgrades
	numService
)

// Segment is a mapping of the shared counters file.
type Segment struct {
	f      *os.File
	mem    []byte
	base   unsafe.Pointer
	shards int
	groups int
	// slots is how many slots the file held when this mapping was made
	// (a worker's view), or holds now (the master's, which grows it under
	// the Table's lock). reserve is how many the mapping has room for.
	slots   int
	reserve int
}

func slotWords(shards, groups int) int {
	return SlotHeaderWords + shards*groups*BlockWords
}

// Create makes a new segment for capacity slots in an unlinked file
// (in /dev/shm when it exists, so it is memory-backed), mapped shared.
// The mapping reserves room for reserve slots, so the file can grow
// (Table.grow) without moving the mapping under concurrent users. The
// caller owns it; File passes its descriptor to workers.
func Create(capacity, reserve, shards, groups int) (*Segment, error) {
	if shards <= 0 {
		shards = DefaultShards
	}
	if groups <= 0 {
		groups = DefaultGroups
	}
	if shards > MaxShards {
		return nil, fmt.Errorf("counters: %d shards exceed %d", shards, MaxShards)
	}
	if groups > maxGroups {
		return nil, fmt.Errorf("counters: %d groups exceed %d", groups, maxGroups)
	}
	if capacity < 1 {
		capacity = 1
	}
	reserve = max(reserve, capacity)
	f, err := sticktable.CreateShared("baton-counters-*")
	if err != nil {
		return nil, fmt.Errorf("counters: %w", err)
	}
	size := int64(headerWords+capacity*slotWords(shards, groups)) * 8
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, fmt.Errorf("counters: size %d: %w", size, err)
	}
	s, err := mapFile(f, int64(headerWords+reserve*slotWords(shards, groups))*8)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.reserve = reserve
	atomic.StoreUint64(s.word(hShards), uint64(shards))
	atomic.StoreUint64(s.word(hGroups), uint64(groups))
	atomic.StoreUint64(s.word(hCapacity), uint64(capacity))
	atomic.StoreUint64(s.word(hVersion), version)
	atomic.StoreUint64(s.word(hMagic), magic)
	s.shards, s.groups, s.slots = shards, groups, capacity
	return s, nil
}

// Open maps the segment behind f (a descriptor inherited from the
// master), covering every slot the file holds now, with room for reserve
// slots (0: no growth; a master that adopted the segment across an
// upgrade passes its reserve). The Segment owns f.
func Open(f *os.File, reserve int) (*Segment, error) {
	s, err := mapFile(f, 0)
	if err != nil {
		return nil, err
	}
	if atomic.LoadUint64(s.word(hMagic)) != magic || atomic.LoadUint64(s.word(hVersion)) != version {
		syscall.Munmap(s.mem)
		return nil, errors.New("counters: not a counters segment of this version")
	}
	s.shards = int(atomic.LoadUint64(s.word(hShards)))
	s.groups = int(atomic.LoadUint64(s.word(hGroups)))
	s.slots = int(atomic.LoadUint64(s.word(hCapacity)))
	if s.shards <= 0 || s.shards > MaxShards || s.groups <= 0 || s.groups > maxGroups || len(s.mem) < (headerWords+s.slots*slotWords(s.shards, s.groups))*8 {
		syscall.Munmap(s.mem)
		return nil, errors.New("counters: segment header does not match its size")
	}
	s.reserve = s.slots
	if reserve > s.slots {
		shards, groups, slots := s.shards, s.groups, s.slots
		syscall.Munmap(s.mem)
		if s, err = mapFile(f, int64(headerWords+reserve*slotWords(shards, groups))*8); err != nil {
			return nil, err
		}
		s.shards, s.groups, s.slots, s.reserve = shards, groups, slots, reserve
	}
	return s, nil
}

// mapFile maps f shared: size bytes, or the file's size when 0. Pages
// past the end of the file may be mapped: they become usable when the
// file grows.
func mapFile(f *os.File, size int64) (*Segment, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("counters: %w", err)
	}
	if st.Size() < headerWords*8 {
		return nil, errors.New("counters: segment too small")
	}
	if size == 0 {
		size = st.Size()
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("counters: mmap: %w", err)
	}
	return &Segment{f: f, mem: mem, base: unsafe.Pointer(&mem[0])}, nil
}

// File is the segment's file, to pass to a worker (os/exec ExtraFiles).
func (s *Segment) File() *os.File { return s.f }

// Shards is the number of regions of one generation's group.
func (s *Segment) Shards() int { return s.shards }

// Groups is the number of region groups, group 0 included.
func (s *Segment) Groups() int { return s.groups }

// Slots is the number of slots this mapping covers.
func (s *Segment) Slots() int { return s.slots }

// Close unmaps the segment and closes its file.
func (s *Segment) Close() error {
	var err error
	if s.mem != nil {
		err = syscall.Munmap(s.mem)
		s.mem, s.base = nil, nil
	}
	if s.f != nil {
		if e := s.f.Close(); err == nil {
			err = e
		}
	}
	return err
}

// word returns the i-th word of the mapping. Every access to the
// mapping goes through sync/atomic: other processes write it.
func (s *Segment) word(i int) *uint64 { return (*uint64)(unsafe.Add(s.base, i*8)) }

func (s *Segment) slotBase(slot int) int {
	return headerWords + slot*slotWords(s.shards, s.groups)
}

// Service returns service word w (Service* constants).
func (s *Segment) Service(w int) uint64 { return atomic.LoadUint64(s.word(hService + w)) }

// SetService publishes service word w; AddService adds to it.
func (s *Segment) SetService(w int, v uint64) { atomic.StoreUint64(s.word(hService+w), v) }

// AddService adds d to service word w.
func (s *Segment) AddService(w int, d uint64) { atomic.AddUint64(s.word(hService+w), d) }

// Block returns the counter block of region r (group*Shards+shard) of
// slot; its methods are the request path's counting operations.
func (s *Segment) Block(slot, region int) Block {
	return Block{p: unsafe.Add(s.base, (s.slotBase(slot)+SlotHeaderWords+region*BlockWords)*8)}
}

func (s *Segment) live(group int) bool {
	return atomic.LoadUint64(s.word(hLive+group/64))&(1<<(group%64)) != 0
}

func (s *Segment) setLive(group int, on bool) {
	w := s.word(hLive + group/64)
	bit := uint64(1) << (group % 64)
	for {
		old := atomic.LoadUint64(w)
		nv := old &^ bit
		if on {
			nv = old | bit
		}
		if atomic.CompareAndSwapUint64(w, old, nv) {
			return
		}
	}
}
