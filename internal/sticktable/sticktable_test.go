package sticktable

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func parseTestTime(s string) (time.Duration, error) {
	unit := time.Millisecond
	for _, u := range []struct {
		suf string
		d   time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}} {
		if strings.HasSuffix(s, u.suf) {
			s, unit = strings.TrimSuffix(s, u.suf), u.d
			break
		}
	}
	var n int64
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		return 0, err
	}
	return time.Duration(n) * unit, nil
}

func mustSpec(t testing.TB, line string) *Spec {
	t.Helper()
	sp, err := ParseSpec("t", strings.Fields(line), parseTestTime)
	if err != nil {
		t.Fatalf("ParseSpec(%q): %v", line, err)
	}
	return &sp
}

func TestParseSpec(t *testing.T) {
	for _, tt := range []struct {
		line, shape, err string
	}{
		{line: "type ip size 1m expire 30s store http_req_rate(10s),gpc0", shape: "ip/4/1048576/http_req_rate(10000)/gpc0"},
		{line: "type string len 12 size 10 store gpc(3),gpc_rate(2,1m) store conn_cur", shape: "string/12/10/gpc(3)/gpc_rate(2,60000)/conn_cur"},
		{line: "type binary size 5k nopurge", shape: "binary/32/5120"},
		{line: "type ipv6 size 10 store gpt(2),server_id", shape: "ipv6/16/10/gpt(2)/server_id"},
		{line: "type integer size 1 store bytes_in_cnt,bytes_out_rate(1s)", shape: "integer/8/1/bytes_in_cnt/bytes_out_rate(1000)"},
		{line: "type ip", err: "missing size"},
		{line: "size 10", err: "missing type"},
		{line: "type foo size 1", err: "unknown type 'foo'"},
		{line: "type ip size x", err: "invalid size 'x'"},
		{line: "type ip size 1 store http_req_rate", err: "expects an argument"},
		{line: "type ip size 1 store nope", err: "unknown data type 'nope'"},
		{line: "type ip size 1 store gpc0,gpc(2)", err: "cannot be stored in the same table"},
		{line: "type ip size 1 store gpc(0)", err: "invalid number of elements"},
		{line: "type ip size 1 store conn_cnt(3)", err: "takes no argument"},
		{line: "type ip size 1 bogus", err: "unknown argument 'bogus'"},
		{line: "type ip size 1 srvkey addr", err: "not supported"},
	} {
		sp, err := ParseSpec("t", strings.Fields(tt.line), parseTestTime)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		if got := sp.Shape(); got != tt.shape {
			t.Errorf("%q: shape %q, want %q", tt.line, got, tt.shape)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add("type ip size 1m expire 30s store http_req_rate(10s),gpc0")
	f.Add("type string len 12 size 10 store gpc(3),gpc_rate(2,1m)")
	f.Fuzz(func(t *testing.T, line string) {
		sp, err := ParseSpec("t", strings.Fields(line), parseTestTime)
		if err != nil {
			return
		}
		if sp.Size <= 0 || sp.Len <= 0 || sp.Type == 0 {
			t.Fatalf("accepted %q as %+v", line, sp)
		}
		if sp.Size <= 1<<12 { // keep memory small
			tb := NewLocal(&sp)
			key := make([]byte, sp.Len)
			if r := tb.Get(key, 1, Track); r == 0 {
				t.Fatalf("%q: no entry", line)
			}
		}
	})
}

func ipKey(i int) Key {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(i)+0x0a000000)
	return b[:]
}

func TestTableBasics(t *testing.T) {
	tb := NewLocal(mustSpec(t, "type ip size 100 expire 10s store http_req_cnt,http_req_rate(10s),gpc0,gpt0,conn_cur"))
	const now = 1_000_000
	if r := tb.Get(ipKey(1), now, Lookup); r != 0 {
		t.Fatal("lookup created an entry")
	}
	r := tb.Get(ipKey(1), now, Track)
	if r == 0 {
		t.Fatal("track: no entry")
	}
	if r2 := tb.Get(ipKey(1), now, Lookup); r2 != r {
		t.Fatalf("lookup: %d, want %d", r2, r)
	}
	for i := 0; i < 5; i++ {
		tb.Add(r, DHTTPReqCnt, 0, 1, now)
		tb.Add(r, DHTTPReqRate, 0, 1, now+int64(i))
	}
	if v, _ := tb.Read(r, DHTTPReqCnt, 0, now); v != 5 {
		t.Errorf("http_req_cnt %d, want 5", v)
	}
	if v, _ := tb.Read(r, DHTTPReqRate, 0, now+10); v != 5 {
		t.Errorf("http_req_rate %d, want 5", v)
	}
	if _, ok := tb.Read(r, DConnCnt, 0, now); ok {
		t.Error("conn_cnt is not stored but was read")
	}
	if tb.Count() != 1 || tb.Trackers(r) != 1 {
		t.Errorf("count %d trackers %d", tb.Count(), tb.Trackers(r))
	}
	// A tracked entry outlives its expiry; released, it expires.
	if tb.Get(ipKey(1), now+20_000, Lookup) == 0 {
		t.Error("a tracked entry expired")
	}
	tb.Release(r)
	if tb.Get(ipKey(1), now+20_000, Lookup) != 0 {
		t.Error("an expired entry was found")
	}
	// Re-created, its data starts from zero.
	r = tb.Get(ipKey(1), now+20_000, Create)
	if v, _ := tb.Read(r, DHTTPReqCnt, 0, now+20_000); v != 0 {
		t.Errorf("recreated entry kept http_req_cnt %d", v)
	}
	if tb.Count() != 1 {
		t.Errorf("count %d after re-creation, want 1", tb.Count())
	}
}

func TestRates(t *testing.T) {
	w := make([]uint64, 3)
	const p = 10_000
	freqAdd(w, p, 100_000, 10)
	for _, tt := range []struct {
		at   int64
		want uint64
	}{{100_000, 10}, {109_999, 10}, {110_000, 10}, {115_000, 5}, {119_999, 0}, {120_000, 0}, {300_000, 0}} {
		if got := freqRead(w, p, tt.at); got != tt.want {
			t.Errorf("rate at +%d: %d, want %d", tt.at-100_000, got, tt.want)
		}
	}
	freqAdd(w, p, 112_000, 4) // the window moved: 10 become the previous period
	if got := freqRead(w, p, 112_000); got != 4+8 {
		t.Errorf("after rotation: %d, want 12", got)
	}
}

func TestSizeAndLRU(t *testing.T) {
	tb := NewLocal(mustSpec(t, "type ip size 50 store gpc0"))
	for i := 0; i < 50; i++ {
		if tb.Get(ipKey(i), int64(1000+i), Create) == 0 {
			t.Fatalf("entry %d refused below size", i)
		}
	}
	// Touch the oldest so that it is not the least recently used.
	tb.Get(ipKey(0), 5000, Touch)
	for i := 50; i < 200; i++ {
		if tb.Get(ipKey(i), int64(6000+i), Create) == 0 {
			t.Fatalf("entry %d refused: the table should evict", i)
		}
		if c := tb.Count(); c > 50 {
			t.Fatalf("count %d above size 50", c)
		}
	}
	if tb.Get(ipKey(199), 10_000, Lookup) == 0 {
		t.Error("the newest entry was evicted")
	}
	np := NewLocal(mustSpec(t, "type ip size 20 nopurge"))
	ok := 0
	for i := 0; i < 100; i++ {
		if np.Get(ipKey(i), 1000, Create) != 0 {
			ok++
		}
	}
	if ok != 20 || np.Count() != 20 {
		t.Errorf("nopurge: %d entries created, count %d; want 20", ok, np.Count())
	}
}

func TestExpiredSwept(t *testing.T) {
	tb := NewLocal(mustSpec(t, "type ip size 4 expire 1s nopurge"))
	for i := 0; i < 4; i++ {
		tb.Get(ipKey(i), 1000, Create)
	}
	if tb.Get(ipKey(9), 1500, Create) != 0 {
		t.Fatal("nopurge table took a fifth entry")
	}
	if tb.Get(ipKey(9), 2500, Create) == 0 {
		t.Fatal("expired entries were not reclaimed")
	}
	tb.Sweep(2500, tb.nb)
	if c := tb.Count(); c != 1 {
		t.Errorf("count after sweep %d, want 1", c)
	}
}

func TestConcurrentAdds(t *testing.T) {
	tb := NewLocal(mustSpec(t, "type integer size 1000 store http_req_cnt"))
	var wg sync.WaitGroup
	const goroutines, per = 8, 2000
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var key [8]byte
			for i := 0; i < per; i++ {
				binary.BigEndian.PutUint64(key[:], uint64(i%10))
				r := tb.Get(key[:], 1000, Track)
				tb.Add(r, DHTTPReqCnt, 0, 1, 1000)
				tb.Release(r)
			}
		}()
	}
	wg.Wait()
	var total uint64
	var key [8]byte
	for i := 0; i < 10; i++ {
		binary.BigEndian.PutUint64(key[:], uint64(i))
		r := tb.Get(key[:], 1000, Lookup)
		v, _ := tb.Read(r, DHTTPReqCnt, 0, 1000)
		total += v
		if tr := tb.Trackers(r); tr != 0 {
			t.Errorf("key %d: %d trackers left", i, tr)
		}
	}
	if total != goroutines*per {
		t.Errorf("total %d, want %d", total, goroutines*per)
	}
}

func TestSharedRegion(t *testing.T) {
	sp := mustSpec(t, "type ip size 10 store gpc0")
	w := make([]uint64, RegionWords(sp))
	a := NewTable(sp, w)
	r := a.Get(ipKey(3), 1000, Create)
	IncGPC(a, r, 0, 1000)
	// A second view of the same memory (the next generation) sees it.
	b := NewTable(sp, w)
	if v, _ := b.Read(b.Get(ipKey(3), 1000, Lookup), DGPC0, 0, 1000); v != 1 {
		t.Errorf("second view: gpc0 %d, want 1", v)
	}
	// Another shape over the same memory starts empty.
	sp2 := mustSpec(t, "type ip size 10 store gpc0,gpc1")
	c := NewTable(sp2, make([]uint64, RegionWords(sp2)))
	if c.Get(ipKey(3), 1000, Lookup) != 0 {
		t.Error("a new shape kept an entry")
	}
}
