package cache

import (
	"bytes"
	"fmt"
	"sync"
	"syscall"
	"testing"
)

func TestStorePutGet(t *testing.T) {
	s := NewStore(64 << 10)
	const now = 1_000_000
	e := Entry{Stored: now, Expire: now + 5000, Age: 3}
	if !s.Put([]byte("k1"), []byte("HTTP/1.1 200 OK\r\n"), []byte("body1"), e) {
		t.Fatal("put refused")
	}
	var buf []byte
	var h Hit
	if !s.Get([]byte("k1"), now+1, nil, &buf, &h) || string(h.Body) != "body1" || string(h.Head) != "HTTP/1.1 200 OK\r\n" || h.Age != 3 {
		t.Fatalf("get: %+v", h)
	}
	if s.Get([]byte("k2"), now, nil, &buf, &h) {
		t.Error("a key never stored was found")
	}
	if s.Get([]byte("k1"), now+5000, nil, &buf, &h) {
		t.Error("an expired object was found")
	}
	s.Put([]byte("k1"), nil, []byte("a"), e)
	s.Put([]byte("k1"), nil, []byte("b"), e) // replaces
	if !s.Get([]byte("k1"), now, nil, &buf, &h) || string(h.Body) != "b" || s.Count(now) != 1 {
		t.Errorf("replaced: %q, count %d", h.Body, s.Count(now))
	}
	s.Delete([]byte("k1"))
	if s.Get([]byte("k1"), now, nil, &buf, &h) {
		t.Error("a deleted object was found")
	}
	if s.Put([]byte("big"), nil, make([]byte, 40<<10), e) {
		t.Error("an object larger than half the ring was stored")
	}
}

// TestStoreRing: the oldest objects are overwritten first, and an
// overwritten object is a miss, never another object's bytes.
func TestStoreRing(t *testing.T) {
	s := NewStore(64 << 10)
	e := Entry{Stored: 1, Expire: 1 << 40}
	body := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 1000) }
	for i := range 200 { // about three times the ring
		if !s.Put([]byte(fmt.Sprint("k", i)), nil, body(i), e) {
			t.Fatalf("put %d refused", i)
		}
	}
	var buf []byte
	var h Hit
	hits := 0
	for i := range 200 {
		if s.Get([]byte(fmt.Sprint("k", i)), 2, nil, &buf, &h) {
			hits++
			if !bytes.Equal(h.Body, body(i)) {
				t.Fatalf("k%d has another object's body", i)
			}
			if i < 130 {
				t.Errorf("k%d survived although newer objects filled the ring", i)
			}
		}
	}
	if hits < 50 || hits > 64 {
		t.Errorf("%d objects left in a 64 KiB ring of 1 KiB objects", hits)
	}
}

func TestStoreVariants(t *testing.T) {
	s := NewStore(64 << 10)
	s.MaxSecondary = 2
	e := func(enc uint64) Entry {
		return Entry{Variant: Variant{Vary: VaryAcceptEncoding, Enc: enc}, Stored: 1, Expire: 1 << 40}
	}
	for enc := uint64(1); enc <= 3; enc++ {
		ok := s.Put([]byte("k"), nil, []byte{byte(enc)}, e(enc))
		if ok != (enc <= 2) {
			t.Errorf("variant %d: stored %v (max-secondary-entries 2)", enc, ok)
		}
	}
	var buf []byte
	var h Hit
	for enc := uint64(1); enc <= 2; enc++ {
		match := func(v Variant) bool { return v.Enc == enc }
		if !s.Get([]byte("k"), 2, match, &buf, &h) || h.Body[0] != byte(enc) {
			t.Errorf("variant %d: %v", enc, h.Body)
		}
	}
	if s.Get([]byte("k"), 2, nil, &buf, &h) {
		t.Error("a variant served a lookup that cannot tell variants apart")
	}
}

// TestStoreShared: two stores over the same memory (two generations
// mapping one segment) see each other's objects; a region laid out for
// another size starts empty.
func TestStoreShared(t *testing.T) {
	const ring = 64 << 10
	mem, err := syscall.Mmap(-1, 0, int(RegionSize(ring)), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	a, fresh := OpenStore(mem, ring)
	if !fresh {
		t.Error("a new region was not fresh")
	}
	a.Put([]byte("k"), nil, []byte("v"), Entry{Stored: 1, Expire: 1 << 40})
	b, fresh := OpenStore(mem, ring)
	var buf []byte
	var h Hit
	if fresh || !b.Get([]byte("k"), 2, nil, &buf, &h) || string(h.Body) != "v" {
		t.Errorf("the second view: fresh %v, %q", fresh, h.Body)
	}
	if c, fresh := OpenStore(mem, ring/2); !fresh || c.Get([]byte("k"), 2, nil, &buf, &h) {
		t.Error("a region of another size kept its objects")
	}
}

// TestStoreConcurrent: readers and writers at once on a small ring;
// every hit is the object of its key, whole.
func TestStoreConcurrent(t *testing.T) {
	s := NewStore(32 << 10)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			var h Hit
			for i := range 3000 {
				k := fmt.Sprint("k", (i*7+g)%50)
				want := bytes.Repeat([]byte(k), 100)
				if i%3 == 0 {
					s.Put([]byte(k), []byte(k), want, Entry{Stored: 1, Expire: 1 << 40})
				} else if s.Get([]byte(k), 2, nil, &buf, &h) && (!bytes.Equal(h.Body, want) || string(h.Head) != k) {
					t.Errorf("%s: torn object", k)
					return
				}
			}
		}()
	}
	wg.Wait()
}
