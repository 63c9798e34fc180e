package proxy

import (
	"bytes"
	"sync/atomic"
	"testing"
)

// TestCacheHitAllocs: a keep-alive request answered from the cache
// allocates nothing in steady state, and the server sees only the first.
func TestCacheHitAllocs(t *testing.T) {
	var seen atomic.Int64
	cfg := parseConfig(t, "frontend fe\n bind 127.0.0.1:1\n http-request cache-use c\n http-response cache-store c\n default_backend be\n"+
		"backend be\n server s ${S}\ncache c\n total-max-size 1\n", map[string]string{"S": rawBackendAnswering(t, "HTTP/1.1 200 OK\r\nCache-Control: max-age=3600\r\nContent-Length: 2\r\n\r\nok", &seen)})
	k := kaClientFor(t, cfg)
	for range 200 {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Contains(k.buf, []byte("\r\nage: ")) || seen.Load() != 1 {
		t.Fatalf("the server saw %d requests; the last answer: %q", seen.Load(), k.buf[:80])
	}
	if testing.Short() || raceEnabled {
		t.Skip("allocation measurement (not under -short or -race)")
	}
	allocs := testing.AllocsPerRun(500, func() {
		if err := k.do(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per cache hit (whole process): %.2f", allocs)
	if allocs > 1 {
		t.Fatalf("%.2f allocations per cache hit, want <= 1", allocs)
	}
}
