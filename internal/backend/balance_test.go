package backend

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"baton/internal/config"
)

var allBalances = []config.Balance{
	config.RoundRobin, config.StaticRR, config.LeastConn, config.First,
	config.SourceHash, config.URI, config.Random,
}

// srv describes a test server: name, weight, maxconn, backup.
type srv struct {
	name    string
	weight  int
	maxconn int
	backup  bool
}

func newTestBackend(bal config.Balance, servers ...srv) *Backend {
	p := &config.Proxy{Name: "be", Kind: config.KindBackend, Balance: bal}
	for i, s := range servers {
		p.Servers = append(p.Servers, &config.Server{
			Name:    s.name,
			Addr:    fmt.Sprintf("127.0.0.1:%d", 10000+i),
			Weight:  s.weight,
			MaxConn: s.maxconn,
			Backup:  s.backup,
		})
	}
	return New(p)
}

func w123(bal config.Balance) *Backend {
	return newTestBackend(bal, srv{name: "a", weight: 1}, srv{name: "b", weight: 2}, srv{name: "c", weight: 3})
}

// mustAcquire acquires with no deadline and fails the test on error.
func mustAcquire(t testing.TB, b *Backend, key Key, ex *Server) *Server {
	t.Helper()
	s, err := b.Acquire(key, ex, time.Time{})
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	return s
}

// spread acquires and releases n times with keys from keyOf and counts
// picks per server name.
func spread(t testing.TB, b *Backend, n int, keyOf func(i int) Key) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := range n {
		s := mustAcquire(t, b, keyOf(i), nil)
		got[s.Name]++
		b.Release(s)
	}
	return got
}

func noKey(int) Key { return Key{} }

func addrKey(i int) Key {
	return Key{Src: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}
}

func uriKey(i int) Key { return Key{URI: fmt.Appendf(nil, "/objects/%d?v=1", i)} }

func TestWeightedDistribution(t *testing.T) {
	tests := []struct {
		bal   config.Balance
		n     int
		keyOf func(int) Key
		exact bool    // counts must equal n*w/6
		tol   float64 // else relative tolerance per server
	}{
		{config.RoundRobin, 600, noKey, true, 0},
		{config.StaticRR, 600, noKey, true, 0},
		{config.Random, 6000, noKey, false, 0.2},
		{config.SourceHash, 6000, addrKey, false, 0.2},
		{config.URI, 6000, uriKey, false, 0.2},
		// No key: source and uri fall back to round robin.
		{config.SourceHash, 600, noKey, true, 0},
		{config.URI, 600, noKey, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.bal.String(), func(t *testing.T) {
			got := spread(t, w123(tc.bal), tc.n, tc.keyOf)
			for name, w := range map[string]int{"a": 1, "b": 2, "c": 3} {
				want := tc.n * w / 6
				if tc.exact && got[name] != want {
					t.Errorf("%s: got %d picks, want exactly %d (all: %v)", name, got[name], want, got)
				}
				if !tc.exact {
					if d := float64(got[name]-want) / float64(want); d > tc.tol || d < -tc.tol {
						t.Errorf("%s: got %d picks, want %d ±%.0f%% (all: %v)", name, got[name], want, tc.tol*100, got)
					}
				}
			}
		})
	}
}

func TestRoundRobinIsSmooth(t *testing.T) {
	for _, bal := range []config.Balance{config.RoundRobin, config.StaticRR} {
		b := w123(bal)
		var seq []byte
		for range 6 {
			s := mustAcquire(t, b, Key{}, nil)
			seq = append(seq, s.Name...)
			b.Release(s)
		}
		// Smooth weighted round robin never gives c three turns in a row.
		if got, want := string(seq), "cbacbc"; got != want {
			t.Errorf("%v: sequence %q, want %q", bal, got, want)
		}
	}
}

func TestDynamicWeights(t *testing.T) {
	// roundrobin follows a weight change at once; static-rr keeps the
	// configured proportions.
	tests := []struct {
		bal  config.Balance
		want map[string]int
	}{
		{config.RoundRobin, map[string]int{"a": 300, "b": 200, "c": 100}},
		{config.StaticRR, map[string]int{"a": 100, "b": 200, "c": 300}},
	}
	for _, tc := range tests {
		b := w123(tc.bal)
		b.Servers[0].SetWeight(3)
		b.Servers[2].SetWeight(1)
		got := spread(t, b, 600, noKey)
		for name, want := range tc.want {
			if got[name] != want {
				t.Errorf("%v: %s got %d, want %d (all %v)", tc.bal, name, got[name], want, got)
			}
		}
	}
}

func TestLeastConn(t *testing.T) {
	t.Run("equal weights round-robin", func(t *testing.T) {
		b := newTestBackend(config.LeastConn, srv{name: "a", weight: 1}, srv{name: "b", weight: 1}, srv{name: "c", weight: 1})
		held := map[string]*Server{}
		for range 3 {
			s := mustAcquire(t, b, Key{}, nil)
			held[s.Name] = s
		}
		if len(held) != 3 {
			t.Fatalf("3 held picks went to %d servers, want 3", len(held))
		}
		// Free b: it is now the least loaded.
		b.Release(held["b"])
		if s := mustAcquire(t, b, Key{}, nil); s.Name != "b" {
			t.Errorf("after releasing b, picked %s", s.Name)
		}
		// With equal load the picks still rotate.
		got := spread(t, b, 300, noKey)
		for _, n := range []string{"a", "b", "c"} {
			if got[n] != 100 {
				t.Errorf("equal load: %s got %d of 300, want 100 (%v)", n, got[n], got)
			}
		}
	})
	t.Run("weighted load", func(t *testing.T) {
		b := w123(config.LeastConn)
		for range 600 {
			mustAcquire(t, b, Key{}, nil) // held
		}
		for i, s := range b.Servers {
			want := 100 * (i + 1)
			if d := s.Conns() - want; d > 1 || d < -1 {
				t.Errorf("%s holds %d, want %d±1", s.Name, s.Conns(), want)
			}
		}
	})
}

func TestFirst(t *testing.T) {
	b := newTestBackend(config.First,
		srv{name: "a", weight: 1, maxconn: 2},
		srv{name: "b", weight: 5, maxconn: 2},
		srv{name: "c", weight: 1, maxconn: 2})
	var got []byte
	var held []*Server
	for range 5 {
		s := mustAcquire(t, b, Key{}, nil)
		got = append(got, s.Name...)
		held = append(held, s)
	}
	if string(got) != "aabbc" {
		t.Errorf("fill order %q, want aabbc", got)
	}
	b.Release(held[0]) // a has a free slot again
	if s := mustAcquire(t, b, Key{}, nil); s.Name != "a" {
		t.Errorf("after freeing a slot on a, picked %s", s.Name)
	}
}

func TestHashStable(t *testing.T) {
	tests := []struct {
		bal  config.Balance
		key  Key
		same Key // must map to the same server as key
	}{
		{config.SourceHash, Key{Src: netip.MustParseAddr("192.0.2.7")}, Key{Src: netip.MustParseAddr("::ffff:192.0.2.7")}},
		{config.URI, Key{URI: []byte("/img/logo.png")}, Key{URI: []byte("/img/logo.png?size=2")}},
	}
	for _, tc := range tests {
		b := w123(tc.bal)
		first := mustAcquire(t, b, tc.key, nil)
		b.Release(first)
		for range 100 {
			for _, k := range []Key{tc.key, tc.same} {
				s := mustAcquire(t, b, k, nil)
				b.Release(s)
				if s != first {
					t.Fatalf("%v: key %v went to %s, earlier to %s", tc.bal, k, s.Name, first.Name)
				}
			}
		}
	}
}

func TestRandomPrefersLessLoaded(t *testing.T) {
	b := newTestBackend(config.Random, srv{name: "a", weight: 1}, srv{name: "b", weight: 1})
	a := b.Servers[0]
	for range 10 {
		a.tryTake() // load a
	}
	// b is picked unless both draws land on a (1 in 4).
	got := spread(t, b, 1000, noKey)
	if got["b"] < 650 {
		t.Errorf("loaded server a still got %d of 1000 picks, b %d", got["a"], got["b"])
	}
}

func TestBackup(t *testing.T) {
	for _, bal := range allBalances {
		t.Run(bal.String(), func(t *testing.T) {
			b := newTestBackend(bal,
				srv{name: "a", weight: 1},
				srv{name: "b1", weight: 1, backup: true},
				srv{name: "b2", weight: 1, backup: true})
			a, b1, b2 := b.Servers[0], b.Servers[1], b.Servers[2]
			check := func(want string) {
				t.Helper()
				for i := range 20 {
					s := mustAcquire(t, b, addrKey(i), nil)
					b.Release(s)
					if s.Name != want {
						t.Fatalf("picked %s, want %s", s.Name, want)
					}
				}
			}
			check("a")
			a.SetHealthy(false)
			check("b1") // only the first usable backup
			b1.SetState(Maint)
			check("b2")
			a.SetHealthy(true)
			check("a")
			b2.SetWeight(0)
			a.SetState(Drain)
			if _, err := b.Acquire(Key{}, nil, time.Time{}); !errors.Is(err, ErrNoServer) {
				t.Errorf("nothing usable: err %v, want ErrNoServer", err)
			}
		})
	}
}

// TestAllBackups: with option allbackups, every usable backup takes
// turns once no active server is usable, under each algorithm; the
// active tier still wins when it comes back.
func TestAllBackups(t *testing.T) {
	for _, bal := range allBalances {
		t.Run(bal.String(), func(t *testing.T) {
			p := &config.Proxy{Name: "be", Kind: config.KindBackend, Balance: bal, AllBackups: true}
			for i, name := range []string{"a", "b1", "b2", "b3"} {
				p.Servers = append(p.Servers, &config.Server{Name: name, Addr: fmt.Sprintf("127.0.0.1:%d", 10000+i), Weight: 1, Backup: name != "a"})
			}
			b := New(p)
			a, b2 := b.Servers[0], b.Servers[2]
			seen := func() map[string]int {
				got := map[string]int{}
				for i := range 300 {
					s := mustAcquire(t, b, addrKey(i), nil)
					b.Release(s)
					got[s.Name]++
				}
				return got
			}
			if got := seen(); got["a"] != 300 {
				t.Fatalf("active usable: %v, want a only", got)
			}
			a.SetHealthy(false)
			got := seen()
			if bal == config.First {
				// first takes the first server with room, backups included.
				if got["b1"] != 300 {
					t.Errorf("first: %v, want b1 only", got)
				}
			} else if got["b1"] == 0 || got["b2"] == 0 || got["b3"] == 0 || got["a"] != 0 {
				t.Errorf("all backups: %v, want b1, b2 and b3 each", got)
			}
			b2.SetState(Maint)
			if got := seen(); got["b2"] != 0 || got["a"] != 0 {
				t.Errorf("b2 in maintenance: %v", got)
			}
			a.SetHealthy(true)
			if got := seen(); got["a"] != 300 {
				t.Errorf("active back: %v, want a only", got)
			}
		})
	}
}

func TestUnusableExcluded(t *testing.T) {
	tests := []struct {
		name string
		make func(s *Server)
	}{
		{"drain", func(s *Server) { s.SetState(Drain) }},
		{"maint", func(s *Server) { s.SetState(Maint) }},
		{"unhealthy", func(s *Server) { s.SetHealthy(false) }},
		{"weight 0", func(s *Server) { s.SetWeight(0) }},
	}
	for _, tc := range tests {
		for _, bal := range allBalances {
			t.Run(tc.name+"/"+bal.String(), func(t *testing.T) {
				b := w123(bal)
				tc.make(b.Servers[2])
				if b.Servers[2].Usable() {
					t.Fatal("server still usable")
				}
				for i := range 200 {
					s := mustAcquire(t, b, addrKey(i), nil)
					b.Release(s)
					if s.Name == "c" {
						t.Fatalf("picked unusable server c")
					}
				}
			})
		}
	}
}

func TestDisabledStartsInMaint(t *testing.T) {
	p := &config.Proxy{Name: "be", Servers: []*config.Server{
		{Name: "a", Addr: "127.0.0.1:1", Weight: 1, Disabled: true},
		{Name: "b", Addr: "127.0.0.1:2", Weight: 7, MaxConn: 9, Backup: true},
	}}
	b := New(p)
	if st := b.Servers[0].State(); st != Maint {
		t.Errorf("disabled server state %v, want maint", st)
	}
	s := b.Servers[1]
	if s.Name != "b" || s.Addr() != "127.0.0.1:2" || s.Weight() != 7 || s.MaxConn != 9 || !s.Backup || s.State() != Ready || !s.Healthy() || s.Index != 1 {
		t.Errorf("server b built as %+v (weight %d, state %v)", s, s.Weight(), s.State())
	}
}

func TestExcludeRedispatch(t *testing.T) {
	for _, bal := range allBalances {
		t.Run(bal.String(), func(t *testing.T) {
			b := newTestBackend(bal, srv{name: "a", weight: 1}, srv{name: "b", weight: 1})
			a, bs := b.Servers[0], b.Servers[1]
			for i := range 50 {
				s := mustAcquire(t, b, addrKey(i), a)
				b.Release(s)
				if s != bs {
					t.Fatalf("exclude a: picked %s", s.Name)
				}
			}
			// Only the excluded server is usable: it is retried.
			bs.SetState(Maint)
			s := mustAcquire(t, b, Key{}, a)
			b.Release(s)
			if s != a {
				t.Errorf("only a usable, exclude a: picked %s, want a", s.Name)
			}
		})
	}
}

func TestExcludeBackup(t *testing.T) {
	b := newTestBackend(config.RoundRobin,
		srv{name: "a", weight: 1},
		srv{name: "b1", weight: 1, backup: true},
		srv{name: "b2", weight: 1, backup: true})
	b.Servers[0].SetState(Maint)
	b1 := b.Servers[1]
	if s := mustAcquire(t, b, Key{}, b1); s.Name != "b2" {
		t.Errorf("exclude b1: picked %s, want b2", s.Name)
	}
}
