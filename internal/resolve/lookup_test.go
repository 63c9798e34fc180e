package resolve

import (
	"net/netip"
	"testing"
	"time"
)

const lookupResolvers = "  timeout resolve 20ms\n  timeout retry 30ms\n  resolve_retries 2\n  hold valid 1h\n"

// A lookup of a name a server resolves is answered from the server's
// resolution within hold valid: no query, no allocation.
func TestLookupUsesServerAnswerWithinHoldValid(t *testing.T) {
	d := newFakeDNS(t, hosts(map[string][]string{"app.test": {"10.0.0.7", "10.0.0.8"}}))
	tr := startRT(t, "  server s1 app.test:80 resolvers dns resolve-prefer ipv4 init-addr none\n",
		"  timeout resolve 1h\n  timeout retry 30ms\n  hold valid 1h\n", nil, d)
	tr.wait("s1=10.0.0.7:80")
	sent := d.queries.Load()
	a, ok := tr.rt.Resolve("dns", []byte("App.Test."), true, true)
	if !ok || a != netip.MustParseAddr("10.0.0.7") {
		t.Fatalf("Resolve = %v %v, want 10.0.0.7", a, ok)
	}
	name := []byte("app.TEST")
	allocs := testing.AllocsPerRun(100, func() {
		if a, ok := tr.rt.Resolve("dns", name, true, true); !ok || a != netip.MustParseAddr("10.0.0.7") {
			t.Fatalf("cached Resolve = %v %v", a, ok)
		}
	})
	if allocs != 0 {
		t.Errorf("a cached lookup allocates %v times", allocs)
	}
	if n := d.queries.Load(); n != sent {
		t.Errorf("%d queries within hold valid, want the server's answer", n-sent)
	}
	// The other family preference is another resolution: it is asked.
	if a, ok := tr.rt.Resolve("dns", name, false, true); !ok || a != netip.MustParseAddr("10.0.0.7") {
		t.Fatalf("Resolve ipv6 = %v %v", a, ok)
	}
	if d.queries.Load() == sent {
		t.Error("no query for the IPv6-preferring lookup")
	}
}

// A name only lookups ask is resolved for each of them, as in HAProxy.
func TestLookupOnlyNameResolvedEachTime(t *testing.T) {
	d := newFakeDNS(t, hosts(map[string][]string{"app.test": {"10.0.0.7"}}))
	tr := startRT(t, "", lookupResolvers, nil, d)
	for range 3 {
		if a, ok := tr.rt.Resolve("dns", []byte("app.test"), true, true); !ok || a != netip.MustParseAddr("10.0.0.7") {
			t.Fatalf("Resolve = %v %v", a, ok)
		}
	}
	if n := d.queries.Load(); n != 3 {
		t.Errorf("%d queries for 3 lookups, want 3", n)
	}
}

// Without ipv4, AAAA is asked first, as resolve-prefer's default; an
// answer without AAAA records makes the resolution ask A at once.
func TestLookupPrefersIPv6ThenFallsBack(t *testing.T) {
	d := newFakeDNS(t, hosts(map[string][]string{"app.test": {"10.0.0.9"}}))
	tr := startRT(t, "", lookupResolvers, nil, d)
	a, ok := tr.rt.Resolve("dns", []byte("app.test"), false, true)
	if !ok || a != netip.MustParseAddr("10.0.0.9") {
		t.Fatalf("Resolve = %v %v, want 10.0.0.9", a, ok)
	}
	if n := d.queries.Load(); n != 2 {
		t.Errorf("%d queries, want 2 (AAAA, then A)", n)
	}
}

func TestLookupFailures(t *testing.T) {
	d := newFakeDNS(t, hosts(map[string][]string{"app.test": {"10.0.0.9"}}))
	tr := startRT(t, "", lookupResolvers, nil, d)
	for _, tc := range []struct {
		section, name string
		queries       bool
	}{
		{"dns", "unknown.test", true}, // NXDOMAIN for both families
		{"dns", "app.test:8080", false},
		{"dns", "", false},
		{"dns", "a..test", false},
		{"other", "app.test", false},
	} {
		before := d.queries.Load()
		if a, ok := tr.rt.Resolve(tc.section, []byte(tc.name), true, true); ok {
			t.Errorf("Resolve(%q, %q) = %v, want a failure", tc.section, tc.name, a)
		}
		if sent := d.queries.Load() > before; sent != tc.queries {
			t.Errorf("Resolve(%q, %q): queried %v, want %v", tc.section, tc.name, sent, tc.queries)
		}
	}
	// A failure is not cached: the name is asked again.
	before := d.queries.Load()
	tr.rt.Resolve("dns", []byte("unknown.test"), true, true)
	if d.queries.Load() == before {
		t.Error("a failed name was not asked again")
	}
	// The resolutions only lookups needed are gone once they ended.
	tr.rt.Stop()
	if n := lookupResolutions(tr.rt); n != 0 {
		t.Errorf("%d lookup resolutions left", n)
	}
}

// lookupResolutions counts the resolutions the sections keep; the
// Runtime must be stopped.
func lookupResolutions(rt *Runtime) int {
	n := 0
	for _, s := range rt.sections {
		n += len(s.resolutions)
	}
	return n
}

// Past hold valid, a server's answer is not used: the lookup makes the
// server's resolution run now.
func TestLookupPastHoldValid(t *testing.T) {
	d := newFakeDNS(t, hosts(map[string][]string{"app.test": {"10.0.0.7"}}))
	tr := startRT(t, "  server s1 app.test:80 resolvers dns resolve-prefer ipv4 init-addr none\n",
		"  timeout resolve 1h\n  timeout retry 30ms\n  hold valid 0\n", nil, d)
	tr.wait("s1=10.0.0.7:80")
	sent := d.queries.Load()
	if _, ok := tr.rt.Resolve("dns", []byte("app.test"), true, true); !ok {
		t.Fatal("Resolve failed")
	}
	if d.queries.Load() == sent {
		t.Error("no query past hold valid")
	}
}

// A lookup waiting when the Runtime stops gives up.
func TestLookupStops(t *testing.T) {
	d := newFakeDNS(t, func(uint16, Question) []byte { return nil })
	tr := startRT(t, "", "  timeout retry 1h\n", nil, d)
	done := make(chan bool)
	go func() {
		_, ok := tr.rt.Resolve("dns", []byte("app.test"), true, true)
		done <- ok
	}()
	for d.queries.Load() == 0 {
		time.Sleep(time.Millisecond) // until the query left
	}
	tr.rt.Stop()
	select {
	case ok := <-done:
		if ok {
			t.Error("Resolve succeeded without an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Resolve still waiting after Stop")
	}
}
