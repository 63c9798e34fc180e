// Package shmlock is the lock of data in memory that processes share
// (the stick tables', the caches'): a word holding its owner's process
// id, taken with a compare-and-swap. A Go mutex cannot be shared
// between processes; the owner's id lets a lock left by a process that
// died (it would have to die inside the few instructions a lock is
// held) be taken over. Locks are held for a few instructions only,
// never across I/O.
package shmlock

import (
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
)

var pid = uint64(os.Getpid())

// Lock takes the lock word l, spinning (and yielding) while another
// holder has it.
func Lock(l *uint64) {
	for i := 0; ; i++ {
		if atomic.CompareAndSwapUint64(l, 0, pid) {
			return
		}
		if i >= 64 {
			runtime.Gosched()
		}
		if i&(1<<12-1) == 1<<12-1 {
			if o := atomic.LoadUint64(l); o != 0 && o != pid && syscall.Kill(int(o), 0) == syscall.ESRCH {
				atomic.CompareAndSwapUint64(l, o, 0)
			}
		}
	}
}

// TryLock takes l if it is free.
func TryLock(l *uint64) bool { return atomic.CompareAndSwapUint64(l, 0, pid) }

// Unlock releases l.
func Unlock(l *uint64) { atomic.StoreUint64(l, 0) }
