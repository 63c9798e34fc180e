package sticktable

import (
	"sync/atomic"
	"unsafe"

	"baton/internal/shmlock"
)

// Region layout, in 8-byte words (see doc.go).
const (
	hMagic   = 0
	hShape   = 1 // hash of the spec's Shape
	hBuckets = 2
	hSlot    = 3 // words per slot
	hCount   = 4 // live entries (atomic)
	hSweep   = 5 // the sweeper's next bucket (atomic)
	hdrWords = 8

	regionMagic = 0x314b434954534221 // "!BSTICK1"

	slotsPerBucket = 16
	// bucketHead is the lock word and the slots' tags.
	bucketHead = 1 + slotsPerBucket

	// Slot words before the key.
	sRefs    = 0 // trackers holding the entry (conn_cur-like; not evicted while > 0)
	sExpire  = 1 // unix ms the entry expires at; 0: never
	sTouched = 2 // unix ms of the last creation, track or match (LRU)
	sKeyLen  = 3
	sKey     = 4
)

// Table is one stick table: a view of its region of shared memory. It
// is safe for concurrent use by every goroutine of every process that
// maps the region: each bucket has a lock word (see lock).
type Table struct {
	Spec Spec
	w    []uint64
	nb   int
	sw   int // words per slot
	// off is where each data type starts in a slot (0: not stored);
	// period its rate period (ms) and n its elements.
	off    [numDataTypes]int32
	n      [numDataTypes]int32
	period [numDataTypes]int64
	expire int64 // ms
}

// layout computes spec's slot size, offsets and bucket count.
func layout(spec *Spec) (t Table) {
	t.Spec = *spec
	t.sw = sKey + (spec.Len+7)/8
	for _, st := range spec.Store {
		t.off[st.Type] = int32(t.sw)
		t.n[st.Type] = int32(st.N)
		t.period[st.Type] = st.Period
		t.sw += st.words()
	}
	// Twice as many slots as entries, so that a bucket is seldom full
	// before the table is.
	t.nb = max(1, (2*spec.Size+slotsPerBucket-1)/slotsPerBucket)
	t.expire = spec.Expire.Milliseconds()
	return t
}

// RegionWords is the size of spec's region in 8-byte words.
func RegionWords(spec *Spec) int {
	t := layout(spec)
	return hdrWords + t.nb*(bucketHead+slotsPerBucket*t.sw)
}

// shapeHash identifies a layout in the region header.
func shapeHash(spec *Spec) uint64 { return hashBytes([]byte(spec.Shape())) | 1 }

// NewTable returns the table of spec over region w (RegionWords long).
// A region whose header is of another shape or unset is initialised:
// its entries are dropped.
func NewTable(spec *Spec, w []uint64) *Table {
	t, _ := newTable(spec, w)
	return t
}

// newTable is NewTable, and reports whether the region was initialised.
func newTable(spec *Spec, w []uint64) (*Table, bool) {
	t := layout(spec)
	t.w = w[:RegionWords(spec)]
	sh := shapeHash(spec)
	if atomic.LoadUint64(&w[hMagic]) == regionMagic && atomic.LoadUint64(&w[hShape]) == sh {
		return &t, false
	}
	if atomic.LoadUint64(&w[hMagic]) != 0 {
		// Another table's entries: drop them. A region never set up is
		// zero already (the segment only grows, and a freed region's
		// pages are returned): writing its zeros would only make every
		// page of it resident.
		clear(t.w)
	}
	t.w[hBuckets], t.w[hSlot], t.w[hShape] = uint64(t.nb), uint64(t.sw), sh
	atomic.StoreUint64(&t.w[hMagic], regionMagic)
	return &t, true
}

// NewLocal returns a table in this process's memory (tests, and a
// worker started without the master's segment).
func NewLocal(spec *Spec) *Table { return NewTable(spec, make([]uint64, RegionWords(spec))) }

func (t *Table) bucket(b int) int { return hdrWords + b*(bucketHead+slotsPerBucket*t.sw) }

// slot returns the word offset of slot i of the bucket at bo.
func (t *Table) slot(bo, i int) int { return bo + bucketHead + i*t.sw }

// lock takes the lock of the bucket at bo (see package shmlock).
func (t *Table) lock(bo int) { shmlock.Lock(&t.w[bo]) }

func (t *Table) tryLock(bo int) bool { return shmlock.TryLock(&t.w[bo]) }

func (t *Table) unlock(bo int) { shmlock.Unlock(&t.w[bo]) }

// Key is a table key in its stored form (see Table.MakeKey).
type Key []byte

func hashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	// Mix every bit into the high ones, which pick the bucket.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}

func (t *Table) keyBytes(so int) []byte {
	n := int(t.w[so+sKeyLen])
	return unsafe.Slice((*byte)(unsafe.Pointer(&t.w[so+sKey])), (t.Spec.Len+7)/8*8)[:n]
}

func (t *Table) setKey(so int, k Key) {
	kw := (t.Spec.Len + 7) / 8
	clear(t.w[so+sKey : so+sKey+kw])
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&t.w[so+sKey])), kw*8), k)
	t.w[so+sKeyLen] = uint64(len(k))
}

// Ref names an entry: the word offset of its slot. Zero is no entry.
type Ref int32

// find returns the slot of k in the locked bucket bo, or -1.
func (t *Table) find(bo int, tag uint64, k Key) int {
	for i := 0; i < slotsPerBucket; i++ {
		if t.w[bo+1+i] == tag {
			so := t.slot(bo, i)
			if string(t.keyBytes(so)) == string(k) {
				return i
			}
		}
	}
	return -1
}

func (t *Table) expired(so int, now int64) bool {
	e := int64(t.w[so+sExpire])
	return e != 0 && e <= now && t.w[so+sRefs] == 0
}

// Mode says what Get does.
type Mode uint8

const (
	// Lookup finds a live entry; it creates nothing.
	Lookup Mode = iota
	// Create finds or creates the entry (src_inc_gpc0, stick store).
	Create
	// Track finds or creates the entry, refreshes its expiry and takes a
	// reference on it, released with Release.
	Track
	// Touch finds a live entry and refreshes its expiry (stick match).
	Touch
)

// Get finds the entry of k (see Mode); 0 when there is none (or the
// table is full and may not evict, or k is empty). Creating an entry
// also sweeps one bucket of its expired entries (see Sweep), so that
// the table's count follows expiry without a timer.
func (t *Table) Get(k Key, now int64, m Mode) Ref {
	if len(k) == 0 {
		return 0
	}
	h := hashBytes(k)
	tag := h | 1
	bo := t.bucket(int((h >> 32) * uint64(t.nb) >> 32))
	t.lock(bo)
	so, created := t.get(bo, tag, k, now, m)
	t.unlock(bo)
	if created {
		t.Sweep(now, 1)
	}
	return Ref(so)
}

func (t *Table) get(bo int, tag uint64, k Key, now int64, m Mode) (so int, created bool) {
	i := t.find(bo, tag, k)
	if i >= 0 && t.expired(t.slot(bo, i), now) {
		if m == Lookup || m == Touch {
			return 0, false
		}
		t.reset(t.slot(bo, i), now)
	}
	if i < 0 {
		if m == Lookup || m == Touch {
			return 0, false
		}
		if i = t.alloc(bo, now); i < 0 {
			return 0, false
		}
		so := t.slot(bo, i)
		t.reset(so, now)
		t.setKey(so, k)
		t.w[bo+1+i] = tag
		created = true
	}
	so = t.slot(bo, i)
	if m != Lookup {
		t.w[so+sTouched] = uint64(now)
		if t.expire > 0 {
			t.w[so+sExpire] = uint64(now + t.expire)
		}
	}
	if m == Track {
		t.w[so+sRefs]++
	}
	return so, created
}

// reset zeroes an entry's data.
func (t *Table) reset(so int, now int64) {
	clear(t.w[so : so+t.sw])
	t.w[so+sTouched] = uint64(now)
}

// alloc returns a free slot of the locked bucket bo for a new entry,
// evicting one when the table or the bucket is full: an expired entry
// first, else (without nopurge) the least recently used one nobody
// tracks, here or in a nearby bucket. -1 when nothing can be freed.
func (t *Table) alloc(bo int, now int64) int {
	free, victim := -1, -1
	for i := 0; i < slotsPerBucket; i++ {
		if t.w[bo+1+i] == 0 {
			if free < 0 {
				free = i
			}
			continue
		}
		so := t.slot(bo, i)
		if t.w[so+sRefs] != 0 {
			continue
		}
		if t.expired(so, now) {
			return i // reused in place: the count is unchanged
		}
		if victim < 0 || t.w[so+sTouched] < t.w[t.slot(bo, victim)+sTouched] {
			victim = i
		}
	}
	full := int(atomic.LoadUint64(&t.w[hCount])) >= t.Spec.Size
	if free >= 0 && !full {
		atomic.AddUint64(&t.w[hCount], 1)
		return free
	}
	if free < 0 {
		if victim < 0 || t.Spec.NoPurge {
			return -1
		}
		return victim
	}
	// The table is full but this bucket has room: free an entry
	// elsewhere (an expired one, or the least recently used one of the
	// next buckets; one that is locked is skipped: no lock waits on
	// another).
	if victim >= 0 && !t.Spec.NoPurge {
		return victim
	}
	for k := 1; k <= 8 && k < t.nb; k++ {
		b2 := t.bucket((int((uint64(bo-hdrWords))/uint64(bucketHead+slotsPerBucket*t.sw)) + k) % t.nb)
		if !t.tryLock(b2) {
			continue
		}
		v := -1
		for i := 0; i < slotsPerBucket; i++ {
			so := t.slot(b2, i)
			if t.w[b2+1+i] == 0 || t.w[so+sRefs] != 0 {
				continue
			}
			if t.expired(so, now) {
				v = i
				break
			}
			if !t.Spec.NoPurge && (v < 0 || t.w[so+sTouched] < t.w[t.slot(b2, v)+sTouched]) {
				v = i
			}
		}
		if v >= 0 {
			t.w[b2+1+v] = 0
			t.unlock(b2)
			return free
		}
		t.unlock(b2)
	}
	return -1
}

// bucketOf returns the bucket offset of the slot at so.
func (t *Table) bucketOf(so Ref) int {
	bw := bucketHead + slotsPerBucket*t.sw
	return hdrWords + (int(so)-hdrWords)/bw*bw
}

// Retain takes one more reference on an entry a reference is held on,
// released with Release.
func (t *Table) Retain(r Ref) {
	if r == 0 {
		return
	}
	bo := t.bucketOf(r)
	t.lock(bo)
	t.w[int(r)+sRefs]++
	t.unlock(bo)
}

// Release drops a reference Get(Track) or Retain took.
func (t *Table) Release(r Ref) {
	if r == 0 {
		return
	}
	bo := t.bucketOf(r)
	t.lock(bo)
	if t.w[int(r)+sRefs] > 0 {
		t.w[int(r)+sRefs]--
	}
	t.unlock(bo)
}

// Stored reports whether d is stored, and its elements.
func (t *Table) Stored(d DataType) (n int, ok bool) { return int(t.n[d]), t.off[d] != 0 }

// elem returns the word offset of element i of d in slot r, or -1.
func (t *Table) elem(r Ref, d DataType, i int) int {
	if t.off[d] == 0 || i < 0 || i >= int(t.n[d]) {
		return -1
	}
	o := int(r) + int(t.off[d])
	if dataTypes[d].rate {
		return o + 3*i
	}
	return o + i
}

// Add adds inc to element i of d (a counter, or a rate's current
// period) and returns the counter's new value (a rate's, read at now);
// false when d is not stored.
func (t *Table) Add(r Ref, d DataType, i int, inc uint64, now int64) (uint64, bool) {
	o := t.elem(r, d, i)
	if o < 0 || r == 0 {
		return 0, false
	}
	bo := t.bucketOf(r)
	t.lock(bo)
	var v uint64
	if dataTypes[d].rate {
		freqAdd(t.w[o:o+3], t.period[d], now, inc)
		v = freqRead(t.w[o:o+3], t.period[d], now)
	} else {
		t.w[o] += inc
		v = t.w[o]
	}
	t.unlock(bo)
	return v, true
}

// Dec decrements a counter that is above zero (conn_cur).
func (t *Table) Dec(r Ref, d DataType) {
	o := t.elem(r, d, 0)
	if o < 0 || r == 0 {
		return
	}
	bo := t.bucketOf(r)
	t.lock(bo)
	if t.w[o] > 0 {
		t.w[o]--
	}
	t.unlock(bo)
}

// Set stores v in element i of d (gpt, server_id, clearing a gpc);
// for a rate it clears the rate. It returns the previous value.
func (t *Table) Set(r Ref, d DataType, i int, v uint64, now int64) (uint64, bool) {
	o := t.elem(r, d, i)
	if o < 0 || r == 0 {
		return 0, false
	}
	bo := t.bucketOf(r)
	t.lock(bo)
	var old uint64
	if dataTypes[d].rate {
		old = freqRead(t.w[o:o+3], t.period[d], now)
		clear(t.w[o : o+3])
	} else {
		old, t.w[o] = t.w[o], v
	}
	t.unlock(bo)
	return old, true
}

// Read returns element i of d (a rate as events per period at now).
func (t *Table) Read(r Ref, d DataType, i int, now int64) (uint64, bool) {
	o := t.elem(r, d, i)
	if o < 0 || r == 0 {
		return 0, false
	}
	bo := t.bucketOf(r)
	t.lock(bo)
	var v uint64
	if dataTypes[d].rate {
		v = freqRead(t.w[o:o+3], t.period[d], now)
	} else {
		v = t.w[o]
	}
	t.unlock(bo)
	return v, true
}

// Trackers returns the references held on the entry (sc_trackers).
func (t *Table) Trackers(r Ref) uint64 {
	if r == 0 {
		return 0
	}
	bo := t.bucketOf(r)
	t.lock(bo)
	v := t.w[int(r)+sRefs]
	t.unlock(bo)
	return v
}

// Expiry returns the entry's expiry date (unix ms, 0 for none) and the
// date it was last touched.
func (t *Table) Expiry(r Ref) (expire, touched int64) {
	bo := t.bucketOf(r)
	t.lock(bo)
	expire, touched = int64(t.w[int(r)+sExpire]), int64(t.w[int(r)+sTouched])
	t.unlock(bo)
	return
}

// Count returns the number of entries (table_cnt).
func (t *Table) Count() int { return int(atomic.LoadUint64(&t.w[hCount])) }

// Sweep removes the expired entries nobody tracks from the next n
// buckets, so that they stop counting in the table's size; every
// process may call it, each call moves a shared cursor.
func (t *Table) Sweep(now int64, n int) {
	for j := 0; j < n && j < t.nb; j++ {
		b := int(atomic.AddUint64(&t.w[hSweep], 1)-1) % t.nb
		bo := t.bucket(b)
		t.lock(bo)
		for i := 0; i < slotsPerBucket; i++ {
			if t.w[bo+1+i] != 0 && t.expired(t.slot(bo, i), now) {
				t.w[bo+1+i] = 0
				atomic.AddUint64(&t.w[hCount], ^uint64(0))
			}
		}
		t.unlock(bo)
	}
}

// Remove deletes the entry of k unless it is tracked; it reports
// whether an entry was removed.
func (t *Table) Remove(k Key) bool {
	h := hashBytes(k)
	bo := t.bucket(int((h >> 32) * uint64(t.nb) >> 32))
	t.lock(bo)
	defer t.unlock(bo)
	i := t.find(bo, h|1, k)
	if i < 0 || t.w[t.slot(bo, i)+sRefs] != 0 {
		return false
	}
	t.w[bo+1+i] = 0
	atomic.AddUint64(&t.w[hCount], ^uint64(0))
	return true
}

// Walk calls fn for every entry not expired at now, bucket by bucket,
// with the bucket locked: fn must not call the table.
func (t *Table) Walk(now int64, fn func(r Ref, key []byte) bool) {
	for b := 0; b < t.nb; b++ {
		bo := t.bucket(b)
		t.lock(bo)
		for i := 0; i < slotsPerBucket; i++ {
			so := t.slot(bo, i)
			if t.w[bo+1+i] == 0 || t.expired(so, now) {
				continue
			}
			if !fn(Ref(so), t.keyBytes(so)) {
				t.unlock(bo)
				return
			}
		}
		t.unlock(bo)
	}
}

// ReadLocked is Read for Walk's callback (the bucket is locked).
func (t *Table) ReadLocked(r Ref, d DataType, i int, now int64) (uint64, bool) {
	o := t.elem(r, d, i)
	if o < 0 {
		return 0, false
	}
	if dataTypes[d].rate {
		return freqRead(t.w[o:o+3], t.period[d], now), true
	}
	return t.w[o], true
}

// EntryLocked returns an entry's references and expiry for Walk's
// callback.
func (t *Table) EntryLocked(r Ref) (refs uint64, expire int64) {
	return t.w[int(r)+sRefs], int64(t.w[int(r)+sExpire])
}
