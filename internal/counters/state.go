package counters

import (
	"hash/fnv"
	"runtime"
	"sync/atomic"
)

// State is a server's runtime state as the serving generation last
// published it (or a backend's up/down history), kept in the slot's
// header so the next generation starts from it. The File* fields record
// what the configuration said when the state was published: a later
// configuration that says something else about that attribute wins over
// the runtime value (see doc/management.md, "State across reloads").
type State struct {
	// Admin is the administrative state: 0 ready, 1 drain, 2 maint
	// (backend.State's values).
	Admin uint8
	// Weight is the current user weight; FileWeight the configured one.
	Weight, FileWeight int
	// FileDisabled records the "disabled" keyword.
	FileDisabled bool
	// MaxConn is the runtime maxconn (set maxconn server); FileMaxConn
	// the configured one.
	MaxConn, FileMaxConn int
	// Addr is the address in use ("ip:port"); FileAddr the configured
	// one.
	Addr, FileAddr string
	// Down is the health verdict (false when unchecked).
	Down bool
	// ChecksOff records "disable health".
	ChecksOff bool
	// CheckStatus is the index of the last check's status (stats
	// package's check status table); CheckCode its layer 7 code;
	// CheckMS its duration.
	CheckStatus uint8
	CheckCode   uint16
	CheckMS     uint32
	// CheckHealth is the rise/fall counter (0..rise+fall-1).
	CheckHealth int
	// LastChange is when the server last went up or down (unix ns);
	// Downtime is the time it spent down before DownSince, the start of
	// the current down period (0 while up).
	LastChange, Downtime, DownSince int64
	// DownTransitions counts UP to DOWN transitions of a backend as a
	// whole (its servers count theirs in CheckDowns).
	DownTransitions uint64
}

// State words, from shState.
const (
	stSeq       = iota // sequence lock: odd while written
	stPublished        // 1 once a generation published
	stAdmin            // admin | FileDisabled<<8 | Down<<9 | ChecksOff<<10 | CheckStatus<<16 | CheckCode<<24
	stWeights          // Weight | FileWeight<<32
	stMaxConns         // MaxConn | FileMaxConn<<32
	stHealth           // CheckHealth | CheckMS<<32
	stLastChange
	stDowntime
	stDownSince
	stDownTrans
	stAddrHash     // fnv64 of Addr
	stFileAddrHash // fnv64 of FileAddr
	stAddrLens     // len(Addr) | len(FileAddr)<<16
	stAddr         // 8 words: up to 64 bytes of Addr
	stFileAddr     = stAddr + addrWords
	stEnd          = stFileAddr + addrWords
	addrWords      = 8
)

func init() {
	if shState+stEnd > SlotHeaderWords {
		panic("counters: server state overflows the slot header")
	}
}

// LoadState returns slot's published state; ok is false when no
// generation published one yet.
func (s *Segment) LoadState(slot int) (st State, ok bool) {
	base := s.slotBase(slot) + shState
	w := func(i int) uint64 { return atomic.LoadUint64(s.word(base + i)) }
	for {
		seq := w(stSeq)
		if seq&1 != 0 {
			runtime.Gosched()
			continue
		}
		ok = w(stPublished) == 1
		a := w(stAdmin)
		st.Admin = uint8(a)
		st.FileDisabled = a&(1<<8) != 0
		st.Down = a&(1<<9) != 0
		st.ChecksOff = a&(1<<10) != 0
		st.CheckStatus = uint8(a >> 16)
		st.CheckCode = uint16(a >> 24)
		wt := w(stWeights)
		st.Weight, st.FileWeight = int(uint32(wt)), int(wt>>32)
		mc := w(stMaxConns)
		st.MaxConn, st.FileMaxConn = int(uint32(mc)), int(mc>>32)
		h := w(stHealth)
		st.CheckHealth, st.CheckMS = int(uint32(h)), uint32(h>>32)
		st.LastChange, st.Downtime, st.DownSince = int64(w(stLastChange)), int64(w(stDowntime)), int64(w(stDownSince))
		st.DownTransitions = w(stDownTrans)
		lens := w(stAddrLens)
		st.Addr = s.loadString(base+stAddr, int(uint16(lens)))
		st.FileAddr = s.loadString(base+stFileAddr, int(uint16(lens>>16)))
		addrHash, fileHash := w(stAddrHash), w(stFileAddrHash)
		if w(stSeq) != seq {
			continue
		}
		// An address longer than the words hold is kept by prefix and
		// hash: a reader that needs the whole of it compares hashes.
		if len(st.Addr) == addrWords*8 && hash(st.Addr) != addrHash {
			st.Addr = truncated + st.Addr
		}
		if len(st.FileAddr) == addrWords*8 && hash(st.FileAddr) != fileHash {
			st.FileAddr = truncated + st.FileAddr
		}
		return st, ok
	}
}

// truncated marks an address too long to be kept whole: it never equals
// a configured address, so the configuration's wins.
const truncated = "\x00"

// StoreState publishes slot's state. Writers in several processes are
// serialised by the sequence word (a compare-and-swap to odd).
func (s *Segment) StoreState(slot int, st State) {
	base := s.slotBase(slot) + shState
	seqw := s.word(base + stSeq)
	for {
		seq := atomic.LoadUint64(seqw)
		if seq&1 == 0 && atomic.CompareAndSwapUint64(seqw, seq, seq+1) {
			break
		}
		runtime.Gosched()
	}
	set := func(i int, v uint64) { atomic.StoreUint64(s.word(base+i), v) }
	a := uint64(st.Admin) | uint64(st.CheckStatus)<<16 | uint64(st.CheckCode)<<24
	if st.FileDisabled {
		a |= 1 << 8
	}
	if st.Down {
		a |= 1 << 9
	}
	if st.ChecksOff {
		a |= 1 << 10
	}
	set(stAdmin, a)
	set(stWeights, uint64(uint32(st.Weight))|uint64(uint32(st.FileWeight))<<32)
	set(stMaxConns, uint64(uint32(st.MaxConn))|uint64(uint32(st.FileMaxConn))<<32)
	set(stHealth, uint64(uint32(st.CheckHealth))|uint64(st.CheckMS)<<32)
	set(stLastChange, uint64(st.LastChange))
	set(stDowntime, uint64(st.Downtime))
	set(stDownSince, uint64(st.DownSince))
	set(stDownTrans, st.DownTransitions)
	la := s.storeString(base+stAddr, st.Addr)
	lf := s.storeString(base+stFileAddr, st.FileAddr)
	set(stAddrLens, uint64(la)|uint64(lf)<<16)
	set(stAddrHash, hash(st.Addr))
	set(stFileAddrHash, hash(st.FileAddr))
	set(stPublished, 1)
	atomic.AddUint64(seqw, 1)
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func (s *Segment) storeString(at int, v string) int {
	n := min(len(v), addrWords*8)
	var buf [addrWords * 8]byte
	copy(buf[:], v[:n])
	for i := 0; i < addrWords; i++ {
		var x uint64
		for j := 0; j < 8; j++ {
			x |= uint64(buf[i*8+j]) << (8 * j)
		}
		atomic.StoreUint64(s.word(at+i), x)
	}
	return n
}

func (s *Segment) loadString(at, n int) string {
	n = min(n, addrWords*8)
	var buf [addrWords * 8]byte
	for i := 0; i < addrWords; i++ {
		x := atomic.LoadUint64(s.word(at + i))
		for j := 0; j < 8; j++ {
			buf[i*8+j] = byte(x >> (8 * j))
		}
	}
	return string(buf[:n])
}
