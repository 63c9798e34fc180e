package backend

import (
	"fmt"
	"testing"

	"baton/internal/config"
	"baton/internal/h1"
)

// assign maps keys 0..n-1 (uri "/k/I") to server names.
func assign(t *testing.T, b *Backend, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		s := mustAcquire(t, b, Key{URI: fmt.Appendf(nil, "/k/%d", i)}, nil)
		out[i] = s.Name
		b.Release(s)
	}
	return out
}

func hashBackend(consistent bool, names ...string) *Backend {
	var ss []srv
	for _, n := range names {
		ss = append(ss, srv{name: n, weight: 1})
	}
	b := newTestBackend(config.URI, ss...)
	b.HashType = config.HashType{Consistent: consistent}
	return b
}

// TestConsistentHashing: with hash-type consistent, a server that goes
// down gives away only its own keys, and a server added to the
// configuration takes about its share and only from the others; with
// map-based most keys move.
func TestConsistentHashing(t *testing.T) {
	const n = 6000
	five := []string{"s1", "s2", "s3", "s4", "s5"}
	b := hashBackend(true, five...)
	before := assign(t, b, n)
	count := map[string]int{}
	for _, s := range before {
		count[s]++
	}
	for _, name := range five {
		if c := count[name]; c < n/5/2 || c > n/5*2 {
			t.Errorf("server %s has %d of %d keys: the ring is lopsided", name, c, n)
		}
	}
	b.Find("s3").SetState(Maint)
	after := assign(t, b, n)
	for i := range before {
		if before[i] != "s3" && after[i] != before[i] {
			t.Fatalf("key %d moved from %s to %s when s3 went down", i, before[i], after[i])
		}
		if after[i] == "s3" {
			t.Fatalf("key %d still on s3 in maintenance", i)
		}
	}
	grown := assign(t, hashBackend(true, append(five, "s6")...), n)
	moved := 0
	for i := range before {
		if grown[i] != before[i] {
			moved++
			if grown[i] != "s6" {
				t.Fatalf("key %d moved from %s to %s when s6 was added", i, before[i], grown[i])
			}
		}
	}
	if moved < n/6/2 || moved > n/6*2 {
		t.Errorf("adding a sixth server moved %d of %d keys, want about %d", moved, n, n/6)
	}
	mapBefore, mapGrown := assign(t, hashBackend(false, five...), n), assign(t, hashBackend(false, append(five, "s6")...), n)
	mapMoved := 0
	for i := range mapBefore {
		if mapBefore[i] != mapGrown[i] {
			mapMoved++
		}
	}
	if mapMoved < n/2 {
		t.Errorf("map-based moved only %d of %d keys (the contrast the test relies on)", mapMoved, n)
	}
}

func TestHashKeys(t *testing.T) {
	req := func(raw string) *h1.Request {
		var r h1.Request
		if err := h1.ParseRequest([]byte(raw), &r, &h1.Limits{}); err != nil {
			t.Fatal(err)
		}
		return &r
	}
	r := req("GET /a/b/c/d?x=1&user=bob&z HTTP/1.1\r\nHost: www.Example.com:8080\r\nX-Id: 42\r\n\r\n")
	for _, tt := range []struct {
		bal  config.Balance
		opts config.BalanceOpts
		key  Key
		want string
	}{
		{config.URI, config.BalanceOpts{}, Key{URI: r.Target}, "/a/b/c/d"},
		{config.URI, config.BalanceOpts{URIWhole: true}, Key{URI: r.Target}, "/a/b/c/d?x=1&user=bob&z"},
		{config.URI, config.BalanceOpts{URIDepth: 2}, Key{URI: r.Target}, "/a/b"},
		{config.URI, config.BalanceOpts{URILen: 4}, Key{URI: r.Target}, "/a/b"},
		{config.URLParam, config.BalanceOpts{Param: "user"}, Key{URI: r.Target}, "bob"},
		{config.URLParam, config.BalanceOpts{Param: "nope"}, Key{URI: r.Target}, ""},
		{config.Hdr, config.BalanceOpts{Header: "x-id"}, Key{Req: r}, "42"},
		{config.Hdr, config.BalanceOpts{Header: "host", UseDomainOnly: true}, Key{Req: r}, "Example"},
		{config.RDPCookie, config.BalanceOpts{RDPCookie: "mstshash"}, Key{Payload: []byte("\x03\x00\x00\x2aCookie: mstshash=alice\r\n\x01")}, "alice"},
	} {
		b := newTestBackend(tt.bal, srv{name: "a", weight: 1})
		b.Opts = tt.opts
		h, ok := b.keyHash(&tt.key)
		if tt.want == "" {
			if ok {
				t.Errorf("%v %+v: a hash for a request without the key", tt.bal, tt.opts)
			}
			continue
		}
		if want := b.hash([]byte(tt.want)); !ok || h != want {
			t.Errorf("%v %+v: hash %x %v, want the hash of %q", tt.bal, tt.opts, h, ok, tt.want)
		}
	}
}
