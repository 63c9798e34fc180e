package master

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCoalescer: requests made during a run are served by exactly one more
// run, and every requester gets a result.
func TestCoalescer(t *testing.T) {
	var runs atomic.Int32
	gate := make(chan struct{})
	started := make(chan int32, 10)
	c := newCoalescer(func() int32 {
		n := runs.Add(1)
		started <- n
		<-gate
		return n
	})
	first := make(chan int32, 1)
	go func() { first <- c.Do() }()
	if n := <-started; n != 1 {
		t.Fatalf("first run is %d", n)
	}
	// Five more requests while run 1 is in progress.
	var wg sync.WaitGroup
	results := make(chan int32, 5)
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); results <- c.Do() }()
	}
	// Wait until all five are queued.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		n := len(c.waiting)
		c.mu.Unlock()
		if n == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want 5", n)
		}
		time.Sleep(time.Millisecond)
	}
	gate <- struct{}{}
	if r := <-first; r != 1 {
		t.Fatalf("first requester got run %d", r)
	}
	if n := <-started; n != 2 {
		t.Fatalf("second run is %d", n)
	}
	gate <- struct{}{}
	wg.Wait()
	close(results)
	for r := range results {
		if r != 2 {
			t.Errorf("a requester queued during run 1 got run %d, want 2", r)
		}
	}
	if n := runs.Load(); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
	// Idle again: a new request starts a new run.
	go func() { <-started; gate <- struct{}{} }()
	if r := c.Do(); r != 3 {
		t.Fatalf("later request got run %d, want 3", r)
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for i, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		if got := b.Next(0); got != want*time.Millisecond {
			t.Errorf("step %d: %v, want %v", i, got, want*time.Millisecond)
		}
	}
	if got := b.Next(2 * time.Second); got != 100*time.Millisecond {
		t.Errorf("after a long run: %v, want the minimum", got)
	}
	var zero Backoff
	if got := zero.Next(0); got != 100*time.Millisecond {
		t.Errorf("zero Backoff starts at %v", got)
	}
}

func TestResultString(t *testing.T) {
	ok := Result{OK: true, Messages: []string{"worker gen=2 pid=9 serving"}}
	if got := ok.String(); got != "Success=1\n--\nworker gen=2 pid=9 serving\n" {
		t.Errorf("%q", got)
	}
	bad := fail(os.ErrNotExist, "warning")
	if got := bad.String(); !strings.HasPrefix(got, "Success=0\n--\nwarning\n") {
		t.Errorf("%q", got)
	}
}

func TestUptime(t *testing.T) {
	if got := uptime(26*time.Hour + 2*time.Minute + 7*time.Second); got != "1d02h02m07s" {
		t.Errorf("%s", got)
	}
}

func TestSDNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	if err := sdNotify(notifyReloading()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg := string(buf[:n])
	if !strings.HasPrefix(msg, "RELOADING=1\nMONOTONIC_USEC=") || strings.HasSuffix(msg, "=0") {
		t.Fatalf("notification %q", msg)
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if err := sdNotify("READY=1"); err != nil {
		t.Fatalf("without NOTIFY_SOCKET: %v", err)
	}
}
