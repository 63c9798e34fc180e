package backend

import (
	"testing"
	"time"

	"baton/internal/config"
)

// pool-max-conn bounds a server's pool; 0 and pool-purge-delay 0 keep
// nothing; by default the pool takes more than the old fixed 64.
func TestPoolMaxConn(t *testing.T) {
	for _, tc := range []struct {
		name string
		pool config.ServerPool
		want int // connections accepted out of 100
	}{
		{"default", config.ServerPool{}, 100},
		{"pool-max-conn 5", config.ServerPool{PoolMaxConn: 5}, 5},
		{"pool-max-conn 0", config.ServerPool{NoIdlePool: true}, 0},
		{"pool-purge-delay 0", config.ServerPool{PoolPurgeDelay: -1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, s := oneServer(t)
			s.Config.ServerPool = tc.pool
			cs, _ := tcpPairs(t, 100)
			got := 0
			for _, c := range cs {
				if s.PutIdle(c) {
					got++
				}
			}
			if got != tc.want || s.IdleCount() != tc.want {
				t.Errorf("pooled %d (IdleCount %d), want %d", got, s.IdleCount(), tc.want)
			}
			before := pooledIdle.Load()
			for s.GetIdle() != nil {
			}
			if d := before - pooledIdle.Load(); d != int64(got) {
				t.Errorf("process count fell by %d when %d were taken", d, got)
			}
		})
	}
}

// Each pool-purge-delay, half of the idle connections go, the oldest
// first, until none is left.
func TestPoolPurgeDelay(t *testing.T) {
	_, s := oneServer(t)
	s.Config.PoolPurgeDelay = 50 * time.Millisecond
	cs, _ := tcpPairs(t, 8)
	for _, c := range cs {
		if !s.PutIdle(c) {
			t.Fatal("put refused")
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.IdleCount() == 8 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling interval
	}
	s.idle.mu.Lock()
	n := len(s.idle.stack)
	var kept bool
	if n > 0 {
		kept = s.idle.stack[n-1].c == cs[7] // the newest stays longest
	}
	s.idle.mu.Unlock()
	if n != 4 && n != 2 && n != 1 && n != 0 {
		t.Fatalf("after a purge %d idle, want 8 halved", n)
	}
	if n > 0 && !kept {
		t.Error("the purge closed the newest connection before older ones")
	}
	if !isClosed(cs[0]) {
		t.Error("the oldest connection is still open")
	}
	for s.IdleCount() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling interval
	}
	if n := s.IdleCount(); n != 0 {
		t.Fatalf("%d idle left: the purge stopped before the pool emptied", n)
	}
	if !isClosed(cs[7]) {
		t.Error("the last connection was not closed")
	}
}
