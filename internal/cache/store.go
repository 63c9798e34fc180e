package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"baton/internal/shmlock"
)

// The region's layout, in 8-byte words: a header, the buckets, then
// the ring of objects (bytes).
const (
	hMagic  = 0 // magic, written last when a region is initialised
	hRing   = 1 // ring size in bytes
	hBucket = 2 // number of buckets (a power of two)
	hHead   = 3 // absolute ring position of the next reservation (atomic)
	hWriter = 4 // the writers' lock (shmlock): reservation and copy
	hWords  = 8

	slotsPerBucket = 16
	// slot words
	sKey     = 0 // key hash; 0 is a free slot
	sPos     = 1 // the object's absolute ring position
	sLen     = 2 // the object's bytes in the ring
	sExpire  = 3 // unix ms after which the object is stale
	sStored  = 4 // unix ms when it was stored
	sEnc     = 5 // hash of its Content-Encoding (0: identity)
	sRef     = 6 // hash of the request's Referer (0: none)
	sVary    = 7 // vary signature | origin Age << 8
	slotSize = 8

	bucketWords = 1 + slotsPerBucket*slotSize
	objHeader   = 24 // pos u64, key u32, head u32, body u32, pad u32
	magic       = 0xBA70CAC4E0000001
)

// RegionSize is the bytes a cache of ring bytes takes.
func RegionSize(ring int64) int64 {
	return (hWords+buckets(ring)*bucketWords)*8 + ring
}

func buckets(ring int64) int64 {
	n := int64(16)
	for n*slotsPerBucket < ring/1024 {
		n *= 2
	}
	return n
}

// Store is one cache section's objects in a region (see the package
// comment). Safe for concurrent use by goroutines and processes.
type Store struct {
	w    []uint64 // header and buckets
	ring []byte
	nb   uint64
	// MaxSecondary bounds the variants of one key (max-secondary-entries).
	MaxSecondary int
}

// NewStore makes a store of ring bytes in memory of this process alone
// (tests, and a worker without a shared segment). The memory is mapped
// outside Go's heap, like a shared segment: the collector never scans
// it, and readers copy objects while writers may fill the ring (the
// copy is checked afterwards, see Get), which is no business of the
// race detector.
func NewStore(ring int64) *Store {
	mem, err := syscall.Mmap(-1, 0, int(RegionSize(ring)), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		mem = make([]byte, RegionSize(ring))
	}
	s, _ := OpenStore(mem, ring)
	return s
}

// OpenStore lays a store over mem (RegionSize(ring) bytes): a region
// already initialised for the same ring size keeps its objects, any
// other is cleared first. fresh says it was cleared.
func OpenStore(mem []byte, ring int64) (s *Store, fresh bool) {
	nb := buckets(ring)
	words := int(hWords + nb*bucketWords)
	w := unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), words)
	s = &Store{w: w, ring: mem[words*8 : int64(words*8)+ring], nb: uint64(nb), MaxSecondary: 10}
	if atomic.LoadUint64(&w[hMagic]) != magic || w[hRing] != uint64(ring) || w[hBucket] != uint64(nb) {
		if atomic.LoadUint64(&w[hMagic]) != 0 {
			clear(w) // another store's index; a new segment is zero already
		}
		w[hRing], w[hBucket] = uint64(ring), uint64(nb)
		atomic.StoreUint64(&w[hMagic], magic)
		fresh = true
	}
	return s, fresh
}

// MapShared maps a shared segment of RegionSize(ring) bytes.
func MapShared(f *os.File, ring int64) (*Store, bool, error) {
	n := RegionSize(ring)
	st, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if st.Size() < n {
		return nil, false, errors.New("segment smaller than the cache")
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, int(n), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, false, err
	}
	s, fresh := OpenStore(mem, ring)
	return s, fresh, nil
}

// Ring is the store's object memory in bytes.
func (s *Store) Ring() int64 { return int64(len(s.ring)) }

// lock takes a bucket's lock (see package shmlock).
func (s *Store) lock(bo uint64) { shmlock.Lock(&s.w[bo]) }

func (s *Store) unlock(bo uint64) { shmlock.Unlock(&s.w[bo]) }

func (s *Store) bucket(h uint64) uint64 { return hWords + (h>>40)&(s.nb-1)*bucketWords }

func slot(bo uint64, i int) uint64 { return bo + 1 + uint64(i)*slotSize }

// Hash is the FNV-1a hash of b, never 0, the same in every process.
func Hash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	if h == 0 {
		h = 1
	}
	return h
}

// live says whether the object at pos is still whole in the ring.
func (s *Store) live(pos uint64) bool {
	return atomic.LoadUint64(&s.w[hHead]) <= pos+uint64(len(s.ring))
}

// Variant is what tells the variants of one key apart.
type Variant struct {
	// Vary is the response's signature (VaryAcceptEncoding, VaryReferer).
	Vary int
	// Enc is the hash of the stored response's Content-Encoding (0 for
	// identity); Ref the hash of the request's Referer (0 for none).
	Enc, Ref uint64
}

// Entry is a stored object's facts.
type Entry struct {
	Variant
	// Stored and Expire are unix milliseconds; Age is the Age the
	// response had when stored, in seconds.
	Stored, Expire int64
	Age            int64
}

// Put stores an object for key; it reports false when the object does
// not fit or the key has its most variants already.
func (s *Store) Put(key, head, body []byte, e Entry) bool {
	n := uint64(objHeader + len(key) + len(head) + len(body))
	n = (n + 7) &^ 7
	ring := uint64(len(s.ring))
	if n > ring/2 {
		return false
	}
	// One writer at a time (see the package comment: a copy finished a
	// lap late would tear a newer object). Memory copies only, of at
	// most half the ring, are done under it.
	shmlock.Lock(&s.w[hWriter])
	h := atomic.LoadUint64(&s.w[hHead])
	pos := h
	if off := h % ring; off+n > ring {
		pos = h + ring - off // the tail is too short: start over at 0
	}
	atomic.StoreUint64(&s.w[hHead], pos+n) // before the copy: readers of what it covers must see it
	o := s.ring[pos%ring : pos%ring+n]
	binary.LittleEndian.PutUint64(o[0:], pos)
	binary.LittleEndian.PutUint32(o[8:], uint32(len(key)))
	binary.LittleEndian.PutUint32(o[12:], uint32(len(head)))
	binary.LittleEndian.PutUint32(o[16:], uint32(len(body)))
	p := copy(o[objHeader:], key) + objHeader
	p += copy(o[p:], head)
	copy(o[p:], body)
	shmlock.Unlock(&s.w[hWriter])

	kh := Hash(key)
	bo := s.bucket(kh)
	s.lock(bo)
	defer s.unlock(bo)
	target, free, oldest, variants := -1, -1, -1, 0
	for i := 0; i < slotsPerBucket; i++ {
		so := slot(bo, i)
		k := s.w[so+sKey]
		if k == 0 || !s.live(s.w[so+sPos]) || s.w[so+sExpire] <= uint64(e.Stored) {
			s.w[so+sKey] = 0
			if free < 0 {
				free = i
			}
			continue
		}
		if oldest < 0 || s.w[so+sPos] < s.w[slot(bo, oldest)+sPos] {
			oldest = i
		}
		if k != kh {
			continue
		}
		vary := int(s.w[so+sVary] & 0xff)
		if vary == 0 || e.Vary == 0 || vary == e.Vary && s.w[so+sEnc] == e.Enc && s.w[so+sRef] == e.Ref {
			target = i // the same object, or one of another kind: replace it
			continue
		}
		variants++
	}
	if target < 0 && e.Vary != 0 && variants >= s.MaxSecondary {
		return false
	}
	switch {
	case target >= 0:
	case free >= 0:
		target = free
	default:
		target = oldest
	}
	so := slot(bo, target)
	s.w[so+sPos], s.w[so+sLen] = pos, n
	s.w[so+sExpire], s.w[so+sStored] = uint64(e.Expire), uint64(e.Stored)
	s.w[so+sEnc], s.w[so+sRef] = e.Enc, e.Ref
	s.w[so+sVary] = uint64(e.Vary) | uint64(e.Age)<<8
	s.w[so+sKey] = kh
	return true
}

// Hit is an object copied out of the store.
type Hit struct {
	Entry
	Head, Body []byte
}

// Get copies the object of key that match accepts (nil accepts only
// objects without variants) into buf, growing it as needed; now is unix
// milliseconds. It reports false on a miss.
func (s *Store) Get(key []byte, now int64, match func(Variant) bool, buf *[]byte, h *Hit) bool {
	kh := Hash(key)
	bo := s.bucket(kh)
	var pos, n uint64
	found := false
	s.lock(bo)
	for i := 0; i < slotsPerBucket && !found; i++ {
		so := slot(bo, i)
		if s.w[so+sKey] != kh {
			continue
		}
		if !s.live(s.w[so+sPos]) || int64(s.w[so+sExpire]) <= now {
			s.w[so+sKey] = 0
			continue
		}
		v := Variant{Vary: int(s.w[so+sVary] & 0xff), Enc: s.w[so+sEnc], Ref: s.w[so+sRef]}
		if v.Vary != 0 && (match == nil || !match(v)) {
			continue
		}
		found = true
		pos, n = s.w[so+sPos], s.w[so+sLen]
		h.Entry = Entry{Variant: v, Stored: int64(s.w[so+sStored]), Expire: int64(s.w[so+sExpire]), Age: int64(s.w[so+sVary] >> 8)}
	}
	s.unlock(bo)
	if !found {
		return false
	}
	ring := uint64(len(s.ring))
	if uint64(cap(*buf)) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	copy(b, s.ring[pos%ring:pos%ring+n])
	if !s.live(pos) || binary.LittleEndian.Uint64(b) != pos {
		return false // overwritten while copied
	}
	kl := int(binary.LittleEndian.Uint32(b[8:]))
	hl := int(binary.LittleEndian.Uint32(b[12:]))
	bl := int(binary.LittleEndian.Uint32(b[16:]))
	if objHeader+kl+hl+bl > len(b) || !bytes.Equal(b[objHeader:objHeader+kl], key) {
		return false
	}
	p := objHeader + kl
	h.Head, h.Body = b[p:p+hl], b[p+hl:p+hl+bl]
	return true
}

// Delete removes every object of key (a successful unsafe request).
func (s *Store) Delete(key []byte) {
	kh := Hash(key)
	bo := s.bucket(kh)
	s.lock(bo)
	for i := 0; i < slotsPerBucket; i++ {
		if so := slot(bo, i); s.w[so+sKey] == kh {
			s.w[so+sKey] = 0
		}
	}
	s.unlock(bo)
}

// Count is the number of live objects (tests); now is unix
// milliseconds.
func (s *Store) Count(now int64) int {
	n := 0
	s.Walk(now, func(Object) { n++ })
	return n
}
