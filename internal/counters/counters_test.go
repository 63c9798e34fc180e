package counters

import (
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// reopen maps the segment a second time through a duplicate descriptor,
// as a worker does with the one it inherits.
func reopen(t *testing.T, s *Segment) *Segment {
	t.Helper()
	fd, err := syscall.Dup(int(s.File().Fd()))
	if err != nil {
		t.Fatal(err)
	}
	w, err := Open(os.NewFile(uintptr(fd), "counters"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func newTable(t *testing.T, capacity int) *Table {
	t.Helper()
	s, err := Create(capacity, 64, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return NewTable(s)
}

func TestKeys(t *testing.T) {
	for _, k := range []Key{ProcessKey, FrontendKey("fe"), BackendKey("be.1"), ServerKey("be", "s:1"), ListenerKey("fe", 3)} {
		got, err := ParseKey(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKey(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	for _, bad := range []string{"", "X/a", "F/", "S/be", "S//s", "B/a/b", "L/fe/0", "L/fe/x", "L//1"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

// TestGenerationsAddUp: two generations count in their own groups; a
// reader sums them; when the first exits its counts are folded into
// group 0, so the total never drops, and its gauges vanish.
func TestGenerationsAddUp(t *testing.T) {
	tab := newTable(t, 8)
	keys := []Key{FrontendKey("fe"), BackendKey("be"), ServerKey("be", "s1")}
	slots1, err := tab.Acquire(keys)
	if err != nil {
		t.Fatal(err)
	}
	g1, _ := tab.TakeGroup()
	w1 := reopen(t, tab.Segment())
	srv := slots1["S/be/s1"]
	now := time.Now()
	for i := range 10 {
		b := w1.Block(srv, g1*w1.Shards()+i%w1.Shards())
		b.Inc(Requests)
		b.Add(BytesOut, 100)
	}
	w1.Block(srv, g1*w1.Shards()).Enter(CurSessions, MaxSessions)

	// A reload: the same keys plus a new server, in another order.
	slots2, err := tab.Acquire(append([]Key{ServerKey("be", "s2")}, keys...))
	if err != nil {
		t.Fatal(err)
	}
	if slots2["S/be/s1"] != srv {
		t.Fatalf("s1 moved from slot %d to %d", srv, slots2["S/be/s1"])
	}
	g2, _ := tab.TakeGroup()
	w2 := reopen(t, tab.Segment())
	for range 5 {
		w2.Block(srv, g2*w2.Shards()+1).Inc(Requests)
	}
	w2.Block(slots2["S/be/s2"], g2*w2.Shards()).Add(BytesOut, 7)

	sn := w2.Snapshot(now.UnixNano())
	if got := sn.Slot(srv)[Requests]; got != 15 {
		t.Errorf("s1 requests = %d, want 15", got)
	}
	if got := sn.Slot(srv)[CurSessions]; got != 1 {
		t.Errorf("s1 current sessions = %d, want 1", got)
	}
	be := sn.Slot(slots2["B/be"])
	if be[Requests] != 15 || be[BytesOut] != 1007 {
		t.Errorf("backend derived requests %d bytes %d, want 15 and 1007", be[Requests], be[BytesOut])
	}

	// Generation 1 exits: folded, its gauge gone, totals unchanged.
	tab.RetireGroup(g1, slots1)
	tab.Release(slots1)
	sn = w2.Snapshot(now.UnixNano())
	if got := sn.Slot(srv)[Requests]; got != 15 {
		t.Errorf("after the fold: s1 requests = %d, want 15", got)
	}
	if got := sn.Slot(srv)[CurSessions]; got != 0 {
		t.Errorf("after the fold: current sessions = %d, want 0", got)
	}
	if got := sn.Slot(srv)[MaxSessions]; got != 1 {
		t.Errorf("after the fold: max sessions = %d, want 1", got)
	}

	// Generation 2's configuration drops s1: once it exits, s1's slot is
	// freed and its counts stay in the backend's total.
	slots3, err := tab.Acquire([]Key{FrontendKey("fe"), BackendKey("be"), ServerKey("be", "s2")})
	if err != nil {
		t.Fatal(err)
	}
	tab.RetireGroup(g2, slots2)
	tab.Release(slots2)
	sn = tab.Segment().Snapshot(now.UnixNano())
	if sn.Slot(srv) != nil {
		t.Errorf("s1's slot %d still allocated", srv)
	}
	if be := sn.Slot(slots3["B/be"]); be[Requests] != 15 || be[BytesOut] != 1007 {
		t.Errorf("backend after s1 left: requests %d bytes %d, want 15 and 1007", be[Requests], be[BytesOut])
	}
	// A new server takes the freed slot and starts from zero.
	slots4, _ := tab.Acquire([]Key{ServerKey("be", "s9")})
	if got := tab.Segment().Snapshot(now.UnixNano()).Slot(slots4["S/be/s9"])[Requests]; got != 0 {
		t.Errorf("a reused slot starts at %d requests", got)
	}
}

// TestFoldIsAtomicForReaders: a reader polling during folds never sees
// the total drop or jump.
func TestFoldIsAtomicForReaders(t *testing.T) {
	tab := newTable(t, 4)
	keys := []Key{FrontendKey("fe")}
	var stop sync.WaitGroup
	done := make(chan struct{})
	reader := reopen(t, tab.Segment())
	// The configuration keeps the frontend while generations come and go.
	held, _ := tab.Acquire(keys)
	slot := held["F/fe"]
	var want uint64
	for gen := 0; gen < 50; gen++ {
		slots, err := tab.Acquire(keys)
		if err != nil {
			t.Fatal(err)
		}
		g, err := tab.TakeGroup()
		if err != nil {
			t.Fatal(err)
		}
		if gen == 0 {
			stop.Add(1)
			go func() {
				defer stop.Done()
				var last uint64
				for {
					select {
					case <-done:
						return
					default:
					}
					v := reader.Snapshot(time.Now().UnixNano()).Slot(slot)[Requests]
					if v < last {
						t.Errorf("total dropped from %d to %d", last, v)
						return
					}
					last = v
				}
			}()
		}
		b := tab.Segment().Block(slot, g*tab.Segment().Shards())
		for range 100 {
			b.Inc(Requests)
		}
		want += 100
		tab.RetireGroup(g, slots)
		tab.Release(slots)
	}
	close(done)
	stop.Wait()
	if got := tab.Segment().Snapshot(time.Now().UnixNano()).Slot(slot); got == nil || got[Requests] != want {
		t.Errorf("final total %v, want %d", got, want)
	}
}

func TestGroupsRunOut(t *testing.T) {
	tab := newTable(t, 4) // 4 groups: 3 for generations
	for range 3 {
		if _, err := tab.TakeGroup(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tab.TakeGroup(); err != ErrNoGroup {
		t.Fatalf("4th group: %v, want ErrNoGroup", err)
	}
	tab.RetireGroup(2, nil)
	if g, err := tab.TakeGroup(); err != nil || g != 2 {
		t.Fatalf("after retiring group 2: %d, %v", g, err)
	}
}

func TestGrow(t *testing.T) {
	tab := newTable(t, 2)
	var keys []Key
	for i := range 40 {
		keys = append(keys, ServerKey("be", string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	slots, err := tab.Acquire(keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 40 {
		t.Fatalf("%d slots", len(slots))
	}
	seg := tab.Segment()
	seg.Block(slots["S/be/ab"], 0).Inc(Requests)
	w := reopen(t, seg)
	if w.Slots() < 41 {
		t.Fatalf("a new mapping covers %d slots", w.Slots())
	}
	if got := w.Snapshot(0).Slot(slots["S/be/ab"])[Requests]; got != 1 {
		t.Errorf("grown slot reads %d", got)
	}
	if _, err := tab.Acquire(append(keys, make([]Key, 0)...)); err != nil {
		t.Fatal(err)
	}
	var many []Key
	for i := range 100 {
		many = append(many, FrontendKey("f"+string(rune('A'+i%26))+string(rune('A'+i/26))))
	}
	if _, err := tab.Acquire(many); err == nil {
		t.Error("acquiring past the reserve succeeded")
	}
}

func TestRates(t *testing.T) {
	tab := newTable(t, 2)
	slots, _ := tab.Acquire([]Key{FrontendKey("fe")})
	b := tab.Segment().Block(slots["F/fe"], 0)
	base := int64(1_000_000)
	for range 10 {
		b.Tick(ReqRate, MaxReqRate, base)
	}
	for range 4 {
		b.Tick(ReqRate, MaxReqRate, base+1)
	}
	// Half-way into second base+1: 4 + 10/2.
	sn := tab.Segment().Snapshot((base+1)*1e9 + 5e8)
	tt := sn.Slot(slots["F/fe"])
	if tt[ReqRate] != 9 {
		t.Errorf("rate %d, want 9", tt[ReqRate])
	}
	if tt[MaxReqRate] != 10 {
		t.Errorf("max rate %d, want 10", tt[MaxReqRate])
	}
	if got := tab.Segment().Snapshot((base + 5) * 1e9).Slot(slots["F/fe"])[ReqRate]; got != 0 {
		t.Errorf("rate of an idle object %d, want 0", got)
	}
}

func TestAverages(t *testing.T) {
	tab := newTable(t, 2)
	slots, _ := tab.Acquire([]Key{BackendKey("be"), ServerKey("be", "a"), ServerKey("be", "b")})
	seg := tab.Segment()
	for range 5000 {
		seg.Block(slots["S/be/a"], 0).Sample(TTime, TTimeMax, 10)
		seg.Block(slots["S/be/b"], 1).Sample(TTime, TTimeMax, 30)
	}
	sn := seg.Snapshot(0)
	if got := sn.Slot(slots["S/be/a"])[TTime]; got != 10 {
		t.Errorf("a's average %d, want 10", got)
	}
	if got := sn.Slot(slots["B/be"])[TTime]; got != 20 {
		t.Errorf("backend average %d, want 20", got)
	}
	if got := sn.Slot(slots["B/be"])[TTimeMax]; got != 30 {
		t.Errorf("backend max %d, want 30", got)
	}
}

func TestState(t *testing.T) {
	tab := newTable(t, 2)
	slots, _ := tab.Acquire([]Key{ServerKey("be", "s1")})
	seg := tab.Segment()
	i := slots["S/be/s1"]
	if _, ok := seg.LoadState(i); ok {
		t.Fatal("fresh slot has a published state")
	}
	long := "a-very-long-host-name-that-does-not-fit-in-sixty-four-bytes.example.com:8080"
	want := State{Admin: 1, Weight: 7, FileWeight: 3, FileDisabled: true, MaxConn: 10, FileMaxConn: 20,
		Addr: "10.0.0.1:80", FileAddr: long, Down: true, ChecksOff: true, CheckStatus: 5, CheckCode: 503,
		CheckMS: 12, CheckHealth: 2, LastChange: 123, Downtime: 456, DownSince: 789, DownTransitions: 3}
	seg.StoreState(i, want)
	got, ok := reopen(t, seg).LoadState(i)
	if !ok {
		t.Fatal("not published")
	}
	if got.FileAddr == long || got.FileAddr == "" {
		t.Errorf("a truncated address reads back as %q", got.FileAddr)
	}
	got.FileAddr = want.FileAddr
	if got != want {
		t.Errorf("state %+v, want %+v", got, want)
	}
}

// TestConcurrentCounting: many goroutines in two mappings count the same
// slot; nothing is lost.
func TestConcurrentCounting(t *testing.T) {
	tab := newTable(t, 2)
	slots, _ := tab.Acquire([]Key{FrontendKey("fe")})
	g1, _ := tab.TakeGroup()
	g2, _ := tab.TakeGroup()
	a, b := reopen(t, tab.Segment()), reopen(t, tab.Segment())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seg, g := a, g1
			if i%2 == 1 {
				seg, g = b, g2
			}
			blk := seg.Block(slots["F/fe"], g*seg.Shards()+i%seg.Shards())
			for range 1000 {
				blk.Inc(Requests)
				blk.Tick(ReqRate, MaxReqRate, 42)
			}
		}()
	}
	wg.Wait()
	if got := a.Snapshot(42e9).Slot(slots["F/fe"])[Requests]; got != 8000 {
		t.Errorf("requests %d, want 8000", got)
	}
}

func TestZeroBlock(t *testing.T) {
	var b Block
	b.Inc(Requests)
	b.Add(BytesIn, 3)
	b.Enter(CurSessions, MaxSessions)
	b.Leave(CurSessions)
	b.Tick(ReqRate, MaxReqRate, 1)
	b.Sample(TTime, TTimeMax, 1)
	if b.Valid() || b.Load(Requests) != 0 {
		t.Error("zero block counts")
	}
}
