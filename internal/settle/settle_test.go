package settle

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock starts at the real time (file times are real) and moves only
// when the reader sleeps.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
	onNap func() // runs at every sleep, before the clock moves
}

func newClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(d time.Duration) {
	if c.onNap != nil {
		c.onNap()
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.slept += d
	c.mu.Unlock()
}

func reader(c *fakeClock) *Reader {
	return &Reader{Interval: 100 * time.Millisecond, Limit: time.Second, now: c.now, sleep: c.sleep}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func rename(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	write(t, tmp, data)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestRead(t *testing.T) {
	type step struct {
		do        func(t *testing.T, path string)
		want      string
		minSleep  time.Duration // the reader waited at least this long
		maxSleep  time.Duration // and at most this long (0: no wait at all)
		errIs     error
		holdWrite bool // a writer keeps the file open during the read
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"first read of a fresh file is at once (no writer)", []step{
			{do: func(t *testing.T, p string) { write(t, p, "one") }, want: "one", maxSleep: 0},
		}},
		{"rename over the file is read at once", []step{
			{do: func(t *testing.T, p string) { write(t, p, "one") }, want: "one"},
			{do: func(t *testing.T, p string) { rename(t, p, "two") }, want: "two", maxSleep: 0},
		}},
		{"unchanged file is read at once", []step{
			{do: func(t *testing.T, p string) { write(t, p, "one") }, want: "one"},
			{do: func(t *testing.T, p string) {}, want: "one", maxSleep: 0},
		}},
		{"rewrite in place waits for the interval", []step{
			{do: func(t *testing.T, p string) { write(t, p, "one") }, want: "one"},
			{do: func(t *testing.T, p string) { write(t, p, "two") }, want: "two", minSleep: 90 * time.Millisecond, maxSleep: 110 * time.Millisecond},
		}},
		{"a file open for writing is not read", []step{
			{do: func(t *testing.T, p string) { write(t, p, "one") }, holdWrite: true, errIs: ErrKeptChanging, minSleep: time.Second, maxSleep: 2 * time.Second},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "baton.cfg")
			c := newClock()
			r := reader(c)
			for i, s := range tc.steps {
				s.do(t, path)
				if s.holdWrite {
					f, err := os.OpenFile(path, os.O_WRONLY, 0)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
				}
				before := c.slept
				files, err := r.Read([]string{path})
				slept := c.slept - before
				if s.errIs != nil {
					if !errors.Is(err, s.errIs) {
						t.Fatalf("step %d: err %v, want %v", i, err, s.errIs)
					}
				} else if err != nil {
					t.Fatalf("step %d: %v", i, err)
				} else if got := string(files[0].Data); got != s.want {
					t.Fatalf("step %d: read %q, want %q", i, got, s.want)
				}
				if slept < s.minSleep || slept > s.maxSleep {
					t.Errorf("step %d: waited %v, want [%v, %v]", i, slept, s.minSleep, s.maxSleep)
				}
			}
		})
	}
}

// TestReadWithoutLeases: where writers cannot be probed, even a renamed
// file must have been quiet for the interval.
func TestReadWithoutLeases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baton.cfg")
	c := newClock()
	r := reader(c)
	r.probe = func(int) leaseProbe { return leaseUnknown }
	rename(t, path, "one")
	files, err := r.Read([]string{path})
	if err != nil || string(files[0].Data) != "one" {
		t.Fatalf("read %v %v", files, err)
	}
	if c.slept < 90*time.Millisecond {
		t.Errorf("waited %v, want about the interval", c.slept)
	}
}

// TestReadErrors: a missing file or a directory is an error at once.
func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	r := reader(newClock())
	if _, err := r.Read([]string{filepath.Join(dir, "nope.cfg")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := r.Read([]string{dir}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
}

// TestReadKeptChangingNamesTheFile: the error says which file and why.
func TestReadKeptChangingNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baton.cfg")
	write(t, path, "one")
	c := newClock()
	r := reader(c)
	r.Read([]string{path})
	write(t, path, "v0")
	// Rewritten in place at every pause of the reader: never quiet.
	n := 0
	c.onNap = func() {
		n++
		write(t, path, fmt.Sprint("v", n))
		// The kernel's ctime is real time: keep the fake clock on it.
		c.mu.Lock()
		c.t = time.Now()
		c.mu.Unlock()
	}
	_, err := r.Read([]string{path})
	if !errors.Is(err, ErrKeptChanging) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "rename") {
		t.Fatalf("err = %v", err)
	}
}

// TestReadNeverHalfWritten: a writer rewrites the file in place a few
// bytes at a time, with pauses, holding it open as `cat > file` does,
// while reads run on the real clock. Every read returns a whole version:
// the read lease keeps the writer out while a read runs. (A writer that
// reopens the file for each piece is guarded by the quiet interval only,
// a matter of timing: TestRead covers that rule on a fake clock.)
func TestReadNeverHalfWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baton.cfg")
	version := func(n int) string {
		return fmt.Sprintf("# version %d\n%send %d\n", n, strings.Repeat("filler line\n", 200), n)
	}
	write(t, path, version(0))
	r := &Reader{Interval: 50 * time.Millisecond, Limit: time.Minute}
	if _, err := r.Read([]string{path}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 1; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			data := []byte(version(n))
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Error(err)
				return
			}
			for len(data) > 0 {
				k := min(7+n%50, len(data))
				f.Write(data[:k])
				data = data[k:]
				if n%3 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			f.Close()
			if n%4 == 0 {
				time.Sleep(120 * time.Millisecond)
			}
		}
	}()
	deadline := time.Now().Add(1500 * time.Millisecond)
	reads := 0
	for time.Now().Before(deadline) {
		files, err := r.Read([]string{path})
		if err != nil {
			t.Fatal(err)
		}
		d := files[0].Data
		var n int
		if _, err := fmt.Sscanf(string(d), "# version %d\n", &n); err != nil || !bytes.HasSuffix(d, []byte(fmt.Sprintf("end %d\n", n))) {
			t.Fatalf("read a partial file (%d bytes):\n%s", len(d), d)
		}
		reads++
	}
	close(stop)
	<-done
	if reads < 3 {
		t.Errorf("only %d reads", reads)
	}
}
