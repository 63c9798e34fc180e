package sticktable

import (
	"syscall"
	"testing"
	"time"
)

// open maps the allocator's segment as a worker would, from a copy of
// its descriptor.
func open(t *testing.T, a *Allocator, rs []Region) *Tables {
	t.Helper()
	fd, err := syscall.Dup(int(a.File().Fd()))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := OpenSegment(&SegmentRef{FD: fd, Regions: rs})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestSegmentAcrossGenerations: a table keeps its region, and its
// entries, while its definition stays; a changed definition gets a new
// region into which the next worker copies the entries, keeping the
// data types both definitions store.
func TestSegmentAcrossGenerations(t *testing.T) {
	a, err := NewAllocator()
	if err != nil {
		t.Fatal(err)
	}
	defer a.File().Close()
	now := time.Now().UnixMilli()
	v1 := mustSpec(t, "type ip size 100 expire 1h store gpc0,http_req_rate(10s)")
	g1, err := a.Acquire([]*Spec{v1})
	if err != nil {
		t.Fatal(err)
	}
	tb := open(t, a, g1).Get("t")
	for i := 0; i < 10; i++ {
		r := tb.Get(ipKey(i), now, Create)
		for j := 0; j <= i; j++ {
			IncGPC(tb, r, 0, now)
			tb.Add(r, DHTTPReqRate, 0, 1, now)
		}
	}
	// The next generation, same definition: the same region, shared.
	g2, _ := a.Acquire([]*Spec{v1})
	if g2[0].Off != g1[0].Off || g2[0].From != nil {
		t.Fatalf("same definition: region %+v, want %+v", g2[0], g1[0])
	}
	tb2 := open(t, a, g2).Get("t")
	if v, _ := tb2.Read(tb2.Get(ipKey(4), now, Lookup), DGPC0, 0, now); v != 5 {
		t.Errorf("next generation reads gpc0 %d, want 5", v)
	}
	IncGPC(tb2, tb2.Get(ipKey(4), now, Lookup), 0, now)
	if v, _ := tb.Read(tb.Get(ipKey(4), now, Lookup), DGPC0, 0, now); v != 6 {
		t.Errorf("the old generation does not see the new one's update: %d", v)
	}
	a.Release(g1)
	// A changed definition: a new region, filled from the old one.
	v2 := mustSpec(t, "type ip size 200 expire 1h store gpc0,gpt0,http_req_rate(10s)")
	g3, _ := a.Acquire([]*Spec{v2})
	if g3[0].Off == g2[0].Off || g3[0].From == nil || g3[0].From.Off != g2[0].Off {
		t.Fatalf("changed definition: region %+v", g3[0])
	}
	tb3 := open(t, a, g3).Get("t")
	if c := tb3.Count(); c != 10 {
		t.Errorf("migrated %d entries, want 10", c)
	}
	r := tb3.Get(ipKey(9), now, Lookup)
	if v, _ := tb3.Read(r, DGPC0, 0, now); v != 10 {
		t.Errorf("migrated gpc0 %d, want 10", v)
	}
	if v, _ := tb3.Read(r, DHTTPReqRate, 0, now); v != 10 {
		t.Errorf("migrated http_req_rate %d, want 10", v)
	}
	if v, ok := tb3.Read(r, DGPT0, 0, now); !ok || v != 0 {
		t.Errorf("new gpt0 %d %v, want 0", v, ok)
	}
	// A crash restart of that generation maps the region again: it is
	// not copied twice.
	IncGPC(tb3, r, 0, now)
	g4, _ := a.Acquire([]*Spec{v2})
	tb4 := open(t, a, g4).Get("t")
	if v, _ := tb4.Read(tb4.Get(ipKey(9), now, Lookup), DGPC0, 0, now); v != 11 {
		t.Errorf("after a second open gpc0 %d, want 11", v)
	}
	a.Release(g2)
	a.Release(g3)
	a.Release(g4)
	if len(a.regions) != 0 {
		t.Errorf("%d regions left after every generation released them", len(a.regions))
	}
}
