package backend

import (
	"errors"
	"sync"
	"testing"
	"time"

	"baton/internal/config"
)

// waitQueued polls until b has n queued requests, failing after a deadline.
func waitQueued(t *testing.T, b *Backend, n int) {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for b.Queued() != n {
		if time.Now().After(end) {
			t.Fatalf("queued = %d, want %d", b.Queued(), n)
		}
		time.Sleep(time.Millisecond) // polling interval, not synchronisation
	}
}

type result struct {
	id  int
	s   *Server
	err error
}

// goAcquire starts an Acquire in a goroutine and reports on out.
func goAcquire(b *Backend, id int, ex *Server, deadline time.Time, out chan<- result) {
	go func() {
		s, err := b.Acquire(Key{}, ex, deadline)
		out <- result{id, s, err}
	}()
}

func TestQueueFIFO(t *testing.T) {
	for _, bal := range allBalances {
		t.Run(bal.String(), func(t *testing.T) {
			b := newTestBackend(bal, srv{name: "a", weight: 1, maxconn: 1})
			held := mustAcquire(t, b, Key{}, nil)
			out := make(chan result, 4)
			for id := range 4 {
				goAcquire(b, id, nil, time.Time{}, out)
				waitQueued(t, b, id+1) // fixes the arrival order
			}
			for want := range 4 {
				b.Release(held)
				r := <-out
				if r.err != nil || r.id != want {
					t.Fatalf("served waiter %d (err %v), want %d", r.id, r.err, want)
				}
				held = r.s
				if c := held.Conns(); c != 1 {
					t.Fatalf("conns %d after hand-over, want 1", c)
				}
			}
			b.Release(held)
			if b.Queued() != 0 || b.Servers[0].Conns() != 0 {
				t.Errorf("end: queued %d conns %d, want 0 0", b.Queued(), b.Servers[0].Conns())
			}
		})
	}
}

func TestQueueTimeout(t *testing.T) {
	b := newTestBackend(config.RoundRobin, srv{name: "a", weight: 1, maxconn: 1})
	held := mustAcquire(t, b, Key{}, nil)
	for _, d := range []time.Duration{-time.Second, 20 * time.Millisecond} {
		start := time.Now()
		_, err := b.Acquire(Key{}, nil, start.Add(d))
		if !errors.Is(err, ErrQueueTimeout) {
			t.Fatalf("deadline %v: err %v, want ErrQueueTimeout", d, err)
		}
		if el := time.Since(start); el < d {
			t.Errorf("deadline %v: gave up after %v", d, el)
		}
		if b.Queued() != 0 {
			t.Errorf("queued %d after timeout, want 0", b.Queued())
		}
	}
	b.Release(held)
	if s := mustAcquire(t, b, Key{}, nil); s.Conns() != 1 {
		t.Errorf("conns %d, want 1: a timed-out waiter kept a slot", s.Conns())
	}
}

func TestQueueRespectsExclude(t *testing.T) {
	b := newTestBackend(config.RoundRobin,
		srv{name: "a", weight: 1, maxconn: 1},
		srv{name: "b", weight: 1, maxconn: 1})
	a, bs := b.Servers[0], b.Servers[1]
	ha := mustAcquire(t, b, Key{}, nil)
	hb := mustAcquire(t, b, Key{}, nil)
	if ha == hb {
		t.Fatal("both picks went to one server with maxconn 1")
	}
	out := make(chan result, 2)
	goAcquire(b, 0, a, time.Time{}, out) // redispatch away from a
	waitQueued(t, b, 1)
	goAcquire(b, 1, nil, time.Time{}, out)
	waitQueued(t, b, 2)
	b.Release(a) // waiter 0 must not get a; waiter 1 may
	r := <-out
	if r.id != 1 || r.s != a {
		t.Fatalf("freed a went to waiter %d (%v), want waiter 1", r.id, r.s.Name)
	}
	b.Release(bs)
	r = <-out
	if r.id != 0 || r.s != bs {
		t.Fatalf("freed b went to waiter %d, want waiter 0", r.id)
	}
}

func TestQueueWokenByStateChange(t *testing.T) {
	b := newTestBackend(config.LeastConn,
		srv{name: "a", weight: 1, maxconn: 1},
		srv{name: "b", weight: 1, maxconn: 1})
	a, bs := b.Servers[0], b.Servers[1]
	bs.SetState(Maint)
	mustAcquire(t, b, Key{}, nil) // a is full
	out := make(chan result, 1)
	goAcquire(b, 0, nil, time.Time{}, out)
	waitQueued(t, b, 1)
	bs.SetState(Ready)
	if r := <-out; r.err != nil || r.s != bs {
		t.Fatalf("after b became ready: %v %v, want b", r.s, r.err)
	}

	// Every server going away fails the waiters at once.
	goAcquire(b, 1, nil, time.Time{}, out)
	waitQueued(t, b, 1)
	a.SetHealthy(false)
	if b.Queued() != 1 {
		t.Fatalf("queued %d while b is still usable, want 1", b.Queued())
	}
	bs.SetHealthy(false)
	if r := <-out; !errors.Is(r.err, ErrNoServer) {
		t.Fatalf("no server left: err %v, want ErrNoServer", r.err)
	}
}

// TestConcurrent hammers every algorithm from many goroutines and checks
// that maxconn is never exceeded and every slot comes back.
func TestConcurrent(t *testing.T) {
	for _, bal := range allBalances {
		t.Run(bal.String(), func(t *testing.T) {
			b := newTestBackend(bal,
				srv{name: "a", weight: 1, maxconn: 2},
				srv{name: "b", weight: 2, maxconn: 2},
				srv{name: "c", weight: 3, maxconn: 2},
				srv{name: "d", weight: 1, maxconn: 2, backup: true})
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for g := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 500 {
						var ex *Server
						if i%7 == 0 {
							ex = b.Servers[i%3]
						}
						if g == 0 && i%50 == 0 {
							b.Servers[2].SetHealthy(i%100 != 0) // flap c
						}
						s, err := b.Acquire(addrKey(i), ex, time.Time{})
						if err != nil {
							errs <- err
							return
						}
						if c := s.Conns(); c > s.MaxConn {
							errs <- errors.New(s.Name + " above maxconn")
						}
						b.Release(s)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for _, s := range b.Servers {
				if s.Conns() != 0 {
					t.Errorf("%s: %d conns left", s.Name, s.Conns())
				}
			}
			if b.Queued() != 0 {
				t.Errorf("%d still queued", b.Queued())
			}
		})
	}
}

func TestFastPathAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("AllocsPerRun")
	}
	for _, bal := range allBalances {
		b := w123(bal)
		key := Key{Src: addrKey(5).Src, URI: []byte("/a/b?c")}
		allocs := testing.AllocsPerRun(1000, func() {
			s, err := b.Acquire(key, nil, time.Time{})
			if err != nil {
				panic(err)
			}
			b.Release(s)
		})
		if allocs != 0 {
			t.Errorf("%v: %.1f allocs per Acquire+Release, want 0", bal, allocs)
		}
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	for _, bal := range allBalances {
		be := newTestBackend(bal,
			srv{name: "a", weight: 1, maxconn: 1000},
			srv{name: "b", weight: 2, maxconn: 1000},
			srv{name: "c", weight: 3, maxconn: 1000},
			srv{name: "d", weight: 1, maxconn: 1000})
		b.Run(bal.String(), func(b *testing.B) {
			b.ReportAllocs()
			key := addrKey(7)
			key.URI = []byte("/static/app.js")
			for b.Loop() {
				s, _ := be.Acquire(key, nil, time.Time{})
				be.Release(s)
			}
		})
		b.Run(bal.String()+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				key := addrKey(7)
				key.URI = []byte("/static/app.js")
				for pb.Next() {
					s, _ := be.Acquire(key, nil, time.Time{})
					be.Release(s)
				}
			})
		})
	}
}
