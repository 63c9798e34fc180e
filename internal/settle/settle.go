package settle

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// Defaults for the zero values of Reader.
const (
	DefaultInterval = 100 * time.Millisecond
	DefaultLimit    = 3 * time.Second
	// pollStep is the pause between attempts while a file settles.
	pollStep = 5 * time.Millisecond
)

// ErrKeptChanging is the error of a read that found a file still being
// written at Limit.
var ErrKeptChanging = errors.New("configuration kept changing")

// File is one file as read: its name and its complete contents.
type File struct {
	Name string
	Data []byte
}

// Reader reads files once they have settled (see the package doc). It
// remembers which inode each path named at its last read, to tell a
// rewrite in place from a rename over the file. A Reader is safe for
// concurrent use; reads are serialised.
type Reader struct {
	// Interval is how long a file rewritten in place, or one whose
	// writers cannot be probed, must stay unchanged before it is read;
	// 0 means DefaultInterval.
	Interval time.Duration
	// Limit bounds the wait for every file to settle; 0 means
	// DefaultLimit.
	Limit time.Duration
	// now and sleep are the clock, probe the writers' probe (tests
	// replace them).
	now   func() time.Time
	sleep func(time.Duration)
	probe func(fd int) leaseProbe

	mu   sync.Mutex
	last map[string]fileID // by path, the file read last time
}

// fileID says which file a path named and when it last changed.
type fileID struct {
	dev, ino     uint64
	size         int64
	mtime, ctime time.Time
}

func idOf(st *syscall.Stat_t) fileID {
	return fileID{dev: uint64(st.Dev), ino: st.Ino, size: st.Size,
		mtime: time.Unix(st.Mtim.Unix()), ctime: time.Unix(st.Ctim.Unix())}
}

func (id fileID) sameFile(o fileID) bool { return id.dev == o.dev && id.ino == o.ino }

// lastChange is the later of mtime and ctime.
func (id fileID) lastChange() time.Time {
	if id.ctime.After(id.mtime) {
		return id.ctime
	}
	return id.mtime
}

// Read returns the contents of every file in names, each read once it
// settled. A file that is missing or unreadable is an error at once; one
// that does not settle within Limit is ErrKeptChanging, naming it and why.
func (r *Reader) Read(names []string) ([]File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	interval, limit := r.Interval, r.Limit
	if interval <= 0 {
		interval = DefaultInterval
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	now, sleep := r.now, r.sleep
	if now == nil {
		now, sleep = time.Now, time.Sleep
	}
	start := now()
	for {
		files, ids, why, err := r.attempt(names, interval, now)
		if err != nil {
			return nil, err
		}
		if why == "" {
			if r.last == nil {
				r.last = make(map[string]fileID)
			}
			for i, n := range names {
				r.last[n] = ids[i]
			}
			return files, nil
		}
		if now().Sub(start) >= limit {
			return nil, fmt.Errorf("%w for %v: %s; the serving configuration is kept (write the new file beside it and rename it over the old one)", ErrKeptChanging, limit, why)
		}
		sleep(pollStep)
	}
}

// attempt reads every file once. why is "" when all of them had settled,
// else the first reason to read again.
func (r *Reader) attempt(names []string, interval time.Duration, now func() time.Time) ([]File, []fileID, string, error) {
	files := make([]File, 0, len(names))
	ids := make([]fileID, 0, len(names))
	for _, n := range names {
		data, id, why, err := r.readOne(n, interval, now)
		if err != nil || why != "" {
			return nil, nil, why, err
		}
		files = append(files, File{Name: n, Data: data})
		ids = append(ids, id)
	}
	return files, ids, "", nil
}

func (r *Reader) readOne(name string, interval time.Duration, now func() time.Time) (data []byte, id fileID, why string, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, id, "", err
	}
	defer f.Close()
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, id, "", err
	}
	// The read lease is held across the read: a writer opening the file
	// meanwhile waits for its release (microseconds), so what is read is
	// one complete version of a file whose writers close it when done.
	probe := leaseUnknown
	sc.Control(func(fd uintptr) {
		if r.probe != nil {
			probe = r.probe(int(fd))
		} else {
			probe = takeLease(int(fd))
		}
	})
	if probe == leaseFree {
		defer sc.Control(func(fd uintptr) { releaseLease(int(fd)) })
	}
	if probe == leaseBusy {
		return nil, id, name + " is open for writing", nil
	}
	var st syscall.Stat_t
	var statErr error
	sc.Control(func(fd uintptr) { statErr = syscall.Fstat(int(fd), &st) })
	if statErr != nil {
		return nil, id, "", fmt.Errorf("%s: %w", name, statErr)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, id, "", fmt.Errorf("%s: not a regular file", name)
	}
	id = idOf(&st)
	prev, seen := r.last[name]
	inPlace := seen && prev.sameFile(id) && prev != id
	if inPlace || probe == leaseUnknown {
		if age := now().Sub(id.lastChange()); age < interval {
			return nil, id, fmt.Sprintf("%s changed %v ago (less than %v)", name, age.Round(time.Millisecond), interval), nil
		}
	}
	data, err = io.ReadAll(f)
	if err != nil {
		return nil, id, "", fmt.Errorf("%s: %w", name, err)
	}
	var after, path syscall.Stat_t
	sc.Control(func(fd uintptr) { statErr = syscall.Fstat(int(fd), &after) })
	if statErr == nil {
		statErr = syscall.Stat(name, &path)
	}
	if statErr != nil {
		return nil, id, "", fmt.Errorf("%s: %w", name, statErr)
	}
	if idOf(&after) != id || int64(len(data)) != id.size {
		return nil, id, name + " changed while it was read", nil
	}
	if p := idOf(&path); !p.sameFile(id) {
		return nil, id, name + " was replaced while it was read", nil
	}
	return data, id, "", nil
}

// leaseProbe is what the read-lease probe said about a file's writers.
type leaseProbe int

const (
	leaseUnknown leaseProbe = iota // no lease possible here: cannot tell
	leaseFree                      // no process has the file open for writing
	leaseBusy                      // some process has it open for writing
)

// takeLease takes a read lease on fd: the kernel refuses it (EAGAIN)
// while any process has the file open for writing, and makes a writer
// that opens the file meanwhile wait until releaseLease.
func takeLease(fd int) leaseProbe {
	_, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETLEASE, syscall.F_RDLCK)
	switch e {
	case 0:
		return leaseFree
	case syscall.EAGAIN:
		return leaseBusy
	}
	return leaseUnknown
}

func releaseLease(fd int) {
	syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETLEASE, syscall.F_UNLCK)
}
