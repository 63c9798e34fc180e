package sticktable

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// The shared segment: one file the master creates (unlinked, in
// /dev/shm when it exists) and passes to every worker, holding a region
// per table. The master only allocates regions (Allocator) and never
// maps the file; workers map it whole (OpenSegment).

// regionAlign keeps regions page-aligned, so that a freed one's pages
// can be given back (hole punching).
const regionAlign = 4096 / 8

// Region is where one table lives in the segment.
type Region struct {
	Spec Spec `json:"spec"`
	// Off is the region's first word.
	Off int64 `json:"off"`
	// From is the region the table had under the previous configuration
	// when its definition changed there: a worker starting on a fresh
	// region copies its entries (see Migrate).
	From *Region `json:"from,omitempty"`
}

// SegmentRef tells a starting worker where its tables live: the
// descriptor of the segment it inherited and its tables' regions.
type SegmentRef struct {
	FD      int      `json:"fd"`
	Regions []Region `json:"regions"`
}

// Allocator is the master's record of the segment: which regions hold
// which tables, and how many live generations use each. Safe for
// concurrent use.
type Allocator struct {
	mu      sync.Mutex
	f       *os.File
	size    int64 // words
	regions []*allocated
}

type allocated struct {
	Region
	Users int `json:"users"`
}

// NewAllocator creates an empty segment.
func NewAllocator() (*Allocator, error) {
	f, err := CreateShared("baton-tables-*")
	if err != nil {
		return nil, fmt.Errorf("stick tables: %w", err)
	}
	return &Allocator{f: f}, nil
}

// File is the segment, for a worker's ExtraFiles.
func (a *Allocator) File() *os.File { return a.f }

// Acquire gives a generation the regions of its tables: a table whose
// name and shape a live generation has already keeps that region (both
// generations then share its entries); any other gets a new region,
// with From set to the last region of the same name whose keys it can
// read.
func (a *Allocator) Acquire(specs []*Spec) ([]Region, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Region
	for _, sp := range specs {
		var same, prev *allocated
		for _, r := range a.regions {
			if r.Spec.Name != sp.Name {
				continue
			}
			if r.Spec.Shape() == sp.Shape() {
				same = r
			} else if r.Spec.Type == sp.Type && r.Spec.Len == sp.Len {
				prev = r
			}
		}
		if same != nil {
			same.Users++
			same.Spec = *sp // expire and nopurge may change in place
			out = append(out, same.Region)
			continue
		}
		words := int64(RegionWords(sp))
		off := a.size
		if err := a.f.Truncate((off + words) * 8); err != nil {
			a.release(out)
			return nil, fmt.Errorf("stick table %q: growing the shared segment: %w", sp.Name, err)
		}
		a.size = (off + words + regionAlign - 1) / regionAlign * regionAlign
		r := &allocated{Region: Region{Spec: *sp, Off: off}, Users: 1}
		a.regions = append(a.regions, r)
		reg := r.Region
		if prev != nil {
			from := prev.Region
			from.From = nil
			reg.From = &from
		}
		out = append(out, reg)
	}
	return out, nil
}

// Release gives back a generation's regions once its process is gone;
// a region no generation uses any more is freed (its memory returned).
func (a *Allocator) Release(rs []Region) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.release(rs)
}

func (a *Allocator) release(rs []Region) {
	for _, r := range rs {
		for i, al := range a.regions {
			if al.Off != r.Off {
				continue
			}
			if al.Users--; al.Users <= 0 {
				a.regions = append(a.regions[:i], a.regions[i+1:]...)
				punchHole(a.f, al.Off*8, int64(RegionWords(&al.Spec))*8)
			}
			break
		}
	}
}

// punchHole returns a freed region's memory (best effort: the segment
// stays correct without it).
func punchHole(f *os.File, off, n int64) {
	const punchHole, keepSize = 0x02, 0x01
	syscall.Fallocate(int(f.Fd()), punchHole|keepSize, off, n)
}

// AllocatorState is the allocator across a binary upgrade.
type AllocatorState struct {
	FD      int          `json:"fd"`
	Size    int64        `json:"size"`
	Regions []*allocated `json:"regions"`
}

// Export describes the allocator for the next image; fd is the
// segment's descriptor kept across exec.
func (a *Allocator) Export(fd int) AllocatorState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return AllocatorState{FD: fd, Size: a.size, Regions: a.regions}
}

// RestoreAllocator adopts the segment an upgraded master kept.
func RestoreAllocator(st AllocatorState) (*Allocator, error) {
	f := os.NewFile(uintptr(st.FD), "tables")
	if f == nil {
		return nil, errors.New("stick tables: no segment descriptor")
	}
	if _, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("stick tables: the segment could not be adopted: %w", err)
	}
	return &Allocator{f: f, size: st.Size, regions: st.Regions}, nil
}

// OpenSegment maps the segment ref names and returns its tables,
// copying entries into fresh regions whose table changed definition.
// The mapping lives as long as the process.
func OpenSegment(ref *SegmentRef) (*Tables, error) {
	f := os.NewFile(uintptr(ref.FD), "tables")
	if f == nil {
		return nil, fmt.Errorf("stick tables: no descriptor %d", ref.FD)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stick tables: %w", err)
	}
	if st.Size() < 8 {
		return nil, errors.New("stick tables: empty segment")
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("stick tables: mapping the segment: %w", err)
	}
	words := unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), len(mem)/8)
	var list []*Table
	now := time.Now().UnixMilli()
	for i := range ref.Regions {
		r := &ref.Regions[i]
		n := int64(RegionWords(&r.Spec))
		if r.Off < 0 || r.Off+n > int64(len(words)) {
			return nil, fmt.Errorf("stick table %q: region beyond the segment", r.Spec.Name)
		}
		t, fresh := newTable(&r.Spec, words[r.Off:r.Off+n])
		if fresh && r.From != nil {
			fn := int64(RegionWords(&r.From.Spec))
			if r.From.Off >= 0 && r.From.Off+fn <= int64(len(words)) {
				if old, oldFresh := newTable(&r.From.Spec, words[r.From.Off:r.From.Off+fn]); !oldFresh {
					Migrate(old, t, now)
				}
			}
		}
		list = append(list, t)
	}
	return NewTables(list...), nil
}

// Migrate copies the live entries of from into to (a table of the same
// name whose definition changed): the data types both store are copied
// (array elements up to the shorter array), the others start at zero;
// when to is smaller, the entries beyond its size are left out.
func Migrate(from, to *Table, now int64) {
	type field struct {
		d DataType
		n int
	}
	var common []field
	for _, st := range to.Spec.Store {
		if n, ok := from.Stored(st.Type); ok {
			common = append(common, field{st.Type, min(n, st.N)})
		}
	}
	from.Walk(now, func(so Ref, key []byte) bool {
		r := to.Get(Key(key), now, Create)
		if r == 0 {
			return true
		}
		// to is not yet shared with any other user: no lock needed
		// for it beyond Get's.
		for _, f := range common {
			src := int(so) + int(from.off[f.d])
			dst := int(r) + int(to.off[f.d])
			per := 1
			if dataTypes[f.d].rate {
				per = 3
			}
			copy(to.w[dst:dst+per*f.n], from.w[src:src+per*f.n])
		}
		to.w[int(r)+sTouched] = from.w[int(so)+sTouched]
		return true
	})
}

// CreateShared creates an unlinked file for memory shared between the
// master and the workers (the stick tables', the statistics'), in /dev/shm when it exists (memory-backed),
// else in the temporary directory; pattern is os.CreateTemp's.
func CreateShared(pattern string) (*os.File, error) {
	dir := "/dev/shm"
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = ""
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil && dir != "" {
		f, err = os.CreateTemp("", pattern)
	}
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	return f, nil
}
