package dns_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"baton/test/harness"
)

// The backends of these tests are processes (this test binary again, run
// with backendEnv set), so that they can be killed: SIGKILL drops every
// connection at once; SIGTERM stops accepting and finishes the requests
// in flight (net/http's Shutdown), then exits.
const (
	backendEnv     = "BATON_DNS_TEST_BACKEND" // the label; unset in the test process
	backendAddrEnv = "BATON_DNS_TEST_ADDR"
)

func TestMain(m *testing.M) {
	if label := os.Getenv(backendEnv); label != "" {
		runBackend(os.Getenv(backendAddrEnv), label)
		return
	}
	os.Exit(m.Run())
}

// runBackend serves on addr until SIGTERM (graceful) or SIGKILL:
//
//	/_stats          "REQUESTS INFLIGHT LAST_UNIX_NANO" (not counted)
//	/slow?ms=N       answer after N ms
//	POST anything    read the body, answer "backend LABEL got N"
//	anything else    "backend LABEL"
//
// Every answer carries X-Backend: LABEL. On exit it prints
// "exit requests=N late=M", M counting requests that started after
// SIGTERM.
func runBackend(addr, label string) {
	var reqs, inflight, late, last atomic.Int64
	var terminated atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_stats" {
			fmt.Fprintf(w, "%d %d %d\n", reqs.Load(), inflight.Load(), last.Load())
			return
		}
		inflight.Add(1)
		defer inflight.Add(-1)
		reqs.Add(1)
		last.Store(time.Now().UnixNano())
		if terminated.Load() {
			late.Add(1)
		}
		w.Header().Set("X-Backend", label)
		if r.Method == "POST" {
			n, _ := io.Copy(io.Discard, r.Body)
			fmt.Fprintf(w, "backend %s got %d\n", label, n)
			return
		}
		if r.URL.Path == "/slow" {
			ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
		fmt.Fprintf(w, "backend %s\n", label)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Printf("listen: %v\n", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	fmt.Println("ready")
	<-sigs
	terminated.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv.Shutdown(ctx)
	fmt.Printf("exit requests=%d late=%d\n", reqs.Load(), late.Load())
}

// backend is a running backend process.
type backend struct {
	t      *testing.T
	label  string
	addr   string // "127.0.0.N:port"
	cmd    *exec.Cmd
	out    *harness.Output
	exited chan struct{}
}

func startBackend(t *testing.T, ip string, port int, label string) *backend {
	t.Helper()
	b := &backend{t: t, label: label, addr: net.JoinHostPort(ip, strconv.Itoa(port)), out: &harness.Output{}, exited: make(chan struct{})}
	b.cmd = exec.Command(os.Args[0], "-test.run=^$")
	b.cmd.Env = append(os.Environ(), backendEnv+"="+label, backendAddrEnv+"="+b.addr)
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		b.cmd.Wait()
		close(b.exited)
	}()
	t.Cleanup(func() {
		b.cmd.Process.Kill()
		<-b.exited
	})
	harness.Eventually(t, 10*time.Second, "backend "+label+" ready", func() bool {
		select {
		case <-b.exited:
			t.Fatalf("backend %s exited: %s", label, b.out)
		default:
		}
		return b.out.Contains("ready")
	})
	return b
}

// stats is a backend's counters, read directly (not through the proxy).
type stats struct {
	requests, inflight int64
	last               time.Time // when the last request started; zero: never
}

func (b *backend) stats() (stats, error) {
	c, err := net.DialTimeout("tcp", b.addr, time.Second)
	if err != nil {
		return stats{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET /_stats HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
	r, err := harness.ReadResponse(bufio.NewReader(c), "GET")
	if err != nil {
		return stats{}, err
	}
	f := strings.Fields(string(r.Body))
	if len(f) != 3 {
		return stats{}, fmt.Errorf("stats %q", r.Body)
	}
	var s stats
	s.requests, _ = strconv.ParseInt(f[0], 10, 64)
	s.inflight, _ = strconv.ParseInt(f[1], 10, 64)
	if n, _ := strconv.ParseInt(f[2], 10, 64); n > 0 {
		s.last = time.Unix(0, n)
	}
	return s, nil
}

func (b *backend) mustStats() stats {
	b.t.Helper()
	s, err := b.stats()
	if err != nil {
		b.t.Fatalf("backend %s stats: %v", b.label, err)
	}
	return s
}

func (b *backend) signal(sig syscall.Signal) {
	b.t.Helper()
	if err := b.cmd.Process.Signal(sig); err != nil {
		b.t.Fatalf("signal %v to backend %s: %v", sig, b.label, err)
	}
}

// waitExit waits for the process to end and returns its last output line.
func (b *backend) waitExit(limit time.Duration) string {
	b.t.Helper()
	select {
	case <-b.exited:
	case <-time.After(limit):
		b.t.Fatalf("backend %s still running after %v", b.label, limit)
	}
	l := b.out.Lines()
	if len(l) == 0 {
		return ""
	}
	return l[len(l)-1]
}

// group is a set of backends.
type group []*backend

func (g group) ips() []string {
	var out []string
	for _, b := range g {
		h, _, _ := net.SplitHostPort(b.addr)
		out = append(out, h)
	}
	return out
}
