package shmlock

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestLock(t *testing.T) {
	var l uint64
	n := 0
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				Lock(&l)
				n++
				Unlock(&l)
			}
		}()
	}
	wg.Wait()
	if n != 4000 {
		t.Errorf("n = %d, want 4000", n)
	}
	if !TryLock(&l) || TryLock(&l) {
		t.Error("TryLock")
	}
	// A lock held by a process that is gone is taken over.
	atomic.StoreUint64(&l, 1<<22+12345) // beyond pid_max: no such process
	Lock(&l)
	Unlock(&l)
}
